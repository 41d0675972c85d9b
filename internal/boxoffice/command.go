package boxoffice

import "time"

// Command asks the box office to change something. Organizer commands carry
// the organizer acting; public commands (holds) carry none.
type Command interface{ command() }

// Defaults and limits of the domain. The HTTP contract repeats them.
const (
	DefaultHoldTTLSeconds    = 600
	MinHoldTTLSeconds        = 60
	MaxHoldTTLSeconds        = 3600
	DefaultMaxTicketsPerHold = 10
	MaxTicketsPerHoldLimit   = 100
	MaxHoldItems             = 20
	MaxQuotaCapacity         = 10_000_000
	MaxQuotaTicketTypes      = 50
	MaxTicketTypes           = 200
	MaxQuotas                = 200
	MaxPriceAmount           = 1_000_000_000_000 // 10^12 minor units
	// IdemRetention is how long an Idempotency-Key is remembered.
	IdemRetention = 24 * time.Hour
)

// CreateEvent creates the event as a draft. EventID is chosen by the caller.
type CreateEvent struct {
	OrganizerID string
	EventID     string
	Currency    string
	Details     EventDetails // zero HoldTTLSeconds / MaxTicketsPerHold take the defaults
	Idem        *IdemStamp
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// EventPatch holds the event details to change; nil fields stay as they are.
type EventPatch struct {
	Name, Venue, TimeZone             *string
	StartsAt, EndsAt                  *time.Time
	HoldTTLSeconds, MaxTicketsPerHold *int

	PaymentProviders                                 []string // nil: unchanged
	PaymentWindowSeconds, ManualPaymentWindowSeconds *int
	ManualPaymentInstructions                        *string

	MaxHoldsPerClient, MaxUnpaidOrdersPerClient, MaxUnpaidOrdersPerEmail *int
}

// UpdateEvent changes some of the event's details.
type UpdateEvent struct {
	OrganizerID string
	Patch       EventPatch
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// ChangeStatus moves the event to another sales status.
type ChangeStatus struct {
	OrganizerID string
	Status      Status
	Idem        *IdemStamp
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// CreateTicketType adds a ticket type. TicketTypeID is chosen by the caller.
type CreateTicketType struct {
	OrganizerID  string
	TicketTypeID string
	Details      TicketTypeDetails
	Idem         *IdemStamp
	Actor        string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// TicketTypePatch holds the ticket type details to change; nil fields stay.
// A pointer to the zero time clears a sales window bound.
type TicketTypePatch struct {
	Name, Description      *string
	Price                  *Money
	MinPerHold, MaxPerHold *int
	SalesStart, SalesEnd   *time.Time
	AttendeeNames          *bool
}

// UpdateTicketType changes some of a ticket type's details.
type UpdateTicketType struct {
	OrganizerID  string
	TicketTypeID string
	Patch        TicketTypePatch
	Actor        string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// CreateQuota adds a capacity pool. QuotaID is chosen by the caller.
type CreateQuota struct {
	OrganizerID string
	QuotaID     string
	Details     QuotaDetails
	Idem        *IdemStamp
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// QuotaPatch holds the quota details to change; nil fields stay.
type QuotaPatch struct {
	Name          *string
	Capacity      *int
	TicketTypeIDs []string // nil: unchanged
}

// UpdateQuota changes some of a quota's details.
type UpdateQuota struct {
	OrganizerID string
	QuotaID     string
	Patch       QuotaPatch
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// CreateHold sets capacity aside for a buyer. HoldID is chosen by the caller
// and is the buyer's capability to see or release the hold.
type CreateHold struct {
	HoldID string
	Items  []Item
	Idem   *IdemStamp
	// Client is the opaque key of the client asking, for the buyer limits
	// (BuyerLimits); "" for a client exempt from them.
	Client string
}

// ExtendHold gives an active hold the event's hold time again, from now: the
// buyer asked for more time (WCAG 2.2.1). At most MaxHoldExtensions times.
type ExtendHold struct {
	HoldID string
}

// MaxHoldExtensions is how many times a hold can be extended.
const MaxHoldExtensions = 10

// ReleaseHold gives a hold's capacity back before it expires.
type ReleaseHold struct {
	HoldID string
}

func (*CreateEvent) command()      {}
func (*UpdateEvent) command()      {}
func (*ChangeStatus) command()     {}
func (*CreateTicketType) command() {}
func (*UpdateTicketType) command() {}
func (*CreateQuota) command()      {}
func (*UpdateQuota) command()      {}
func (*CreateHold) command()       {}
func (*ReleaseHold) command()      {}
func (*ExtendHold) command()       {}
