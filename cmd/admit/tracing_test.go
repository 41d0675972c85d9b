package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestTracesOverOTLP: with the standard OTEL_* variables set, serve sends
// its spans over OTLP/HTTP: a hold's request span, named by its route, and
// the box office's and the ledger's spans of it.
func TestTracesOverOTLP(t *testing.T) {
	var mu sync.Mutex
	names := map[string]int{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names[s.Name]++
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // ms: export soon

	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	c.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 1}}})

	route := "POST /api/v1/public/events/{event_id}/holds"
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := names[route] > 0 && names["office.do"] > 0 && names["office.batch"] > 0 && names["ledger.append"] > 0
		seen := len(names)
		mu.Unlock()
		if got {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("after 10 s the collector has %d span names, not all of %q, office.do, office.batch, ledger.append: %v", seen, route, names)
		}
		time.Sleep(20 * time.Millisecond) // polling the collector
	}
}
