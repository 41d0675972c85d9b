package boxoffice

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
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

// TestSnapshotMatchesJSON compares MarshalSnapshot, which writes holds and
// Idempotency-Key records by hand, with encoding/json over random states.
func TestSnapshotMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		s := onSaleEvent(t)
		// A few times, so that holds share them as the holds of a batch do,
		// the same instants in other locations, and now and then a time
		// encoding/json cannot encode.
		var times []time.Time
		for range 1 + r.IntN(4) {
			tm := randTime(r)
			times = append(times, tm, tm.In(zones[r.IntN(len(zones))]))
		}
		someTime := func() time.Time { return times[r.IntN(len(times))] }
		for i := range r.IntN(30) {
			e := &HoldCreated{HoldID: randString(r) + itoa(i), ExpiresAt: someTime()}
			switch r.IntN(4) {
			case 0:
			case 1:
				e.Items = []Item{}
			default:
				e.Items = []Item{item("ga", r.IntN(5))}
				if r.IntN(2) == 0 {
					e.Items = append(e.Items, item("vip", r.IntN(5)))
				}
			}
			if r.IntN(3) == 0 {
				e.Idem = &IdemStamp{Scope: randString(r), Key: randString(r), Hash: randString(r)}
			}
			mustApply(t, s, e, someTime())
			switch r.IntN(4) {
			case 0:
				mustApply(t, s, &HoldReleased{HoldID: e.HoldID}, someTime())
			case 1:
				mustApply(t, s, &HoldExpired{HoldID: e.HoldID}, someTime())
			}
		}
		want, wantErr := json.Marshal(s.snapshot())
		got, err := s.MarshalSnapshot()
		if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("MarshalSnapshot error = %v, want %v", err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("MarshalSnapshot differs from encoding/json\n got %s\nwant %s", got, want)
		}
	}
	for _, s := range []*State{NewState(), {}} {
		want, _ := json.Marshal(s.snapshot())
		if got, err := s.MarshalSnapshot(); err != nil || !bytes.Equal(got, want) {
			t.Errorf("MarshalSnapshot of an empty state = %s, %v; want %s", got, err, want)
		}
	}
}
