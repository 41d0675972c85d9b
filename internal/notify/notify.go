package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/mail"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/printer"
	"github.com/admit-org/admit/internal/worker"
)

// Config is what a Notifier needs. Every field but Log is required.
type Config struct {
	Sender  mail.Sender      // *mail.SMTP, or *mail.Log when no SMTP server is configured
	Printer *printer.Printer // reads orders from the box offices and prints the tickets' PDF; needs Keys
	Links   links.Base       // where buyers reach admit, e.g. "http://127.0.0.1:8080": the order page's link is under it
	Sent    Marks            // which e-mails went out
	Log     *slog.Logger     // nil: slog.Default()
	// Secrets makes an invitation's link again from the member's id, as
	// the desk that recorded it did; OrganizerName names the organizer in
	// it. Either nil: invitations are not e-mailed (logged).
	Secrets       organizer.Secrets
	OrganizerName func(ctx context.Context, organizerID string) (string, error)
}

// Marks records, by id, which e-mails were sent, so that none is sent
// twice. The ids are entry ids (worker.Entry.ID), with "/refund" appended
// for the second e-mail of a cancellation. Implementations must be safe
// for concurrent use.
type Marks interface {
	// Claim marks the e-mail "sending", unless it is marked "sent": then it
	// changes nothing and reports already.
	Claim(ctx context.Context, id string) (already bool, err error)
	// Done marks the e-mail "sent".
	Done(ctx context.Context, id string) error
}

// Notifier sends buyers the e-mails that ledger entries call for. It is
// safe for concurrent use.
type Notifier struct {
	sender        mail.Sender
	printer       *printer.Printer
	links         links.Base
	sent          Marks
	log           *slog.Logger
	secrets       organizer.Secrets
	organizerName func(ctx context.Context, organizerID string) (string, error)
}

// New returns a Notifier. c.Links must not be the zero Base: an e-mail's
// link is absolute.
func New(c Config) *Notifier {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{sender: c.Sender, printer: c.Printer, links: c.Links, sent: c.Sent,
		log: log, secrets: c.Secrets, organizerName: c.OrganizerName}
}

// planned is one e-mail an entry calls for.
type planned struct {
	id   string // the mark's id
	kind mail.Kind
}

// plan lists the e-mails that e calls for, from the entry alone.
func plan(e worker.Entry) (orderID string, out []planned) {
	id := e.ID()
	switch x := e.Entry.(type) {
	case *boxoffice.OrderPlaced:
		if x.Provider == boxoffice.ProviderManual {
			return x.OrderID, []planned{{id, mail.PaymentPending}}
		}
	case *boxoffice.OrderPaid:
		return x.OrderID, []planned{{id, mail.OrderConfirmation}}
	case *boxoffice.TicketsResent:
		return x.OrderID, []planned{{id, mail.OrderConfirmation}}
	case *boxoffice.OrderExpired:
		return x.OrderID, []planned{{id, mail.OrderExpired}}
	case *boxoffice.OrderCancelled:
		out = []planned{{id, mail.OrderCancelled}}
		if x.Refund != nil && x.Refund.Amount.Amount > 0 {
			out = append(out, planned{id + "/refund", mail.OrderRefunded})
		}
		return x.OrderID, out
	case *boxoffice.OrderRefunded:
		return x.OrderID, []planned{{id, mail.OrderRefunded}}
	case *boxoffice.PaymentRejected:
		return x.OrderID, []planned{{id, mail.OrderRefunded}}
	}
	return "", nil
}

