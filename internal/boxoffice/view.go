package boxoffice

import (
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// View is an immutable copy of what readers may see of an event: its
// details, ticket types with their availability, and quotas. The box office
// publishes a new one after every batch; any goroutine may read it.
type View struct {
	Event       Event
	TicketTypes []TicketTypeView
	Quotas      []Quota
	Keys        []SigningKey // the ticket signing keys, the current one last among those not retired
}

// TicketTypeView is a ticket type with what is left of it.
type TicketTypeView struct {
	TicketType
	Available int  // tickets that could be held now, capacity-wise
	Capacity  int  // the smallest capacity among its quotas; 0 when in none
	InQuota   bool // whether it belongs to any quota (else it cannot be sold)
}

// Availability states of a ticket type, as buyers see them.
const (
	StateOnSale       = "on_sale"
	StateFewLeft      = "few_left"
	StateSoldOut      = "sold_out"
	StateNotYetOnSale = "not_yet_on_sale"
	StateSalesEnded   = "sales_ended"
	StateUnavailable  = "unavailable"
)

// View returns an immutable copy of the readable state, or nil when the
// event does not exist.
func (s *State) View() *View {
	if s.Event == nil {
		return nil
	}
	v := &View{Event: *s.Event, TicketTypes: make([]TicketTypeView, len(s.TicketTypes)),
		Quotas: make([]Quota, len(s.Quotas))}
	for i, tt := range s.TicketTypes {
		c := *tt
		c.quotas, c.index = nil, 0
		tv := TicketTypeView{TicketType: c, Available: tt.available(), InQuota: len(tt.quotas) > 0}
		for j, q := range tt.quotas {
			if j == 0 || q.Capacity < tv.Capacity {
				tv.Capacity = q.Capacity
			}
		}
		v.TicketTypes[i] = tv
	}
	for _, k := range s.Keys {
		v.Keys = append(v.Keys, *k)
	}
	// The quotas' ticket type ids are copied into one array, each quota's
	// capped so that appending to it cannot overwrite the next one's.
	n := 0
	for _, q := range s.Quotas {
		n += len(q.TicketTypeIDs)
	}
	ids := make([]string, 0, n)
	for i, q := range s.Quotas {
		v.Quotas[i] = *q
		if q.TicketTypeIDs != nil {
			start := len(ids)
			ids = append(ids, q.TicketTypeIDs...)
			v.Quotas[i].TicketTypeIDs = ids[start:len(ids):len(ids)]
		}
	}
	return v
}

// State is the availability state of ticket type tv at time now.
func (v *View) State(tv *TicketTypeView, now time.Time) string {
	switch {
	case v.Event.Status != OnSale || !tv.InQuota:
		return StateUnavailable
	case !tv.SalesStart.IsZero() && now.Before(tv.SalesStart):
		return StateNotYetOnSale
	case !tv.SalesEnd.IsZero() && !now.Before(tv.SalesEnd), !now.Before(v.Event.EndsAt):
		return StateSalesEnded
	case tv.Available < tv.MinPerHold:
		return StateSoldOut
	case tv.Available*10 <= tv.Capacity:
		return StateFewLeft
	}
	return StateOnSale
}

// SoldOut returns the SoldOut error a hold of items would get when one of
// its ticket types has nothing left at all in this view, and nil otherwise
// (including when only the box office can tell: unknown ticket types, an
// event not on sale). It lets the sold-out answer skip the box office queue;
// the view lags the box office by at most one batch.
func (v *View) SoldOut(items []Item) error {
	if v.Event.Status != OnSale {
		return nil
	}
	// Most holds of an on-sale find tickets left: they allocate nothing.
	soldOut := false
	for _, it := range items {
		tv := v.TicketType(it.TicketTypeID)
		if tv == nil || !tv.InQuota {
			return nil
		}
		soldOut = soldOut || tv.Available == 0
	}
	if !soldOut {
		return nil
	}
	left := make([]fault.Left, len(items))
	for i, it := range items {
		tv := v.TicketType(it.TicketTypeID)
		left[i] = fault.Left{TicketTypeID: tv.ID, Available: int64(tv.Available)}
	}
	return soldOutError(left)
}

// CurrentKey returns the key new tickets are signed with, or nil.
func (v *View) CurrentKey() *SigningKey {
	for i := len(v.Keys) - 1; i >= 0; i-- {
		if v.Keys[i].RetiredAt.IsZero() {
			return &v.Keys[i]
		}
	}
	return nil
}

// TicketType returns the view of a ticket type, or nil.
func (v *View) TicketType(id string) *TicketTypeView {
	for i := range v.TicketTypes {
		if v.TicketTypes[i].ID == id {
			return &v.TicketTypes[i]
		}
	}
	return nil
}

// Quota returns a quota's view, or nil.
func (v *View) Quota(id string) *Quota {
	for i := range v.Quotas {
		if v.Quotas[i].ID == id {
			return &v.Quotas[i]
		}
	}
	return nil
}
