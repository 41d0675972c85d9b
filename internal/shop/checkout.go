package shop

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
)

// line is one line of a hold or an order as a buyer reads it.
type line struct {
	Name     string
	Quantity int
	Amount   string
}

// attendee is the name field of one ticket.
type attendee struct {
	N        int // from 1
	Label    string
	Value    string
	Required bool
	Error    string
}

func (a attendee) InputID() string { return "attendee-" + strconv.Itoa(a.N) }
func (a attendee) ErrorID() string { return a.InputID() + "-error" }

// provider is one way to pay.
type provider struct {
	Value, Label, Hint string
	Checked, Disabled  bool
}

// checkoutPage is the view model of the checkout: the hold, its time, the
// buyer's details and how to pay.
type checkoutPage struct {
	page
	EventID, EventName, When, HoldID string
	Lines                            []line
	Total                            string
	Free                             bool
	ExpiresAt                        string // RFC 3339, for the countdown script
	ExpiresClock                     string // "14:05 CET", in the event's time zone
	Left                             string // "10 minutes"
	Name, Email                      string
	NameError, EmailError            string
	Attendees                        []attendee
	AttendeesNeeded                  bool
	Providers                        []provider
	ProviderError                    string
	CanExtend                        bool // the buyer may ask for more time
}

// expiredPage tells the buyer their hold ran out, and whether the same
// tickets can still be had.
type expiredPage struct {
	page
	EventID, EventName string
	Lines              []line
	StillFree          bool
	Quantities         []hidden // the hold's choices, to hold them again
	Nonce              string
}

type hidden struct{ Name, Value string }

// heldNow is a copy of a hold and what its pages need.
type heldNow struct {
	event      boxoffice.Event
	hold       boxoffice.Hold
	types      map[string]boxoffice.TicketType
	orderToken string // when it became an order
	free       bool   // whether its tickets cost nothing
	stillFree  bool   // whether its items could be held again now
}

func (s *Shop) readHold(r *http.Request) (*heldNow, error) {
	evID, holdID := r.PathValue("event_id"), r.PathValue("hold_id")
	if !id.ValidSharded(evID, "ev", id.Short) || !id.Valid(holdID, "ho", id.Long) {
		return nil, fault.New(fault.NotFound, "There is no such hold")
	}
	v, err := s.cfg.Offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		h := st.Hold(holdID)
		if st.Event == nil || h == nil {
			return nil
		}
		out := &heldNow{event: *st.Event, hold: *h, types: map[string]boxoffice.TicketType{}, free: true}
		out.hold.Items = append([]boxoffice.Item(nil), h.Items...)
		for _, it := range h.Items {
			tt := st.TicketType(it.TicketTypeID)
			out.types[tt.ID] = *tt
			out.free = out.free && tt.Price.Amount == 0
		}
		if o := st.Order(h.OrderID); o != nil {
			out.orderToken = o.Token
		}
		out.stillFree = st.View().SoldOut(h.Items) == nil
		return out
	})
	if err != nil {
		return nil, err
	}
	h, ok := v.(*heldNow)
	if !ok {
		return nil, fault.New(fault.NotFound, "There is no such hold; it may have been made on another link")
	}
	return h, nil
}

// lines are the hold's lines and its total, with amounts in lang.
func (h *heldNow) lines(lang language.Tag) (out []line, total boxoffice.Money) {
	total.Currency = h.event.Currency
	for _, it := range h.hold.Items {
		tt := h.types[it.TicketTypeID]
		amount := boxoffice.Money{Amount: tt.Price.Amount * int64(it.Quantity), Currency: tt.Price.Currency}
		total.Amount += amount.Amount
		out = append(out, line{Name: tt.Name, Quantity: it.Quantity, Amount: price(amount, lang)})
	}
	return out, total
}

func (s *Shop) expired(h *heldNow, now time.Time) bool {
	return h.hold.Status != boxoffice.Active || !now.Before(h.hold.ExpiresAt)
}

// cardPayments reports whether the shop can take a card payment for the
// event now: the provider takes payments (CardPayments) and the order page
// can show Stripe's Payment Element (StripePublishableKey). Offering card
// otherwise would send the buyer to a page with no way to pay.
func (s *Shop) cardPayments(ctx context.Context, eventID string) bool {
	return s.cfg.StripePublishableKey != "" && s.cfg.CardPayments != nil && s.cfg.CardPayments(ctx, eventID)
}

