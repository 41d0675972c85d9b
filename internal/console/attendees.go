package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/sqlite"
)

// attendeesShown is how many tickets the attendees page lists; the CSV
// export has them all.
const attendeesShown = 500

type attendeeRow struct {
	Attendee, TicketType, Status, Buyer, OrderLink, TicketID string
}

type attendeesPage struct {
	page
	EventID, EventName string
	Query              string
	Attendees          []attendeeRow
	More               bool // more match than are shown
	CanExport          bool
}

var errEnough = errors.New("enough")

// attendees lists an event's tickets with whom they admit, oldest order
// first, found by attendee or buyer; at most attendeesShown.
func (k *Console) attendees(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p := attendeesPage{page: pageFor(m, "Attendees of "+v.Event.Name, "events"), EventID: v.Event.ID, EventName: v.Event.Name,
		Query: strings.TrimSpace(r.URL.Query().Get("q")), CanExport: access.Allow(m.Actor, m.OrganizerID, access.ExportOrders) == nil}
	q := strings.ToLower(p.Query)
	err = k.cfg.Read.ExportAttendees(r.Context(), v.Event.ID, func(a sqlite.AttendeeRow) error {
		if q != "" && !strings.Contains(strings.ToLower(a.Attendee+" "+a.BuyerName+" "+a.BuyerEmail), q) {
			return nil
		}
		if len(p.Attendees) == attendeesShown {
			p.More = true
			return errEnough
		}
		status := "Admits"
		if a.Status != string(boxoffice.TicketValid) {
			status = "Revoked"
		}
		p.Attendees = append(p.Attendees, attendeeRow{Attendee: a.Attendee, TicketType: a.TicketTypeName, Status: status,
			Buyer: a.BuyerName, OrderLink: links.ConsoleEvent(v.Event.ID) + "/orders/" + a.OrderID, TicketID: a.TicketID})
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "attendees", http.StatusOK, p)
}
