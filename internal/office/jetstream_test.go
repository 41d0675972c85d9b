package office

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// openJetStream opens an embedded, fsyncing JetStream ledger in dir.
func openJetStream(tb testing.TB, dir string) *ledger.JetStream {
	tb.Helper()
	led, err := ledger.Open(context.Background(), ledger.Config{DataDir: dir, Logger: quietLog()})
	if err != nil {
		tb.Fatal(err)
	}
	return led
}

func TestJetStreamRestartAndFencing(t *testing.T) {
	dir := t.TempDir()
	led := openJetStream(t, dir)
	clk := clock.NewFake(t0)
	m1, stop1 := startManager(t, led, clk, Config{})
	evID, ttID := onSale(t, m1, 50)
	var wg sync.WaitGroup
	for range 60 {
		wg.Go(func() {
			if _, err := hold(m1, evID, ttID, 1); err != nil && !fault.Is(err, fault.SoldOut) {
				t.Errorf("hold: %v", err)
			}
		})
	}
	wg.Wait()
	want := snapshotOf(t, m1, evID)

	// A second writer on the same ledger takes over; the first is fenced.
	m2, _ := startManager(t, led, clk, Config{})
	if got := snapshotOf(t, m2, evID); string(got) != string(want) {
		t.Fatal("the second writer loaded another state")
	}
	if _, err := hold(m2, evID, ttID, 1); !fault.Is(err, fault.SoldOut) {
		t.Fatalf("hold on a sold-out event: %v, want SoldOut", err)
	}
	if _, err := m2.Do(context.Background(), evID, &boxoffice.UpdateQuota{OrganizerID: org,
		QuotaID: quotaID(t, m2, evID), Patch: boxoffice.QuotaPatch{Capacity: ptr(60)}}, nil); err != nil {
		t.Fatal(err)
	}
	// m1 still believes the hall is full, so it tries another change.
	_, err := m1.Do(context.Background(), evID, &boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.SalesClosed}, nil)
	if !errors.Is(err, ledger.ErrFenced) {
		t.Fatalf("stale writer: %v, want ErrFenced", err)
	}
	if _, err := hold(m2, evID, ttID, 1); err != nil {
		t.Fatalf("the current writer must keep working: %v", err)
	}
	want = snapshotOf(t, m2, evID)
	stop1()

	// Restart the whole ledger: the state is the same, and holds still
	// expire on time.
	led.Close()
	led = openJetStream(t, dir)
	defer led.Close()
	clk3 := clock.NewFake(t0)
	m3, _ := startManager(t, led, clk3, Config{})
	if got := snapshotOf(t, m3, evID); string(got) != string(want) {
		t.Fatalf("state after restart differs:\n got %s\nwant %s", got, want)
	}
	if got := held(t, m3, evID); got != 51 {
		t.Fatalf("held after restart = %d, want 51", got)
	}
	clk3.Advance(61 * time.Second)
	eventually(t, "holds to expire after restart", func() bool { return held(t, m3, evID) == 0 })
}

func quotaID(t *testing.T, m *Manager, evID string) string {
	t.Helper()
	v, err := m.View(context.Background(), evID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Quotas[0].ID
}

func ptr[T any](v T) *T { return &v }

// BenchmarkDurableHolds measures holds/s through one box office on the
// embedded, fsyncing JetStream, with 1,000 concurrent callers.
func BenchmarkDurableHolds(b *testing.B) {
	led := openJetStream(b, b.TempDir())
	defer led.Close()
	benchHolds(b, led, 1000)
}

// benchHolds measures holds/s, and CPU per hold, through one box office on
// led with the given number of concurrent callers.
func benchHolds(b *testing.B, led Ledger, callers int) {
	m := NewManager(led, clock.Real{}, Local{}, quietLog(), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(ctx, started); close(done) }()
	<-started
	defer func() { cancel(); <-done }()
	evID, ttID := benchEvent(b, m)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	runCallers(b, callers, b.N, func() error { _, err := hold(m, evID, ttID, 1); return err })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "holds/s")
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// runCallers makes n calls from the given number of concurrent callers.
func runCallers(b *testing.B, callers, n int, call func() error) {
	var wg sync.WaitGroup
	per := (n + callers - 1) / callers
	for c := 0; c < callers && n > 0; c++ {
		k := min(per, n)
		n -= k
		wg.Go(func() {
			for range k {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func benchEvent(b *testing.B, m *Manager) (evID, ttID string) {
	b.Helper()
	evID, ttID = id.New("ev", id.Short), id.New("tt", id.Short)
	now := time.Now()
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Stadium", TimeZone: "UTC", StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour)}},
		&boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: ttID, Details: boxoffice.TicketTypeDetails{
			Name: "Seat", Price: boxoffice.Money{Amount: 100, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 4}},
		&boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "All", Capacity: boxoffice.MaxQuotaCapacity, TicketTypeIDs: []string{ttID}}},
		&boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale},
	} {
		if _, err := m.Do(context.Background(), evID, c, nil); err != nil {
			b.Fatal(err)
		}
	}
	return evID, ttID
}

// BenchmarkRecovery100k measures how long a box office takes to load an
// event with 100,000 holds in the embedded JetStream ledger: from a
// snapshot plus a short tail, and from the ledger alone.
func BenchmarkRecovery100k(b *testing.B) {
	dir := b.TempDir()
	led := openJetStream(b, dir)
	defer led.Close()
	const holds = 100_000
	m := NewManager(led, clock.Real{}, Local{}, quietLog(), Config{SnapshotEvery: 1 << 40})
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(ctx, started); close(done) }()
	<-started
	evID, ttID := benchEvent(b, m)
	runCallers(b, 1000, holds, func() error { _, err := hold(m, evID, ttID, 1); return err })
	cancel() // a clean stop stores a snapshot
	<-done

	for _, tc := range []struct {
		name     string
		snapshot bool
	}{{"from-snapshot", true}, {"replay-all", false}} {
		b.Run(tc.name, func(b *testing.B) {
			var data []byte
			if !tc.snapshot {
				var err error
				if data, err = led.GetSnapshot(context.Background(), snapshotKey(evID)); err != nil {
					b.Fatal(err)
				}
				// Hide the snapshot for this run.
				if err := led.PutSnapshot(context.Background(), snapshotKey(evID), []byte{}); err != nil {
					b.Fatal(err)
				}
				defer led.PutSnapshot(context.Background(), snapshotKey(evID), data)
			}
			for b.Loop() {
				o := newOffice(evID, led, clock.Real{}, quietLog(), Config{}.withDefaults())
				if err := o.load(context.Background()); err != nil {
					b.Fatal(err)
				}
				if got := o.state.ActiveHolds(); got != holds {
					b.Fatalf("loaded %d active holds, want %d", got, holds)
				}
			}
		})
	}
}

// BenchmarkHolds2000Callers measures holds/s through one box office on
// the in-memory ledger with 2,000 concurrent callers, as in an on-sale: the
// office's own cost per call (queueing, deciding, answering), without the
// disk.
func BenchmarkHolds2000Callers(b *testing.B) { benchHolds(b, ledger.NewMemory(), 2000) }

// cpuTime is the CPU time the process used so far, user and system: on a
// shared machine, a steadier measure of work than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
