package boxoffice

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

func TestIdempotentHold(t *testing.T) {
	stamp := func(scope, key, hash string) *IdemStamp { return &IdemStamp{Scope: scope, Key: key, Hash: hash} }
	s := onSaleEvent(t)
	first := stamp("buyer-1", "k", "h")
	must(t, s, &CreateHold{HoldID: "h1", Items: []Item{item("ga", 2)}, Idem: first}, t0)

	// The same request again, with a fresh hold id: the first answer.
	before := snap(t, s)
	for _, now := range []time.Time{t0, t0.Add(time.Hour), t0.Add(IdemRetention)} {
		d, err := Decide(s, &CreateHold{HoldID: "h2", Items: []Item{item("ga", 2)}, Idem: first}, now)
		if err != nil {
			t.Fatalf("retry at %s: %v", now, err)
		}
		if !reflect.DeepEqual(d, Decision{Ref: "h1", Replayed: true}) {
			t.Errorf("retry at %s = %+v, want a replay of h1", now, d)
		}
	}
	if !bytes.Equal(snap(t, s), before) {
		t.Error("a replay changed the state")
	}

	// The same key for another request is an error, however the rest looks.
	_, err := Decide(s, &CreateHold{HoldID: "h2", Items: []Item{item("ga", 2)}, Idem: stamp("buyer-1", "k", "other")}, t0)
	if fe := wantKind(t, err, fault.Invalid); fe.Code != "idempotency-key-reused" {
		t.Errorf("code = %q, want idempotency-key-reused", fe.Code)
	}

	// Another scope's key of the same name is its own.
	d := must(t, s, &CreateHold{HoldID: "h3", Items: []Item{item("ga", 1)}, Idem: stamp("buyer-2", "k", "h")}, t0)
	if d.Replayed || d.Ref != "h3" || len(d.Entries) != 1 {
		t.Errorf("other scope = %+v, want a new hold h3", d)
	}
	d = must(t, s, &CreateHold{HoldID: "h4", Items: []Item{item("ga", 1)}, Idem: stamp("buyer-1", "k2", "h")}, t0)
	if d.Replayed || d.Ref != "h4" {
		t.Errorf("other key = %+v, want a new hold h4", d)
	}

	// After the retention the key is forgotten: the request is new, and
	// its record replaces the old one.
	later := t0.Add(IdemRetention + time.Nanosecond)
	d = must(t, s, &CreateHold{HoldID: "h5", Items: []Item{item("ga", 1)}, Idem: stamp("buyer-1", "k", "other")}, later)
	if d.Replayed || d.Ref != "h5" {
		t.Errorf("after retention = %+v, want a new hold h5", d)
	}
	_, err = Decide(s, &CreateHold{HoldID: "h6", Items: []Item{item("ga", 2)}, Idem: first}, later)
	wantKind(t, err, fault.Invalid)
	d, err = Decide(s, &CreateHold{HoldID: "h6", Items: []Item{item("ga", 1)}, Idem: stamp("buyer-1", "k", "other")},
		later.Add(IdemRetention))
	if err != nil || d.Ref != "h5" || !d.Replayed {
		t.Errorf("retry of the new request = %+v, %v, want a replay of h5", d, err)
	}
}

// TestIdempotencyRefusalNotRemembered: only accepted requests are recorded;
// a refused one can be retried with the same key and succeed later.
func TestIdempotencyRefusalNotRemembered(t *testing.T) {
	s := onSaleEvent(t)
	must(t, s, hold("a", item("vip", 4)), t0)
	must(t, s, hold("b", item("vip", 4)), t0)
	must(t, s, hold("c", item("vip", 2)), t0)
	stamp := &IdemStamp{Scope: "buyer", Key: "k", Hash: "h"}
	_, err := decideApply(t, s, &CreateHold{HoldID: "x", Items: []Item{item("vip", 2)}, Idem: stamp}, t0)
	wantKind(t, err, fault.SoldOut)
	must(t, s, &ReleaseHold{HoldID: "c"}, t0.Add(time.Second))
	d := must(t, s, &CreateHold{HoldID: "x", Items: []Item{item("vip", 2)}, Idem: stamp}, t0.Add(2*time.Second))
	if d.Replayed || d.Ref != "x" {
		t.Errorf("retry after a refusal = %+v, want a new hold", d)
	}
}

// TestIdempotencyAcrossSnapshot: records survive a snapshot, retention
// measured from when the entry was applied.
func TestIdempotencyAcrossSnapshot(t *testing.T) {
	s := draftEvent(t)
	stamp := &IdemStamp{Scope: "org-1", Key: "k", Hash: "h"}
	at := t0.Add(time.Hour)
	must(t, s, &CreateTicketType{OrganizerID: org, TicketTypeID: "ga", Details: ttDetails("GA"), Idem: stamp}, at)
	r := clone(t, s)
	cmd := &CreateTicketType{OrganizerID: org, TicketTypeID: "ga2", Details: ttDetails("GA"), Idem: stamp}
	d, err := Decide(r, cmd, at.Add(IdemRetention))
	if err != nil || !d.Replayed || d.Ref != "ga" {
		t.Errorf("restored retry = %+v, %v, want a replay of ga", d, err)
	}
	d, err = Decide(r, cmd, at.Add(IdemRetention+time.Nanosecond))
	if err != nil || d.Replayed || d.Ref != "ga2" {
		t.Errorf("restored retry after retention = %+v, %v, want a new ticket type", d, err)
	}
}
