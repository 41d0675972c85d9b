package boxoffice

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// viewEvent is an event on sale with:
//
//	ga     1..10  in total (100)
//	vip    2..4   in total and vipq (20)
//	multi  1..10  in total and small (10)
//	early  1..10  in total, sales from t0+1h
//	late   1..10  in total, sales until t0
//	orphan 1..10  in no quota
func viewEvent(tb testing.TB) *State {
	tb.Helper()
	s := draftEvent(tb)
	addTicketType(tb, s, "ga", 1, 10, t0)
	addTicketType(tb, s, "vip", 2, 4, t0)
	addTicketType(tb, s, "multi", 1, 10, t0)
	d := ttDetails("Early")
	d.SalesStart = t0.Add(time.Hour)
	must(tb, s, &CreateTicketType{OrganizerID: org, TicketTypeID: "early", Details: d}, t0)
	d = ttDetails("Late")
	d.SalesEnd = t0
	must(tb, s, &CreateTicketType{OrganizerID: org, TicketTypeID: "late", Details: d}, t0)
	addTicketType(tb, s, "orphan", 1, 10, t0)
	addQuota(tb, s, "total", 100, []string{"ga", "vip", "multi", "early", "late"}, t0)
	addQuota(tb, s, "vipq", 20, []string{"vip"}, t0)
	addQuota(tb, s, "small", 10, []string{"multi"}, t0)
	setStatus(tb, s, OnSale, t0)
	return s
}

// holdVIP holds n (>= 2) vip tickets in holds of 2 to 4.
func holdVIP(n int) func(testing.TB) *State {
	return func(tb testing.TB) *State {
		tb.Helper()
		s := viewEvent(tb)
		for i, left := 0, n; left > 0; i++ {
			q := min(4, left)
			if left-q == 1 {
				q = 3
			}
			must(tb, s, hold("vip"+itoa(i), item("vip", q)), t0.Add(-time.Minute))
			left -= q
		}
		return s
	}
}

func TestViewState(t *testing.T) {
	multiHeld := func(n int) func(testing.TB) *State {
		return with(viewEvent, hold("m", item("multi", n)))
	}
	vipMin3 := func(tb testing.TB) *State {
		tb.Helper()
		s := holdVIP(18)(tb)
		must(tb, s, &UpdateTicketType{OrganizerID: org, TicketTypeID: "vip", Patch: TicketTypePatch{MinPerHold: ptr(3)}}, t0)
		return s
	}
	tests := []struct {
		name                string
		state               func(testing.TB) *State
		now                 time.Time
		tt                  string
		want                string
		available, capacity int
		inQuota             bool
	}{
		{"plenty", viewEvent, t0, "ga", StateOnSale, 100, 100, true},
		{"smallest capacity of two quotas", viewEvent, t0, "vip", StateOnSale, 20, 20, true},
		{"in no quota", viewEvent, t0, "orphan", StateUnavailable, 0, 0, false},
		{"before its sales start", viewEvent, t0.Add(time.Hour - 1), "early", StateNotYetOnSale, 100, 100, true},
		{"when its sales start", viewEvent, t0.Add(time.Hour), "early", StateOnSale, 100, 100, true},
		{"before its sales end", viewEvent, t0.Add(-time.Nanosecond), "late", StateOnSale, 100, 100, true},
		{"when its sales end", viewEvent, t0, "late", StateSalesEnded, 100, 100, true},
		{"when the event ends", viewEvent, endsAt, "ga", StateSalesEnded, 100, 100, true},
		{"after the event ended", viewEvent, endsAt.Add(time.Hour), "vip", StateSalesEnded, 20, 20, true},
		{"sales closed", with(viewEvent, &ChangeStatus{OrganizerID: org, Status: SalesClosed}), t0, "ga",
			StateUnavailable, 100, 100, true},
		{"cancelled", with(viewEvent, &ChangeStatus{OrganizerID: org, Status: Cancelled}), t0, "ga",
			StateUnavailable, 100, 100, true},
		{"draft", sellableDraft, t0, "ga", StateUnavailable, 100, 100, true},
		{"11% left", holdVIP(17), t0, "vip", StateOnSale, 3, 20, true},
		{"10% left", holdVIP(18), t0, "vip", StateFewLeft, 2, 20, true},
		{"the other types of a shared quota are unaffected", holdVIP(18), t0, "ga", StateOnSale, 82, 100, true},
		{"fewer left than the minimum", vipMin3, t0, "vip", StateSoldOut, 2, 20, true},
		{"none left", holdVIP(20), t0, "vip", StateSoldOut, 0, 20, true},
		{"few left of the smaller quota", multiHeld(9), t0, "multi", StateFewLeft, 1, 10, true},
		{"just above few of the smaller quota", multiHeld(8), t0, "multi", StateOnSale, 2, 10, true},
		{"sold out in the smaller quota", multiHeld(10), t0, "multi", StateSoldOut, 0, 10, true},
		{"not yet on sale beats sold out", with(viewEvent, &UpdateQuota{OrganizerID: org, QuotaID: "total",
			Patch: QuotaPatch{Capacity: ptr(0)}}), t0, "early", StateNotYetOnSale, 0, 0, true},
		{"sold out at zero capacity", with(viewEvent, &UpdateQuota{OrganizerID: org, QuotaID: "total",
			Patch: QuotaPatch{Capacity: ptr(0)}}), t0, "ga", StateSoldOut, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.state(t).View()
			tv := v.TicketType(tc.tt)
			if tv == nil {
				t.Fatalf("TicketType(%s) = nil", tc.tt)
			}
			if tv.Available != tc.available || tv.Capacity != tc.capacity || tv.InQuota != tc.inQuota {
				t.Errorf("Available, Capacity, InQuota = %d, %d, %v, want %d, %d, %v",
					tv.Available, tv.Capacity, tv.InQuota, tc.available, tc.capacity, tc.inQuota)
			}
			if got := v.State(tv, tc.now); got != tc.want {
				t.Errorf("State at %s = %s, want %s", tc.now.Format(time.RFC3339Nano), got, tc.want)
			}
		})
	}
}

