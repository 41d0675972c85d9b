package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// TestProjectionWatch: a read model behind the ledger keeps the node
// ready while it moves, and makes it unready once it has applied nothing
// for the stall; caught up or moving again, it is ready at once.
func TestProjectionWatch(t *testing.T) {
	last, pos := ledger.Vector{10}, ledger.Vector{10}
	at := time.Unix(1767225600, 0)
	w := &projectionWatch{stall: 10 * time.Second, now: func() time.Time { return at },
		last: func(context.Context) (ledger.Vector, error) { return last, nil }, pos: func() ledger.Vector { return pos }}
	step := func(d time.Duration) error { at = at.Add(d); return w.check(context.Background()) }
	if err := step(0); err != nil {
		t.Fatalf("caught up: %v", err)
	}
	last = ledger.Vector{50, 3} // a burst, in two shards
	pos = ledger.Vector{10, 3}
	for range 3 {
		if err := step(3 * time.Second); err != nil {
			t.Fatalf("behind, %s after it last moved: %v", 3*time.Second, err)
		}
		pos = ledger.Vector{pos[0] + 5, 3}
	}
	if err := step(9 * time.Second); err != nil {
		t.Fatalf("behind and moving: %v", err)
	}
	err := step(10 * time.Second)
	if !fault.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "25 ledger messages behind") {
		t.Fatalf("stalled for 10 s: %v", err)
	}
	pos = ledger.Vector{pos[0] + 1, 3}
	if err := step(time.Second); err != nil {
		t.Fatalf("moving again: %v", err)
	}
	pos = last.Clone()
	if err := step(time.Minute); err != nil {
		t.Fatalf("caught up again: %v", err)
	}
}
