package worker

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/natstest"
)

// TestRemote: an entry of an event that runs on another node is handled
// there, by that node's handler, and its error comes back with its kind
// and code; an entry of an event that runs here, or nowhere, is handled
// here; a node that does not answer is Unavailable, so the entry waits.
func TestRemote(t *testing.T) {
	ns := natstest.Start(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	holders := map[string]string{"ev_a": "a", "ev_b": "b", "ev_gone": "gone"}
	type call struct{ node, entry string }
	var mu sync.Mutex
	var calls []call
	handler := func(node string) Handler {
		return func(_ context.Context, e Entry) error {
			mu.Lock()
			calls = append(calls, call{node, e.ID() + " " + e.Entry.Type()})
			mu.Unlock()
			if e.Index == 7 {
				return fault.Coded(fault.Invalid, "bad-entry", "entry %s is bad", e.ID())
			}
			return nil
		}
	}
	newNode := func(node string) Handler {
		nc := natstest.Connect(t, ns.ClientURL())
		rm := NewRemote(RemoteConfig{Conn: nc, Node: node, Log: log,
			Runs:   func(ev string) bool { return holders[ev] == node },
			Holder: func(_ context.Context, ev string) (string, error) { return holders[ev], nil }})
		if err := rm.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rm.Stop)
		return rm.Handler("mail", handler(node))
	}
	a, _ := newNode("a"), newNode("b")
	entry := func(ev string, index int) Entry {
		return Entry{EventID: ev, Seq: 42, Index: index, At: time.Unix(1767225600, 0).UTC(),
			Entry: &boxoffice.HoldReleased{HoldID: "ho_1"}}
	}
	ctx := context.Background()
	for _, ev := range []string{"ev_a", "ev_b", "ev_nobody"} {
		if err := a(ctx, entry(ev, 0)); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
	}
	want := []call{{"a", "ev_a/42.0 admit.hold.released.v1"}, {"b", "ev_b/42.0 admit.hold.released.v1"},
		{"a", "ev_nobody/42.0 admit.hold.released.v1"}}
	mu.Lock()
	if len(calls) != len(want) {
		t.Fatalf("handled %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d: %v, want %v", i, calls[i], want[i])
		}
	}
	mu.Unlock()
	err := a(ctx, entry("ev_b", 7))
	if fe := fault.As(err); fe == nil || fe.Kind != fault.Invalid || fe.Code != "bad-entry" || !strings.Contains(fe.Message, "ev_b/42.7 is bad") {
		t.Errorf("a bad entry handled on node b: %#v", err)
	}
	start := time.Now()
	if err := a(ctx, entry("ev_gone", 0)); !fault.Is(err, fault.Unavailable) {
		t.Errorf("an event on a node that is gone: %v, want Unavailable", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("an event on a node that is gone took %s to answer", took)
	}
}
