package office

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// TestCorruptSnapshotReplays: a snapshot the office cannot read is left
// aside, and the event loads from the whole ledger instead, with every hold
// and its expiry.
func TestCorruptSnapshotReplays(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{})
	evID, ttID := onSale(t, m, 100)
	for range 5 {
		if _, err := hold(m, evID, ttID, 2); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshotOf(t, m, evID)
	stop() // a clean stop stores a snapshot
	snap, err := led.GetSnapshot(context.Background(), snapshotKey(evID))
	if err != nil || len(snap) < 9 {
		t.Fatalf("snapshot: %d bytes, %v", len(snap), err)
	}
	snap = slices.Clone(snap)
	snap[len(snap)/2] ^= 0xff
	if err := led.PutSnapshot(context.Background(), snapshotKey(evID), snap); err != nil {
		t.Fatal(err)
	}
	if _, err := boxoffice.UnmarshalSnapshot(snap[8:]); err == nil {
		t.Fatal("the spoilt snapshot still decodes: the test proves nothing")
	}

	m2, _ := startManager(t, led, clk, Config{})
	if got := snapshotOf(t, m2, evID); string(got) != string(want) {
		t.Fatalf("state loaded past a corrupt snapshot differs:\n got %q\nwant %q", got, want)
	}
	if held(t, m2, evID) != 10 {
		t.Fatalf("held = %d, want 10", held(t, m2, evID))
	}
	clk.Advance(61 * time.Second) // the holds last 60 s
	eventually(t, "the holds to expire", func() bool { return held(t, m2, evID) == 0 })
}

// unreadableSnapshots is a ledger whose snapshots cannot be read (their
// chunks lost with a NATS server).
type unreadableSnapshots struct{ *ledger.Memory }

func (unreadableSnapshots) GetSnapshot(context.Context, string) ([]byte, error) {
	return nil, errors.New("ledger: get snapshot: read pipe: i/o timeout")
}

// TestUnreadableSnapshotReplays: a snapshot that cannot be read does not
// keep the event from loading: it loads from the whole ledger.
func TestUnreadableSnapshotReplays(t *testing.T) {
	led := ledger.NewMemory()
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{})
	evID, ttID := onSale(t, m, 100)
	for range 5 {
		if _, err := hold(m, evID, ttID, 2); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshotOf(t, m, evID)
	stop()
	m2, _ := startManager(t, unreadableSnapshots{led}, clk, Config{})
	if got := snapshotOf(t, m2, evID); string(got) != string(want) {
		t.Fatalf("state loaded without its snapshot differs:\n got %q\nwant %q", got, want)
	}
	if _, err := hold(m2, evID, ttID, 2); err != nil {
		t.Fatalf("a hold after loading without the snapshot: %v", err)
	}
}

// TestHoldHeap: holdHeap pops expiries in time order, pushed one by one or
// ordered at once by init.
func TestHoldHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var h holdHeap
	var want []int64
	for i := range 2000 {
		if len(h) > 0 && rng.IntN(3) == 0 {
			slices.Sort(want)
			if got := h.pop().at; got != want[0] {
				t.Fatalf("pop %d, want %d", got, want[0])
			}
			want = want[1:]
			continue
		}
		at := t0.Add(time.Duration(rng.IntN(1000)) * time.Second).UnixNano()
		h.push(holdDue{at: at, hold: boxoffice.HoldRef(i)})
		want = append(want, at)
	}
	h2 := slices.Clone(h)
	rng.Shuffle(len(h2), func(i, j int) { h2[i], h2[j] = h2[j], h2[i] })
	h2.init()
	slices.Sort(want)
	for _, w := range want {
		if got := h2.pop().at; got != w {
			t.Fatalf("after init: pop %d, want %d", got, w)
		}
	}
	if len(h2) != 0 {
		t.Fatalf("%d left after popping all", len(h2))
	}
	far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	if nanos(far) != math.MaxInt64 || nanos(time.Time{}) != math.MinInt64 || nanos(t0) != t0.UnixNano() {
		t.Errorf("nanos clamps wrong: %d %d %d", nanos(far), nanos(time.Time{}), nanos(t0))
	}
}

// gatedSnapshots is a ledger whose snapshot stores wait for the gate, and
// fail while fail is set.
type gatedSnapshots struct {
	*ledger.Memory
	gate chan struct{}
	puts atomic.Int32
	fail atomic.Bool
}

func (l *gatedSnapshots) PutSnapshot(ctx context.Context, key string, data []byte) error {
	l.puts.Add(1)
	select {
	case <-l.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if l.fail.Load() {
		return errors.New("the object store is down")
	}
	return l.Memory.PutSnapshot(ctx, key, data)
}

// TestSnapshotsStoreInBackground: a snapshot due during a sale is stored
// while the box office goes on answering, one store at a time; a store
// that fails is made again later; a clean stop stores the state as it is.
func TestSnapshotsStoreInBackground(t *testing.T) {
	led := &gatedSnapshots{Memory: ledger.NewMemory(), gate: make(chan struct{})}
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{SnapshotEvery: 5})
	evID, ttID := onSale(t, m, 1000) // its entries make the first snapshot due
	for range 6 {
		if _, err := hold(m, evID, ttID, 1); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a snapshot store to start", func() bool { return led.puts.Load() == 1 })
	for range 20 { // answered while that store waits, which no other joins
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := m.Do(ctx, evID, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
			Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 1}}}, nil)
		cancel()
		if err != nil {
			t.Fatalf("a hold while a snapshot is stored: %v", err)
		}
	}
	if n := led.puts.Load(); n != 1 {
		t.Fatalf("%d snapshot stores started while the first was in flight, want 1", n)
	}
	led.fail.Store(true)
	close(led.gate) // the first store fails; the next batch starts another
	if _, err := hold(m, evID, ttID, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a store after the failed one", func() bool {
		if _, err := hold(m, evID, ttID, 1); err != nil {
			t.Fatal(err)
		}
		return led.puts.Load() >= 2
	})
	led.fail.Store(false)
	want := snapshotOf(t, m, evID)
	stop()
	snap, err := led.GetSnapshot(context.Background(), snapshotKey(evID))
	if err != nil || len(snap) < 9 {
		t.Fatalf("snapshot after a clean stop: %d bytes, %v", len(snap), err)
	}
	st, err := boxoffice.UnmarshalSnapshot(snap[8:])
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.MarshalSnapshot(); string(got) != string(want) {
		t.Fatalf("stored state differs:\n got %q\nwant %q", got, want)
	}
}
