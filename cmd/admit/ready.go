package main

import (
	"context"
	"sync"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// projectionStall is how long the read model may stay behind the ledger
// without applying anything before the node stops being ready: long
// enough for any burst of an on-sale, short enough that a load balancer
// stops sending organizers' reads to a node whose lists would stay stale.
const projectionStall = 10 * time.Second

// projectionWatch tells readiness whether the read model follows the
// ledger: behind it is fine (it catches up), behind it and not moving
// for projectionStall is not.
type projectionWatch struct {
	last  func(ctx context.Context) (ledger.Vector, error) // the ledger's last sequences
	pos   func() ledger.Vector                             // the read model's
	now   func() time.Time
	stall time.Duration

	mu    sync.Mutex
	seen  uint64    // the position last seen (its Total)
	moved time.Time // when it was last seen to move, or to be caught up
}

// check is nil while the read model is caught up or moving; an
// Unavailable error saying how far behind it is otherwise. A ledger that
// does not answer is for the other checks to report.
func (w *projectionWatch) check(ctx context.Context) error {
	pos := w.pos()
	last, err := w.last(ctx)
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	behind, total := pos.Behind(last), pos.Total()
	if err != nil || behind == 0 || total != w.seen || w.moved.IsZero() {
		w.seen, w.moved = total, now
		return nil
	}
	if still := now.Sub(w.moved); still >= w.stall {
		return fault.New(fault.Unavailable, "the read model is %d ledger messages behind and has applied none for %s",
			behind, still.Round(time.Second))
	}
	return nil
}