// Handle sends the e-mails that e calls for (see the package comment), each
// at most once as far as the marks can tell. It is a worker.Handler. Errors:
// the sender's fault.Unavailable and fault.Invalid errors as they are;
// fault.Invalid when the box office does not know the order, or its
// tickets cannot be printed (they cannot admit anyone); the box office's
// and the marks' other errors.
func (n *Notifier) Handle(ctx context.Context, e worker.Entry) error {
	if e.OrganizerID != "" {
		return n.handleTeam(ctx, e)
	}
	orderID, mails := plan(e)
	var o *printer.Order // read once, when the first e-mail needs it
	for _, p := range mails {
		already, err := n.sent.Claim(ctx, p.id)
		if err != nil {
			return fmt.Errorf("notify: claim %s: %w", p.id, err)
		}
		if already {
			n.log.Debug("notify: already sent", "entry", e.ID(), "kind", p.kind)
			continue
		}
		if o == nil {
			if o, err = n.find(ctx, e.EventID, orderID); err != nil {
				return err
			}
		}
		msg, skip, err := n.compose(ctx, e, p, o)
		if err != nil {
			return err
		}
		if skip != "" {
			n.log.Info("notify: not sent", "entry", e.ID(), "kind", p.kind, "order", orderID, "why", skip)
		} else {
			if err := n.sender.Send(ctx, msg); err != nil {
				return fmt.Errorf("notify: %s for entry %s: %w", p.kind, e.ID(), err)
			}
			what := "notify: sent" // the SMTP server accepted it
			if _, logged := n.sender.(*mail.Log); logged {
				what = "notify: logged, not sent (no SMTP server configured)"
			}
			n.log.Info(what, "entry", e.ID(), "kind", p.kind, "order", orderID, "message_id", msg.ID)
		}
		if err := n.sent.Done(ctx, p.id); err != nil {
			return fmt.Errorf("notify: mark %s sent: %w", p.id, err)
		}
	}
	return nil
}

