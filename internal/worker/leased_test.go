package worker

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/natstest"
)

// TestSuperviseLeased: of two nodes running one worker, only the one
// holding its lease handles entries; when it stops, the other takes over
// and goes on from the stored position, so every entry is handled once.
func TestSuperviseLeased(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	led, err := ledger.Open(ctx, ledger.Config{URL: ns.ClientURL(), UnsafeLazyFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	pos, err := OpenKV(ctx, led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil)) // the leases'
	type node struct {
		rec  *recorder
		stop func()
	}
	start := func(name string) node {
		nc := natstest.Connect(t, ns.ClientURL())
		leases, err := lease.Open(ctx, nc, name, time.Second, 1, log)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		// Short waits after a failure: a Run that fails once under load
		// (the ledger slow to answer) is started again at once, not after
		// the default 1 s doubling past the test's deadline.
		run := &Runner{Name: "mail", Ledger: led, Positions: pos, Handle: rec.handle, Log: testLog(t),
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { run.SuperviseLeased(rctx, leases); close(done) }()
		stop := func() { cancel(); <-done }
		t.Cleanup(stop)
		return node{rec, stop}
	}
	a := start("node-a")
	waitFor(t, "node a to handle h1", func() bool { return len(a.rec.saw()) == 1 }, func() {
		appendHolds(t, led, "ev_a", "h1")
	})
	b := start("node-b")
	appendHolds(t, led, "ev_a", "h2", "h3")
	waitFor(t, "node a to handle h3", func() bool { return len(a.rec.saw()) == 3 }, nil)
	if got := b.rec.saw(); len(got) != 0 {
		t.Fatalf("node b, without the lease, handled %q", got)
	}
	a.stop() // gives the lease up
	appendHolds(t, led, "ev_a", "h4")
	waitFor(t, "node b to handle h4", func() bool { return len(b.rec.saw()) == 1 }, nil)
	if got := append(a.rec.saw(), b.rec.saw()...); !slices.Equal(got, []string{"h1", "h2", "h3", "h4"}) {
		t.Fatalf("handled %q, want each entry once, in order", got)
	}
}

// waitFor runs first (unless nil), then polls cond until it holds or 10 s
// pass.
func waitFor(t *testing.T, what string, cond func() bool, first func()) {
	t.Helper()
	if first != nil {
		first()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testLog is a logger whose lines go to the test's log, shown when it
// fails.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
