package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/office"
)

// holdOnly is a box office that holds and reads, and fails the test if an
// order reaches it.
type holdOnly struct {
	order atomic.Bool
}

func (o *holdOnly) Do(_ context.Context, _ string, cmd boxoffice.Command, _ office.Render) (office.Result, error) {
	if _, ok := cmd.(*boxoffice.PlaceOrder); ok {
		o.order.Store(true)
		return office.Result{}, fault.New(fault.Conflict, "stop here")
	}
	return office.Result{}, nil
}

func (o *holdOnly) Read(context.Context, string, office.Render) (any, error) { return nil, nil }

func (o *holdOnly) View(context.Context, string) (*boxoffice.View, error) { return nil, nil }

// gateway is a card provider whose breaker the test opens and closes.
type gateway struct{ open atomic.Bool }

func (g *gateway) BreakerOpen() bool                             { return g.open.Load() }
func (g *gateway) Webhook(context.Context, []byte, string) error { return nil }

// TestOpenBreakerRefusesCardOrders: while calls to Stripe fail fast, a new
// card order is a clear 503 before it reaches the box office, so the hold
// is kept for the buyer to try again; once the breaker closes it goes
// through.
func TestOpenBreakerRefusesCardOrders(t *testing.T) {
	offices := &holdOnly{}
	g := &gateway{}
	g.open.Store(true)
	s := New(Config{Offices: offices, Clock: clock.NewFake(time.Now()), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stripe: g})
	post := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/public/events/ev_aaaaaaaaaaaaaaaaaaaa/orders",
			strings.NewReader(`{"hold_id":"ho_aaaaaaaaaaaaaaaaaaaaaaaaaa","payment_provider":"stripe",`+
				`"buyer":{"name":"Ada","email":"ada@example.com"}}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	rec := post()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"payment-provider-unavailable"`) ||
		rec.Header().Get("Retry-After") == "" {
		t.Fatalf("breaker open: %d %s", rec.Code, rec.Body.String())
	}
	if offices.order.Load() {
		t.Fatal("the order reached the box office while the breaker was open")
	}
	g.open.Store(false)
	post()
	if !offices.order.Load() {
		t.Fatal("the order did not reach the box office once the breaker closed")
	}
}