// find copies the order out of its event's box office. Errors: Invalid
// when the event or the order does not exist.
func (n *Notifier) find(ctx context.Context, eventID, orderID string) (*printer.Order, error) {
	o, err := n.printer.Find(ctx, eventID, func(st *boxoffice.State) *boxoffice.Order { return st.Order(orderID) },
		fault.New(fault.Invalid, "the box office has no such order"))
	if fault.Is(err, fault.NotFound) {
		return nil, fault.Wrap(fault.Invalid, err, "notify: order %s of event %s", orderID, eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("notify: order %s of event %s: %w", orderID, eventID, err)
	}
	return o, nil
}

// compose renders the e-mail p for entry e about order o, or says why it
// is not to be sent.
func (n *Notifier) compose(ctx context.Context, e worker.Entry, p planned, o *printer.Order) (msg mail.Message, skip string, err error) {
	ev := &o.Event
	lang := buyerLanguage(o)
	v := mail.Order{EventName: ev.Name, Venue: ev.Venue, When: locale.Time(ev.StartsAt, ev.TimeZone, lang),
		OrderID: o.Order.ID, BuyerName: o.Order.Buyer.Name, BuyerEmail: o.Order.Buyer.Email,
		Total: locale.Money(o.Order.Total, lang), OrderURL: n.links.URL(links.Order(ev.ID, o.Order.Token))}
	for _, l := range o.Order.Lines {
		v.Lines = append(v.Lines, mail.Line{TicketType: l.Name, Quantity: l.Quantity, Amount: locale.Money(l.Amount, lang)})
	}
	var attach []mail.Attachment
	switch x := e.Entry.(type) {
	case *boxoffice.OrderPlaced:
		if o.Order.Status != boxoffice.StatusPendingPayment {
			return msg, fmt.Sprintf("the order is %s now: there is no payment to ask for", o.Order.Status), nil
		}
		v.PaymentInstructions = strings.TrimSpace(ev.ManualPaymentInstructions)
		if v.PaymentInstructions == "" {
			v.PaymentInstructions = noInstructions
		}
		v.PayBy = locale.Time(x.PayBy, ev.TimeZone, lang)
	case *boxoffice.OrderPaid, *boxoffice.TicketsResent:
		if _, err := o.Valid(); err != nil {
			return msg, fmt.Sprintf("the order is %s now and has no valid ticket to attach", o.Order.Status), nil
		}
		pdf, err := n.printer.PDF(ctx, o)
		if fault.Is(err, fault.Conflict) {
			// A ticket that cannot admit anyone (its event was moved to end
			// before it was issued): trying again will not help until the
			// organizer corrects the event, so the entry is parked at once.
			return msg, "", fault.Wrap(fault.Invalid, err, "notify: the tickets of order %s cannot be printed", o.Order.ID)
		}
		if err != nil {
			return msg, "", fmt.Errorf("notify: the tickets of order %s: %w", o.Order.ID, err)
		}
		attach = []mail.Attachment{{Name: "tickets-" + o.Order.ID + ".pdf", ContentType: "application/pdf", Data: pdf}}
	case *boxoffice.OrderExpired:
		if o.Order.Status != boxoffice.StatusExpired {
			return msg, fmt.Sprintf("the order is %s now: a late payment took it", o.Order.Status), nil
		}
		v.Reason = "We did not receive your payment by " + locale.Time(o.Order.PayBy, ev.TimeZone, lang) + "."
	case *boxoffice.OrderCancelled:
		if p.kind == mail.OrderRefunded {
			refunded(&v, o, *x.Refund, lang)
			break
		}
		v.Reason = strings.TrimSpace(x.Reason)
		if x.Refund != nil && x.Refund.Amount.Amount > 0 {
			v.Reason = strings.TrimSpace(v.Reason + "\n\nA refund of " + locale.Money(x.Refund.Amount, lang) + " follows.")
		}
	case *boxoffice.OrderRefunded:
		refunded(&v, o, x.Refund, lang)
	case *boxoffice.PaymentRejected:
		v.Lines, v.Total = nil, "" // no tickets were issued for this payment
		v.RefundAmount = locale.Money(x.Refund.Amount, lang)
		v.Reason = "We could not keep your payment of " + locale.Money(x.Payment.Amount, lang) + ": " + strings.TrimSpace(x.Reason) + "."
	}
	msg, err = mail.Compose(p.kind, v)
	if err != nil {
		return msg, "", fmt.Errorf("notify: %s for entry %s: %w", p.kind, e.ID(), err)
	}
	msg.ID = messageID(p.id)
	msg.Attachments = attach
	return msg, "", nil
}

// buyerLanguage is the language the e-mails about o are written in: the
// buyer's, were the order to record it. It records none (a buyer may
// order through the API, which asks for no language), so they are in
// English, as the tickets are printed.
func buyerLanguage(*printer.Order) language.Tag { return language.English }

// noInstructions stands in a payment request for the event's manual
// payment instructions when the organizer has given none.
const noInstructions = "The organizer has not published how to pay yet: please contact them, quoting your order number."

// refunded sets v up for the refund r: its amount and reason, and the
// refunded tickets by type in place of the order's lines, amounts in lang.
func refunded(v *mail.Order, o *printer.Order, r boxoffice.Refund, lang language.Tag) {
	v.RefundAmount = locale.Money(r.Amount, lang)
	v.Reason = strings.TrimSpace(r.Reason)
	v.Lines, v.Total = nil, ""
	names := map[string]string{}
	for _, l := range o.Order.Lines {
		names[l.TicketTypeID] = l.Name
	}
	tickets := make(map[string]*boxoffice.Ticket, len(o.Tickets))
	for i := range o.Tickets {
		tickets[o.Tickets[i].ID] = &o.Tickets[i]
	}
	at := map[string]int{} // index in v.Lines by ticket type
	var sums []int64
	for _, id := range r.TicketIDs {
		t := tickets[id]
		if t == nil {
			continue
		}
		i, ok := at[t.TicketTypeID]
		if !ok {
			i = len(v.Lines)
			at[t.TicketTypeID] = i
			v.Lines = append(v.Lines, mail.Line{TicketType: names[t.TicketTypeID]})
			sums = append(sums, 0)
		}
		v.Lines[i].Quantity++
		sums[i] += t.Price.Amount
	}
	for i := range v.Lines {
		v.Lines[i].Amount = locale.Money(boxoffice.Money{Amount: sums[i], Currency: o.Order.Total.Currency}, lang)
	}
}
