package baseline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Plan is the on-sale to set up: quotas and which quotas each ticket type
// counts against.
type Plan struct {
	Quotas      []Quota
	TicketTypes []TicketType
}

// Quota is a capacity pool: at most Capacity tickets of the ticket types
// that count against it may be held.
type Quota struct {
	ID       string
	Capacity int
}

// TicketType is what a buyer asks for; each ticket counts against every
// quota in QuotaIDs (one or more).
type TicketType struct {
	ID       string
	QuotaIDs []string
}

// Item is one line of a hold request.
type Item struct {
	TicketTypeID string `json:"ticket_type_id"`
	Quantity     int    `json:"quantity"`
}

var (
	// ErrSoldOut means some quota the hold counts against lacks room;
	// nothing was taken. Stores return it as a *SoldOutError, which says
	// what is left.
	ErrSoldOut = errors.New("sold out")
	// ErrInvalid means the hold lists no items, a ticket type the plan does
	// not have, or a quantity below 1; nothing was taken. Errors wrapping it
	// say which.
	ErrInvalid = errors.New("invalid hold")
)

// Store sells holds. The HTTP handler is the same for every store.
//
// Setup is called once, before any other method but Close. After it, Hold
// and Audit are safe for concurrent use; Audit is exact only while no Hold
// is in flight.
type Store interface {
	// Name names the design, such as "postgres".
	Name() string
	// Setup creates the tables or keys for this run, unique to this Store
	// value, and loads the plan's quotas with nothing sold.
	Setup(ctx context.Context, p Plan) error
	// Hold sets the items aside under holdID for ttl, all or nothing. It
	// returns ErrSoldOut, an error wrapping ErrInvalid, or another error
	// when the store could not be reached (the hold may then have been
	// taken or not).
	Hold(ctx context.Context, holdID string, items []Item, ttl time.Duration) error
	// Audit returns what the store has recorded, for the oversell audit.
	Audit(ctx context.Context) (Audit, error)
	// Available returns what is left now of every quota and ticket type,
	// in one cheap read, for buyers polling during an on-sale.
	Available(ctx context.Context) (Availability, error)
	// Close drops what Setup created and closes the store's connections.
	Close() error
}

// SoldOutError is ErrSoldOut with what is left, learnt in the hold's own
// round trip: Left lists requested ticket types, each with at most how many
// of its tickets could be held now. The memory store lists every requested
// type with the least of what its quotas have left; postgres and redis list
// the requested types that count against the quota that lacked room, with
// what is left of that quota (a bound: another of the type's quotas may
// have less).
type SoldOutError struct{ Left []Left }

// Left is what is left of one ticket type.
type Left struct {
	TicketTypeID string `json:"ticket_type_id"`
	Available    int    `json:"available"`
}

func (e *SoldOutError) Error() string { return "sold out" }

// Unwrap makes errors.Is(err, ErrSoldOut) hold.
func (e *SoldOutError) Unwrap() error { return ErrSoldOut }

// Availability is what is left of an on-sale: per ticket type (in plan
// order) the least of what its quotas have left, and per quota (in quota id
// order) its capacity minus what is held.
type Availability struct {
	TicketTypes []TypeAvailability
	Quotas      []QuotaAvailability
}

// TypeAvailability is what is left of a ticket type; Capacity is the least
// capacity of its quotas.
type TypeAvailability struct {
	ID                  string
	Available, Capacity int
}

// QuotaAvailability is what is left of a quota.
type QuotaAvailability struct {
	ID                  string
	Available, Capacity int
}

// Audit is what a store has recorded.
type Audit struct {
	Held  map[string]int // per quota id: the store's counter of tickets held
	Holds map[string]int // per hold id: the tickets recorded in that hold's row or key
}

// index is a Plan compiled for the hot path: the quotas in the one fixed
// order every store takes them in (sorted by id, so that two holds never
// wait for each other's locks in opposite orders), and for each ticket type
// the positions of its quotas in that order.
type index struct {
	quotas  []Quota          // sorted by ID
	types   map[string][]int // ticket type id → positions in quotas, ascending, no repeats
	typeIDs []string         // in plan order
}

