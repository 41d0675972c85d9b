package flags

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/open-feature/go-sdk/openfeature"

	"github.com/admit-org/admit/internal/natstest"
)

func TestParse(t *testing.T) {
	paused, _ := Lookup(HoldsPaused)
	intFlag := Flag{Name: "test.int", Kind: Int, Default: int64(3)}
	for _, tc := range []struct {
		flag    Flag
		in, err string
		want    string
	}{
		{paused, `{"value":true}`, "", `{"value":true}`},
		{paused, `{"targets":{"ev_1":true},"rollout":{"percent":12.5,"value":true}}`, "",
			`{"targets":{"ev_1":true},"rollout":{"percent":12.5,"value":true}}`},
		{intFlag, `{"value":7,"targets":{"ev_1":8}}`, "", `{"value":7,"targets":{"ev_1":8}}`},
		{paused, `{"value":"yes"}`, `is a bool: want true or false, not "yes" (in value)`, ""},
		{paused, `{"targets":{"ev_1":1}}`, "is a bool: want true or false, not 1 (in targets.ev_1)", ""},
		{intFlag, `{"value":1.5}`, "is an int: want a whole number, not 1.5", ""},
		{paused, `{"rollout":{"percent":101,"value":true}}`, "between 0 and 100", ""},
		{paused, `{"rollout":{"percent":5}}`, "a rollout needs a value", ""},
		{paused, `{"valu":true}`, "not valid JSON", ""},
		{paused, `{"value":true} {}`, "more than one", ""},
	} {
		s, err := Parse(tc.flag, []byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%s) = %v, want an error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("Parse(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestEvaluateOrder(t *testing.T) {
	s := &Stored{Value: false, Targets: map[string]any{"ev_t": true}, Rollout: &Rollout{Percent: 100, Value: true}}
	if v, reason, _, _ := s.evaluate("f", "ev_t", nil); v != true || reason != reasonTarget {
		t.Errorf("target: got %v %s", v, reason)
	}
	if v, reason, _, _ := s.evaluate("f", "ev_other", nil); v != true || reason != reasonSplit {
		t.Errorf("rollout: got %v %s", v, reason)
	}
	if v, reason, _, _ := s.evaluate("f", "", nil); v != false || reason != reasonStatic {
		t.Errorf("no key: got %v %s", v, reason)
	}
	s.Rollout.By = "organizer_id"
	if v, reason, _, _ := s.evaluate("f", "ev_other", map[string]any{"organizer_id": "or_1"}); v != true || reason != reasonSplit {
		t.Errorf("rollout by attribute: got %v %s", v, reason)
	}
	if v, reason, _, _ := s.evaluate("f", "ev_other", nil); v != false || reason != reasonStatic {
		t.Errorf("rollout by a missing attribute: got %v %s", v, reason)
	}
	if _, _, _, ok := (&Stored{}).evaluate("f", "ev_t", nil); ok {
		t.Error("an empty stored value applies")
	}
}

// A rollout is stable (a key's answer depends on nothing but the flag,
// the key and the percentage), monotonic (raising it only adds keys) and
// about as large as it says.
func TestRolloutStableMonotonic(t *testing.T) {
	const n = 20_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("ev_%08x", i*7919)
	}
	in := make([]bool, n)
	for _, pct := range []float64{0, 0.5, 1, 5, 10, 25, 33.3, 50, 75, 99, 100} {
		count := 0
		for i, k := range keys {
			got := InRollout(LowStockCount, k, pct)
			if got != InRollout(LowStockCount, k, pct) {
				t.Fatalf("%s at %v%%: not stable", k, pct)
			}
			if in[i] && !got {
				t.Fatalf("%s was in the rollout below %v%% and is not at %v%%", k, pct, pct)
			}
			in[i] = got
			if got {
				count++
			}
		}
		share := 100 * float64(count) / n
		if share < pct-1.5 || share > pct+1.5 {
			t.Errorf("at %v%%: %.2f%% of the keys are in", pct, share)
		}
	}
	// Another flag's rollout reaches other keys.
	same := 0
	for _, k := range keys {
		if InRollout(LowStockCount, k, 50) == InRollout(HoldsPaused, k, 50) {
			same++
		}
	}
	if same > n*55/100 {
		t.Errorf("two flags at 50%% agree on %d of %d keys: their rollouts are not independent", same, n)
	}
}

// connect is a client of the server at url that reconnects forever.
func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	return natstest.Connect(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
}

// start runs a provider on nc until the test ends, and Flags on it.
func start(t *testing.T, nc *nats.Conn, probe time.Duration) (*Provider, *Flags) {
	return startStale(t, nc, probe, 0)
}

// startStale is start with the provider's Stale.
func startStale(t *testing.T, nc *nats.Conn, probe, stale time.Duration) (*Provider, *Flags) {
	t.Helper()
	p := NewProvider(Config{Conn: nc, Replicas: 1, Probe: probe, Retry: 200 * time.Millisecond, Stale: stale})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	f, err := New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		f.Close(context.Background())
	})
	return p, f
}

