package worker

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// appendHolds writes one ledger message per hold id on the event's subject.
func appendHolds(t *testing.T, led *ledger.Memory, eventID string, holds ...string) {
	t.Helper()
	for _, h := range holds {
		data, err := boxoffice.EncodeBatch(nil, boxoffice.Source(eventID), 0, time.Unix(0, 0),
			[]boxoffice.Entry{&boxoffice.HoldReleased{HoldID: h}})
		if err != nil {
			t.Fatal(err)
		}
		last, _ := led.LastSubjectSeq(context.Background(), "ledger.event."+eventID)
		if _, err := led.Append(context.Background(), ledger.Message{Subject: "ledger.event." + eventID, Data: data}, last); err != nil {
			t.Fatal(err)
		}
	}
}

// recorder is a handler that notes the holds it saw and fails as told.
type recorder struct {
	mu    sync.Mutex
	seen  []string
	fails map[string][]error // errors to return, in turn, per hold
}

func (r *recorder) handle(_ context.Context, e Entry) error {
	h := e.Entry.(*boxoffice.HoldReleased).HoldID
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, h)
	if errs := r.fails[h]; len(errs) > 0 {
		r.fails[h] = errs[1:]
		return errs[0]
	}
	return nil
}

func (r *recorder) saw() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// runUntil runs the runner until its position reaches seq.
func runUntil(t *testing.T, run *Runner, pos *Memory, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, _ := pos.Get(ctx, run.Name); p >= seq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("position did not reach %d", seq)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestRunnerRetriesSkipsAndResumes(t *testing.T) {
	led := ledger.NewMemory()
	appendHolds(t, led, "ev_a", "h1", "h2", "h3")
	rec := &recorder{fails: map[string][]error{
		"h1": {fault.New(fault.Unavailable, "smtp down"), fault.New(fault.Unavailable, "smtp down")},
		"h2": {fault.New(fault.Invalid, "no such address")},
	}}
	pos := &Memory{}
	run := &Runner{Name: "test", Ledger: led, Positions: pos, Handle: rec.handle,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
	runUntil(t, run, pos, 3)
	want := []string{"h1", "h1", "h1", "h2", "h3"} // h1 retried twice, h2 given up at once
	if got := rec.saw(); !slices.Equal(got, want) {
		t.Fatalf("handled %q, want %q", got, want)
	}
	// A restart resumes after the position: only new entries.
	appendHolds(t, led, "ev_b", "h4")
	runUntil(t, run, pos, 4)
	if got := rec.saw(); !slices.Equal(got, append(want, "h4")) {
		t.Fatalf("after a restart handled %q", got)
	}
}

func TestKVPositions(t *testing.T) {
	led, err := ledger.Open(context.Background(), ledger.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	kv, err := OpenKV(context.Background(), led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if p, err := kv.Get(ctx, "mail"); p != 0 || err != nil {
		t.Fatalf("no position yet: %d, %v", p, err)
	}
	if err := kv.Put(ctx, "mail", 42); err != nil {
		t.Fatal(err)
	}
	if p, err := kv.Get(ctx, "mail"); p != 42 || err != nil {
		t.Fatalf("position: %d, %v", p, err)
	}
}

// flaky is a position store that fails its first reads.
type flaky struct {
	Memory
	mu    sync.Mutex
	fails int
}

func (f *flaky) Get(ctx context.Context, worker string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return 0, fault.New(fault.Unavailable, "the KV bucket is out of reach")
	}
	return f.Memory.Get(ctx, worker)
}

// TestSuperviseStartsAgain: a worker whose position store fails is started
// again until it works, and then handles the ledger.
func TestSuperviseStartsAgain(t *testing.T) {
	led := ledger.NewMemory()
	appendHolds(t, led, "ev_a", "h1")
	rec := &recorder{}
	pos := &flaky{fails: 2}
	run := &Runner{Name: "test", Ledger: led, Positions: pos, Handle: rec.handle,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { run.Supervise(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.saw()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never handled the entry")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if pos.fails != 0 {
		t.Fatalf("%d failures left", pos.fails)
	}
}
