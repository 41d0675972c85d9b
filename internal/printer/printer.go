package printer

import (
	"context"
	"errors"
	"time"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/pdf"
	"github.com/admit-org/admit/internal/ticket"
)

// Offices is what the printer needs of the box offices (*office.Manager).
type Offices interface {
	Do(ctx context.Context, eventID string, cmd boxoffice.Command, render office.Render) (office.Result, error)
	Read(ctx context.Context, eventID string, render office.Render) (any, error)
	View(ctx context.Context, eventID string) (*boxoffice.View, error)
}

// Keyring keeps the private halves of signing keys (*keyring.Keyring).
type Keyring interface {
	Create(ctx context.Context, eventID string) (*ticket.SigningKey, error)
	Get(ctx context.Context, eventID, keyID string) (*ticket.SigningKey, error)
}

var _ Offices = (*office.Manager)(nil)

// Printer is safe for concurrent use.
type Printer struct {
	Offices Offices
	Keys    Keyring // nil: nothing can be signed
}

// Claims are what a ticket's secret says: valid from its issue (to the
// second) until ev.TicketsValidUntil(), a grace after the event ends. Derived from the ledger,
// so signing again gives the same secret with the same key.
func Claims(ev *boxoffice.Event, t *boxoffice.Ticket) ticket.Claims {
	return ticket.Claims{EventID: ev.ID, TicketTypeID: t.TicketTypeID, TicketID: t.ID,
		ValidFrom: t.IssuedAt.UTC().Truncate(time.Second), ValidUntil: ev.TicketsValidUntil().UTC().Truncate(time.Second)}
}

// sign signs the ticket's secret. Errors: Conflict for a ticket whose
// validity a secret cannot carry: its event was moved to end before the
// ticket was issued, or (written before event times were checked) ends
// after 2106. Such a ticket no longer admits anyone.
func sign(key *ticket.SigningKey, ev *boxoffice.Event, t *boxoffice.Ticket) (string, error) {
	secret, err := key.Sign(Claims(ev, t))
	if errors.Is(err, ticket.ErrValidity) {
		return "", fault.Wrap(fault.Conflict, err, "ticket %s cannot admit anyone: it was issued at %s, and its event ends at %s",
			t.ID, t.IssuedAt.UTC().Format(time.RFC3339), ev.EndsAt.UTC().Format(time.RFC3339))
	}
	return secret, err
}

// EventWhen is the event's start in its own time zone, as printed on
// tickets (locale.Time): "Saturday 12 December 2026, 20:00 CET". Tickets
// are printed in English, as the e-mails are written: an order does not
// record its buyer's language.
func EventWhen(ev *boxoffice.Event) string {
	return locale.Time(ev.StartsAt, ev.TimeZone, language.English)
}

// Order is a copy of an order with what printing it needs.
type Order struct {
	Event   boxoffice.Event
	Types   map[string]string // ticket type names by id
	Order   boxoffice.Order
	Tickets []boxoffice.Ticket // in the order's order
}

// Find copies the order that find picks from the event's state. Errors:
// NotFound when find returns nil (err then is notFound).
func (p *Printer) Find(ctx context.Context, eventID string, find func(*boxoffice.State) *boxoffice.Order, notFound error) (*Order, error) {
	v, err := p.Offices.Read(ctx, eventID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if st.Event == nil {
			return nil
		}
		o := find(st)
		if o == nil {
			return nil
		}
		out := &Order{Event: *st.Event, Order: *o, Types: map[string]string{}}
		out.Order.TicketIDs = append([]string(nil), o.TicketIDs...)
		out.Order.Lines = append([]boxoffice.OrderLine(nil), o.Lines...)
		out.Order.Refunds = append([]boxoffice.Refund(nil), o.Refunds...)
		out.Order.Payments = append([]boxoffice.Payment(nil), o.Payments...)
		for _, id := range o.TicketIDs {
			out.Tickets = append(out.Tickets, *st.Ticket(id))
		}
		for _, tt := range st.TicketTypes {
			out.Types[tt.ID] = tt.Name
		}
		return out
	})
	if err != nil {
		return nil, err
	}
	o, ok := v.(*Order)
	if !ok {
		return nil, notFound
	}
	return o, nil
}

// Valid returns the order's tickets that admit, or a Conflict saying why
// there are none.
func (o *Order) Valid() ([]boxoffice.Ticket, error) {
	if o.Order.Status == boxoffice.StatusPendingPayment {
		return nil, fault.New(fault.Conflict, "the order is not paid yet: tickets are issued once it is")
	}
	var out []boxoffice.Ticket
	for _, t := range o.Tickets {
		if t.Status == boxoffice.TicketValid {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fault.New(fault.Conflict, "the order has no valid tickets (it is %s)", o.Order.Status)
	}
	return out, nil
}

// Signer returns the key that signs the event's tickets now, making the
// event's first key when it has none.
func (p *Printer) Signer(ctx context.Context, eventID string) (*ticket.SigningKey, error) {
	if p.Keys == nil {
		return nil, fault.New(fault.Unavailable, "tickets cannot be signed on this server: it has no keyring")
	}
	v, err := p.Offices.View(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fault.New(fault.NotFound, "event not found")
	}
	if k := v.CurrentKey(); k != nil {
		return p.Keys.Get(ctx, eventID, k.ID)
	}
	key, err := p.Keys.Create(ctx, eventID)
	if err != nil {
		return nil, err
	}
	res, err := p.Offices.Do(ctx, eventID, &boxoffice.AddSigningKey{OrganizerID: v.Event.OrganizerID, Actor: "system",
		PublicKey: key.Public(), First: true}, nil)
	if err != nil {
		return nil, err
	}
	if res.Ref != boxoffice.KeyID(key.Public()) {
		// Another signing made the first key meanwhile: use that one. The
		// seed made here stays unused in the keyring.
		return p.Keys.Get(ctx, eventID, res.Ref)
	}
	return key, nil
}

// Secret signs the secret of the order's ticket. Errors: NotFound for a
// ticket not in the order, Conflict for a revoked one or one that cannot
// admit anyone (see sign).
func (p *Printer) Secret(ctx context.Context, o *Order, ticketID string) (string, error) {
	for i := range o.Tickets {
		t := &o.Tickets[i]
		if t.ID != ticketID {
			continue
		}
		if t.Status != boxoffice.TicketValid {
			return "", fault.New(fault.Conflict, "ticket %s was %s", t.ID, t.Status)
		}
		key, err := p.Signer(ctx, o.Event.ID)
		if err != nil {
			return "", err
		}
		return sign(key, &o.Event, t)
	}
	return "", fault.New(fault.NotFound, "ticket not found")
}

// PDF prints the order's valid tickets, one page each. Errors: Conflict
// when there are none, or one cannot admit anyone (see sign).
func (p *Printer) PDF(ctx context.Context, o *Order) ([]byte, error) {
	valid, err := o.Valid()
	if err != nil {
		return nil, err
	}
	key, err := p.Signer(ctx, o.Event.ID)
	if err != nil {
		return nil, err
	}
	when := EventWhen(&o.Event)
	out := make([]pdf.Ticket, len(valid))
	for i := range valid {
		secret, err := sign(key, &o.Event, &valid[i])
		if err != nil {
			return nil, err
		}
		out[i] = pdf.Ticket{EventName: o.Event.Name, Venue: o.Event.Venue, When: when,
			TicketType: o.Types[valid[i].TicketTypeID], Attendee: valid[i].Attendee, TicketID: valid[i].ID,
			OrderID: o.Order.ID, Secret: secret}
	}
	return pdf.Tickets(out)
}
