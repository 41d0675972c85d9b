package boxoffice

import (
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// ResendTickets asks for the order's tickets to be e-mailed to the buyer
// again (the confirmation with the tickets' PDF), as an organizer does for a
// buyer who lost the first e-mail.
type ResendTickets struct {
	OrganizerID string
	OrderID     string
	Actor       string // who asks ("member:…", "token:…")
	Idem        *IdemStamp
}

// TicketsResent: the order's tickets are to be e-mailed to the buyer again.
// The e-mail worker sends them; the order does not change.
type TicketsResent struct {
	OrderID string     `json:"order_id"`
	Actor   string     `json:"actor,omitempty"`
	Idem    *IdemStamp `json:"idempotency,omitempty"`
}

func (*TicketsResent) Type() string      { return "admit.order.tickets_resent.v1" }
func (e *TicketsResent) Subject() string { return "orders/" + e.OrderID }

// decideResendTickets: only an order with valid tickets has tickets to
// send. Errors: NotFound, Conflict.
func (s *State) decideResendTickets(c *ResendTickets, now time.Time) (Decision, error) {
	o, err := s.organizerOrder(c.OrganizerID, c.OrderID)
	if err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if o.Status != StatusPaid {
		return Decision{}, fault.New(fault.Conflict, "order %s is %s: it has no tickets to send", o.ID, o.Status)
	}
	return one(&TicketsResent{OrderID: o.ID, Actor: c.Actor, Idem: c.Idem}, o.ID)
}

func (s *State) applyTicketsResent(e *TicketsResent, at time.Time) error {
	o := s.orders[e.OrderID]
	if o == nil || o.Status != StatusPaid {
		return errApply(e, "order %s has no tickets to send", e.OrderID)
	}
	o.UpdatedAt = at
	s.remember(e.Idem, o.ID, at)
	return nil
}

func (*ResendTickets) command() {}
