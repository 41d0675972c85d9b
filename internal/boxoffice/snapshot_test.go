package boxoffice

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestSnapshotDeterministic checks that a snapshot's bytes depend only on the
// state: the holds of one batch are all created at the same time, and the
// map they live in has no order.
func TestSnapshotDeterministic(t *testing.T) {
	s := onSaleEvent(t)
	for i := range 40 {
		must(t, s, hold("h"+itoa(i), item("ga", 1)), t0)
	}
	first := snap(t, s)
	for range 20 {
		if got := snap(t, s); !bytes.Equal(got, first) {
			t.Fatalf("two snapshots of one state differ:\n%s\n%s", first, got)
		}
	}
	if got := snap(t, clone(t, s)); !bytes.Equal(got, first) {
		t.Fatalf("a restored state's snapshot differs:\n%s\n%s", first, got)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	empty := clone(t, NewState())
	if empty.Event != nil || empty.View() != nil || empty.ActiveHolds() != 0 {
		t.Errorf("restored empty state = %+v", empty)
	}
	must(t, empty, &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: eventDetails()}, t0)

	s := onSaleEvent(t)
	must(t, s, &CreateHold{HoldID: "h1", Items: []Item{item("vip", 3)}, Idem: idemA}, t0)
	must(t, s, hold("h2", item("ga", 2)), t0)
	must(t, s, hold("h3", item("ga", 1)), t0)
	must(t, s, &ReleaseHold{HoldID: "h2"}, t0.Add(time.Minute))
	mustApply(t, s, &HoldExpired{HoldID: "h3"}, t0.Add(2*time.Minute))
	r := clone(t, s)
	sameState(t, "restored", r, s)
	checkInvariants(t, r)
	if r.ActiveHolds() != 1 {
		t.Errorf("restored ActiveHolds() = %d, want 1", r.ActiveHolds())
	}
	if got := quotaIDs(r.TicketType("vip")); !slices.Equal(got, []string{"total", "vipq"}) {
		t.Errorf("restored vip quotas = %q, want [total vipq]", got)
	}
	// The restored state decides like the live one.
	for _, cmd := range []Command{
		&CreateHold{HoldID: "x", Items: []Item{item("vip", 3)}, Idem: idemA},
		hold("h4", item("vip", 4)),
		hold("h5", item("vip", 4)),
		&ReleaseHold{HoldID: "h1"},
		&UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(3)}},
	} {
		now := t0.Add(3 * time.Minute)
		d1, err1 := decideApply(t, s, cmd, now)
		d2, err2 := decideApply(t, r, cmd, now)
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(err1, err2) {
			t.Errorf("%T: live %+v, %v; restored %+v, %v", cmd, d1, err1, d2, err2)
		}
	}
	sameState(t, "after more commands", r, s)
}

func TestUnmarshalSnapshotRefuses(t *testing.T) {
	good := snap(t, onSaleEvent(t))
	for name, data := range map[string][]byte{
		"not JSON":      []byte("{"),
		"empty":         nil,
		"no version":    []byte(`{"event":null}`),
		"other version": bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":2,`), 1),
	} {
		if _, err := UnmarshalSnapshot(data); err == nil {
			t.Errorf("%s: UnmarshalSnapshot = nil error", name)
		}
	}
}
