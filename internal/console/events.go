package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
)

// localLayout is how an <input type="datetime-local"> sends a time: in
// the event's zone, without one.
const localLayout = "2006-01-02T15:04"

// zoneOf is the time zone named tz (an event's), UTC when it names none.
func zoneOf(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// parseLocal reads the time an <input type="datetime-local"> sent, as a
// time in loc (the event's zone). Errors: the value is not such a time.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(localLayout, s, loc)
	return t.UTC(), err
}

// formatLocal is t as an <input type="datetime-local"> shows it, in loc
// (the event's zone); "" for the zero time (no time).
func formatLocal(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(localLayout)
}

type eventForm struct {
	page
	Action, Heading, Intro, Button                                 string // where the form posts, and its words
	Name, Venue, TimeZone, StartsAt, EndsAt, Currency, HoldMinutes string
	Card, Manual                                                   bool
	NewEvent                                                       bool              // the currency can be chosen only when the event is made
	Fields                                                         map[string]string // field id → its mistake
}

func newEventForm(m *who) eventForm {
	return eventForm{page: pageFor(m, "New event", "events"), Action: "/manage/events", Heading: "New event",
		Intro:  "It starts as a draft: add its ticket types and a quota on its page, then put it on sale.",
		Button: "Create the event", NewEvent: true, Fields: map[string]string{}}
}

func (k *Console) newEventPage(w http.ResponseWriter, r *http.Request, m *who) {
	f := newEventForm(m)
	f.TimeZone, f.Currency, f.HoldMinutes, f.Manual = "Europe/Berlin", "EUR", "10", true
	k.render(w, "newevent", http.StatusOK, f)
}

var eventFieldOrder = []string{"name", "venue", "timezone", "starts_at", "ends_at", "currency", "hold_minutes", "card"}

// readEventForm reads the event form into f and returns the details it
// gives, or false with f.Fields telling what is wrong.
func readEventForm(r *http.Request, f *eventForm) (boxoffice.EventDetails, bool) {
	f.Name, f.Venue = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("venue"))
	f.TimeZone = strings.TrimSpace(r.PostFormValue("timezone"))
	f.StartsAt, f.EndsAt = r.PostFormValue("starts_at"), r.PostFormValue("ends_at")
	if f.NewEvent {
		f.Currency = strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency")))
	}
	f.HoldMinutes = strings.TrimSpace(r.PostFormValue("hold_minutes"))
	f.Card, f.Manual = r.PostFormValue("card") != "", r.PostFormValue("manual") != ""
	if f.Name == "" {
		f.Fields["name"] = "Enter the event's name."
	}
	if _, ok := boxoffice.CurrencyDigits(f.Currency); !ok && f.NewEvent {
		f.Fields["currency"] = "Enter a currency's ISO code, such as EUR, USD or GBP."
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if f.TimeZone == "" || err != nil || f.TimeZone == "Local" {
		f.Fields["timezone"] = "Enter a time zone such as Europe/Berlin or America/New_York."
		loc = time.UTC
	}
	starts, err := parseLocal(f.StartsAt, loc)
	if err != nil {
		f.Fields["starts_at"] = "Enter when the event starts, as a date and a time."
	}
	ends, err := parseLocal(f.EndsAt, loc)
	if err != nil {
		f.Fields["ends_at"] = "Enter when the event ends, as a date and a time."
	}
	hold, err := strconv.Atoi(f.HoldMinutes)
	if err != nil || hold < 1 || hold > 60 {
		f.Fields["hold_minutes"] = "Enter how many minutes a buyer has to check out, from 1 to 60."
	}
	providers := []string{}
	if f.Card {
		providers = append(providers, boxoffice.ProviderStripe)
	}
	if f.Manual {
		providers = append(providers, boxoffice.ProviderManual)
	}
	return boxoffice.EventDetails{Name: f.Name, Venue: f.Venue, TimeZone: f.TimeZone, StartsAt: starts, EndsAt: ends,
		HoldTTLSeconds: hold * 60, PaymentSettings: boxoffice.PaymentSettings{PaymentProviders: providers}}, len(f.Fields) == 0
}

var eventRenames = map[string]string{"hold_ttl_seconds": "hold_minutes", "payment_providers": "card"}

// createEvent makes an event from the form. It starts as a draft: ticket
// types and quotas come next, on its page, and then the sale.
func (k *Console) createEvent(w http.ResponseWriter, r *http.Request, m *who) {
	f := newEventForm(m)
	if d, ok := readEventForm(r, &f); ok {
		evID, seq, err := k.cfg.CreateEvent(r.Context(), m.Actor, m.OrganizerID, f.Currency, d)
		if err == nil {
			if err := k.cfg.Read.WaitFor(r.Context(), seq); err != nil {
				k.fail(w, r, m, err)
				return
			}
			http.Redirect(w, r, links.ConsoleEvent(evID), http.StatusSeeOther)
			return
		}
		if !fieldMistakes(err, f.Fields, eventRenames) {
			k.fail(w, r, m, err)
			return
		}
	}
	f.Errors = summary(f.Fields, eventFieldOrder)
	k.render(w, "newevent", http.StatusUnprocessableEntity, f)
}

