package tracing

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestWanted(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, false},
		{map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false},
	} {
		if got := Wanted(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("Wanted(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestMiddleware: a request gets a server span named by its route, the
// child of the caller's span named in its traceparent header, with its
// status code; with tracing off, none.
func TestMiddleware(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /events/{id}/holds", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	h := Middleware(mux)

	rec := tracetest.NewSpanRecorder()
	restore := Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	req := httptest.NewRequest("POST", "/events/ev_1/holds", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	restore()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/events/ev_2/holds", nil))

	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 (none once tracing is off)", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /events/{id}/holds" {
		t.Errorf("span name %q, want the route", s.Name())
	}
	if got := s.Parent().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" || !s.Parent().IsRemote() {
		t.Errorf("parent %v, want the caller's span from traceparent", s.Parent())
	}
	if !hasAttr(s.Attributes(), attribute.Int("http.response.status_code", 201)) {
		t.Errorf("attributes %v lack the status code 201", s.Attributes())
	}
}

func hasAttr(attrs []attribute.KeyValue, want attribute.KeyValue) bool {
	for _, a := range attrs {
		if a == want {
			return true
		}
	}
	return false
}
