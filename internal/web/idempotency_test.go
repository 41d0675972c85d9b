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

func TestPublicKeyMustBeRandom(t *testing.T) {
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"buyer-1-try-1", false},
		{"order-1", false},
		{"123e4567-e89b-42d3-a456-426614174000", true},  // version 4
		{"123E4567-E89B-42D3-A456-426614174000", true},  // uuidgen on macOS
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", false}, // version 1: a time and a MAC address
		{"0190a9c2-7e1f-7000-8000-000000000000", false}, // version 7: mostly a timestamp
		{"123e4567-e89b-42d3-c456-426614174000", false}, // not the RFC 9562 variant
		{"a3f1c2d4e5b6978812ab34cd56ef7890", true},      // 16 random bytes, hex
		{"o3Jx5K0dQ1a7Z9bYc2WvEg", true},                // 16 random bytes, base64url
		{"o3Jx5K0dQ1a7Z9bYc2WvE", false},                // 21 characters
		{"o3Jx5K0dQ1a7Z9bYc2WvEg==", false},             // padding is not base64url here
		{"o3Jx5K0dQ1a7Z9b+c2WvEg", false},               // standard base64
	} {
		if got := publicKeyOK(c.key); got != c.ok {
			t.Errorf("publicKeyOK(%q) = %v, want %v", c.key, got, c.ok)
		}
	}
}

// blockingOffices makes holds; a hold on the event stall waits until
// release is closed, so a test can keep one request in flight.
type blockingOffices struct {
	stall   string
	entered chan struct{}
	release chan struct{}
}

func (o *blockingOffices) Do(_ context.Context, evID string, _ boxoffice.Command, _ office.Render) (office.Result, error) {
	if evID == o.stall {
		close(o.entered)
		<-o.release
	}
	return office.Result{Decision: boxoffice.Decision{Ref: "ho_x"}, Value: map[string]string{"id": "ho_x"}}, nil
}

func (o *blockingOffices) Read(context.Context, string, office.Render) (any, error) { return nil, nil }

func (o *blockingOffices) View(context.Context, string) (*boxoffice.View, error) { return nil, nil }

func TestSameKeyOnTwoEventsAtOnce(t *testing.T) {
	const ev1, ev2, tt = "ev_aaaaaaaaaaaaaaaaaaaa", "ev_bbbbbbbbbbbbbbbbbbbb", "tt_aaaaaaaaaaaaaaaaaaaa"
	o := &blockingOffices{stall: ev1, entered: make(chan struct{}), release: make(chan struct{})}
	s := New(Config{Offices: o, Clock: clock.NewFake(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	const key = "o3Jx5K0dQ1a7Z9bYc2WvEg"
	hold := func(ev string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/public/events/"+ev+"/holds",
			strings.NewReader(`{"items":[{"ticket_type_id":"`+tt+`","quantity":1}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- hold(ev1) }()
	<-o.entered // the key is in flight on ev1
	if rec := hold(ev2); rec.Code != http.StatusCreated {
		t.Errorf("the same key on another event while the first is in flight: %d %s, want 201", rec.Code, rec.Body.String())
	}
	if rec := hold(ev1); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"code":"idempotency-in-flight"`) {
		t.Errorf("the same key on the same event while in flight: %d %s, want 409 idempotency-in-flight", rec.Code, rec.Body.String())
	}
	close(o.release)
	if rec := <-first; rec.Code != http.StatusCreated {
		t.Errorf("the first request: %d %s", rec.Code, rec.Body.String())
	}
}
