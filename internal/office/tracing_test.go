package office

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/tracing"
)

// TestTracedHold: with tracing on, a command's span (office.do) is the
// child of its caller's, the span of the batch that decided it
// (office.batch) links to it, and the ledger append is the batch's child.
func TestTracedHold(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	m, _ := startManager(t, ledger.NewMemory(), clock.NewFake(t0), Config{})
	evID, ttID := onSale(t, m, 10)
	ctx, parent := tracing.Tracer().Start(context.Background(), "request")
	if _, err := m.Do(ctx, evID, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
		Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 1}}}, nil); err != nil {
		t.Fatal(err)
	}
	parent.End()

	spans := rec.Ended()
	find := func(what string, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
		t.Helper()
		for _, s := range spans {
			if match(s) {
				return s
			}
		}
		t.Fatalf("no %s among %d spans", what, len(spans))
		return nil
	}
	do := find("office.do under the caller's span", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "office.do" && s.Parent().SpanID() == parent.SpanContext().SpanID()
	})
	linksTo := func(s sdktrace.ReadOnlySpan, sc trace.SpanContext) bool {
		for _, l := range s.Links() {
			if l.SpanContext.SpanID() == sc.SpanID() {
				return true
			}
		}
		return false
	}
	batch := find("office.batch linked to the hold's office.do", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "office.batch" && linksTo(s, do.SpanContext())
	})
	find("ledger.append under the batch", func(s sdktrace.ReadOnlySpan) bool {
		return s.Name() == "ledger.append" && s.Parent().SpanID() == batch.SpanContext().SpanID()
	})
}
