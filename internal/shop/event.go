package shop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/organizer"
)

// eventPage is the view model of an event's page.
type eventPage struct {
	page
	ID, Name, Venue, When string
	OnSale                bool
	Closed                string // why nothing can be bought now
	Types                 []ticketTypeRow
	MaxPerOrder           int
	Nonce                 string            // makes a second click of the same form the same hold
	Organizer             organizer.Profile // who sells the tickets; Name "" when unknown
	LogoURL               string            // the organizer's logo; "" for none
}

// ticketTypeRow is one ticket type with its quantity control.
type ticketTypeRow struct {
	ID, Name, Description, Price string
	State, StateText             string
	From                         string // when a ticket type not on sale yet goes on sale
	Options                      []int  // the quantities that can be chosen; empty when none can
	Chosen                       int
	Error                        string
}

func (r ticketTypeRow) InputID() string { return "qty-" + r.ID }
func (r ticketTypeRow) ErrorID() string { return "qty-" + r.ID + "-error" }
func (r ticketTypeRow) StateID() string { return "qty-" + r.ID + "-state" }

var stateText = map[string]string{
	boxoffice.StateOnSale:       "On sale",
	boxoffice.StateFewLeft:      "Few left",
	boxoffice.StateSoldOut:      "Sold out",
	boxoffice.StateNotYetOnSale: "Not on sale yet",
	boxoffice.StateSalesEnded:   "Sales have ended",
	boxoffice.StateUnavailable:  "Not available",
}

func (s *Shop) eventView(ctx context.Context, v *boxoffice.View, lang language.Tag) eventPage {
	now := s.cfg.Clock.Now()
	ev := &v.Event
	p := eventPage{page: page{Title: ev.Name, Lang: lang.String()}, ID: ev.ID, Name: ev.Name, Venue: ev.Venue,
		When: locale.Time(ev.StartsAt, ev.TimeZone, lang), OnSale: ev.Status == boxoffice.OnSale && now.Before(ev.EndsAt),
		MaxPerOrder: ev.MaxTicketsPerHold, Nonce: nonce()}
	if s.cfg.Organizer != nil {
		if prof, err := s.cfg.Organizer(ctx, ev.OrganizerID); err == nil {
			p.Organizer = prof
			if prof.Logo != "" && s.cfg.Logo != nil {
				p.LogoURL = links.Logo(ev.OrganizerID, prof.Logo)
			}
		} else if !fault.Is(err, fault.NotFound) {
			s.cfg.Log.Warn("shop: the organizer's profile could not be read", "organizer", ev.OrganizerID, "err", err)
		}
	}
	switch {
	case ev.Status == boxoffice.Cancelled:
		p.Closed = "This event is cancelled."
	case ev.Status == boxoffice.SalesClosed:
		p.Closed = "Ticket sales for this event are closed."
	case !now.Before(ev.EndsAt):
		p.Closed = "This event has ended."
	case p.OnSale && s.holdsPaused(ctx, ev.ID) != nil:
		p.OnSale, p.Closed = false, pausedText
	}
	count := s.cfg.LowStockCount != nil && s.cfg.LowStockCount(ctx, ev.ID)
	for i := range v.TicketTypes {
		tv := &v.TicketTypes[i]
		state := v.State(tv, now)
		row := ticketTypeRow{ID: tv.ID, Name: tv.Name, Description: tv.Description, Price: price(tv.Price, lang),
			State: state, StateText: stateText[state]}
		if state == boxoffice.StateNotYetOnSale {
			row.From = locale.Time(tv.SalesStart, ev.TimeZone, lang)
		}
		if state == boxoffice.StateFewLeft && count {
			row.StateText = "Only " + strconv.Itoa(tv.Available) + " left"
		}
		if p.OnSale && (state == boxoffice.StateOnSale || state == boxoffice.StateFewLeft) {
			most := min(tv.MaxPerHold, tv.Available, ev.MaxTicketsPerHold)
			row.Options = []int{0}
			for n := tv.MinPerHold; n <= most; n++ {
				row.Options = append(row.Options, n)
			}
		}
		p.Types = append(p.Types, row)
	}
	return p
}

// pausedText is what the event's page says while its holds are paused.
const pausedText = "Ticket sales for this event are paused by its organizer. Please try again later."

// holdsPaused is PauseHolds' error for the event, or nil.
func (s *Shop) holdsPaused(ctx context.Context, eventID string) error {
	if s.cfg.PauseHolds == nil {
		return nil
	}
	return s.cfg.PauseHolds(ctx, eventID)
}

func nonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Shop) eventPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.publicView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.eventView(r.Context(), v, buyerLanguage(r))
	if r.URL.Query().Get("released") == "1" {
		p.Notice = "Your tickets were released. You can choose again."
	}
	s.render(w, r, "event", http.StatusOK, p)
}

