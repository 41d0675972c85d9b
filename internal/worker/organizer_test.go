package worker

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// TestOrganizerEntries: a worker gets an organizer's entries too, named by
// the organizer, in ledger order with the events'; one it parks comes back
// whole on a retry.
func TestOrganizerEntries(t *testing.T) {
	ctx := context.Background()
	led := ledger.NewMemory()
	appendHolds(t, led, "ev_a", "h1")
	desk := &organizer.Desk{Ledger: led, Now: time.Now}
	org, _, err := desk.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	appendHolds(t, led, "ev_a", "h2")

	var mu sync.Mutex
	var got []Entry
	failOnce := true
	handle := func(_ context.Context, e Entry) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		if _, ok := e.Entry.(*organizer.TokenCreated); ok && failOnce {
			failOnce = false
			return fault.New(fault.Invalid, "refused")
		}
		return nil
	}
	pos, park := &Memory{}, &memoryParking{}
	run := &Runner{Name: "test", Ledger: led, Positions: pos, Parking: park, Handle: handle,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond}
	runUntil(t, run, pos, 3)
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.Entry.Type()+" "+e.EventID+e.OrganizerID)
	}
	want := []string{"admit.hold.released.v1 ev_a", "admit.organizer.created.v1 " + org, "admit.api_token.created.v1 " + org,
		"admit.hold.released.v1 ev_a"}
	if len(kinds) != len(want) {
		t.Fatalf("handled %q, want %q", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("handled %q, want %q", kinds, want)
		}
	}
	if id := got[1].ID(); id != org+"/2.0" {
		t.Errorf("the organizer entry's id %q, want %s/2.0", id, org)
	}
	ps := park.list()
	if len(ps) != 1 || ps[0].OrganizerID != org || ps[0].EventID != "" || ps[0].Type != "admit.api_token.created.v1" {
		t.Fatalf("parked %+v", ps)
	}
	e, err := ps[0].entry()
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := e.Entry.(*organizer.TokenCreated); !ok || tc.OrganizerID != org || e.OrganizerID != org || e.ID() != got[2].ID() {
		t.Errorf("the parked entry comes back as %+v", e)
	}
}

// memoryParking is a Parking in memory, that never asks for a retry.
type memoryParking struct {
	mu sync.Mutex
	ps []Parked
}

func (m *memoryParking) Park(_ context.Context, p Parked) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ps = append(m.ps, p)
	return nil
}

func (m *memoryParking) Unpark(context.Context, string) error { return nil }

func (m *memoryParking) Retries(ctx context.Context, _ string) (<-chan Parked, error) {
	ch := make(chan Parked)
	go func() { <-ctx.Done(); close(ch) }()
	return ch, nil
}

func (m *memoryParking) list() []Parked {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Parked(nil), m.ps...)
}
