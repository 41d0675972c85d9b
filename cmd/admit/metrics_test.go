package main

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads a Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// value is the value of the family's series with the labels, -1 if none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
series:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetrics: with --metrics-addr, serve answers Prometheus on its own
// address: requests by route and status, the box offices' appends, and the
// gauges read when scraped.
func TestMetrics(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	addr, ok := lineAfter(a.out.String(), "metrics at ")
	if !ok || !strings.HasSuffix(addr, "/metrics") {
		t.Fatalf("no metrics address in the banner:\n%s", a.out.String())
	}
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	holds := "/api/v1/public/events/" + evID + "/holds"
	c.must(201, "POST", holds, map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 2}}})
	c.must(422, "POST", holds, map[string]any{"items": []map[string]any{}})
	c.do("GET", "/api/v1/nothing/here", nil)

	fams := scrape(t, addr)
	route := "POST /api/v1/public/events/{event_id}/holds"
	for _, want := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"admit_http_requests_total", []string{"route", route, "method", "POST", "code", "201"}, 1},
		{"admit_http_requests_total", []string{"route", route, "code", "422"}, 1},
		{"admit_http_requests_total", []string{"code", "404"}, 1},
		{"admit_http_request_duration_seconds", []string{"route", route}, 2},
		{"admit_office_batch_entries", nil, 5}, // the event, its ticket type, quota, status, the hold
		{"admit_ledger_append_seconds", nil, 5},
		{"admit_offices_loaded", nil, 1},
		{"admit_office_queued", nil, 0},
		{"admit_readmodel_lag_entries", nil, 0},
		{"admit_worker_running", []string{"worker", "mail"}, 1},
		{"admit_worker_backlog_messages", []string{"worker", "mail"}, 0},
		{"admit_worker_parked_total", []string{"worker", "mail"}, 0},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	} {
		if got := value(fams, want.name, want.labels...); got < want.min {
			t.Errorf("%s%v = %v, want at least %v", want.name, want.labels, got, want.min)
		}
	}
	if _, ok := fams["admit_leases_held"]; ok {
		t.Error("a single node reports leases")
	}
	// The API's own address has no /metrics.
	resp, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /metrics on the API's address: %d, want 404", resp.StatusCode)
	}
}
