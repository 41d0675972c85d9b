package boxoffice

import (
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

// TestHoldFitsEveryQuota: vip is in "total" (100) and "vipq" (10); a vip hold
// must fit both, whichever has less left.
func TestHoldFitsEveryQuota(t *testing.T) {
	s := onSaleEvent(t)
	// Fill total to 98 with ga only: vipq is untouched.
	for i := range 9 {
		must(t, s, hold("ga"+itoa(i), item("ga", 10)), t0)
	}
	must(t, s, hold("ga9", item("ga", 8)), t0)
	checkHeld(t, s, map[string]int{"total": 98, "vipq": 0})

	_, err := decideApply(t, s, hold("v", item("vip", 3)), t0)
	fe := wantKind(t, err, fault.SoldOut)
	if len(fe.Available) != 1 || fe.Available[0] != (fault.Left{TicketTypeID: "vip", Available: 2}) {
		t.Errorf("Available = %+v, want vip 2 (total's remainder, not vipq's 10)", fe.Available)
	}
	must(t, s, hold("v", item("vip", 2)), t0)
	checkHeld(t, s, map[string]int{"total": 100, "vipq": 2})
	_, err = decideApply(t, s, hold("w", item("ga", 1)), t0)
	wantKind(t, err, fault.SoldOut)
	checkInvariants(t, s)
}

// TestHoldSumsTypesSharingAQuota: ga and vip share "total"; one hold of both
// takes the sum of their quantities from it.
func TestHoldSumsTypesSharingAQuota(t *testing.T) {
	s := onSaleEvent(t)
	must(t, s, &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{Capacity: ptr(8)}}, t0)

	_, err := decideApply(t, s, hold("h", item("ga", 5), item("vip", 4)), t0)
	fe := wantKind(t, err, fault.SoldOut)
	want := []fault.Left{{TicketTypeID: "ga", Available: 8}, {TicketTypeID: "vip", Available: 8}}
	if len(fe.Available) != 2 || fe.Available[0] != want[0] || fe.Available[1] != want[1] {
		t.Errorf("Available = %+v, want %+v", fe.Available, want)
	}
	d := must(t, s, hold("h", item("ga", 5), item("vip", 3)), t0)
	if d.Ref != "h" || s.Hold("h").Quantity != 8 {
		t.Errorf("hold = %+v, want 8 tickets", s.Hold("h"))
	}
	checkHeld(t, s, map[string]int{"total": 8, "vipq": 3})
	checkInvariants(t, s)
}

// TestQuotaMembershipRecount changes quota membership and capacity while
// holds are active: Held is recounted, and releases give back to the quotas
// the ticket types belong to at the time.
func TestQuotaMembershipRecount(t *testing.T) {
	s := onSaleEvent(t)
	must(t, s, hold("h1", item("ga", 3)), t0)
	must(t, s, hold("h2", item("vip", 2)), t0)
	checkHeld(t, s, map[string]int{"total": 5, "vipq": 2})

	steps := []struct {
		name string
		cmd  Command
		kind fault.Kind // 0 with ok
		ok   bool
		held map[string]int
	}{
		{"ga joins vipq", &UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{TicketTypeIDs: []string{"vip", "ga"}}},
			0, true, map[string]int{"total": 5, "vipq": 5}},
		{"vipq below what it now holds", &UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(4)}},
			fault.Conflict, false, map[string]int{"total": 5, "vipq": 5}},
		{"vipq down to what it holds", &UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(5)}},
			0, true, map[string]int{"total": 5, "vipq": 5}},
		{"vipq is full", hold("h3", item("ga", 1)), fault.SoldOut, false, map[string]int{"total": 5, "vipq": 5}},
		{"h1 released from both", &ReleaseHold{HoldID: "h1"}, 0, true, map[string]int{"total": 2, "vipq": 2}},
		{"vip leaves total", &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"ga"}}},
			0, true, map[string]int{"total": 0, "vipq": 2}},
		{"a vip hold no longer counts in total", hold("h4", item("vip", 3)), 0, true, map[string]int{"total": 0, "vipq": 5}},
		{"h2 released from vipq only", &ReleaseHold{HoldID: "h2"}, 0, true, map[string]int{"total": 0, "vipq": 3}},
		{"vip joins total again", &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"vip", "ga"}}},
			0, true, map[string]int{"total": 3, "vipq": 3}},
		{"total cannot hold less", &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{Capacity: ptr(2)}},
			fault.Conflict, false, map[string]int{"total": 3, "vipq": 3}},
	}
	for _, st := range steps {
		_, err := decideApply(t, s, st.cmd, t0)
		if st.ok && err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !st.ok {
			if fault.KindOf(err) != st.kind {
				t.Fatalf("%s: err = %v, want kind %q", st.name, err, st.kind)
			}
		}
		for id, n := range st.held {
			if got := s.Quota(id).Held; got != n {
				t.Fatalf("%s: quota %s Held = %d, want %d", st.name, id, got, n)
			}
		}
		checkInvariants(t, s)
	}
}

// TestQuotaAddedAfterHolds: a quota created over ticket types with active
// holds starts with them counted, and caps later holds.
func TestQuotaAddedAfterHolds(t *testing.T) {
	s := onSaleEvent(t)
	must(t, s, hold("h1", item("ga", 3)), t0)
	must(t, s, hold("h2", item("vip", 2)), t0)
	must(t, s, hold("h3", item("ga", 4)), t0)
	must(t, s, &ReleaseHold{HoldID: "h3"}, t0)

	_, err := decideApply(t, s, &CreateQuota{OrganizerID: org, QuotaID: "late", Details: QuotaDetails{Name: "Late",
		Capacity: 4, TicketTypeIDs: []string{"vip", "ga"}}}, t0)
	wantKind(t, err, fault.Conflict)
	if s.Quota("late") != nil {
		t.Fatal("the refused quota exists")
	}

	addQuota(t, s, "late", 10, []string{"vip", "ga"}, t0)
	checkHeld(t, s, map[string]int{"late": 5, "total": 5, "vipq": 2})
	if got := quotaIDs(s.TicketType("ga")); len(got) != 2 || got[1] != "late" {
		t.Errorf("ga's quotas = %q, want [total late]", got)
	}
	must(t, s, hold("h4", item("ga", 5)), t0)
	checkHeld(t, s, map[string]int{"late": 10, "total": 10})
	_, err = decideApply(t, s, hold("h5", item("ga", 1)), t0)
	fe := wantKind(t, err, fault.SoldOut)
	if fe.Available[0].Available != 0 {
		t.Errorf("Available = %+v, want 0 left of ga", fe.Available)
	}
	must(t, s, &ReleaseHold{HoldID: "h1"}, t0)
	checkHeld(t, s, map[string]int{"late": 7, "total": 7})
	must(t, s, hold("h5", item("ga", 3)), t0)
	checkInvariants(t, s)
}

// TestZeroCapacityQuota: a quota of zero sells nothing of its ticket types
// but still makes the event sellable.
func TestZeroCapacityQuota(t *testing.T) {
	s := draftEvent(t)
	addTicketType(t, s, "ga", 1, 10, t0)
	addQuota(t, s, "none", 0, []string{"ga"}, t0)
	setStatus(t, s, OnSale, t0)
	_, err := decideApply(t, s, hold("h", item("ga", 1)), t0)
	fe := wantKind(t, err, fault.SoldOut)
	if fe.Available[0] != (fault.Left{TicketTypeID: "ga", Available: 0}) {
		t.Errorf("Available = %+v, want ga 0", fe.Available)
	}
}
