// Package metrics is what admit tells Prometheus: HTTP requests by route
// and status with their latency, the box offices' batches and ledger
// appends, and gauges read when scraped (queues, offices loaded, leases,
// the read model's lag), beside the Go runtime's and the process's own.
// docs/operating.md lists them.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admit-org/admit/internal/httpstatus"
)

// Metrics are one process's. The zero value is not usable: use New. Safe
// for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	batch    prometheus.Histogram
	append   prometheus.Histogram
	failed   prometheus.Counter
}

// New returns the metrics, registered with the Go runtime's and the
// process's collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "admit_http_requests_total",
		Help: "HTTP requests answered, by route (the pattern it matched; \"other\" for none), method and status code.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "admit_http_request_duration_seconds",
		Help:    "Time from a request's headers read to its handler returning, by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms to 4 s
	}, []string{"route"})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "admit_office_batch_entries",
		Help:    "Ledger entries in each box-office append: one message, one fsync.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 8), // 1 to 16,384
	})
	m.append = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "admit_ledger_append_seconds",
		Help:    "Time a box office waited for the ledger to acknowledge (store and fsync) one append.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 0.1 ms to 3.3 s
	})
	m.failed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "admit_ledger_append_failures_total",
		Help: "Box-office appends the ledger did not acknowledge (the office then reloads or stops).",
	})
	m.reg.MustRegister(m.requests, m.duration, m.batch, m.append, m.failed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge registers a gauge read by f at every scrape. f must be cheap and
// safe for concurrent use. labels are pairs of a label's name and value,
// the same for every sample (a worker's name).
func (m *Metrics) Gauge(name, help string, f func() float64, labels ...string) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels(labels)}, f))
}

// Counter registers a counter read by f at every scrape. f must be cheap,
// safe for concurrent use, and never decrease. labels are as Gauge's.
func (m *Metrics) Counter(name, help string, f func() float64, labels ...string) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: constLabels(labels)}, f))
}

// constLabels makes the labels of pairs of names and values.
func constLabels(pairs []string) prometheus.Labels {
	if len(pairs) == 0 {
		return nil
	}
	l := make(prometheus.Labels, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		l[pairs[i]] = pairs[i+1]
	}
	return l
}

// Handler serves the metrics in Prometheus's text format (or OpenMetrics,
// when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Appended records a box-office append of entries that took took; failed
// reports one the ledger did not acknowledge.
func (m *Metrics) Appended(entries int, took time.Duration, failed bool) {
	if failed {
		m.failed.Inc()
		return
	}
	m.batch.Observe(float64(entries))
	m.append.Observe(took.Seconds())
}

// Middleware counts and times the requests next answers. next must be an
// http.ServeMux (or set Request.Pattern as one does): the route label is
// the pattern the request matched, so that the series stay as few as the
// routes.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := httpstatus.Wrap(w)
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "other"
		}
		code := sw.Code()
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