func TestViewLookups(t *testing.T) {
	if v := NewState().View(); v != nil {
		t.Errorf("View of no event = %+v, want nil", v)
	}
	s := viewEvent(t)
	v := s.View()
	var ids []string
	for _, tv := range v.TicketTypes {
		ids = append(ids, tv.ID)
	}
	if want := []string{"ga", "vip", "multi", "early", "late", "orphan"}; !slices.Equal(ids, want) {
		t.Errorf("ticket types = %q, want %q (creation order)", ids, want)
	}
	if v.TicketType("nope") != nil || v.Quota("nope") != nil {
		t.Error("lookups of unknown ids are not nil")
	}
	if q := v.Quota("vipq"); q == nil || q.Capacity != 20 || !slices.Equal(q.TicketTypeIDs, []string{"vip"}) {
		t.Errorf("Quota(vipq) = %+v", q)
	}
	if v.Event.ID != evID || v.Event.Status != OnSale {
		t.Errorf("Event = %+v", v.Event)
	}
}

// TestViewIsACopy: a View does not change when the state does, and changing
// a View does not change the state.
func TestViewIsACopy(t *testing.T) {
	s := viewEvent(t)
	must(t, s, hold("h1", item("vip", 4)), t0)
	v := s.View()
	frozen, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}

	for _, cmd := range []Command{
		hold("h2", item("vip", 4)),
		&ReleaseHold{HoldID: "h1"},
		&UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Name: ptr("Front"), Capacity: ptr(30),
			TicketTypeIDs: []string{"ga", "vip"}}},
		&UpdateTicketType{OrganizerID: org, TicketTypeID: "vip", Patch: TicketTypePatch{Name: ptr("VIP"),
			Price: &Money{Amount: 1, Currency: "EUR"}, SalesEnd: ptr(endsAt)}},
		&UpdateEvent{OrganizerID: org, Patch: EventPatch{Name: ptr("Gig"), EndsAt: ptr(endsAt.Add(time.Hour))}},
		&CreateTicketType{OrganizerID: org, TicketTypeID: "new", Details: ttDetails("New")},
		&CreateQuota{OrganizerID: org, QuotaID: "new", Details: QuotaDetails{Name: "New", Capacity: 5,
			TicketTypeIDs: []string{"new"}}},
		&ChangeStatus{OrganizerID: org, Status: SalesClosed},
	} {
		must(t, s, cmd, t0.Add(time.Minute))
	}
	if got, _ := json.Marshal(v); !bytes.Equal(got, frozen) {
		t.Errorf("the view changed with the state\n got %s\nwant %s", got, frozen)
	}

	before := snap(t, s)
	w := s.View()
	w.Event.Name = "x"
	w.TicketTypes[0].Name = "x"
	w.TicketTypes[0].Price.Amount = 7
	w.Quotas[0].TicketTypeIDs[0] = "x"
	w.Quotas[0].Capacity = 1
	w.Quota("vipq").TicketTypeIDs[1] = "x"
	if !bytes.Equal(snap(t, s), before) {
		t.Errorf("changing a view changed the state")
	}
}

// TestViewSoldOut checks the sold-out answer a view gives without the box
// office: only when a ticket type of the hold has nothing left, with what
// is left of each; and that a hold that finds tickets allocates nothing, as
// every hold of an on-sale asks it first.
func TestViewSoldOut(t *testing.T) {
	v := holdVIP(20)(t).View()
	for _, tc := range []struct {
		name  string
		items []Item
		want  []fault.Left // nil: not sold out
	}{
		{"tickets left", []Item{item("ga", 2)}, nil},
		{"one type sold out", []Item{item("ga", 1), item("vip", 2)},
			[]fault.Left{{TicketTypeID: "ga", Available: 80}, {TicketTypeID: "vip", Available: 0}}},
		{"a type it does not know", []Item{item("nope", 1), item("vip", 2)}, nil},
		{"a type in no quota", []Item{item("orphan", 1), item("vip", 2)}, nil},
	} {
		err := v.SoldOut(tc.items)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: SoldOut = %v, want nil", tc.name, err)
			}
			continue
		}
		fe := wantKind(t, err, fault.SoldOut)
		if !slices.Equal(fe.Available, tc.want) {
			t.Errorf("%s: available %+v, want %+v", tc.name, fe.Available, tc.want)
		}
	}
	items := []Item{item("ga", 2)}
	if n := testing.AllocsPerRun(100, func() { _ = v.SoldOut(items) }); n != 0 {
		t.Errorf("SoldOut of a hold that finds tickets allocates %v times, want 0", n)
	}
}
