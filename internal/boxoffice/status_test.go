package boxoffice

import (
	"bytes"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

// organizerCommands returns one valid command of every organizer kind,
// acting as organizer, against onSaleEvent.
func organizerCommands(organizer string) []Command {
	return []Command{
		&UpdateEvent{OrganizerID: organizer, Patch: EventPatch{Name: ptr("Gig")}},
		&ChangeStatus{OrganizerID: organizer, Status: SalesClosed},
		&ChangeStatus{OrganizerID: organizer, Status: Cancelled},
		&CreateTicketType{OrganizerID: organizer, TicketTypeID: "new", Details: ttDetails("New")},
		&UpdateTicketType{OrganizerID: organizer, TicketTypeID: "ga", Patch: TicketTypePatch{Name: ptr("GA")}},
		&CreateQuota{OrganizerID: organizer, QuotaID: "new", Details: QuotaDetails{Name: "New", Capacity: 1,
			TicketTypeIDs: []string{"ga"}}},
		&UpdateQuota{OrganizerID: organizer, QuotaID: "total", Patch: QuotaPatch{Capacity: ptr(50)}},
	}
}

// TestAnotherOrganizer: an event is not found by another organizer, whatever
// its status and whatever is asked; the commands are fine for the owner.
func TestAnotherOrganizer(t *testing.T) {
	for _, state := range []func(testing.TB) *State{draft, onSale, closed, cancelled} {
		for _, cmd := range organizerCommands(other) {
			s := state(t)
			before := snap(t, s)
			_, err := Decide(s, cmd, t0)
			wantKind(t, err, fault.NotFound)
			if !bytes.Equal(snap(t, s), before) {
				t.Fatalf("%T changed the state", cmd)
			}
		}
	}
	for _, cmd := range organizerCommands(org) {
		if _, err := Decide(onSaleEvent(t), cmd, t0); err != nil {
			t.Errorf("the owner's %T: %v", cmd, err)
		}
	}
	_, err := Decide(onSaleEvent(t), &CreateEvent{OrganizerID: other, EventID: evID, Currency: "EUR",
		Details: eventDetails()}, t0)
	wantKind(t, err, fault.Conflict) // the event id is taken, whoever asks
}

// TestCancelledRefusesChanges: a cancelled event takes no more changes and
// no more holds; holds can still be released.
func TestCancelledRefusesChanges(t *testing.T) {
	base := with(onSale, hold("h1", item("ga", 2)), &ChangeStatus{OrganizerID: org, Status: Cancelled})
	for _, cmd := range append(organizerCommands(org), &ChangeStatus{OrganizerID: org, Status: OnSale},
		&ChangeStatus{OrganizerID: org, Status: Draft}, hold("h2", item("ga", 1))) {
		s := base(t)
		_, err := Decide(s, cmd, t0)
		wantKind(t, err, fault.Conflict)
	}
	s := base(t)
	if s.Hold("h1").Status != Active {
		t.Errorf("h1 = %s after cancellation, want still active", s.Hold("h1").Status)
	}
	must(t, s, &ReleaseHold{HoldID: "h1"}, t0)
}