// eventually polls cond until it holds, for at most d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func bucket(t *testing.T, nc *nats.Conn) jetstream.KeyValue {
	t.Helper()
	kv, err := OpenBucket(t.Context(), nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func set(t *testing.T, kv jetstream.KeyValue, name string, change func(*Stored)) {
	t.Helper()
	f, _ := Lookup(name)
	if _, err := Change(t.Context(), kv, f, func(s *Stored) error { change(s); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestProviderWatches(t *testing.T) {
	ns := natstest.Start(t)
	nc := connect(t, ns.ClientURL())
	kv := bucket(t, nc)
	set(t, kv, CardPayments, func(s *Stored) { s.Value = false }) // stored before the provider starts
	p, f := start(t, nc, time.Second)
	ctx := t.Context()
	eventually(t, 5*time.Second, "the stored flag is not loaded", func() bool { return !f.Bool(ctx, CardPayments, "ev_a") })

	// A value per event.
	set(t, kv, HoldsPaused, func(s *Stored) { s.Targets = map[string]any{"ev_a": true} })
	took := eventually(t, time.Second, "a target set is not seen", func() bool { return f.PauseHolds(ctx, "ev_a") != nil })
	t.Logf("a flag set was evaluated %s later", took)
	if f.Bool(ctx, HoldsPaused, "ev_b") {
		t.Error("ev_b is paused too")
	}
	// Details carry OpenFeature's reasons.
	d, err := f.client.BooleanValueDetails(ctx, HoldsPaused, false, openfeature.NewEvaluationContext("ev_a", nil))
	if err != nil || d.Reason != openfeature.TargetingMatchReason {
		t.Errorf("details of a target: %+v, %v", d, err)
	}
	d, _ = f.client.BooleanValueDetails(ctx, HoldsPaused, false, openfeature.NewEvaluationContext("ev_b", nil))
	if d.Reason != openfeature.DefaultReason {
		t.Errorf("details of no target: reason %s, want DEFAULT", d.Reason)
	}

	// A delete brings the default back.
	if err := kv.Delete(ctx, HoldsPaused); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "a delete is not seen", func() bool { return f.PauseHolds(ctx, "ev_a") == nil })
	// So does a purge, and unsetting the last part through Change.
	set(t, kv, CardPayments, func(s *Stored) { s.Value = nil })
	eventually(t, time.Second, "unset is not seen", func() bool { return f.Bool(ctx, CardPayments, "ev_a") })
	if _, err := kv.Get(ctx, CardPayments); err == nil {
		t.Error("an empty stored value is kept; want the key deleted")
	}

	// An invalid stored value (written by hand) gives the default, and
	// unknown keys are ignored.
	set(t, kv, LowStockCount, func(s *Stored) { s.Value = true })
	eventually(t, time.Second, "low stock count not on", func() bool { return f.Bool(ctx, LowStockCount, "ev_a") })
	if _, err := kv.Put(ctx, LowStockCount, []byte(`{"value":"on"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "no.such-flag", []byte(`{"value":true}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "an invalid value is not the default", func() bool { return !f.Bool(ctx, LowStockCount, "ev_a") })
	if live, _ := p.Live(); !live {
		t.Error("an invalid value made the provider stop")
	}
	list, unknown, err := List(ctx, kv)
	if err != nil {
		t.Fatal(err)
	}
	if len(unknown) != 1 || unknown[0] != "no.such-flag" {
		t.Errorf("unknown flags listed: %v", unknown)
	}
	for _, e := range list {
		if e.Flag.Name == LowStockCount && e.Invalid == nil {
			t.Error("List does not say the invalid value is invalid")
		}
	}
	// Unknown flags and kinds answer the caller's default with an error.
	if v, err := f.client.BooleanValue(ctx, "no.such-flag", true, openfeature.EvaluationContext{}); !v || err == nil {
		t.Errorf("unknown flag: %v, %v", v, err)
	}
	if _, err := f.client.IntValue(ctx, HoldsPaused, 1, openfeature.EvaluationContext{}); err == nil {
		t.Error("a bool flag evaluated as an int gives no error")
	}
}

func TestProviderRollout(t *testing.T) {
	ns := natstest.Start(t)
	nc := connect(t, ns.ClientURL())
	kv := bucket(t, nc)
	_, f := start(t, nc, time.Second)
	ctx := t.Context()
	set(t, kv, LowStockCount, func(s *Stored) { s.Rollout = &Rollout{Percent: 30, Value: true} })
	var in, out string
	for i := 0; in == "" || out == ""; i++ {
		k := fmt.Sprintf("ev_%d", i)
		if InRollout(LowStockCount, k, 30) {
			in = k
		} else {
			out = k
		}
	}
	eventually(t, time.Second, "the rollout is not seen", func() bool { return f.Bool(ctx, LowStockCount, in) })
	if f.Bool(ctx, LowStockCount, out) {
		t.Errorf("%s, outside the 30%% share, has the rollout's value", out)
	}
	set(t, kv, LowStockCount, func(s *Stored) { s.Rollout.Percent = 100 })
	eventually(t, time.Second, "the raised rollout is not seen", func() bool { return f.Bool(ctx, LowStockCount, out) })
	if !f.Bool(ctx, LowStockCount, in) {
		t.Error("raising the rollout took a key out")
	}
}

// A store that cannot be read is answered as last loaded for the stale
// time (a paused event stays paused through a NATS election), then every
// flag answers its default; once it is back, the stored values are too,
// with what changed meanwhile.
func TestProviderStoreFails(t *testing.T) {
	dir := t.TempDir()
	ns := natstest.StartAt(t, dir, -1)
	url := ns.ClientURL()
	nc := connect(t, url)
	kv := bucket(t, nc)
	set(t, kv, HoldsPaused, func(s *Stored) { s.Value = true })
	const stale = time.Second
	p, f := startStale(t, nc, 100*time.Millisecond, stale)
	ctx := t.Context()
	eventually(t, 5*time.Second, "not loaded", func() bool { return f.Bool(ctx, HoldsPaused, "ev_a") })

	ns.Shutdown()
	ns.WaitForShutdown()
	gone := time.Now()
	eventually(t, 5*time.Second, "the store's loss is not noticed", func() bool { live, _ := p.Live(); return !live })
	if d, err := f.client.BooleanValueDetails(ctx, HoldsPaused, false, openfeature.NewEvaluationContext("ev_a", nil)); time.Since(gone) < stale &&
		(err != nil || !d.Value || d.Reason != openfeature.CachedReason) {
		t.Errorf("with the store just gone: %+v, %v; want the value last loaded, reason CACHED", d, err)
	}
	took := eventually(t, 5*time.Second, "the default is not answered with the store gone", func() bool {
		return !f.Bool(ctx, HoldsPaused, "ev_a")
	})
	if took = time.Since(gone); took < stale {
		t.Errorf("the default was answered %s after the store went, before the stale time %s", took, stale)
	}
	t.Logf("defaults answered %s after the store went", took)
	d, err := f.client.BooleanValueDetails(ctx, HoldsPaused, false, openfeature.NewEvaluationContext("ev_a", nil))
	if err == nil || d.Reason != openfeature.ErrorReason || d.ErrorCode != openfeature.GeneralCode {
		t.Errorf("with the store gone: %+v, %v; want reason ERROR, code GENERAL", d, err)
	}
	if live, _ := p.Live(); live {
		t.Error("Live with the store gone")
	}

	// Back, on the same port and store, with a change made through
	// another connection: the provider sees both.
	ns2 := restart(t, dir, url)
	nc2 := connect(t, ns2.ClientURL())
	set(t, bucket(t, nc2), HoldsPaused, func(s *Stored) { s.Value = nil; s.Targets = map[string]any{"ev_b": true} })
	took = eventually(t, 10*time.Second, "the stored values are not back", func() bool {
		return f.Bool(ctx, HoldsPaused, "ev_b") && !f.Bool(ctx, HoldsPaused, "ev_a")
	})
	t.Logf("stored values answered %s after the store came back", took)
}

// restart starts a server on dir and url's port again.
func restart(t *testing.T, dir, url string) *server.Server {
	t.Helper()
	var port int
	if _, err := fmt.Sscanf(url[strings.LastIndex(url, ":")+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return natstest.StartAt(t, dir, port)
}

func TestNilFlagsAnswerDefaults(t *testing.T) {
	var f *Flags
	if !f.Bool(t.Context(), CardPayments, "ev_a") || f.PauseHolds(t.Context(), "ev_a") != nil {
		t.Error("a nil Flags does not answer the defaults")
	}
}

// An evaluation as the hold path makes it, through the OpenFeature client,
// and the provider alone.
func BenchmarkPauseHolds(b *testing.B) {
	ns := natstest.Start(b)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	kv, err := OpenBucket(b.Context(), nc, 1)
	if err != nil {
		b.Fatal(err)
	}
	fl, _ := Lookup(HoldsPaused)
	if _, err := Change(b.Context(), kv, fl, func(s *Stored) error {
		s.Targets = map[string]any{"ev_paused": true}
		s.Rollout = &Rollout{Percent: 0.01, Value: true}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	p := NewProvider(Config{Conn: nc, Replicas: 1})
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	go p.Run(ctx)
	f, err := New(b.Context(), p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close(context.Background())
	for live, _ := p.Live(); !live; live, _ = p.Live() {
		time.Sleep(time.Millisecond)
	}
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.PauseHolds(ctx, "ev_open") != nil {
				b.Fatal("paused")
			}
		}
	})
	b.Run("provider", func(b *testing.B) {
		b.ReportAllocs()
		flat := openfeature.FlattenedContext{openfeature.TargetingKey: "ev_open"}
		for b.Loop() {
			if p.BooleanEvaluation(ctx, HoldsPaused, false, flat).Value {
				b.Fatal("paused")
			}
		}
	})
}
