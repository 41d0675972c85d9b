package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/office"
)

// viewOnly serves a fixed view and fails the test if a command reaches the
// box office.
type viewOnly struct {
	t *testing.T
	v *boxoffice.View
}

func (o viewOnly) Do(context.Context, string, boxoffice.Command, office.Render) (office.Result, error) {
	o.t.Error("a sold-out hold was queued behind the box office")
	return office.Result{}, nil
}

func (o viewOnly) Read(context.Context, string, office.Render) (any, error) { return nil, nil }

func (o viewOnly) View(context.Context, string) (*boxoffice.View, error) { return o.v, nil }

func TestSoldOutAnswerDoesNotQueue(t *testing.T) {
	const ev, tt = "ev_aaaaaaaaaaaaaaaaaaaa", "tt_aaaaaaaaaaaaaaaaaaaa"
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &boxoffice.View{
		Event: boxoffice.Event{ID: ev, Status: boxoffice.OnSale, EndsAt: now.Add(time.Hour)},
		TicketTypes: []boxoffice.TicketTypeView{{TicketType: boxoffice.TicketType{ID: tt, MinPerHold: 1, MaxPerHold: 4},
			Available: 0, Capacity: 10, InQuota: true}},
	}
	s := New(Config{Offices: viewOnly{t, v}, Clock: clock.NewFake(now), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	req := httptest.NewRequest("POST", "/api/v1/public/events/"+ev+"/holds",
		strings.NewReader(`{"items":[{"ticket_type_id":"`+tt+`","quantity":1}]}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"code":"sold-out"`) {
		t.Fatalf("got %d %s, want 409 sold-out", rec.Code, rec.Body.String())
	}
}
