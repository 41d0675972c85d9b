package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
)

type typeOption struct {
	ID, Name string
	Checked  bool
}

// catalogPage is the form that changes one ticket type or one quota.
type catalogPage struct {
	page
	EventID, EventName, Action, Heading string
	Quota                               bool   // a quota's form; else a ticket type's
	Currency, TimeZone                  string // the event's
	Values, Fields                      map[string]string
	Types                               []typeOption // a quota's form: the ticket types it may hold
}

// catalogItem finds the ticket type or quota of the path in the event.
// Errors: NotFound.
func (k *Console) catalogItem(r *http.Request, m *who, quota bool) (*boxoffice.View, catalogPage, error) {
	v, err := k.eventOf(r, m)
	if err != nil {
		return nil, catalogPage{}, err
	}
	p := catalogPage{EventID: v.Event.ID, EventName: v.Event.Name, Quota: quota, Currency: v.Event.Currency,
		TimeZone: v.Event.TimeZone, Values: map[string]string{}, Fields: map[string]string{}}
	if quota {
		i := slices.IndexFunc(v.Quotas, func(q boxoffice.Quota) bool { return q.ID == r.PathValue("quota_id") })
		if i < 0 {
			return nil, catalogPage{}, fault.New(fault.NotFound, "There is no such quota in %s", v.Event.Name)
		}
		q := v.Quotas[i]
		p.page = pageFor(m, "Change quota "+q.Name, "events")
		p.Action, p.Heading = links.ConsoleEvent(v.Event.ID)+"/quotas/"+q.ID, "Change quota "+q.Name
		p.Values["quota-name"], p.Values["capacity"] = q.Name, strconv.Itoa(q.Capacity)
		for _, tt := range v.TicketTypes {
			p.Types = append(p.Types, typeOption{ID: tt.ID, Name: tt.Name, Checked: slices.Contains(q.TicketTypeIDs, tt.ID)})
		}
		return v, p, nil
	}
	i := slices.IndexFunc(v.TicketTypes, func(tt boxoffice.TicketTypeView) bool { return tt.ID == r.PathValue("ticket_type_id") })
	if i < 0 {
		return nil, catalogPage{}, fault.New(fault.NotFound, "There is no such ticket type in %s", v.Event.Name)
	}
	tt := v.TicketTypes[i]
	p.page = pageFor(m, "Change ticket type "+tt.Name, "events")
	p.Action, p.Heading = links.ConsoleEvent(v.Event.ID)+"/ticket-types/"+tt.ID, "Change ticket type "+tt.Name
	loc := zoneOf(v.Event.TimeZone)
	p.Values["type-name"], p.Values["type-description"], p.Values["price"] = tt.Name, tt.Description, tt.Price.Decimal()
	p.Values["min_per_order"], p.Values["max_per_order"] = strconv.Itoa(tt.MinPerHold), strconv.Itoa(tt.MaxPerHold)
	p.Values["sales_start"], p.Values["sales_end"] = formatLocal(tt.SalesStart, loc), formatLocal(tt.SalesEnd, loc)
	if tt.AttendeeNames {
		p.Values["attendee_names"] = "1"
	}
	return v, p, nil
}

// ticketTypeFields are the ids of the ticket type form's fields (the
// "ticket-type-fields" template, on the event's page to add one and on a
// ticket type's own page to change it), in the form's order.
var ticketTypeFields = []string{"type-name", "type-description", "price", "min_per_order", "max_per_order", "sales_start", "sales_end", "attendee_names"}

// catalogFields are the ids of the fields of the ticket type and quota
// forms, in the order their mistakes are summed up.
var catalogFields = append(slices.Clone(ticketTypeFields), "quota-name", "capacity", "quota-types")

// ticketTypeRenames are the ticket type form's field ids of the box
// office's ticket type fields (its field errors' "/min_per_hold").
var ticketTypeRenames = map[string]string{"name": "type-name", "description": "type-description",
	"min_per_hold": "min_per_order", "max_per_hold": "max_per_order"}