// editForm is the event form for changing the event.
func editForm(m *who, v *boxoffice.View) eventForm {
	ev := v.Event
	return eventForm{page: pageFor(m, "Change "+ev.Name, "events"), Action: links.ConsoleEvent(ev.ID),
		Heading: "Change the event", Button: "Save the changes", Currency: ev.Currency, Fields: map[string]string{},
		Intro: "Prices stay in " + ev.Currency + ". Buyers who already have tickets are not told of changes: tell them yourself."}
}

func (k *Console) editEventPage(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	ev := v.Event
	f := editForm(m, v)
	loc := zoneOf(ev.TimeZone)
	f.Name, f.Venue, f.TimeZone = ev.Name, ev.Venue, ev.TimeZone
	f.StartsAt, f.EndsAt = formatLocal(ev.StartsAt, loc), formatLocal(ev.EndsAt, loc)
	f.HoldMinutes = strconv.Itoa(ev.HoldTTLSeconds / 60)
	f.Card = slices.Contains(ev.PaymentProviders, boxoffice.ProviderStripe)
	f.Manual = slices.Contains(ev.PaymentProviders, boxoffice.ProviderManual)
	k.render(w, "newevent", http.StatusOK, f)
}

// updateEvent changes the event's details from the form.
func (k *Console) updateEvent(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	f := editForm(m, v)
	if d, ok := readEventForm(r, &f); ok {
		p := boxoffice.EventPatch{Name: &d.Name, Venue: &d.Venue, TimeZone: &d.TimeZone, StartsAt: &d.StartsAt, EndsAt: &d.EndsAt,
			HoldTTLSeconds: &d.HoldTTLSeconds, PaymentProviders: d.PaymentProviders}
		res, err := k.cfg.Offices.Do(r.Context(), v.Event.ID, &boxoffice.UpdateEvent{OrganizerID: m.OrganizerID, Patch: p, Actor: m.Actor.String()},
			func(*boxoffice.State, boxoffice.Decision) any { return nil })
		if err == nil {
			if err := k.cfg.Read.WaitFor(r.Context(), res.Seq); err != nil {
				k.fail(w, r, m, err)
				return
			}
			http.Redirect(w, r, links.ConsoleEvent(v.Event.ID), http.StatusSeeOther)
			return
		}
		if !fieldMistakes(err, f.Fields, eventRenames) {
			k.fail(w, r, m, err)
			return
		}
	}
	f.Errors = summary(f.Fields, eventFieldOrder)
	k.render(w, "newevent", http.StatusUnprocessableEntity, f)
}

// apiWords says the API's field names that the box office's messages
// name ("must be after sales_start") as the console's forms do.
var apiWords = strings.NewReplacer("starts_at", "the start", "ends_at", "the end", "sales_start", "the sales start",
	"sales_end", "the sales end", "min_per_hold", "the fewest per order", "max_per_hold", "the most per order")

// fieldMistakes copies the field errors of err (fields named as in the
// API: "/starts_at") into fields, by form field id (renamed by rename),
// and reports whether err was such an error.
func fieldMistakes(err error, fields map[string]string, rename map[string]string) bool {
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields) == 0 {
		return false
	}
	for _, e := range fe.Fields {
		name := strings.TrimPrefix(e.Field, "/")
		name, _, _ = strings.Cut(name, "/")
		if to, ok := rename[name]; ok {
			name = to
		}
		if _, ok := fields[name]; !ok {
			msg := apiWords.Replace(e.Message)
			if msg != "" {
				msg = strings.ToUpper(msg[:1]) + msg[1:]
			}
			fields[name] = strings.TrimSuffix(msg, ".") + "."
		}
	}
	return true
}

// summary is the error summary of the mistakes, in the form's order.
func summary(fields map[string]string, order []string) []field {
	var out []field
	for _, id := range order {
		if msg, ok := fields[id]; ok {
			out = append(out, field{ID: id, Message: msg})
		}
	}
	for id, msg := range fields { // a field the order forgot still shows
		found := false
		for _, o := range order {
			found = found || o == id
		}
		if !found {
			out = append(out, field{ID: order[0], Message: msg + " (" + id + ")"})
		}
	}
	return out
}

