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
	Quota                               bool // a quota's form; else a ticket type's
	Currency                            string
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
		Values: map[string]string{}, Fields: map[string]string{}}
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
	p.Values["type-name"], p.Values["price"], p.Values["max_per_order"] = tt.Name, tt.Price.Decimal(), strconv.Itoa(tt.MaxPerHold)
	return v, p, nil
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
		name := strings.TrimSpace(r.PostFormValue("type-name"))
		priceText, maxText := strings.TrimSpace(r.PostFormValue("price")), strings.TrimSpace(r.PostFormValue("max_per_order"))
		p.Values["type-name"], p.Values["price"], p.Values["max_per_order"] = name, priceText, maxText
		amount, ok := parseAmount(priceText, v.Event.Currency)
		if !ok {
			p.Fields["price"] = "Enter the price as a number, such as 35 or 35.50 (0 for free tickets)."
		}
		maxPer, err := strconv.Atoi(maxText)
		if err != nil {
			p.Fields["max_per_order"] = "Enter how many tickets of this type one order may have at most, such as 10."
		}
		price := boxoffice.Money{Amount: amount, Currency: v.Event.Currency}
		cmd = &boxoffice.UpdateTicketType{OrganizerID: m.OrganizerID, TicketTypeID: r.PathValue("ticket_type_id"), Actor: m.Actor.String(),
			Patch: boxoffice.TicketTypePatch{Name: &name, Price: &price, MaxPerHold: &maxPer}}
		rename = map[string]string{"name": "type-name", "max_per_hold": "max_per_order", "min_per_hold": "max_per_order"}
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
				p.Fields["quota-name"] = fe.Message + "."
			} else {
				k.fail(w, r, m, err)
				return
			}
		}
	}
	p.Errors = summary(p.Fields, []string{"type-name", "price", "max_per_order", "quota-name", "capacity", "quota-types"})
	k.render(w, "catalog", http.StatusUnprocessableEntity, p)
}