func (s *Shop) checkoutView(ctx context.Context, h *heldNow, lang language.Tag) checkoutPage {
	now := s.cfg.Clock.Now()
	lines, total := h.lines(lang)
	p := checkoutPage{page: page{Title: "Checkout: " + h.event.Name, Script: true, Lang: lang.String()}, EventID: h.event.ID,
		EventName: h.event.Name, When: locale.Time(h.event.StartsAt, h.event.TimeZone, lang), HoldID: h.hold.ID, Lines: lines,
		Total: price(total, lang), Free: total.Amount == 0, ExpiresAt: h.hold.ExpiresAt.UTC().Format(time.RFC3339),
		ExpiresClock: locale.Clock(h.hold.ExpiresAt, h.event.TimeZone, lang), Left: minutes(h.hold.ExpiresAt.Sub(now)),
		CanExtend: h.hold.Extended < boxoffice.MaxHoldExtensions}
	n := 0
	for _, it := range h.hold.Items {
		tt := h.types[it.TicketTypeID]
		p.AttendeesNeeded = p.AttendeesNeeded || tt.AttendeeNames
		for k := range it.Quantity {
			n++
			p.Attendees = append(p.Attendees, attendee{N: n, Required: tt.AttendeeNames,
				Label: "Name on ticket " + strconv.Itoa(n) + " (" + tt.Name + ", " + strconv.Itoa(k+1) + " of " +
					strconv.Itoa(it.Quantity) + ")"})
		}
	}
	if !p.AttendeesNeeded {
		p.Attendees = nil
	}
	if !p.Free {
		for _, pr := range h.event.PaymentProviders {
			switch pr {
			case boxoffice.ProviderManual:
				pv := provider{Value: pr, Label: "Bank transfer"}
				if payBy, ok := boxoffice.ManualPayBy(&h.event, now); ok {
					pv.Hint = "Pay within " + minutes(payBy.Sub(now)) +
						" of ordering; you get the details on the next page and by e-mail."
				} else {
					pv.Disabled, pv.Hint = true, "Bank transfer is no longer possible this close to the event."
				}
				p.Providers = append(p.Providers, pv)
			case boxoffice.ProviderStripe:
				pv := provider{Value: pr, Label: "Card", Hint: "Pay by card on the next page."}
				if !s.cardPayments(ctx, h.event.ID) {
					pv.Disabled, pv.Hint = true, "Card payments are not available right now."
				}
				p.Providers = append(p.Providers, pv)
			}
		}
		for i := range p.Providers {
			if !p.Providers[i].Disabled {
				p.Providers[i].Checked = true
				break
			}
		}
	}
	return p
}

// liveHold reads the hold of a checkout that can go on. Otherwise it has
// answered: the order the hold became, its expiry, or the error.
func (s *Shop) liveHold(w http.ResponseWriter, r *http.Request) (*heldNow, bool) {
	h, err := s.readHold(r)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case h.orderToken != "":
		see(w, r, links.Order(h.event.ID, h.orderToken))
	case s.expired(h, s.cfg.Clock.Now()):
		s.renderExpired(w, r, h)
	default:
		return h, true
	}
	return nil, false
}

func (s *Shop) checkout(w http.ResponseWriter, r *http.Request) {
	h, ok := s.liveHold(w, r)
	if !ok {
		return
	}
	p := s.checkoutView(r.Context(), h, buyerLanguage(r))
	if r.URL.Query().Get("extended") == "1" {
		p.Notice = "You have more time: your tickets are held until " + p.ExpiresClock + "."
	}
	s.render(w, r, "checkout", http.StatusOK, p)
}

