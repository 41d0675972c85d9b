package office

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/ledger"
)

// TestIdleOfficeUnloadsAndReloads: an office idle for IdleTimeout stores a
// snapshot and unloads; the next read loads the same state; and a hold it
// left behind still expires on time, with no request to load the office.
func TestIdleOfficeUnloadsAndReloads(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, _ := startManager(t, led, clk, Config{IdleTimeout: 10 * time.Second})
	evID, ttID := onSale(t, m, 10)
	res, err := hold(m, evID, ttID, 3) // expires at t0+60s
	if err != nil {
		t.Fatal(err)
	}
	want := snapshotOf(t, m, evID)

	clk.Advance(10 * time.Second)
	eventually(t, "the idle office to unload", func() bool { return !m.IsLoaded(evID) })
	if got := snapshotOf(t, m, evID); string(got) != string(want) { // loads it again
		t.Fatalf("state after reload differs:\n got %s\nwant %s", got, want)
	}
	if !m.IsLoaded(evID) {
		t.Fatal("a read did not load the office")
	}

	clk.Advance(10 * time.Second) // t0+20s
	eventually(t, "the office to unload again", func() bool { return !m.IsLoaded(evID) })
	clk.Advance(40 * time.Second) // t0+60s: the hold is due
	eventually(t, "the due expiry to load the office", func() bool { return m.IsLoaded(evID) })
	// Read, not View: a view would count as use and keep the office loaded.
	eventually(t, "the hold to expire", func() bool {
		v, err := m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any { return s.Quotas[0].Held })
		return err == nil && v.(int) == 0
	})
	got, err := m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		return *s.Hold(res.Ref)
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := got.(boxoffice.Hold); h.Status != boxoffice.Expired || !h.EndedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("hold %s ended %v, want expired at %v", h.Status, h.EndedAt, t0.Add(time.Minute))
	}

	// A command reloads it too, and sees the capacity the expiry freed.
	clk.Advance(10 * time.Second)
	eventually(t, "the office to unload after the expiry", func() bool { return !m.IsLoaded(evID) })
	if _, err := hold(m, evID, ttID, 10); err != nil {
		t.Fatalf("hold of the whole capacity after reload: %v", err)
	}
}

// TestIdleOfficeWithALongTailSnapshots: an office with many entries after
// its last snapshot stores one before it unloads, and loads from it.
func TestIdleOfficeWithALongTailSnapshots(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, _ := startManager(t, led, clk, Config{IdleTimeout: 10 * time.Second})
	evID, ttID := onSale(t, m, 1000)
	for range unloadSnapshotMin {
		if _, err := hold(m, evID, ttID, 1); err != nil {
			t.Fatal(err)
		}
	}
	if snap, _ := led.GetSnapshot(context.Background(), snapshotKey(evID)); len(snap) != 0 {
		t.Fatal("a snapshot before the office went idle: the test proves nothing")
	}
	want := snapshotOf(t, m, evID)
	clk.Advance(10 * time.Second)
	eventually(t, "the idle office to unload", func() bool { return !m.IsLoaded(evID) })
	snap, err := led.GetSnapshot(context.Background(), snapshotKey(evID))
	if err != nil || len(snap) < 8 {
		t.Fatalf("snapshot after unloading: %d bytes, %v", len(snap), err)
	}
	if string(snap[8:]) != string(want) {
		t.Fatalf("the stored snapshot is not the state:\n got %s\nwant %s", snap[8:], want)
	}
	if got := snapshotOf(t, m, evID); string(got) != string(want) {
		t.Fatalf("state after reload differs:\n got %s\nwant %s", got, want)
	}
}

// TestViewsKeepAnOfficeLoaded: a sold-out storm is answered from the
// published view without a call to the office; those views count as use,
// so the office does not unload (and reload) under them.
func TestViewsKeepAnOfficeLoaded(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, _ := startManager(t, led, clk, Config{IdleTimeout: 10 * time.Second})
	evID, _ := onSale(t, m, 10)
	m.mu.RLock()
	o := m.live[evID].office
	m.mu.RUnlock()
	if _, err := m.View(context.Background(), evID); err != nil {
		t.Fatal(err)
	}
	before := o.checks.Load()
	clk.Advance(10 * time.Second) // idle for 10 s but for the view
	eventually(t, "the idle check", func() bool { return o.checks.Load() > before })
	if !m.IsLoaded(evID) {
		t.Fatal("the office unloaded although its view was read")
	}
	clk.Advance(10 * time.Second) // now idle for 10 s, views included
	eventually(t, "the idle office to unload", func() bool { return !m.IsLoaded(evID) })
}

// TestUnloadedOfficeWakesOnlyForDueHolds: a hold released before its
// office unloads leaves a stale time in the expiry heap; the office does
// not ask to be loaded again for it.
func TestUnloadedOfficeWakesOnlyForDueHolds(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, _ := startManager(t, led, clk, Config{IdleTimeout: 10 * time.Second})
	evID, ttID := onSale(t, m, 10)
	res, err := hold(m, evID, ttID, 3) // expires at t0+60s
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Do(context.Background(), evID, &boxoffice.ReleaseHold{HoldID: res.Ref}, nil); err != nil {
		t.Fatal(err)
	}
	m.mu.RLock()
	o := m.live[evID].office
	m.mu.RUnlock()
	clk.Advance(10 * time.Second)
	eventually(t, "the idle office to unload", func() bool { return !m.IsLoaded(evID) })
	if !o.nextExpiry.IsZero() {
		t.Fatalf("the office asks to be loaded at %v for a released hold", o.nextExpiry)
	}
}

// failingLoads is a ledger whose reads fail while fails > 0: a box office
// cannot load.
type failingLoads struct {
	*ledger.Memory
	fails atomic.Int32
}

func (l *failingLoads) Read(ctx context.Context, filter string, from uint64, fn func(ledger.Record) error) (uint64, error) {
	if l.fails.Add(-1) >= 0 {
		return 0, errors.New("ledger out of reach")
	}
	return l.Memory.Read(ctx, filter, from, fn)
}

// TestWakeUpRetriesAFailedLoad: when the office of an unloaded event
// cannot be loaded for its hold's expiry, it is tried again a second
// later, not left until a request comes.
func TestWakeUpRetriesAFailedLoad(t *testing.T) {
	led := &failingLoads{Memory: ledger.NewMemory()}
	clk := clock.NewFake(t0)
	m, _ := startManager(t, led, clk, Config{IdleTimeout: 10 * time.Second})
	evID, ttID := onSale(t, m, 10)
	if _, err := hold(m, evID, ttID, 3); err != nil { // expires at t0+60s
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	eventually(t, "the idle office to unload", func() bool { return !m.IsLoaded(evID) })
	eventually(t, "the expiry's wake to be set", func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		return len(m.wakes) == 1
	})
	led.fails.Store(1)
	clk.Advance(50 * time.Second) // t0+60s: the hold is due, and its load fails
	eventually(t, "the failed load and its retry's wake", func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		return led.fails.Load() == 0 && m.live[evID] == nil && len(m.wakes) == 1
	})
	clk.Advance(time.Second)
	eventually(t, "the retried load", func() bool { return m.IsLoaded(evID) })
	eventually(t, "the hold to expire", func() bool {
		v, err := m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any { return s.Quotas[0].Held })
		return err == nil && v.(int) == 0
	})
}