// eventCommand runs a change to the event from its dashboard, then shows
// the dashboard again, with notice or with the mistake.
func (k *Console) eventCommand(w http.ResponseWriter, r *http.Request, m *who, cmd boxoffice.Command, notice string) {
	evID := r.PathValue("event_id")
	if !id.ValidSharded(evID, "ev", id.Short) {
		k.fail(w, r, m, fault.New(fault.NotFound, "There is no such event in %s", m.OrganizerName))
		return
	}
	res, err := k.cfg.Offices.Do(r.Context(), evID, cmd, func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), res.Seq)
	}
	if err != nil {
		fields := map[string]string{}
		if fieldMistakes(err, fields, nil) {
			var msgs []string
			for _, msg := range fields {
				msgs = append(msgs, msg)
			}
			err = fault.New(fault.Invalid, "%s", strings.TrimSuffix(strings.Join(msgs, " "), "."))
		}
		if fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict) {
			k.eventPage(w, r, m, http.StatusUnprocessableEntity, "", fault.As(err).Message+".")
			return
		}
		k.fail(w, r, m, err)
		return
	}
	k.eventPage(w, r, m, http.StatusOK, notice, "")
}

var statusNotices = map[boxoffice.Status]string{
	boxoffice.OnSale: "The event is on sale.", boxoffice.SalesClosed: "Sales are closed.",
	boxoffice.Cancelled: "The event is cancelled.",
}

func (k *Console) changeStatus(w http.ResponseWriter, r *http.Request, m *who) {
	st := boxoffice.Status(r.PostFormValue("status"))
	if st == boxoffice.Cancelled && r.PostFormValue("confirm") == "" {
		k.eventPage(w, r, m, http.StatusUnprocessableEntity, "", "Tick \"Yes, for good\" to cancel the event: it cannot be undone.")
		return
	}
	k.eventCommand(w, r, m, &boxoffice.ChangeStatus{OrganizerID: m.OrganizerID, Status: st, Actor: m.Actor.String()}, statusNotices[st])
}

// parseAmount reads a price typed in the currency's major unit ("35",
// "35.50", "35,50") as minor units.
func parseAmount(s, currency string) (int64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	digits, ok := boxoffice.CurrencyDigits(currency)
	if !ok || s == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > digits || whole == "" && frac == "" {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || n > 1e12 {
		return 0, false
	}
	return n, true
}

// addForm runs the command of an add form (a ticket type, a quota) and
// shows the event again: with notice, or with the mistakes on the form's
// fields (the box office's, renamed to the form's field ids by rename) and
// what was typed.
func (k *Console) addForm(w http.ResponseWriter, r *http.Request, m *who, cmd boxoffice.Command, notice string,
	fields, values, rename map[string]string) {
	if len(fields) > 0 {
		k.eventPageWith(w, r, m, http.StatusUnprocessableEntity, "", "", fields, values)
		return
	}
	res, err := k.cfg.Offices.Do(r.Context(), r.PathValue("event_id"), cmd, func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), res.Seq)
	}
	if fieldMistakes(err, fields, rename) {
		k.eventPageWith(w, r, m, http.StatusUnprocessableEntity, "", "", fields, values)
		return
	}
	if fe := fault.As(err); fe != nil && (fe.Kind == fault.Invalid || fe.Kind == fault.Conflict) {
		k.eventPage(w, r, m, http.StatusUnprocessableEntity, "", fe.Message+".")
		return
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.eventPage(w, r, m, http.StatusOK, notice, "")
}

func (k *Console) addTicketType(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	values, fields := map[string]string{}, map[string]string{}
	d := readTicketType(r, v.Event, values, fields)
	k.addForm(w, r, m, &boxoffice.CreateTicketType{OrganizerID: m.OrganizerID, Actor: m.Actor.String(), TicketTypeID: id.New("tt", id.Short),
		Details: d}, "Ticket type "+d.Name+" added.", fields, values, ticketTypeRenames)
}

func (k *Console) addQuota(w http.ResponseWriter, r *http.Request, m *who) {
	if _, err := k.eventOf(r, m); err != nil {
		k.fail(w, r, m, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		k.fail(w, r, m, fault.New(fault.Invalid, "the form could not be read"))
		return
	}
	values := map[string]string{"quota-name": strings.TrimSpace(r.PostFormValue("quota-name")),
		"capacity": strings.TrimSpace(r.PostFormValue("capacity"))}
	fields := map[string]string{}
	capacity, err := strconv.Atoi(values["capacity"])
	if err != nil {
		fields["capacity"] = "Enter the capacity as a whole number of tickets, such as 500."
	}
	k.addForm(w, r, m, &boxoffice.CreateQuota{OrganizerID: m.OrganizerID, Actor: m.Actor.String(), QuotaID: id.New("qu", id.Short),
		Details: boxoffice.QuotaDetails{Name: values["quota-name"], Capacity: capacity, TicketTypeIDs: r.PostForm["ticket_type"]}},
		"Quota "+values["quota-name"]+" added.", fields, values, map[string]string{"name": "quota-name", "ticket_type_ids": "quota-types"})
}