// extend asks for more time for the hold.
func (s *Shop) extend(w http.ResponseWriter, r *http.Request) {
	h, err := s.readHold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	path := links.Checkout(h.event.ID, h.hold.ID)
	_, err = s.cfg.Offices.Do(r.Context(), h.event.ID, &boxoffice.ExtendHold{HoldID: h.hold.ID}, nil)
	switch fault.KindOf(err) {
	case fault.HoldExpired:
		see(w, r, path)
		return
	case fault.Conflict:
		p := s.checkoutView(r.Context(), h, buyerLanguage(r))
		p.Notice = "You cannot get more time for these tickets: " + fault.As(err).Message + "."
		s.render(w, r, "checkout", http.StatusConflict, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	see(w, r, path+"?extended=1")
}

func (s *Shop) renderExpired(w http.ResponseWriter, r *http.Request, h *heldNow) {
	lang := buyerLanguage(r)
	lines, _ := h.lines(lang)
	p := expiredPage{page: page{Title: "Your hold has ended", Lang: lang.String()}, EventID: h.event.ID, EventName: h.event.Name,
		Lines: lines, StillFree: h.stillFree && h.event.Status == boxoffice.OnSale, Nonce: nonce()}
	for _, it := range h.hold.Items {
		p.Quantities = append(p.Quantities, hidden{Name: "qty." + it.TicketTypeID, Value: strconv.Itoa(it.Quantity)})
	}
	s.render(w, r, "expired", http.StatusOK, p)
}

// placeOrder turns the hold into an order with the buyer's details.
func (s *Shop) placeOrder(w http.ResponseWriter, r *http.Request) {
	h, ok := s.liveHold(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.problem(w, r, http.StatusBadRequest, "The form could not be read", "Go back and try again.")
		return
	}
	p := s.checkoutView(r.Context(), h, buyerLanguage(r))
	f := r.PostForm
	p.Name, p.Email = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email"))
	if p.Name == "" {
		p.NameError = "Enter your name."
	}
	if p.Email == "" {
		p.EmailError = "Enter your e-mail address, so we can send your tickets."
	}
	var names []string
	for i := range p.Attendees {
		a := &p.Attendees[i]
		a.Value = strings.TrimSpace(f.Get(a.InputID()))
		if a.Required && a.Value == "" {
			a.Error = "Enter the name of the person this ticket is for."
		}
		names = append(names, a.Value)
	}
	chosen := f.Get("provider")
	if !p.Free {
		ok := false
		for i := range p.Providers {
			p.Providers[i].Checked = p.Providers[i].Value == chosen
			ok = ok || (p.Providers[i].Checked && !p.Providers[i].Disabled)
		}
		if !ok {
			p.ProviderError = "Choose how you want to pay."
		}
	}
	if s.checkoutErrors(&p) {
		s.render(w, r, "checkout", http.StatusUnprocessableEntity, p)
		return
	}
	provider := ""
	if !p.Free {
		provider = chosen
	}
	res, err := s.cfg.Offices.Do(r.Context(), h.event.ID, &boxoffice.PlaceOrder{OrderID: id.New("od", id.Short),
		HoldID: h.hold.ID, Token: id.Token("ot_"), Buyer: boxoffice.Buyer{Name: p.Name, Email: p.Email},
		Attendees: names, Provider: provider, Client: s.clientKey(r, h.event.ID)}, func(st *boxoffice.State, d boxoffice.Decision) any {
		return st.Order(d.Ref).Token
	})
	if err == nil {
		see(w, r, links.Order(h.event.ID, res.Value.(string)))
		return
	}
	switch fault.KindOf(err) {
	case fault.HoldExpired:
		h, err = s.readHold(r)
		if err == nil {
			s.renderExpired(w, r, h)
			return
		}
	case fault.Invalid:
		for _, fe := range fault.As(err).Fields {
			switch {
			case fe.Field == "/buyer/name":
				p.NameError = sentence(fe.Message)
			case fe.Field == "/buyer/email":
				p.EmailError = "Enter an e-mail address like name@example.com."
			case strings.HasPrefix(fe.Field, "/attendees/"):
				if i, err := strconv.Atoi(strings.TrimPrefix(fe.Field, "/attendees/")); err == nil && i < len(p.Attendees) {
					p.Attendees[i].Error = sentence(fe.Message)
				}
			case fe.Field == "/payment_provider":
				p.ProviderError = sentence(fe.Message)
			default:
				p.Errors = append(p.Errors, field{ID: "name", Message: sentence(fe.Message)})
			}
		}
		s.checkoutErrors(&p)
		s.render(w, r, "checkout", http.StatusUnprocessableEntity, p)
		return
	}
	s.fail(w, r, err)
}

// checkoutErrors fills the error summary from the fields' messages and
// reports whether there are any.
func (s *Shop) checkoutErrors(p *checkoutPage) bool {
	if p.NameError != "" {
		p.Errors = append(p.Errors, field{ID: "name", Message: p.NameError})
	}
	if p.EmailError != "" {
		p.Errors = append(p.Errors, field{ID: "email", Message: p.EmailError})
	}
	for _, a := range p.Attendees {
		if a.Error != "" { // the label tells the summary's links apart: one per ticket
			p.Errors = append(p.Errors, field{ID: a.InputID(), Message: a.Label + ": " + a.Error})
		}
	}
	if p.ProviderError != "" {
		p.Errors = append(p.Errors, field{ID: "provider-" + firstProvider(p.Providers), Message: p.ProviderError})
	}
	if len(p.Errors) > 0 {
		p.Title = "Error: " + p.Title
	}
	return len(p.Errors) > 0
}

func firstProvider(ps []provider) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Value
}

// release gives the hold back.
func (s *Shop) release(w http.ResponseWriter, r *http.Request) {
	h, err := s.readHold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.cfg.Offices.Do(r.Context(), h.event.ID, &boxoffice.ReleaseHold{HoldID: h.hold.ID}, nil); err != nil &&
		!fault.Is(err, fault.HoldExpired) {
		s.fail(w, r, err)
		return
	}
	see(w, r, links.Event(h.event.ID)+"?released=1")
}
