package boxoffice

import (
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

func TestResendTickets(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderManual), t0)
	resend := &ResendTickets{OrganizerID: org, OrderID: "o1", Actor: "member:mb_aaaaaaaaaaaaaaaaaaaa"}
	_, err := Decide(s, resend, t0)
	wantKind(t, err, fault.Conflict) // not paid: no tickets yet
	must(t, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual}, t0)
	_, err = Decide(s, &ResendTickets{OrganizerID: other, OrderID: "o1"}, t0)
	wantKind(t, err, fault.NotFound)
	_, err = Decide(s, &ResendTickets{OrganizerID: org, OrderID: "o9"}, t0)
	wantKind(t, err, fault.NotFound)
	for range 2 { // each time an e-mail: it is asked for again
		d := must(t, s, resend, t0)
		if len(d.Entries) != 1 || *d.Entries[0].(*TicketsResent) != (TicketsResent{OrderID: "o1", Actor: resend.Actor}) {
			t.Fatalf("resend: %+v", d.Entries)
		}
	}
	if o := s.Order("o1"); o.Status != StatusPaid || len(o.TicketIDs) != 3 {
		t.Fatalf("the order changed: %+v", o)
	}
}
