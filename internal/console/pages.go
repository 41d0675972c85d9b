package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/chart"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

func itoa(n int) string { return strconv.Itoa(n) }

// The console's words are English, so are its dates and amounts.
var english = language.English

// when is t in the zone named tz, with the zone, for people.
func when(t time.Time, tz string) string { return locale.Time(t, tz, english) }

var statusLabels = map[string]string{
	string(boxoffice.Draft): "Draft", string(boxoffice.OnSale): "On sale",
	string(boxoffice.SalesClosed): "Sales closed", string(boxoffice.Cancelled): "Cancelled",
}

type eventRow struct {
	Link, Name, Venue, When, Status string
}

type eventsPage struct {
	page
	Events []eventRow
	More   string // the next page's link, "" on the last
}

func (k *Console) events(w http.ResponseWriter, r *http.Request, m *who) {
	rows, next, err := k.cfg.Read.ListEvents(r.Context(), m.OrganizerID, "", 50, r.URL.Query().Get("after"))
	if fault.Is(err, fault.Invalid) { // a cursor from elsewhere: start over
		rows, next, err = k.cfg.Read.ListEvents(r.Context(), m.OrganizerID, "", 50, "")
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p := eventsPage{page: pageFor(m, "Events", "events")}
	for _, e := range rows {
		p.Events = append(p.Events, eventRow{Link: links.ConsoleEvent(e.ID), Name: e.Name, Venue: e.Venue,
			When: when(e.StartsAt, e.TimeZone), Status: statusLabels[e.Status]})
	}
	if next != "" {
		p.More = links.Console() + "?after=" + next
	}
	k.render(w, "events", http.StatusOK, p)
}

type quotaRow struct {
	ID                              string
	Name                            string
	Capacity, Sold, Held, Available int
	SoldPercent                     int
}

type ticketTypeRow struct {
	ID          string
	Name, Price string
	Available   int
	Quotas      string
}

type eventPage struct {
	page
	ID, Name, Venue, When, Status string
	Currency, TimeZone            string
	Problem                       string // what went wrong with the last change
	// The add forms' mistakes and what was typed, by field id, when the
	// last post of one had mistakes.
	Fields, Values map[string]string
	Manage         bool // whether the member may change the event
	StatusActions  []statusAction
	TypeOptions    []ticketTypeOption
	ShopLink       string
	Quotas         []quotaRow
	TicketTypes    []ticketTypeRow
	Sold, Capacity int
	UpdatedAt      string
	Chart          *chart.Chart // nil when the read model cannot say
}

// event is an event's dashboard: its numbers as the box office has them
// at this moment, not as the read model last heard them.
func (k *Console) event(w http.ResponseWriter, r *http.Request, m *who) {
	k.eventPage(w, r, m, http.StatusOK, "", "")
}

// statusAction is a change of status the dashboard offers.
type statusAction struct {
	Status, Label, Hint string
}

var statusActions = map[boxoffice.Status][]statusAction{
	boxoffice.Draft: {{string(boxoffice.OnSale), "Put on sale", "Buyers can buy from its page in the shop at once."},
		{string(boxoffice.Cancelled), "Cancel the event", "For good: it cannot be put on sale again."}},
	boxoffice.OnSale: {{string(boxoffice.SalesClosed), "Close sales", "No new holds or orders; you can open sales again."},
		{string(boxoffice.Cancelled), "Cancel the event", "For good: it cannot be put on sale again."}},
	boxoffice.SalesClosed: {{string(boxoffice.OnSale), "Open sales again", "Buyers can buy again."},
		{string(boxoffice.Cancelled), "Cancel the event", "For good: it cannot be put on sale again."}},
}

type ticketTypeOption struct {
	ID, Name string
}

// eventPage renders the dashboard with status, and a notice of what was
// just done or a problem with it.
func (k *Console) eventPage(w http.ResponseWriter, r *http.Request, m *who, status int, notice, problem string) {
	k.eventPageWith(w, r, m, status, notice, problem, nil, nil)
}

// eventPageWith is eventPage with the mistakes of an add form, by field
// id, and what was typed in it.
func (k *Console) eventPageWith(w http.ResponseWriter, r *http.Request, m *who, status int, notice, problem string, fields, values map[string]string) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	ev := v.Event
	p := eventPage{page: pageFor(m, ev.Name, "events"), ID: ev.ID, Name: ev.Name, Venue: ev.Venue,
		When: when(ev.StartsAt, ev.TimeZone), Status: statusLabels[string(ev.Status)],
		UpdatedAt: when(k.cfg.Clock.Now(), ev.TimeZone), Currency: ev.Currency, TimeZone: ev.TimeZone}
	p.Notice, p.Problem, p.Live = notice, problem, true
	if problem != "" {
		p.Errors = []field{{ID: "event-problem", Message: problem}}
	}
	if values == nil {
		values = map[string]string{}
	}
	if _, typed := values["min_per_order"]; !typed { // the add form's starting values
		values["min_per_order"], values["max_per_order"] = "1", "10"
	}
	p.Fields, p.Values = fields, values
	if len(fields) > 0 {
		p.Errors = summary(fields, catalogFields)
	}
	if ev.Status != boxoffice.Draft {
		p.ShopLink = links.Event(ev.ID)
	}
	if access.Allow(m.Actor, m.OrganizerID, access.ManageEvents) == nil {
		p.Manage = true
		p.StatusActions = statusActions[ev.Status]
	}
	for _, q := range v.Quotas {
		row := quotaRow{ID: q.ID, Name: q.Name, Capacity: q.Capacity, Sold: q.Sold, Held: q.Held, Available: q.Available()}
		if q.Capacity > 0 {
			row.SoldPercent = q.Sold * 100 / q.Capacity
		}
		p.Quotas = append(p.Quotas, row)
	}
	for _, tt := range v.TicketTypes {
		var in []string
		for _, q := range v.Quotas {
			if slices.Contains(q.TicketTypeIDs, tt.ID) {
				in = append(in, q.Name)
			}
		}
		p.TicketTypes = append(p.TicketTypes, ticketTypeRow{ID: tt.ID, Name: tt.Name, Price: locale.Money(tt.Price, english), Available: tt.Available,
			Quotas: strings.Join(in, ", ")})
		p.TypeOptions = append(p.TypeOptions, ticketTypeOption{ID: tt.ID, Name: tt.Name})
	}
	c, err := k.salesChart(r, ev)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p.Chart = c
	k.render(w, "event", status, p)
}

