package office

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

var t0 = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

const org = "or_aaaaaaaaaaaaaaaaaaaa"

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startManager runs a manager until the test ends (or stop is called).
func startManager(t *testing.T, led Ledger, clk clock.Clock, cfg Config) (m *Manager, stop func()) {
	t.Helper()
	m = NewManager(led, clk, Local{}, quietLog(), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(ctx, started); close(done) }()
	<-started
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return m, stop
}

// onSale creates an event on sale with one ticket type in one quota of
// the given capacity, and returns the event and ticket type ids.
func onSale(t *testing.T, m *Manager, capacity int) (evID, ttID string) {
	t.Helper()
	ctx := context.Background()
	evID, ttID = id.New("ev", id.Short), id.New("tt", id.Short)
	cmds := []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Concert", TimeZone: "Europe/Berlin", StartsAt: t0.Add(24 * time.Hour), EndsAt: t0.Add(27 * time.Hour),
			HoldTTLSeconds: 60}},
		&boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: ttID, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Price: boxoffice.Money{Amount: 2500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 10}},
		&boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Hall", Capacity: capacity, TicketTypeIDs: []string{ttID}}},
		&boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale},
	}
	for _, c := range cmds {
		if _, err := m.Do(ctx, evID, c, nil); err != nil {
			t.Fatalf("setup %T: %v", c, err)
		}
	}
	return evID, ttID
}

func hold(m *Manager, evID, ttID string, n int) (office Result, err error) {
	return m.Do(context.Background(), evID, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
		Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: n}}}, nil)
}

func held(t *testing.T, m *Manager, evID string) int {
	t.Helper()
	v, err := m.View(context.Background(), evID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Quotas[0].Held
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLastSeatsRace(t *testing.T) {
	m, _ := startManager(t, ledger.NewMemory(), clock.NewFake(t0), Config{})
	evID, ttID := onSale(t, m, 100)
	var granted, soldOut atomic.Int64
	var wg sync.WaitGroup
	for range 400 {
		wg.Go(func() {
			_, err := hold(m, evID, ttID, 1)
			switch {
			case err == nil:
				granted.Add(1)
			case fault.Is(err, fault.SoldOut):
				soldOut.Add(1)
			default:
				t.Errorf("hold: %v", err)
			}
		})
	}
	wg.Wait()
	if got := granted.Load(); got != 100 {
		t.Errorf("granted %d holds, want exactly the capacity, 100", got)
	}
	if got := soldOut.Load(); got != 300 {
		t.Errorf("sold out %d, want 300", got)
	}
	if got := held(t, m, evID); got != 100 {
		t.Errorf("held = %d, want 100", got)
	}
}

func TestHoldExpiresOnTime(t *testing.T) {
	clk := clock.NewFake(t0)
	m, _ := startManager(t, ledger.NewMemory(), clk, Config{})
	evID, ttID := onSale(t, m, 10)
	res, err := hold(m, evID, ttID, 3)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Second)
	if _, err := hold(m, evID, ttID, 1); err != nil { // a batch runs at t0+59s: nothing expires yet
		t.Fatal(err)
	}
	if got := held(t, m, evID); got != 4 {
		t.Fatalf("held after 59s = %d, want 4", got)
	}
	clk.Advance(time.Second) // the first hold's TTL (60 s) is up; the timer must fire by itself
	eventually(t, "the first hold to expire", func() bool { return held(t, m, evID) == 1 })
	st, err := m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		return s.Hold(res.Ref).Status
	})
	if err != nil || st != boxoffice.Expired {
		t.Fatalf("hold status = %v, %v; want expired", st, err)
	}
	clk.Advance(59 * time.Second)
	eventually(t, "the second hold to expire", func() bool { return held(t, m, evID) == 0 })
}

func TestRecoveryAfterCleanShutdownAndCrash(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m1, stop1 := startManager(t, led, clk, Config{SnapshotEvery: 7})
	evID, ttID := onSale(t, m1, 1000)
	for i := range 25 {
		if _, err := hold(m1, evID, ttID, 1+i%4); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshotOf(t, m1, evID)
	stop1() // clean: final snapshot

	m2, _ := startManager(t, led, clk, Config{SnapshotEvery: 1 << 30})
	if got := snapshotOf(t, m2, evID); string(got) != string(want) {
		t.Fatalf("state after restart differs:\n got %s\nwant %s", got, want)
	}
	for range 5 {
		if _, err := hold(m2, evID, ttID, 2); err != nil {
			t.Fatal(err)
		}
	}
	want = snapshotOf(t, m2, evID)

	// m2 "crashes": it is never stopped (and its clock never moves again),
	// and m3 takes over from the ledger, whose last snapshot is older than
	// the last holds.
	clk3 := clock.NewFake(t0)
	m3, _ := startManager(t, led, clk3, Config{})
	if got := snapshotOf(t, m3, evID); string(got) != string(want) {
		t.Fatalf("state after crash differs:\n got %s\nwant %s", got, want)
	}
	// The holds recovered still expire on time.
	clk3.Advance(61 * time.Second)
	eventually(t, "recovered holds to expire", func() bool { return held(t, m3, evID) == 0 })
	// And the crashed writer, if it comes back, is fenced.
	_, err := hold(m2, evID, ttID, 1)
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("stale writer's hold: err = %v, want Unavailable (fenced)", err)
	}
}

