package office

import (
	"context"
	"sync"
	"testing"

	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// gatedLedger holds every Append while its gate is closed.
type gatedLedger struct {
	*ledger.Memory
	mu      sync.Mutex
	gate    chan struct{} // nil: open
	waiting chan struct{} // gets a value when an Append starts waiting
}

func (g *gatedLedger) Append(ctx context.Context, m ledger.Message, expect uint64) (uint64, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.waiting <- struct{}{}
		<-gate
	}
	return g.Memory.Append(ctx, m, expect)
}

func (g *gatedLedger) close() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	return g.gate
}

// TestFullQueueSheds: when the box office is busy and its queue is full, a
// caller is told Unavailable at once instead of waiting behind the queue.
func TestFullQueueSheds(t *testing.T) {
	led := &gatedLedger{Memory: ledger.NewMemory(), waiting: make(chan struct{}, 1)}
	m, _ := startManager(t, led, clock.NewFake(t0), Config{QueueDepth: 4, MaxBatch: 1})
	evID, ttID := onSale(t, m, 100)

	open := led.close()
	results := make(chan error, 5)
	go func() { _, err := hold(m, evID, ttID, 1); results <- err }()
	<-led.waiting // the office is stuck appending the first hold
	m.mu.Lock()
	o := m.live[evID].office
	m.mu.Unlock()
	for range 4 {
		go func() { _, err := hold(m, evID, ttID, 1); results <- err }()
	}
	eventually(t, "a full queue", func() bool { return len(o.queue) == 4 })

	if _, err := hold(m, evID, ttID, 1); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("hold with a full queue: %v, want Unavailable at once", err)
	}
	led.mu.Lock()
	led.gate = nil
	led.mu.Unlock()
	close(open)
	for range 5 {
		if err := <-results; err != nil {
			t.Errorf("a queued hold: %v", err)
		}
	}
	if got := held(t, m, evID); got != 5 {
		t.Errorf("held %d, want the 5 queued holds", got)
	}
}