// hold takes the chosen quantities and holds them, then sends the buyer to
// the checkout.
func (s *Shop) hold(w http.ResponseWriter, r *http.Request) {
	v, err := s.publicView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.problem(w, r, http.StatusBadRequest, "The form could not be read", "Go back and try again.")
		return
	}
	p := s.eventView(r.Context(), v, buyerLanguage(r))
	if p.Closed == pausedText {
		p.Notice = pausedText
		s.render(w, r, "event", http.StatusConflict, p)
		return
	}
	var items []boxoffice.Item
	for i := range p.Types {
		row := &p.Types[i]
		raw := r.PostForm.Get("qty." + row.ID)
		if raw == "" || raw == "0" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > boxoffice.MaxTicketsPerHoldLimit {
			row.Error = "Choose a number of tickets from the list."
			continue
		}
		row.Chosen = n
		if n > 0 {
			items = append(items, boxoffice.Item{TicketTypeID: row.ID, Quantity: n})
		}
	}
	if len(items) == 0 && len(p.Types) > 0 && !slices.ContainsFunc(p.Types, func(t ticketTypeRow) bool { return t.Error != "" }) {
		i := max(0, slices.IndexFunc(p.Types, func(t ticketTypeRow) bool { return len(t.Options) > 0 }))
		p.Types[i].Error = "Choose how many tickets you want."
	}
	if s.formErrors(&p) {
		s.render(w, r, "event", http.StatusUnprocessableEntity, p)
		return
	}
	var idem *boxoffice.IdemStamp
	if n := r.PostForm.Get("nonce"); len(n) == 32 {
		sum := sha256.Sum256([]byte(r.URL.Path + "\n" + r.PostForm.Encode()))
		idem = &boxoffice.IdemStamp{Scope: "shop", Key: n, Hash: hex.EncodeToString(sum[:])}
	}
	res, err := s.cfg.Offices.Do(r.Context(), v.Event.ID, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
		Items: items, Idem: idem, Client: s.clientKey(r, v.Event.ID)}, nil)
	if err == nil {
		see(w, r, links.Checkout(v.Event.ID, res.Ref))
		return
	}
	fe := fault.As(err)
	switch fault.KindOf(err) {
	case fault.SoldOut:
		for _, left := range fe.Available {
			for i := range p.Types {
				if p.Types[i].ID == left.TicketTypeID && p.Types[i].Chosen > int(left.Available) {
					p.Types[i].Error = onlyLeft(int(left.Available))
				}
			}
		}
		p = s.refresh(r, p)
	case fault.Invalid:
		for _, f := range fe.Fields {
			if i, ok := itemIndex(f.Field); ok && i < len(items) {
				for j := range p.Types {
					if p.Types[j].ID == items[i].TicketTypeID {
						p.Types[j].Error = sentence(f.Message)
					}
				}
			} else {
				p.Errors = append(p.Errors, field{ID: p.Types[0].InputID(), Message: sentence(f.Message)})
			}
		}
	case fault.Conflict, fault.NotFound:
		p = s.refresh(r, p)
		p.Notice = sentence(fe.Message)
		s.render(w, r, "event", http.StatusConflict, p)
		return
	default:
		s.fail(w, r, err)
		return
	}
	s.formErrors(&p)
	s.render(w, r, "event", http.StatusConflict, p)
}

// refresh shows the availability as it is now, keeping the buyer's choices
// and messages.
func (s *Shop) refresh(r *http.Request, p eventPage) eventPage {
	v, err := s.publicView(r)
	if err != nil {
		return p
	}
	fresh := s.eventView(r.Context(), v, buyerLanguage(r))
	for i := range fresh.Types {
		for _, old := range p.Types {
			if old.ID == fresh.Types[i].ID {
				fresh.Types[i].Chosen, fresh.Types[i].Error = old.Chosen, old.Error
			}
		}
	}
	fresh.Errors, fresh.Notice = p.Errors, p.Notice
	return fresh
}

// formErrors fills the error summary from the rows' messages and reports
// whether there are any.
func (s *Shop) formErrors(p *eventPage) bool {
	for _, t := range p.Types {
		if t.Error != "" {
			p.Errors = append(p.Errors, field{ID: t.InputID(), Message: t.Name + ": " + t.Error})
		}
	}
	if len(p.Errors) > 0 {
		p.Title = "Error: " + p.Name
	}
	return len(p.Errors) > 0
}

func onlyLeft(n int) string {
	switch n {
	case 0:
		return "Sold out while you were choosing."
	case 1:
		return "Only 1 ticket is left."
	}
	return "Only " + strconv.Itoa(n) + " tickets are left."
}

// itemIndex reads i from a JSON pointer "/items/i/…".
func itemIndex(pointer string) (int, bool) {
	rest, ok := strings.CutPrefix(pointer, "/items/")
	if !ok {
		return 0, false
	}
	n, _, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(n)
	return i, err == nil
}

// sentence makes a domain message read as a sentence.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
