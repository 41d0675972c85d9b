package worker

import (
	"context"
	"errors"
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

// appender is a ledger that tests append to (*ledger.Memory, *ledger.JetStream).
type appender interface {
	Append(ctx context.Context, m ledger.Message, expectLastSubjectSeq uint64) (uint64, error)
	LastSubjectSeq(ctx context.Context, subject string) (uint64, error)
}

// appendHolds writes one ledger message per hold id on the event's subject.
func appendHolds(t *testing.T, led appender, eventID string, holds ...string) {
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
func runUntil(t *testing.T, run *Runner, pos Positions, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, _ := pos.Get(ctx, run.Name); p.Covers(seq) {
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
	if p, err := kv.Get(ctx, "mail"); len(p) != 0 || err != nil {
		t.Fatalf("no position yet: %v, %v", p, err)
	}
	if err := kv.Put(ctx, "mail", ledger.Vector{42}); err != nil {
		t.Fatal(err)
	}
	if p, err := kv.Get(ctx, "mail"); p.String() != "42" || err != nil {
		t.Fatalf("position: %v, %v", p, err)
	}
	// A vector over several shards; and a value written before shards,
	// one number, is the position in shard 0 (as "42" above).
	if err := kv.Put(ctx, "mail", ledger.Vector{42, 0, 7}); err != nil {
		t.Fatal(err)
	}
	if p, err := kv.Get(ctx, "mail"); p.String() != "42,0,7" || err != nil {
		t.Fatalf("position: %v, %v", p, err)
	}
}

// flaky is a position store that fails its first reads.
type flaky struct {
	Memory
	mu    sync.Mutex
	fails int
}

func (f *flaky) Get(ctx context.Context, worker string) (ledger.Vector, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return nil, fault.New(fault.Unavailable, "the KV bucket is out of reach")
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

// TestRunnerParksAndGoesOn: an entry whose handler keeps failing (here
// with an unclassified error, as a ticket that cannot be signed did) is
// tried ParkAttempts times and parked, and the worker goes on with the
// next entries; one that fails for good (Invalid) is parked at once; one
// that fails because a dependency is out of reach (Unavailable) is waited
// for and never parked.
func TestRunnerParksAndGoesOn(t *testing.T) {
	led := ledger.NewMemory()
	appendHolds(t, led, "ev_a", "poison", "bad", "later", "flaky")
	poison := errors.New("ticket: validity … is not a range within 1970–2106")
	rec := &recorder{fails: map[string][]error{
		"poison": slices.Repeat([]error{poison}, 100),
		"bad":    {fault.New(fault.Invalid, "no such address")},
		"flaky":  slices.Repeat([]error{fault.New(fault.Unavailable, "smtp down")}, 5),
	}}
	pos := &Memory{}
	run := &Runner{Name: "test", Ledger: led, Positions: pos, Handle: rec.handle,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		ParkAttempts: 3, ParkAfter: time.Hour}
	runUntil(t, run, pos, 4)
	want := []string{"poison", "poison", "poison", "bad", "later", "flaky", "flaky", "flaky", "flaky", "flaky", "flaky"}
	if got := rec.saw(); !slices.Equal(got, want) {
		t.Fatalf("handled %q, want %q", got, want)
	}
	if n := run.ParkedCount(); n != 2 {
		t.Fatalf("%d entries parked, want 2 (poison and bad)", n)
	}
}

// TestRunnerParksAfterParkAfter: an entry that keeps failing slowly is
// parked once ParkAfter has passed since its first failure, even before
// ParkAttempts.
func TestRunnerParksAfterParkAfter(t *testing.T) {
	led := ledger.NewMemory()
	appendHolds(t, led, "ev_a", "poison", "later")
	rec := &recorder{fails: map[string][]error{"poison": slices.Repeat([]error{errors.New("boom")}, 100)}}
	pos := &Memory{}
	var mu sync.Mutex
	now := time.Unix(1e9, 0)
	clock := func() time.Time { // each look at the clock is 40 s later
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(40 * time.Second)
		return now
	}
	run := &Runner{Name: "test", Ledger: led, Positions: pos, Handle: rec.handle, Now: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond, ParkAttempts: 100, ParkAfter: time.Minute}
	runUntil(t, run, pos, 2)
	if got, want := rec.saw(), []string{"poison", "poison", "later"}; !slices.Equal(got, want) {
		t.Fatalf("handled %q, want %q", got, want)
	}
}

// TestParkedSurviveRestart: parked entries are kept in JetStream, so they
// are there after the server restarts; an operator's retry request is
// taken by the worker when it starts, and by a running worker at once.
// A retry that succeeds unparks the entry; one that fails parks it again.
func TestParkedSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() (*ledger.JetStream, *KV, *KVParking) {
		led, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		pos, err := OpenKV(ctx, led.Conn(), 1)
		if err != nil {
			t.Fatal(err)
		}
		park, err := OpenKVParking(ctx, led.Conn(), 1)
		if err != nil {
			t.Fatal(err)
		}
		return led, pos, park
	}
	led, pos, park := open()
	appendHolds(t, led, "ev_a", "h1", "h2")
	appendHolds(t, led, "ev_b", "h3")
	rec := &recorder{fails: map[string][]error{
		"h1": slices.Repeat([]error{errors.New("poison")}, 3),
		"h3": {fault.New(fault.Invalid, "refused")},
	}}
	newRunner := func(pos Positions, park Parking) *Runner {
		return &Runner{Name: "mail", Ledger: led, Positions: pos, Parking: park, Handle: rec.handle,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MinBackoff: time.Millisecond, ParkAttempts: 3}
	}
	runUntil(t, newRunner(pos, park), pos, 3)
	if got, want := rec.saw(), []string{"h1", "h1", "h1", "h2", "h3"}; !slices.Equal(got, want) {
		t.Fatalf("handled %q, want %q", got, want)
	}
	led.Close()

	// The server restarts: both are still parked, with what went wrong.
	led, pos, park = open()
	t.Cleanup(func() { led.Close() })
	list, err := park.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "mail.ev_a.1.0" || list[1].ID != "mail.ev_b.3.0" {
		t.Fatalf("parked after a restart: %+v", list)
	}
	if p := list[0]; p.Attempts != 3 || p.Error != "poison" || p.Type != "admit.hold.released.v1" || p.EntryID != "ev_a/1.0" {
		t.Errorf("parked h1: %+v", p)
	}
	if p := list[1]; p.Attempts != 1 || p.Kind != "invalid" {
		t.Errorf("parked h3: %+v", p)
	}
	if _, err := park.Retry(ctx, "mail.ev_a.9.0"); !fault.Is(err, fault.NotFound) {
		t.Errorf("retry of an entry that is not parked: %v, want NotFound", err)
	}
	for _, id := range []string{"", "mail..1.0", "mail ev_a"} {
		if _, err := park.Retry(ctx, id); !fault.Is(err, fault.NotFound) {
			t.Errorf("retry of %q, no key of the bucket: %v, want NotFound", id, err)
		}
	}

	// A retry asked for while the worker is stopped is taken when it starts.
	if _, err := park.Retry(ctx, "mail.ev_a.1.0"); err != nil {
		t.Fatal(err)
	}
	run := newRunner(pos, park)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitParked := func(what string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			list, err := park.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range list {
				ids = append(ids, p.ID)
			}
			if slices.Equal(ids, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: parked %q, want %q", what, ids, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitParked("after the retry at start", "mail.ev_b.3.0")

	// The running worker takes a retry at once; this one fails again and
	// stays parked, without the request, with its attempts counted on.
	rec.mu.Lock()
	rec.fails["h3"] = []error{fault.New(fault.Invalid, "refused again")}
	rec.mu.Unlock()
	if _, err := park.Retry(ctx, "mail.ev_b.3.0"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := park.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Attempts == 2 && !list[0].Retry && list[0].Error == "refused again" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failed retry: %+v", list)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := park.Retry(ctx, "mail.ev_b.3.0"); err != nil {
		t.Fatal(err)
	}
	waitParked("after a retry that succeeded")
	if got, want := rec.saw(), []string{"h1", "h1", "h1", "h2", "h3", "h1", "h3", "h3"}; !slices.Equal(got, want) {
		t.Fatalf("handled %q, want %q", got, want)
	}
}