func compile(p Plan) (*index, error) {
	x := &index{
		quotas: slices.Clone(p.Quotas),
		types:  make(map[string][]int, len(p.TicketTypes)),
	}
	slices.SortFunc(x.quotas, func(a, b Quota) int { return strings.Compare(a.ID, b.ID) })
	pos := make(map[string]int, len(x.quotas))
	for i, q := range x.quotas {
		if q.ID == "" {
			return nil, errors.New("baseline: plan: a quota has no id")
		}
		if _, dup := pos[q.ID]; dup {
			return nil, fmt.Errorf("baseline: plan: quota %q is listed twice", q.ID)
		}
		if q.Capacity < 0 {
			return nil, fmt.Errorf("baseline: plan: quota %q has a negative capacity", q.ID)
		}
		pos[q.ID] = i
	}
	for _, tt := range p.TicketTypes {
		if tt.ID == "" {
			return nil, errors.New("baseline: plan: a ticket type has no id")
		}
		if _, dup := x.types[tt.ID]; dup {
			return nil, fmt.Errorf("baseline: plan: ticket type %q is listed twice", tt.ID)
		}
		if len(tt.QuotaIDs) == 0 {
			return nil, fmt.Errorf("baseline: plan: ticket type %q counts against no quota", tt.ID)
		}
		var ps []int
		for _, qid := range tt.QuotaIDs {
			i, ok := pos[qid]
			if !ok {
				return nil, fmt.Errorf("baseline: plan: ticket type %q counts against unknown quota %q", tt.ID, qid)
			}
			ps = append(ps, i)
		}
		slices.Sort(ps)
		x.types[tt.ID] = slices.Compact(ps)
		x.typeIDs = append(x.typeIDs, tt.ID)
	}
	return x, nil
}

// take is how many tickets a hold takes from the quota at position q.
type take struct{ q, n int }

// takes appends to buf what items take from each quota, one entry per
// quota, in quota order, and returns it with the hold's number of tickets.
// The error wraps ErrInvalid.
func (x *index) takes(buf []take, items []Item) ([]take, int, error) {
	if len(items) == 0 {
		return nil, 0, fmt.Errorf("%w: no items", ErrInvalid)
	}
	total := 0
	for _, it := range items {
		qs, ok := x.types[it.TicketTypeID]
		if !ok {
			return nil, 0, fmt.Errorf("%w: unknown ticket type %q", ErrInvalid, it.TicketTypeID)
		}
		if it.Quantity < 1 {
			return nil, 0, fmt.Errorf("%w: quantity %d of %q is below 1", ErrInvalid, it.Quantity, it.TicketTypeID)
		}
		total += it.Quantity
		for _, q := range qs {
			// Insertion into a list of a few entries, kept sorted.
			i := 0
			for i < len(buf) && buf[i].q < q {
				i++
			}
			if i < len(buf) && buf[i].q == q {
				buf[i].n += it.Quantity
			} else {
				buf = slices.Insert(buf, i, take{q: q, n: it.Quantity})
			}
		}
	}
	return buf, total, nil
}

// soldOut is the error of a hold of items that found left tickets in the
// quota at position q: the items' ticket types that count against q have at
// most that many left.
func (x *index) soldOut(items []Item, q, left int) error {
	e := &SoldOutError{}
	for _, it := range items {
		if slices.Contains(x.types[it.TicketTypeID], q) {
			e.Left = append(e.Left, Left{TicketTypeID: it.TicketTypeID, Available: max(left, 0)})
		}
	}
	return e
}

// availability is what is left when held[i] tickets of the quota at
// position i are held.
func (x *index) availability(held []int) Availability {
	var a Availability
	for i, q := range x.quotas {
		a.Quotas = append(a.Quotas, QuotaAvailability{ID: q.ID, Available: max(q.Capacity-held[i], 0), Capacity: q.Capacity})
	}
	for _, id := range x.typeIDs {
		t := TypeAvailability{ID: id, Available: -1}
		for _, q := range x.types[id] {
			if t.Available < 0 || a.Quotas[q].Available < t.Available {
				t.Available = a.Quotas[q].Available
			}
			if t.Capacity == 0 || a.Quotas[q].Capacity < t.Capacity {
				t.Capacity = a.Quotas[q].Capacity
			}
		}
		a.TicketTypes = append(a.TicketTypes, t)
	}
	return a
}