// salesChart is the event's paid tickets over time, from its creation to
// now, from the read model (which lags the box office by moments).
func (k *Console) salesChart(r *http.Request, ev boxoffice.Event) (*chart.Chart, error) {
	s, err := k.cfg.Read.EventSales(r.Context(), ev.ID)
	if fault.Is(err, fault.NotFound) { // not projected yet
		s, err = sqlite.EventSales{EventID: ev.ID, Currency: ev.Currency, TimeZone: ev.TimeZone}, nil
	}
	if err != nil {
		return nil, err
	}
	loc := zoneOf(ev.TimeZone)
	sales := make([]chart.Sale, len(s.Slots))
	for i, sl := range s.Slots {
		sales[i] = chart.Sale{At: sl.Start, Tickets: sl.Tickets, Amount: sl.Amount}
	}
	return chart.Build(sales, chart.Options{Location: loc, From: ev.CreatedAt, To: k.cfg.Clock.Now(),
		Amount: func(a int64) string { return locale.Money(boxoffice.Money{Amount: a, Currency: ev.Currency}, english) }})
}

type memberRow struct {
	ID, Name, Email, Role, RoleValue, Status string
	You                                      bool
	CanChange                                bool // whether the viewer may change or remove them
}

type roleOption struct {
	Value, Label string
	Selected     bool
}

type teamPage struct {
	page
	Members     []memberRow
	Roles       []roleOption // those the viewer may give
	InviteEmail string
	InviteRole  string
	EmailError  string
	// Invited is the link of the invitation just made, shown once to the
	// one who made it, to pass on.
	Invited, InvitedEmail string
}