// readTicketType reads the ticket type form of r, for the event ev: what
// was typed goes into values and the mistakes into fields, by field id.
// The sales window's times are in the event's zone; an empty one is the
// zero time (no bound).
func readTicketType(r *http.Request, ev boxoffice.Event, values, fields map[string]string) boxoffice.TicketTypeDetails {
	for _, id := range ticketTypeFields {
		values[id] = strings.TrimSpace(r.PostFormValue(id))
	}
	d := boxoffice.TicketTypeDetails{Name: values["type-name"], Description: values["type-description"],
		AttendeeNames: values["attendee_names"] != ""}
	amount, ok := parseAmount(values["price"], ev.Currency)
	if !ok {
		fields["price"] = "Enter the price as a number, such as 35 or 35.50 (0 for free tickets)."
	}
	d.Price = boxoffice.Money{Amount: amount, Currency: ev.Currency}
	var err error
	d.MinPerHold = 1 // when left empty
	if s := values["min_per_order"]; s != "" {
		d.MinPerHold, err = strconv.Atoi(s)
	}
	if err != nil {
		fields["min_per_order"] = "Enter how many tickets of this type one order must have at least, such as 1."
	}
	if d.MaxPerHold, err = strconv.Atoi(values["max_per_order"]); err != nil {
		fields["max_per_order"] = "Enter how many tickets of this type one order may have at most, such as 10."
	}
	loc := zoneOf(ev.TimeZone)
	if s := values["sales_start"]; s != "" {
		if d.SalesStart, err = parseLocal(s, loc); err != nil {
			fields["sales_start"] = "Enter when sales start as a date and a time, or leave it empty."
		}
	}
	if s := values["sales_end"]; s != "" {
		if d.SalesEnd, err = parseLocal(s, loc); err != nil {
			fields["sales_end"] = "Enter when sales end as a date and a time, or leave it empty."
		}
	}
	return d
}

func (k *Console) editTicketType(w http.ResponseWriter, r *http.Request, m *who) {
	k.editCatalog(w, r, m, false)
}

func (k *Console) editQuota(w http.ResponseWriter, r *http.Request, m *who) {
	k.editCatalog(w, r, m, true)
}

func (k *Console) editCatalog(w http.ResponseWriter, r *http.Request, m *who, quota bool) {
	_, p, err := k.catalogItem(r, m, quota)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "catalog", http.StatusOK, p)
}

// saveCatalog changes the ticket type or the quota from its form, and goes
// back to the event's page.
func (k *Console) saveCatalog(w http.ResponseWriter, r *http.Request, m *who, quota bool) {
	v, p, err := k.catalogItem(r, m, quota)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		k.fail(w, r, m, fault.New(fault.Invalid, "the form could not be read"))
		return
	}
	var cmd boxoffice.Command
	var rename map[string]string
	if quota {
		name, capText := strings.TrimSpace(r.PostFormValue("quota-name")), strings.TrimSpace(r.PostFormValue("capacity"))
		p.Values["quota-name"], p.Values["capacity"] = name, capText
		chosen := r.PostForm["ticket_type"]
		for i := range p.Types {
			p.Types[i].Checked = slices.Contains(chosen, p.Types[i].ID)
		}
		capacity, err := strconv.Atoi(capText)
		if err != nil {
			p.Fields["capacity"] = "Enter the capacity as a whole number of tickets, such as 500."
		}
		if chosen == nil {
			chosen = []string{}
		}
		cmd = &boxoffice.UpdateQuota{OrganizerID: m.OrganizerID, QuotaID: r.PathValue("quota_id"), Actor: m.Actor.String(),
			Patch: boxoffice.QuotaPatch{Name: &name, Capacity: &capacity, TicketTypeIDs: chosen}}
		rename = map[string]string{"name": "quota-name", "ticket_type_ids": "quota-types"}
	} else {
		d := readTicketType(r, v.Event, p.Values, p.Fields)
		// Every detail is set, so an emptied sales bound (the zero time)
		// clears that bound.
		cmd = &boxoffice.UpdateTicketType{OrganizerID: m.OrganizerID, TicketTypeID: r.PathValue("ticket_type_id"), Actor: m.Actor.String(),
			Patch: boxoffice.TicketTypePatch{Name: &d.Name, Description: &d.Description, Price: &d.Price, MinPerHold: &d.MinPerHold,
				MaxPerHold: &d.MaxPerHold, SalesStart: &d.SalesStart, SalesEnd: &d.SalesEnd, AttendeeNames: &d.AttendeeNames}}
		rename = ticketTypeRenames
	}
	if len(p.Fields) == 0 {
		res, err := k.cfg.Offices.Do(r.Context(), v.Event.ID, cmd, func(*boxoffice.State, boxoffice.Decision) any { return nil })
		if err == nil {
			err = k.cfg.Read.WaitFor(r.Context(), res.Seq)
		}
		if err == nil {
			http.Redirect(w, r, links.ConsoleEvent(v.Event.ID), http.StatusSeeOther)
			return
		}
		if fe := fault.As(err); !fieldMistakes(err, p.Fields, rename) {
			if fe != nil && (fe.Kind == fault.Invalid || fe.Kind == fault.Conflict) {
				first := "type-name"
				if quota {
					first = "quota-name"
				}
				p.Fields[first] = fe.Message + "."
			} else {
				k.fail(w, r, m, err)
				return
			}
		}
	}
	p.Errors = summary(p.Fields, catalogFields)
	k.render(w, "catalog", http.StatusUnprocessableEntity, p)
}
