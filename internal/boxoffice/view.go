package boxoffice

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
		c.quotas = nil
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
	soldOut := false
	left := make([]fault.Left, len(items))
	for i, it := range items {
		tv := v.TicketType(it.TicketTypeID)
		if tv == nil || !tv.InQuota {
			return nil
		}
		left[i] = fault.Left{TicketTypeID: tv.ID, Available: int64(tv.Available)}
		soldOut = soldOut || tv.Available == 0
	}
	if !soldOut {
		return nil
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

// snapshot is the serialized form of a State.
type snapshot struct {
	snapshotHead
	Holds []*Hold               `json:"holds"`
	Idem  map[string]idemRecord `json:"idem"`
}

// snapshotHead is the part of a snapshot that does not grow with the holds.
type snapshotHead struct {
	Version     int           `json:"v"`
	Event       *Event        `json:"event"`
	TicketTypes []*TicketType `json:"ticket_types"`
	Quotas      []*Quota      `json:"quotas"`
	// Orders and what hangs off them. Encoded with encoding/json: they
	// grow far slower than holds.
	Orders        []*Order      `json:"orders,omitempty"`
	Tickets       []*Ticket     `json:"tickets,omitempty"` // in their orders' order
	Keys          []*SigningKey `json:"keys,omitempty"`
	Revoked       []string      `json:"revoked,omitempty"`
	PaymentEvents []string      `json:"payment_events,omitempty"` // sorted
}

// snapshot returns s in its serialized form, the holds in a deterministic
// order.
func (s *State) snapshot() *snapshot {
	snap := &snapshot{snapshotHead: snapshotHead{Version: 1, Event: s.Event, TicketTypes: s.TicketTypes, Quotas: s.Quotas,
		Orders: s.Orders, Keys: s.Keys, Revoked: s.Revoked}, Idem: s.idem}
	for _, o := range s.Orders {
		for _, id := range o.TicketIDs {
			snap.Tickets = append(snap.Tickets, s.tickets[id])
		}
	}
	for ref := range s.paymentEvents {
		snap.PaymentEvents = append(snap.PaymentEvents, ref)
	}
	slices.Sort(snap.PaymentEvents)
	snap.Holds = s.holdsByCreation()
	return snap
}

// holdsByCreation returns every hold ordered by creation time, then id.
// Holds are applied in that order but for the ids within a batch, so it
// sorts each batch's run by id; only when the clock went backwards, or
// Holds was changed behind Apply's back, does it sort them all.
func (s *State) holdsByCreation() []*Hold {
	byTime := func(a, b *Hold) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	if len(s.created) == len(s.Holds) {
		holds := slices.Clone(s.created)
		inOrder := true
		for i := 0; i < len(holds) && inOrder; {
			j := i + 1
			for j < len(holds) && holds[j].CreatedAt.Equal(holds[i].CreatedAt) {
				j++
			}
			slices.SortFunc(holds[i:j], func(a, b *Hold) int { return strings.Compare(a.ID, b.ID) })
			inOrder = i == 0 || holds[i-1].CreatedAt.Before(holds[i].CreatedAt)
			i = j
		}
		if inOrder {
			return holds
		}
	}
	holds := make([]*Hold, 0, len(s.Holds))
	for _, h := range s.Holds {
		holds = append(holds, h)
	}
	slices.SortFunc(holds, byTime)
	return holds
}

// MarshalSnapshot encodes the whole state, for recovery without replaying
// the event's full history.
func (s *State) MarshalSnapshot() ([]byte, error) { return s.AppendSnapshot(nil) }

// AppendSnapshot appends MarshalSnapshot's encoding to prefix, in one
// allocation: a snapshot can be tens of megabytes.
func (s *State) AppendSnapshot(prefix []byte) ([]byte, error) {
	snap := s.snapshot()
	if b, ok := snap.marshal(prefix); ok {
		return b, nil
	}
	b, err := json.Marshal(snap) // for its error: the fast path refuses only what it refuses
	if err != nil {
		return nil, err
	}
	return append(prefix, b...), nil
}

// UnmarshalSnapshot decodes a state written by MarshalSnapshot.
func UnmarshalSnapshot(data []byte) (*State, error) {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("boxoffice: decode snapshot: %w", err)
	}
	if snap.Version != 1 {
		return nil, fmt.Errorf("boxoffice: snapshot version %d not understood", snap.Version)
	}
	s := NewState()
	s.Event, s.TicketTypes, s.Quotas = snap.Event, snap.TicketTypes, snap.Quotas
	for _, tt := range s.TicketTypes {
		s.ticketTypes[tt.ID] = tt
	}
	for _, q := range s.Quotas {
		s.quotas[q.ID] = q
	}
	for _, h := range snap.Holds {
		s.Holds[h.ID] = h
		s.created = append(s.created, h)
		if h.Status == Active {
			s.activeHolds++
		}
	}
	if snap.Idem != nil {
		s.idem = snap.Idem
	}
	s.Orders, s.Keys, s.Revoked = snap.Orders, snap.Keys, snap.Revoked
	for _, o := range s.Orders {
		s.orders[o.ID] = o
		if o.Token != "" {
			s.tokens[o.Token] = o.ID
		}
	}
	for _, t := range snap.Tickets {
		s.tickets[t.ID] = t
	}
	for _, ref := range snap.PaymentEvents {
		s.paymentEvents[ref] = true
	}
	s.reindexQuotas()
	s.recount()
	return s, nil
}
