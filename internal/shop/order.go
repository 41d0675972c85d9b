package shop

import (
	"net/http"
	"strconv"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
)

// orderPage is the view model of the buyer's order: what happens next,
// and the tickets once it is paid.
type orderPage struct {
	page
	EventID, EventName, When, Venue string
	OrderID, Status                 string
	Lines                           []line
	Total, Refunded                 string
	BuyerName, BuyerEmail           string
	Instructions, PayBy             string // a manual order awaiting payment
	CardPending                     bool   // a card order awaiting payment
	PaymentIntentID                 string // its Stripe PaymentIntent, once made
	StripeKey, ClientSecret         string // for Stripe's Payment Element, when configured
	Reason                          string
	Tickets                         []ticketRow
	PDF                             string
	Link                            string // this page's path: the secret link
}

// ticketRow is one ticket with its QR code.
type ticketRow struct {
	N                      int
	ID, TypeName, Attendee string
	Valid                  bool
	QR, QRAlt, StatusText  string
}

func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	evID, token := r.PathValue("event_id"), r.PathValue("token")
	notFound := func() {
		s.problem(w, r, http.StatusNotFound, "Order not found",
			"This order link is not right: it may be cut short or mistyped. Use the whole link from your e-mail.")
	}
	if !id.ValidSharded(evID, "ev", id.Short) || !id.Valid(token, "ot", 32) {
		notFound()
		return
	}
	lang := buyerLanguage(r)
	v, err := s.cfg.Offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if st.Event == nil {
			return nil
		}
		o := st.OrderByToken(token)
		if o == nil {
			return nil
		}
		return s.orderView(st, o, lang)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, ok := v.(orderPage)
	if !ok {
		notFound()
		return
	}
	p.Link = s.cfg.Links.URL(p.Link)
	// The client secret is the one the payments worker recorded: showing the
	// page never calls Stripe.
	if p.CardPending && p.ClientSecret != "" && s.cfg.StripePublishableKey != "" {
		p.StripeKey, p.Script = s.cfg.StripePublishableKey, true
	} else {
		p.ClientSecret = ""
	}
	s.render(w, r, "order", http.StatusOK, p)
}

var statusText = map[boxoffice.OrderStatus]string{
	boxoffice.StatusPendingPayment: "Waiting for payment",
	boxoffice.StatusPaid:           "Paid",
	boxoffice.StatusExpired:        "Expired: not paid in time",
	boxoffice.StatusCancelled:      "Cancelled",
	boxoffice.StatusRefunded:       "Refunded",
}

// orderView runs on the box office goroutine: everything is copied.
func (s *Shop) orderView(st *boxoffice.State, o *boxoffice.Order, lang language.Tag) orderPage {
	ev := st.Event
	link := links.Order(ev.ID, o.Token)
	p := orderPage{page: page{Title: "Order " + o.ID, Lang: lang.String()}, EventID: ev.ID, EventName: ev.Name,
		When: locale.Time(ev.StartsAt, ev.TimeZone, lang), Venue: ev.Venue, OrderID: o.ID, Status: statusText[o.Status],
		Total: price(o.Total, lang), BuyerName: o.Buyer.Name, BuyerEmail: o.Buyer.Email, Reason: o.Reason, Link: link}
	if n := o.Refunded(); n > 0 {
		p.Refunded = locale.Money(boxoffice.Money{Amount: n, Currency: o.Total.Currency}, lang)
	}
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, line{Name: l.Name, Quantity: l.Quantity, Amount: price(l.Amount, lang)})
	}
	if o.Status == boxoffice.StatusPendingPayment {
		switch o.Provider {
		case boxoffice.ProviderManual:
			p.Instructions = ev.ManualPaymentInstructions
			if p.Instructions == "" {
				p.Instructions = "The organizer will tell you how to pay."
			}
			p.PayBy = locale.Time(o.PayBy, ev.TimeZone, lang)
		case boxoffice.ProviderStripe:
			p.CardPending, p.PayBy, p.PaymentIntentID = true, locale.Time(o.PayBy, ev.TimeZone, lang), o.PaymentIntentID
			p.ClientSecret = o.ClientSecret
		}
	}
	valid := 0
	for i, tid := range o.TicketIDs {
		t := st.Ticket(tid)
		tt := st.TicketType(t.TicketTypeID)
		row := ticketRow{N: i + 1, ID: t.ID, TypeName: tt.Name, Attendee: t.Attendee, Valid: t.Status == boxoffice.TicketValid,
			StatusText: "Valid"}
		if row.Valid {
			valid++
			row.QR = links.TicketQR(ev.ID, o.Token, t.ID, "svg")
			row.QRAlt = "QR code of ticket " + strconv.Itoa(i+1) + ", " + tt.Name
			if t.Attendee != "" {
				row.QRAlt += ", for " + t.Attendee
			}
		} else {
			row.StatusText = "Refunded or cancelled: no longer valid"
		}
		p.Tickets = append(p.Tickets, row)
	}
	if valid > 0 {
		p.PDF = links.TicketsPDF(ev.ID, o.Token)
	}
	if o.Status == boxoffice.StatusPaid {
		p.Notice = "Your order is confirmed. Your tickets are below and on their way by e-mail."
	}
	return p
}