func snapshotOf(t *testing.T, m *Manager, evID string) []byte {
	t.Helper()
	v, err := m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		b, err := s.MarshalSnapshot()
		if err != nil {
			return err
		}
		return b
	})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := v.([]byte)
	if !ok {
		t.Fatalf("snapshot: %v", v)
	}
	return b
}

func TestFencedWriterStopsAndFirstKeepsWorking(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	a, _ := startManager(t, led, clk, Config{})
	evID, ttID := onSale(t, a, 100)
	b, _ := startManager(t, led, clk, Config{})
	if _, err := hold(b, evID, ttID, 1); err != nil { // b loads the latest state and writes
		t.Fatal(err)
	}
	_, err := hold(a, evID, ttID, 1) // a's fence is stale now
	if !fault.Is(err, fault.Unavailable) || !errors.Is(err, ledger.ErrFenced) {
		t.Fatalf("stale writer: err = %v, want Unavailable wrapping ErrFenced", err)
	}
	for range 3 {
		if _, err := hold(b, evID, ttID, 1); err != nil {
			t.Fatalf("the current writer must keep working: %v", err)
		}
	}
	if got := held(t, b, evID); got != 4 {
		t.Fatalf("held = %d, want 4", got)
	}
}

func TestUnknownEventIsNotKept(t *testing.T) {
	m, _ := startManager(t, ledger.NewMemory(), clock.NewFake(t0), Config{})
	evID := id.New("ev", id.Short)
	if _, err := m.View(context.Background(), evID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("view of unknown event: %v, want NotFound", err)
	}
	if _, err := hold(m, evID, id.New("tt", id.Short), 1); !fault.Is(err, fault.NotFound) {
		t.Fatalf("hold on unknown event: %v, want NotFound", err)
	}
	eventually(t, "the unknown event's office to be dropped", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.live) == 0
	})
}

// BenchmarkHolds measures holds/s through one box office on the in-memory
// ledger: the runner's own cost, without fsync.
func BenchmarkHolds(b *testing.B) {
	m := NewManager(ledger.NewMemory(), clock.Real{}, Local{}, quietLog(), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go m.Run(ctx, started)
	<-started
	defer cancel()
	evID, ttID := benchEvent(b, m)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := hold(m, evID, ttID, 1); err != nil && !fault.Is(err, fault.SoldOut) {
				b.Error(err)
				return
			}
		}
	})
}

// TestOrderExpiresAtItsDeadline: placing an order moves its hold's expiry
// to the payment deadline; the box office expires the order (and the hold)
// then, not at the hold's first expiry, and after a restart too.
func TestOrderExpiresAtItsDeadline(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{})
	evID, ttID := onSale(t, m, 10)
	res, err := hold(m, evID, ttID, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Do(ctx, evID, &boxoffice.PlaceOrder{OrderID: "od_1", HoldID: res.Ref, Token: "tok",
		Buyer: boxoffice.Buyer{Name: "Ada", Email: "ada@example.com"}}, nil); err != nil {
		t.Fatal(err)
	}
	status := func(m *Manager) boxoffice.OrderStatus {
		v, err := m.Read(ctx, evID, func(s *boxoffice.State, _ boxoffice.Decision) any { return s.Order("od_1").Status })
		if err != nil {
			t.Fatal(err)
		}
		return v.(boxoffice.OrderStatus)
	}
	clk.Advance(2 * time.Minute)                      // past the hold's own 60 s
	if _, err := hold(m, evID, ttID, 1); err != nil { // a batch runs: nothing of the order's is due
		t.Fatal(err)
	}
	if got := status(m); got != boxoffice.StatusPendingPayment {
		t.Fatalf("order after the hold's first TTL: %s", got)
	}
	stop()
	m2, _ := startManager(t, led, clk, Config{})
	clk.Advance(boxoffice.DefaultManualPaymentWindowSeconds * time.Second)
	eventually(t, "the order to expire", func() bool { return status(m2) == boxoffice.StatusExpired })
	eventually(t, "its seats to be free", func() bool { return held(t, m2, evID) == 0 })
}
