package office

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/natstest"
)

// clusterNode is one admit node of a test cluster: its own NATS
// connections (the ledger's and the leases'), leases and manager.
type clusterNode struct {
	m      *Manager
	leased *Leased
	stop   func()
	nc     *nats.Conn
	kill   func() // cuts the node off NATS at once, as its death would
}

// startNode runs a node named name against the server, with leases of
// the given term.
func startNode(t *testing.T, ns *server.Server, name string, term time.Duration) *clusterNode {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(ctx, ledger.Config{URL: ns.ClientURL(), UnsafeLazyFsync: true, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	nc := natstest.Connect(t, ns.ClientURL())
	ls, err := lease.Open(ctx, nc, name, term, 1, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	leased := NewLeased(ls)
	m := NewManager(led, clock.Real{}, leased, quietLog(), Config{})
	mctx, cancel := context.WithCancel(ctx)
	started, done := make(chan struct{}), make(chan struct{})
	go func() { m.Run(mctx, started); close(done) }()
	<-started
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	kill := func() { nc.Close(); led.Close() }
	return &clusterNode{m: m, leased: leased, stop: stop, nc: nc, kill: kill}
}

// elsewhere reports whether err refuses a call because another node owns
// the event.
func elsewhere(err error) bool {
	_, ok := errors.AsType[*OwnedElsewhere](err)
	return ok && fault.Is(err, fault.Unavailable)
}

// TestLeasedOneOwner: of two nodes, only the one holding an event's lease
// runs its box office; the other refuses its commands and reads as
// Unavailable, never with a view of its own, until the owner stops: then
// it takes the event at once, with everything the owner recorded.
func TestLeasedOneOwner(t *testing.T) {
	ns := natstest.Start(t)
	a := startNode(t, ns, "node-a", lease.DefaultTerm)
	b := startNode(t, ns, "node-b", lease.DefaultTerm)
	evID, ttID := onSale(t, a.m, 10)
	for range 4 {
		if _, err := hold(a.m, evID, ttID, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hold(b.m, evID, ttID, 1); !elsewhere(err) {
		t.Fatalf("hold on the node that does not own the event: %v, want Unavailable, owned elsewhere", err)
	}
	if _, err := b.m.View(context.Background(), evID); !elsewhere(err) {
		t.Fatalf("view on the node that does not own the event: %v, want Unavailable, owned elsewhere", err)
	}
	for _, n := range []*clusterNode{a, b} {
		if got, err := n.leased.Holder(context.Background(), evID); got != "node-a" || err != nil {
			t.Errorf("Holder = %q, %v; want node-a", got, err)
		}
	}
	if held(t, a.m, evID) != 4 {
		t.Fatalf("owner holds %d, want 4", held(t, a.m, evID))
	}

	// A clean stop gives the lease up after the final snapshot.
	stopped := time.Now()
	a.stop()
	took := takeOver(t, b, evID, ttID, stopped, 5*time.Second)
	t.Logf("node b took the event %s after node a's stop", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("taking over after a clean stop took %s, want under 1 s", took)
	}
	if got := held(t, b.m, evID); got != 5 {
		t.Errorf("node b holds %d after taking over, want 5", got)
	}
}

// TestLeasedLostStopsOffice: an owner whose lease is taken from it stops
// its box office, and the node that took the lease runs the event.
func TestLeasedLostStopsOffice(t *testing.T) {
	ns := natstest.Start(t)
	const term = time.Second
	a := startNode(t, ns, "node-a", term)
	b := startNode(t, ns, "node-b", term)
	evID, ttID := onSale(t, a.m, 10)
	if _, err := hold(a.m, evID, ttID, 2); err != nil {
		t.Fatal(err)
	}
	// An operator removes the lease; node b takes it before a renews.
	js, err := jetstream.New(b.nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), lease.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(context.Background(), LeaseName(evID)); err != nil {
		t.Fatal(err)
	}
	takeOver(t, b, evID, ttID, time.Now(), 5*time.Second)
	// Node a's office stops when it finds its lease lost, at its next
	// renewal: a hold there is then refused as owned elsewhere. Until then
	// the ledger's fence refuses what it decides.
	eventually(t, "node a refuses the event", func() bool {
		_, err := hold(a.m, evID, ttID, 1)
		if err == nil {
			t.Fatal("node a granted a hold after node b took the event")
		}
		if !fault.Is(err, fault.Unavailable) {
			t.Fatalf("hold on node a: %v", err)
		}
		return elsewhere(err)
	})
	if got := held(t, b.m, evID); got != 3 {
		t.Errorf("node b holds %d, want 3", got)
	}
}

// TestLeasedOwnerDies: when the node owning an event is cut off (its
// connections gone, as when it dies), its lease runs out after its term and
// another node takes the event, with every hold the first one recorded.
func TestLeasedOwnerDies(t *testing.T) {
	ns := natstest.Start(t)
	const term = time.Second
	a := startNode(t, ns, "node-a", term)
	b := startNode(t, ns, "node-b", term)
	evID, ttID := onSale(t, a.m, 10)
	if _, err := hold(a.m, evID, ttID, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := hold(b.m, evID, ttID, 1); !elsewhere(err) {
		t.Fatalf("hold on node b while node a lives: %v", err)
	}
	died := time.Now()
	a.kill()
	took := takeOver(t, b, evID, ttID, died, 5*term)
	t.Logf("node b took the event %s after node a died (lease term %s)", took.Round(time.Millisecond), term)
	if got := held(t, b.m, evID); got != 4 {
		t.Errorf("node b holds %d, want 4: node a's 3 and its own", got)
	}
}

// takeOver holds a ticket on node n until its box office takes the event
// (holds refused as Unavailable meanwhile), and returns how long after
// since it did; it fails the test after within.
func takeOver(t *testing.T, n *clusterNode, evID, ttID string, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := hold(n.m, evID, ttID, 1)
		if err == nil {
			return time.Since(since)
		}
		if !fault.Is(err, fault.Unavailable) {
			t.Fatalf("hold on the node taking over: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not take the event over within %s: %v", within, err)
		}
		time.Sleep(10 * time.Millisecond) // polling for the takeover
	}
}
