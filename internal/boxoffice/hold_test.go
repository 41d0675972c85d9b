package boxoffice

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

func TestExpire(t *testing.T) {
	expires := t0.Add(DefaultHoldTTLSeconds * time.Second)
	base := with(onSale, hold("h1", item("ga", 2)), hold("h2", item("ga", 1)), hold("h3", item("ga", 1)),
		&ReleaseHold{HoldID: "h2"})
	tests := []struct {
		name string
		id   string
		now  time.Time
		want Entry
	}{
		{"not due", "h1", t0, nil},
		{"a moment before", "h1", expires.Add(-time.Nanosecond), nil},
		{"due", "h1", expires, &HoldExpired{HoldID: "h1", Actor: "system"}},
		{"overdue", "h1", expires.Add(24 * time.Hour), &HoldExpired{HoldID: "h1", Actor: "system"}},
		{"released", "h2", expires.Add(time.Hour), nil},
		{"unknown", "nope", expires.Add(time.Hour), nil},
		{"empty id", "", expires.Add(time.Hour), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base(t)
			before := snap(t, s)
			got := Expire(s, tc.id, tc.now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Expire = %#v, want %#v", got, tc.want)
			}
			if tc.want == nil && got != nil {
				t.Fatalf("Expire returned a non-nil interface holding %#v", got)
			}
			if !bytes.Equal(snap(t, s), before) {
				t.Fatal("Expire changed the state")
			}
		})
	}

	t.Run("already expired", func(t *testing.T) {
		s := base(t)
		e := Expire(s, "h3", expires)
		mustApply(t, s, e, expires)
		if got := Expire(s, "h3", expires.Add(time.Second)); got != nil {
			t.Errorf("Expire of an expired hold = %#v, want nil", got)
		}
		if h := s.Hold("h3"); h.Status != Expired || !h.EndedAt.Equal(expires) {
			t.Errorf("hold = %+v, want expired at %s", h, expires)
		}
	})
}

// TestHoldLifecycle walks holds through release and expiry, checking the
// capacity they free and what each later command sees.
func TestHoldLifecycle(t *testing.T) {
	s := onSaleEvent(t)
	ttl := DefaultHoldTTLSeconds * time.Second
	// vipq (10) full: a at t0 (4), b at t0+1m (4), c at t0+2m (2).
	must(t, s, hold("a", item("vip", 4)), t0)
	must(t, s, hold("b", item("vip", 4)), t0.Add(time.Minute))
	must(t, s, hold("c", item("vip", 2)), t0.Add(2*time.Minute))
	if s.ActiveHolds() != 3 {
		t.Fatalf("ActiveHolds() = %d, want 3", s.ActiveHolds())
	}
	now := t0.Add(3 * time.Minute)
	_, err := decideApply(t, s, hold("d", item("vip", 1)), now)
	wantKind(t, err, fault.SoldOut)

	// Release a: 4 back.
	d := must(t, s, &ReleaseHold{HoldID: "a"}, now)
	if !reflect.DeepEqual(d, Decision{Entries: []Entry{&HoldReleased{HoldID: "a", Actor: "buyer"}}, Ref: "a"}) {
		t.Errorf("release = %+v", d)
	}
	if h := s.Hold("a"); h.Status != Released || !h.EndedAt.Equal(now) {
		t.Errorf("a = %+v, want released at %s", h, now)
	}
	checkHeld(t, s, map[string]int{"vipq": 6, "total": 6})
	if s.ActiveHolds() != 2 {
		t.Errorf("ActiveHolds() = %d, want 2", s.ActiveHolds())
	}

	// Releasing again changes nothing, even after it would have expired.
	before := snap(t, s)
	d = must(t, s, &ReleaseHold{HoldID: "a"}, t0.Add(ttl+time.Hour))
	if !reflect.DeepEqual(d, Decision{Ref: "a", Unchanged: true}) {
		t.Errorf("second release = %+v, want a replay without entries", d)
	}
	if !bytes.Equal(snap(t, s), before) {
		t.Error("a second release changed the state")
	}
	must(t, s, hold("d", item("vip", 4)), now)

	// b expires at t0+1m+ttl: releasing it then is too late; its expiry frees 4.
	bEnds := t0.Add(time.Minute + ttl)
	if e := Expire(s, "b", bEnds.Add(-time.Second)); e != nil {
		t.Fatalf("Expire(b) before its time = %#v", e)
	}
	_, err = decideApply(t, s, &ReleaseHold{HoldID: "b"}, bEnds)
	wantKind(t, err, fault.HoldExpired)
	if s.Hold("b").Status != Active {
		t.Fatal("a refused release ended the hold")
	}
	_, err = decideApply(t, s, hold("e", item("vip", 4)), bEnds)
	wantKind(t, err, fault.SoldOut) // b still holds until its expiry is applied
	mustApply(t, s, Expire(s, "b", bEnds), bEnds)
	if h := s.Hold("b"); h.Status != Expired || !h.EndedAt.Equal(bEnds) {
		t.Errorf("b = %+v, want expired at %s", h, bEnds)
	}
	checkHeld(t, s, map[string]int{"vipq": 6})
	_, err = decideApply(t, s, &ReleaseHold{HoldID: "b"}, bEnds)
	wantKind(t, err, fault.HoldExpired)
	must(t, s, hold("e", item("vip", 4)), bEnds)
	checkHeld(t, s, map[string]int{"vipq": 10})
	if s.ActiveHolds() != 3 { // c, d, e
		t.Errorf("ActiveHolds() = %d, want 3", s.ActiveHolds())
	}
	checkInvariants(t, s)
}

// TestExtendHold: a buyer may ask for the hold's time again, from now, up
// to MaxHoldExtensions times, while it is active and not an order.
func TestExtendHold(t *testing.T) {
	s := onSaleEvent(t)
	must(t, s, hold("h1", item("ga", 2)), t0)
	ttl := time.Duration(s.Event.HoldTTLSeconds) * time.Second
	now := t0.Add(ttl - time.Minute)
	d := must(t, s, &ExtendHold{HoldID: "h1"}, now)
	if e, ok := d.Entries[0].(*HoldExtended); !ok || !e.ExpiresAt.Equal(now.Add(ttl)) {
		t.Fatalf("entries %#v", d.Entries)
	}
	if h := s.Hold("h1"); !h.ExpiresAt.Equal(now.Add(ttl)) || h.Extended != 1 {
		t.Fatalf("hold %+v", h)
	}
	if holdID, at, ok := Expiry(d.Entries[0]); !ok || holdID != "h1" || !at.Equal(now.Add(ttl)) {
		t.Fatal("Expiry does not see an extension")
	}
	// Asked again at once: it lasts that long already.
	if d := must(t, s, &ExtendHold{HoldID: "h1"}, now); !d.Unchanged {
		t.Fatal("an extension that changes nothing is not a replay")
	}
	for i := 2; i <= MaxHoldExtensions; i++ {
		now = now.Add(time.Minute)
		must(t, s, &ExtendHold{HoldID: "h1"}, now)
	}
	_, err := Decide(s, &ExtendHold{HoldID: "h1"}, now.Add(time.Minute))
	wantKind(t, err, fault.Conflict)
	c := clone(t, s)
	sameState(t, "snapshot of an extended hold", c, s)

	_, err = Decide(s, &ExtendHold{HoldID: "h1"}, s.Hold("h1").ExpiresAt)
	wantKind(t, err, fault.HoldExpired)
	_, err = Decide(s, &ExtendHold{HoldID: "nope"}, now)
	wantKind(t, err, fault.NotFound)
}
