package lease

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/natstest"
)

// term is the leases' term in these tests: short, so expiry is quick to see.
const term = time.Second

func startServer(t *testing.T) *server.Server { return natstest.Start(t) }

// node opens the leases of a node with a connection of its own.
func node(t *testing.T, ns *server.Server, name string) (*Leases, *nats.Conn) {
	t.Helper()
	nc := natstest.Connect(t, ns.ClientURL())
	l, err := Open(testContext(t), nc, name, term, 1, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	return l, nc
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// acquireWithin polls Acquire until it succeeds or d passes.
func acquireWithin(t *testing.T, l *Leases, name string, d time.Duration) (*Lease, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		ls, err := l.Acquire(testContext(t), name)
		if err == nil {
			return ls, time.Since(start)
		}
		if _, held := errors.AsType[*HeldError](err); !held {
			t.Fatalf("Acquire: %v", err)
		}
		if time.Since(start) > d {
			t.Fatalf("%s could not take lease %s within %s: %v", l.Node(), name, d, err)
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a wait for an outcome
	}
}

func TestOneHolderAtATime(t *testing.T) {
	ns := startServer(t)
	a, _ := node(t, ns, "node-a")
	b, _ := node(t, ns, "node-b")
	ctx := testContext(t)

	la, err := a.Acquire(ctx, "event.ev_1")
	if err != nil {
		t.Fatalf("a: Acquire: %v", err)
	}
	_, err = b.Acquire(ctx, "event.ev_1")
	held, ok := errors.AsType[*HeldError](err)
	if !ok || held.Holder != "node-a" {
		t.Fatalf("b: Acquire = %v, want a HeldError naming node-a", err)
	}
	if got, err := b.Holder(ctx, "event.ev_1"); err != nil || got != "node-a" {
		t.Errorf("Holder = %q, %v; want node-a", got, err)
	}
	// Another name is free.
	lb, err := b.Acquire(ctx, "event.ev_2")
	if err != nil {
		t.Fatalf("b: Acquire of another name: %v", err)
	}
	// Renewed past several terms, the lease stays a's.
	deadline := time.Now().Add(3 * term)
	for time.Now().Before(deadline) {
		select {
		case <-la.Lost():
			t.Fatalf("a lost a lease it renews: %v", la.Err())
		case <-time.After(100 * time.Millisecond): // polling the lease for three terms
		}
		if _, err := b.Acquire(ctx, "event.ev_1"); err == nil {
			t.Fatal("b took a lease a renews")
		}
	}
	// Released, it is free at once.
	if err := la.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if _, err := b.Acquire(ctx, "event.ev_1"); err != nil {
		t.Fatalf("b: Acquire after a's release: %v", err)
	}
	if got, _ := a.Holder(ctx, "event.ev_2"); got != "node-b" {
		t.Errorf("Holder(ev_2) = %q, want node-b", got)
	}
	lb.Release(ctx)
}

// TestExpiresWhenHolderDies: a holder that stops renewing (its connection
// gone, as when its process dies) counts the lease lost before another node
// can take it, and another node takes it within about a term.
func TestExpiresWhenHolderDies(t *testing.T) {
	ns := startServer(t)
	a, anc := node(t, ns, "node-a")
	b, _ := node(t, ns, "node-b")
	la, err := a.Acquire(testContext(t), "event.ev_1")
	if err != nil {
		t.Fatal(err)
	}
	anc.Close()
	lb, took := acquireWithin(t, b, "event.ev_1", 3*term)
	select {
	case <-la.Lost():
	default:
		t.Fatal("b took the lease while a still counted on it")
	}
	if la.Err() == nil {
		t.Error("a lost lease has no Err")
	}
	t.Logf("b took the lease %s after a's connection closed (term %s)", took.Round(time.Millisecond), term)
	if took > 2*term {
		t.Errorf("taking over took %s, more than two terms", took)
	}
	lb.Release(testContext(t))
}

// TestLostWhenTaken: a lease whose key another node wrote (an operator
// deleting it, then another node creating it) is lost at the next renewal.
func TestLostWhenTaken(t *testing.T) {
	ns := startServer(t)
	a, anc := node(t, ns, "node-a")
	b, _ := node(t, ns, "node-b")
	ctx := testContext(t)
	la, err := a.Acquire(ctx, "event.ev_1")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(anc)
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(ctx, "event.ev_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "event.ev_1"); err != nil {
		t.Fatalf("b: Acquire after the purge: %v", err)
	}
	select {
	case <-la.Lost():
	case <-time.After(2 * term):
		t.Fatal("a still holds a lease b took")
	}
	// Releasing a lost lease leaves b's alone.
	if err := la.Release(ctx); err != nil {
		t.Fatalf("Release of a lost lease: %v", err)
	}
	if got, _ := b.Holder(ctx, "event.ev_1"); got != "node-b" {
		t.Errorf("Holder = %q, want node-b", got)
	}
}

// TestTermIsTheBucket's: a node opening the bucket with another term uses
// the one the bucket was made with.
func TestTermIsTheBuckets(t *testing.T) {
	ns := startServer(t)
	a, _ := node(t, ns, "node-a")
	nc := natstest.Connect(t, ns.ClientURL())
	b, err := Open(testContext(t), nc, "node-b", time.Minute, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Term() != term || b.Term() != term {
		t.Errorf("terms %s and %s, want %s", a.Term(), b.Term(), term)
	}
}

func TestOpenRefuses(t *testing.T) {
	ns := startServer(t)
	nc := natstest.Connect(t, ns.ClientURL())
	for _, tc := range []struct {
		node string
		term time.Duration
	}{{"", term}, {"a b", term}, {"node", time.Millisecond}} {
		if _, err := Open(testContext(t), nc, tc.node, tc.term, 1, nil); err == nil {
			t.Errorf("Open(%q, %s) = nil error", tc.node, tc.term)
		}
	}
	l, err := Open(testContext(t), nc, "node", term, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(testContext(t), "bad key"); err == nil {
		t.Error("Acquire of a name with a space = nil error")
	}
}

// TestKeptWhenItsKeyExpired: a key removed by the bucket's TTL while the
// holder could not renew it (the bucket had no leader) is written again
// by the holder if no other node wrote it since; one taken meanwhile is
// lost.
func TestKeptWhenItsKeyExpired(t *testing.T) {
	ns := startServer(t)
	a, _ := node(t, ns, "node-a")
	b, _ := node(t, ns, "node-b")
	ctx := testContext(t)
	var gate sync.Mutex // held: a's renewals wait, as if the bucket did not answer
	a.beforeRenew = func() { gate.Lock(); gate.Unlock() }
	expired := func(name string) {
		t.Helper()
		deadline := time.Now().Add(5 * term)
		for {
			if h, err := b.Holder(ctx, name); err == nil && h == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the key %s did not expire", name)
			}
			time.Sleep(20 * time.Millisecond) // polling for the TTL
		}
	}

	la, err := a.Acquire(ctx, "event.ev_1")
	if err != nil {
		t.Fatal(err)
	}
	gate.Lock()
	expired("event.ev_1")
	gate.Unlock()
	waitFor := time.Now().Add(2 * term)
	for time.Now().Before(waitFor) {
		select {
		case <-la.Lost():
			t.Fatalf("a lost the lease whose key expired with nobody taking it: %v", la.Err())
		case <-time.After(50 * time.Millisecond): // polling through two terms
		}
	}
	if got, _ := b.Holder(ctx, "event.ev_1"); got != "node-a" {
		t.Errorf("Holder = %q, want node-a", got)
	}

	// Expired, and taken by b before a renews it: a's is lost.
	la2, err := a.Acquire(ctx, "event.ev_2")
	if err != nil {
		t.Fatal(err)
	}
	gate.Lock()
	expired("event.ev_2")
	lb, err := b.Acquire(ctx, "event.ev_2")
	if err != nil {
		t.Fatalf("b: Acquire of an expired key: %v", err)
	}
	gate.Unlock()
	select {
	case <-la2.Lost():
	case <-time.After(2 * term):
		t.Fatal("a still holds a lease b took after its key expired")
	}
	if got, _ := b.Holder(ctx, "event.ev_2"); got != "node-b" {
		t.Errorf("Holder = %q, want node-b", got)
	}
	lb.Release(ctx)
	la.Release(ctx)
}
