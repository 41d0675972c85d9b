package forward

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/admit-org/admit/internal/natstest"
	"github.com/admit-org/admit/internal/tracing"
)

// TestForwardingIsOneTrace: a forwarded request's span on the forwarding
// node is the child of the client's traceparent, and the owner's server
// span the child of that one.
func TestForwardingIsOneTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	ns := natstest.Start(t)
	log := slog.New(slog.DiscardHandler)
	newNode := func(node string, runs bool) *Forwarder {
		nc := natstest.Connect(t, ns.ClientURL())
		mux := http.NewServeMux()
		mux.HandleFunc("POST /api/v1/events/{id}/holds", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
		f := New(Config{Conn: nc, Node: node, Local: tracing.Middleware(mux), MaxBody: 1 << 16, Log: log,
			Problem: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(503) },
			Runs:    func(string) bool { return runs },
			Holder:  func(context.Context, string) (string, error) { return "b", nil }})
		if err := f.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Stop)
		return f
	}
	a, _ := newNode("a", false), newNode("b", true)
	const client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req := httptest.NewRequest("POST", "/api/v1/events/ev_1/holds", nil)
	req.Header.Set("Traceparent", client)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	io.Copy(io.Discard, w.Body)
	if w.Code != 201 {
		t.Fatalf("forwarded: %d", w.Code)
	}
	var fwd, server sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "forward":
			fwd = s
		case "POST /api/v1/events/{id}/holds":
			server = s
		}
	}
	if fwd == nil || server == nil {
		t.Fatalf("spans: forward %v, owner's %v", fwd, server)
	}
	if got := fwd.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the forward span's trace is %s, not the client's", got)
	}
	if fwd.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the forward span's parent is %s, not the client's span", fwd.Parent().SpanID())
	}
	if server.Parent().SpanID() != fwd.SpanContext().SpanID() || server.SpanContext().TraceID() != fwd.SpanContext().TraceID() {
		t.Errorf("the owner's span (parent %s) is not the forward span's (%s) child", server.Parent().SpanID(), fwd.SpanContext().SpanID())
	}
}
