package boxoffice

import "time"

// Status is an event's sales status.
type Status string

// The event statuses.
const (
	Draft       Status = "draft"
	OnSale      Status = "on_sale"
	SalesClosed Status = "sales_closed"
	Cancelled   Status = "cancelled"
)

// HoldStatus is where a hold is in its life.
type HoldStatus string

// The hold statuses.
const (
	Active   HoldStatus = "active"
	Released HoldStatus = "released"
	Expired  HoldStatus = "expired"
	// Converted: its order was paid; the capacity it held is sold.
	Converted HoldStatus = "converted"
)

// Money is an amount in the currency's minor units (cents for EUR).
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Event is the ticketed event's own details.
type Event struct {
	ID                string    `json:"id"`
	OrganizerID       string    `json:"organizer_id"`
	Name              string    `json:"name"`
	Venue             string    `json:"venue"`
	TimeZone          string    `json:"timezone"`
	StartsAt          time.Time `json:"starts_at"`
	EndsAt            time.Time `json:"ends_at"`
	Currency          string    `json:"currency"`
	Status            Status    `json:"status"`
	HoldTTLSeconds    int       `json:"hold_ttl_seconds"`
	MaxTicketsPerHold int       `json:"max_tickets_per_hold"`
	PaymentSettings
	BuyerLimits
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TicketType is something a buyer can hold: a price and per-hold limits,
// sold within an optional sales window.
type TicketType struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       Money     `json:"price"`
	MinPerHold  int       `json:"min_per_hold"`
	MaxPerHold  int       `json:"max_per_hold"`
	SalesStart  time.Time `json:"sales_start,omitzero"`
	SalesEnd    time.Time `json:"sales_end,omitzero"`
	// AttendeeNames: an order must name the person each ticket admits.
	AttendeeNames bool      `json:"attendee_names,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	quotas []*Quota // the quotas this ticket type belongs to, derived
	index  int      // its place in State.TicketTypes, derived
}

// Quota is a capacity pool over one or more ticket types. Every ticket held
// or sold of a member ticket type counts against it.
type Quota struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Capacity      int       `json:"capacity"`
	TicketTypeIDs []string  `json:"ticket_type_ids"`
	Held          int       `json:"held"`
	Sold          int       `json:"sold"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Available is what is left of the quota's capacity, never negative.
func (q *Quota) Available() int { return max(0, q.Capacity-q.Held-q.Sold) }

// Item is a quantity of one ticket type.
type Item struct {
	TicketTypeID string `json:"ticket_type_id"`
	Quantity     int    `json:"quantity"`
}

// Hold is capacity set aside for a buyer until it expires or is released.
// State.Hold makes one from what the box office keeps, its times in UTC.
type Hold struct {
	ID        string     `json:"id"`
	Items     []Item     `json:"items"`
	Quantity  int        `json:"quantity"`
	Status    HoldStatus `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   time.Time  `json:"ended_at,omitzero"`  // when released, expired or converted
	OrderID   string     `json:"order_id,omitempty"` // the order placed from it; it then lasts until the payment deadline
	Extended  int        `json:"extended,omitempty"` // how many times the buyer asked for more time
	Client    string     `json:"client,omitempty"`   // the opaque key of the client that made it; "" when exempt
}

// idemRecord remembers the outcome of a request made with an Idempotency-Key.
type idemRecord struct {
	Hash string    `json:"hash"`
	Ref  string    `json:"ref"`
	At   time.Time `json:"at"`
}

// State is everything the box office knows about one event. The zero value
// (via NewState) is an event that does not exist yet.
type State struct {
	Event       *Event
	TicketTypes []*TicketType // in creation order
	Quotas      []*Quota      // in creation order
	Orders      []*Order      // in creation order
	Keys        []*SigningKey // in creation order; the last one not retired signs new tickets
	Revoked     []string      // ids of revoked tickets, in order of revocation

	ticketTypes map[string]*TicketType
	quotas      map[string]*Quota
	idem        map[string]idemRecord // scope + "\x00" + key
	activeHolds int

	// The holds, in the order applied (holds.go): snapshots need no full
	// sort. Hold and HoldRef find them.
	holds     []holdRec
	holdIndex holdIndex             // hold id → its place in holds
	holdExtra map[uint32]*holdExtra // what few holds have, by place
	// The client keys of the holds, each once: index 0 is "".
	clientKeys  []string
	clientIndex map[string]uint32

	counts buyerCounts // for the buyer limits

	orders        map[string]*Order
	tokens        map[string]string // order link token → order id
	tickets       map[string]*Ticket
	paymentEvents map[string]bool // provider notifications already acted on

	door doorState // check-in lists, door devices, scans (checkin.go)
}

// NewState returns the state of an event that has not been created yet.
func NewState() *State {
	return &State{
		holdIndex:   newHoldIndex(0),
		holdExtra:   make(map[uint32]*holdExtra),
		clientKeys:  []string{""},
		clientIndex: make(map[string]uint32),
		ticketTypes: make(map[string]*TicketType),
		quotas:      make(map[string]*Quota),
		idem:        make(map[string]idemRecord),
		counts:      newBuyerCounts(),

		orders:        make(map[string]*Order),
		tokens:        make(map[string]string),
		tickets:       make(map[string]*Ticket),
		paymentEvents: make(map[string]bool),
		door:          newDoorState(),
	}
}

// TicketType returns the ticket type with the id, or nil.
func (s *State) TicketType(id string) *TicketType { return s.ticketTypes[id] }

// Quota returns the quota with the id, or nil.
func (s *State) Quota(id string) *Quota { return s.quotas[id] }

// ActiveHolds is the number of holds neither released nor expired.
func (s *State) ActiveHolds() int { return s.activeHolds }

// available is how many tickets of tt could be held now: the least of its
// quotas' remaining capacity, 0 when it belongs to no quota.
func (tt *TicketType) available() int {
	if len(tt.quotas) == 0 {
		return 0
	}
	n := tt.quotas[0].Available()
	for _, q := range tt.quotas[1:] {
		n = min(n, q.Available())
	}
	return n
}

// reindexQuotas rebuilds every ticket type's quota list.
func (s *State) reindexQuotas() {
	for _, tt := range s.TicketTypes {
		tt.quotas = tt.quotas[:0]
	}
	for _, q := range s.Quotas {
		for _, id := range q.TicketTypeIDs {
			if tt := s.ticketTypes[id]; tt != nil {
				tt.quotas = append(tt.quotas, q)
			}
		}
	}
}
