package office

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// gatedLoads is a ledger whose snapshot read of one event waits until
// open is closed, and whose reads of another fail: one slow load and one
// broken.
type gatedLoads struct {
	*ledger.Memory
	slow, broken string
	open         chan struct{}
}

func (l *gatedLoads) GetSnapshot(ctx context.Context, key string) ([]byte, error) {
	switch key {
	case snapshotKey(l.slow):
		select {
		case <-l.open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return l.Memory.GetSnapshot(ctx, key)
}

func (l *gatedLoads) Read(ctx context.Context, filter string, from uint64, fn func(ledger.Record) error) (uint64, error) {
	if l.broken != "" && filter == Subject(l.broken) {
		return 0, errors.New("ledger out of reach")
	}
	return l.Memory.Read(ctx, filter, from, fn)
}

// TestWarmLoadsRecentEventsBeforeReady: after a restart, the events with
// recent entries are loaded, the most recent first; Ready is Unavailable
// until the slow one is loaded, and does not wait for the broken one.
func TestWarmLoadsRecentEventsBeforeReady(t *testing.T) {
	led := &gatedLoads{Memory: ledger.NewMemory(), open: make(chan struct{})}
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{IdleTimeout: -1})
	old, _ := onSale(t, m, 10)
	busy, ttID := onSale(t, m, 10)
	broken, _ := onSale(t, m, 10)
	if _, err := hold(m, busy, ttID, 1); err != nil {
		t.Fatal(err)
	}
	stop()

	ctx := context.Background()
	ids, err := RecentEvents(ctx, led, time.Hour, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != busy || ids[1] != broken {
		t.Fatalf("recent events = %v, want the busy %s (last written) and %s, not %s", ids, busy, broken, old)
	}
	led.slow, led.broken = busy, broken

	m, _ = startManager(t, led, clk, Config{IdleTimeout: -1})
	if err := m.Ready(); err != nil {
		t.Fatalf("Ready before Warm: %v", err)
	}
	done := m.Warm(ids, 2)
	eventually(t, "the broken load to fail", func() bool { return m.warming.Load() == 1 })
	err = m.Ready()
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Ready while the busy event loads = %v, want Unavailable", err)
	}
	if m.IsLoaded(broken) {
		t.Fatal("a failed load is kept")
	}
	close(led.open)
	<-done
	if err := m.Ready(); err != nil {
		t.Fatalf("Ready after Warm: %v", err)
	}
	m.mu.RLock()
	e := m.live[busy]
	m.mu.RUnlock()
	select {
	case <-e.ready: // loaded before Ready said so: its first command waits for no load
	default:
		t.Fatal("Ready before the busy event's office was loaded")
	}
	if e.err != nil || e.office == nil {
		t.Fatalf("busy event's office: %v", e.err)
	}
}