func (k *Console) teamView(r *http.Request, m *who) (teamPage, error) {
	rows, err := k.cfg.Read.ListMembers(r.Context(), m.OrganizerID)
	if err != nil {
		return teamPage{}, err
	}
	p := teamPage{page: pageFor(m, "Team", "team"), InviteRole: string(access.Viewer)}
	manage := access.Allow(m.Actor, m.OrganizerID, access.ManageTeam) == nil
	for _, row := range rows {
		mr := memberRow{ID: row.ID, Name: row.Name, Email: row.Email, Role: row.Role.Label(), RoleValue: string(row.Role),
			Status: "Member", You: row.ID == m.ID}
		if row.JoinedAt.IsZero() {
			mr.Status = "Invited, until " + row.ExpiresAt.UTC().Format("2 Jan 2006")
			if !k.cfg.Clock.Now().Before(row.ExpiresAt) {
				mr.Status = "Invitation expired"
			}
		}
		if mr.Email == "" {
			mr.Email = "(not given yet)"
		}
		mr.CanChange = manage && access.MayGrant(m.Actor, row.Role) == nil
		p.Members = append(p.Members, mr)
	}
	for _, role := range access.Roles {
		if manage && access.MayGrant(m.Actor, role) == nil {
			p.Roles = append(p.Roles, roleOption{Value: string(role), Label: role.Label()})
		}
	}
	return p, nil
}

func (k *Console) team(w http.ResponseWriter, r *http.Request, m *who) {
	p, err := k.teamView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "team", http.StatusOK, p)
}

// invite makes an invitation and shows its link, once, to pass on.
func (k *Console) invite(w http.ResponseWriter, r *http.Request, m *who) {
	email, role := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	var inv organizer.Invitation
	var err error
	if email == "" { // the desk would make one that names no one, as the first owner's does
		err = fault.Fields(fault.FieldError{Field: "/email", Message: "must be an e-mail address such as ada@example.com"})
	} else {
		inv, err = k.cfg.Desk.Invite(r.Context(), m.Actor, m.OrganizerID, email, access.Role(role))
	}
	if err != nil && (fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict)) {
		p, verr := k.teamView(r, m)
		if verr != nil {
			k.fail(w, r, m, verr)
			return
		}
		p.InviteEmail, p.InviteRole = email, role
		p.EmailError = "Enter an e-mail address such as ada@example.com, and choose a role."
		if fault.Is(err, fault.Conflict) {
			p.EmailError = fault.As(err).Message + "."
		}
		p.Errors = []field{{ID: "invite-email", Message: p.EmailError}}
		k.render(w, "team", http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	if err := k.cfg.Read.WaitFor(r.Context(), inv.Seq); err != nil {
		k.fail(w, r, m, err)
		return
	}
	p, err := k.teamView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p.Invited, p.InvitedEmail = k.cfg.Links.URL(links.Invitation(inv.Token)), email
	p.Notice = "Invitation made for " + email + ": it is e-mailed to them, and its link is below (shown only now) to pass on yourself if need be. It works once, for 7 days."
	k.render(w, "team", http.StatusCreated, p)
}

func (k *Console) changeRole(w http.ResponseWriter, r *http.Request, m *who) {
	seq, err := k.cfg.Desk.ChangeRole(r.Context(), m.Actor, m.OrganizerID, r.PathValue("member_id"), access.Role(r.PostFormValue("role")))
	k.afterTeamChange(w, r, m, seq, err, "Role changed.")
}

func (k *Console) remove(w http.ResponseWriter, r *http.Request, m *who) {
	seq, err := k.cfg.Desk.RemoveMember(r.Context(), m.Actor, m.OrganizerID, r.PathValue("member_id"))
	k.afterTeamChange(w, r, m, seq, err, "Removed from the team.")
}

// afterTeamChange answers a change to the team: back to the team page
// with a notice, once this node's read model has it.
func (k *Console) afterTeamChange(w http.ResponseWriter, r *http.Request, m *who, seq uint64, err error, notice string) {
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), seq)
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p, err := k.teamView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	if _, err := k.who(r); err != nil { // removed themselves, or lost the right to see the team
		k.forget(w)
		http.Redirect(w, r, links.SignIn(), http.StatusSeeOther)
		return
	}
	p.Notice = notice
	k.render(w, "team", http.StatusOK, p)
}
