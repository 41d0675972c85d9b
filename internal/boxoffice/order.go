package boxoffice

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
)

// Payment providers. An event lists those its buyers may use; free is used,
// alone, for orders whose total is zero.
const (
	ProviderFree   = "free"
	ProviderManual = "manual" // bank transfer, pay at the door: the organizer marks the order paid
	ProviderStripe = "stripe"
)

// ReasonNotPaid is why an order expired: OrderExpired carries no reason.
const ReasonNotPaid = "not paid in time"

// Defaults and limits of orders.
const (
	DefaultPaymentWindowSeconds       = 15 * 60
	MinPaymentWindowSeconds           = 60
	MaxPaymentWindowSeconds           = 24 * 3600
	DefaultManualPaymentWindowSeconds = 24 * 3600 // for new events
	// legacyManualPaymentWindowSeconds is what an event entry without the
	// manual window means: the default when it was written. New events'
	// entries carry their window, so a replay never takes the new default.
	legacyManualPaymentWindowSeconds = 3 * 24 * 3600
	MaxManualPaymentWindowSeconds    = 60 * 24 * 3600
	MaxPaymentsPerOrder              = 20 // payments, refunds: an order's history is bounded
)

// OrderStatus is where an order is in its life.
type OrderStatus string

// The order statuses: pending payment → paid → cancelled or refunded (a
// partial refund leaves it paid); pending payment → expired or cancelled.
const (
	StatusPendingPayment OrderStatus = "pending_payment"
	StatusPaid           OrderStatus = "paid"
	StatusExpired        OrderStatus = "expired"
	StatusCancelled      OrderStatus = "cancelled"
	StatusRefunded       OrderStatus = "refunded"
)

// Buyer is who placed an order; tickets and e-mails go to them.
type Buyer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// OrderLine is what an order charges for one ticket type.
type OrderLine struct {
	TicketTypeID string `json:"ticket_type_id"`
	Name         string `json:"name"` // the ticket type's name when ordered
	Quantity     int    `json:"quantity"`
	UnitPrice    Money  `json:"unit_price"`
	Amount       Money  `json:"amount"`
}

// Payment is money received for an order.
type Payment struct {
	Provider   string    `json:"provider"`
	Ref        string    `json:"ref,omitempty"` // the provider's id: a Stripe PaymentIntent
	Amount     Money     `json:"amount"`
	ReceivedAt time.Time `json:"received_at"`
	Kept       bool      `json:"kept"` // false: it came too late or for a cancelled order and is refunded
}

// RefundStatus is where a refund is: pending while the provider has yet to
// pay it back, then succeeded or failed.
type RefundStatus string

// The refund statuses.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund is money owed back to the buyer, and whether it went out.
type Refund struct {
	ID          string       `json:"id"`
	Amount      Money        `json:"amount"`
	TicketIDs   []string     `json:"ticket_ids,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Provider    string       `json:"provider"`
	PaymentRef  string       `json:"payment_ref,omitempty"` // the payment it pays back
	Status      RefundStatus `json:"status"`
	ProviderRef string       `json:"provider_ref,omitempty"`
	Message     string       `json:"message,omitempty"` // why it failed
	CreatedAt   time.Time    `json:"created_at"`
	SettledAt   time.Time    `json:"settled_at,omitzero"`
}

// Order is a buyer's purchase of a hold's tickets.
type Order struct {
	ID              string      `json:"id"`
	HoldID          string      `json:"hold_id"`
	Token           string      `json:"token"` // the buyer's secret order link
	Buyer           Buyer       `json:"buyer"`
	Client          string      `json:"client,omitempty"`    // the opaque key of the client that placed it; "" when exempt
	Attendees       []string    `json:"attendees,omitempty"` // one name per ticket, in line order; may be empty
	Lines           []OrderLine `json:"lines"`
	Total           Money       `json:"total"`
	Provider        string      `json:"provider"`
	Status          OrderStatus `json:"status"`
	CreatedAt       time.Time   `json:"created_at"`
	PayBy           time.Time   `json:"pay_by"`
	PaidAt          time.Time   `json:"paid_at,omitzero"`
	EndedAt         time.Time   `json:"ended_at,omitzero"` // expired, cancelled or fully refunded
	Reason          string      `json:"reason,omitempty"`  // why it ended
	PaymentIntentID string      `json:"payment_intent_id,omitempty"`
	ClientSecret    string      `json:"client_secret,omitempty"` // from PaymentStarted, for the buyer's link only
	Payments        []Payment   `json:"payments,omitempty"`
	Refunds         []Refund    `json:"refunds,omitempty"`
	TicketIDs       []string    `json:"ticket_ids,omitempty"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// Quantity is the number of tickets the order is for.
func (o *Order) Quantity() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Quantity
	}
	return n
}

// Refunded is the sum of the order's refunds that did not fail.
func (o *Order) Refunded() int64 {
	var n int64
	for _, r := range o.Refunds {
		if r.Status != RefundFailed {
			n += r.Amount.Amount
		}
	}
	return n
}

// TicketStatus says whether a ticket admits.
type TicketStatus string

// The ticket statuses.
const (
	TicketValid   TicketStatus = "valid"
	TicketRevoked TicketStatus = "revoked"
)

// Ticket is one admission, issued when its order is paid.
type Ticket struct {
	ID           string       `json:"id"`
	OrderID      string       `json:"order_id"`
	TicketTypeID string       `json:"ticket_type_id"`
	Attendee     string       `json:"attendee,omitempty"`
	Price        Money        `json:"price"`
	Status       TicketStatus `json:"status"`
	IssuedAt     time.Time    `json:"issued_at"`
	RevokedAt    time.Time    `json:"revoked_at,omitzero"`
}

// SigningKey is the public half of a key that signs the event's tickets.
// The private half never enters the ledger.
type SigningKey struct {
	ID        string    `json:"id"`         // hex of the first 4 bytes of SHA-256(public key)
	PublicKey []byte    `json:"public_key"` // Ed25519, 32 bytes
	AddedAt   time.Time `json:"added_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// IssuedTicket is a ticket as an OrderPaid entry issues it.
type IssuedTicket struct {
	TicketID     string `json:"ticket_id"`
	TicketTypeID string `json:"ticket_type_id"`
	Attendee     string `json:"attendee,omitempty"`
	Price        Money  `json:"price"`
}

// Commands about orders.

// PlaceOrder turns an active hold into an order awaiting payment, extending
// the hold to the payment deadline; an order whose total is zero is paid at
// once and its tickets issued. OrderID and Token are chosen by the caller.
type PlaceOrder struct {
	OrderID   string
	HoldID    string
	Token     string
	Buyer     Buyer
	Attendees []string // empty, or one name per ticket in the hold's item order
	Provider  string   // "" picks the event's only provider, or free for a zero total
	Idem      *IdemStamp
	Client    string // the opaque key of the client asking, for the buyer limits; "" when exempt
}

// RecordPayment says money arrived for an order: from the organizer for a
// manual payment (OrganizerID set), or from a provider (a Stripe
// PaymentIntent that succeeded). A payment recorded twice changes nothing.
// RefundID names the refund, if the payment cannot be kept.
type RecordPayment struct {
	OrderID     string
	OrganizerID string // manual payments only
	Provider    string
	Ref         string // the provider's payment id; required but for manual
	EventRef    string // the provider's notification id (a Stripe event), remembered to drop duplicates
	Amount      Money  // for a manual payment, the zero Money means the order's total
	Actor       string // who marked a manual payment paid ("member:…", "token:…"); "" for a provider's

	RefundID string
}

// payer is who the entries of the payment record as its actor: who marked
// it paid, else its provider.
func (c *RecordPayment) payer() string {
	if c.Actor != "" {
		return c.Actor
	}
	return access.ProviderActor(c.Provider)
}

// StartPayment records the provider's payment object made for the order
// (a Stripe PaymentIntent), so it is never made twice.
type StartPayment struct {
	OrderID         string
	PaymentIntentID string
	// ClientSecret is what the buyer's browser pays the PaymentIntent
	// with (Stripe.js); "" if the provider has none.
	ClientSecret string
}

// CancelOrder voids an order: a pending one's hold is released; a paid one's
// tickets are revoked, its capacity freed and its kept payments refunded
// under RefundID.
type CancelOrder struct {
	OrganizerID string
	OrderID     string
	Reason      string
	RefundID    string
	Idem        *IdemStamp
	Actor       string // who cancels ("member:…", "token:…", "system")
}

// RefundOrder refunds some or all tickets of a paid order: they are revoked
// and their capacity freed. No TicketIDs means every valid ticket.
type RefundOrder struct {
	OrganizerID string
	OrderID     string
	TicketIDs   []string
	Reason      string
	RefundID    string
	Idem        *IdemStamp
	Actor       string // who refunds ("member:…", "token:…", "system")
}

// SettleRefund records what the provider did with a pending refund.
type SettleRefund struct {
	OrderID     string
	RefundID    string
	ProviderRef string
	Failed      bool
	Message     string
}

// AddSigningKey adds a key to sign the event's tickets from now on; the
// earlier keys still verify until retired.
type AddSigningKey struct {
	OrganizerID string
	PublicKey   []byte
	Idem        *IdemStamp
	// First: the event's first key, made when a ticket is first signed.
	// When the event has a key by then (another first signing won the
	// race), nothing is added and Ref is that key's id.
	First bool
	Actor string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// RetireSigningKey stops a key from verifying. The current key cannot be
// retired: add another first.
type RetireSigningKey struct {
	OrganizerID string
	KeyID       string
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

func (*PlaceOrder) command()       {}
func (*RecordPayment) command()    {}
func (*StartPayment) command()     {}
func (*CancelOrder) command()      {}
func (*RefundOrder) command()      {}
func (*SettleRefund) command()     {}
func (*AddSigningKey) command()    {}
func (*RetireSigningKey) command() {}

// Entries about orders.

// OrderPlaced: a hold became an order awaiting payment until PayBy; the hold
// lasts until then.
type OrderPlaced struct {
	OrderID   string      `json:"order_id"`
	HoldID    string      `json:"hold_id"`
	Token     string      `json:"token"`
	Buyer     Buyer       `json:"buyer"`
	Attendees []string    `json:"attendees,omitempty"`
	Lines     []OrderLine `json:"lines"`
	Total     Money       `json:"total"`
	Provider  string      `json:"provider"`
	PayBy     time.Time   `json:"pay_by"`
	Idem      *IdemStamp  `json:"idempotency,omitempty"`
	Client    string      `json:"client,omitempty"` // the opaque key of the client that asked; "" when exempt
	Actor     string      `json:"actor,omitempty"`  // "buyer"; "" before actors were recorded
}

// OrderPaid: the order is paid and its tickets issued; its capacity moves
// from held to sold. Retaken: the hold had expired and the capacity was
// taken again.
type OrderPaid struct {
	OrderID  string         `json:"order_id"`
	Payment  Payment        `json:"payment"`
	EventRef string         `json:"event_ref,omitempty"`
	Retaken  bool           `json:"retaken,omitempty"`
	Tickets  []IssuedTicket `json:"tickets"`
	Actor    string         `json:"actor,omitempty"` // who paid or marked it paid ("member:…", "token:…", "provider:stripe", "buyer" for free tickets); "" before actors were recorded
}

// PaymentRejected: money arrived that the order cannot keep (it expired and
// its seats are gone, or it was cancelled); it is refunded.
type PaymentRejected struct {
	OrderID  string  `json:"order_id"`
	Payment  Payment `json:"payment"`
	EventRef string  `json:"event_ref,omitempty"`
	Reason   string  `json:"reason"`
	Refund   Refund  `json:"refund"`
	Actor    string  `json:"actor,omitempty"` // who sent the money ("provider:stripe", "member:…"); "" before actors were recorded
}

// PaymentStarted: the provider's payment object for the order exists.
type PaymentStarted struct {
	OrderID         string `json:"order_id"`
	PaymentIntentID string `json:"payment_intent_id"`
	ClientSecret    string `json:"client_secret,omitempty"` // absent in entries written before admit kept it
	Actor           string `json:"actor,omitempty"`         // "system", its payments worker; "" before actors were recorded
}

// OrderExpired: the order was not paid in time; its hold expired with it.
type OrderExpired struct {
	OrderID string `json:"order_id"`
	HoldID  string `json:"hold_id"`
	Actor   string `json:"actor,omitempty"` // "system"; "" before actors were recorded
}

// OrderCancelled: the order is void; its hold released or its tickets
// revoked, and Refund (if any) owed.
type OrderCancelled struct {
	OrderID string     `json:"order_id"`
	Reason  string     `json:"reason,omitempty"`
	Revoked []string   `json:"revoked,omitempty"`
	Refund  *Refund    `json:"refund,omitempty"`
	Idem    *IdemStamp `json:"idempotency,omitempty"`
	Actor   string     `json:"actor,omitempty"` // who cancelled it; "" before actors were recorded
}

// OrderRefunded: tickets of a paid order were refunded and revoked.
type OrderRefunded struct {
	OrderID string     `json:"order_id"`
	Refund  Refund     `json:"refund"`
	Idem    *IdemStamp `json:"idempotency,omitempty"`
	Actor   string     `json:"actor,omitempty"` // who refunded; "" before actors were recorded
}

// RefundSettled: the provider paid a refund back, or failed to.
type RefundSettled struct {
	OrderID     string `json:"order_id"`
	RefundID    string `json:"refund_id"`
	ProviderRef string `json:"provider_ref,omitempty"`
	Failed      bool   `json:"failed,omitempty"`
	Message     string `json:"message,omitempty"`
	Actor       string `json:"actor,omitempty"` // the provider that answered ("provider:stripe"); "" before actors were recorded
}

// SigningKeyAdded: tickets are signed with this key from now on.
type SigningKeyAdded struct {
	KeyID     string     `json:"key_id"`
	PublicKey []byte     `json:"public_key"`
	Idem      *IdemStamp `json:"idempotency,omitempty"`
	Actor     string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// SigningKeyRetired: the key no longer verifies tickets.
type SigningKeyRetired struct {
	KeyID string `json:"key_id"`
	Actor string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

func (*OrderPlaced) Type() string       { return "admit.order.placed.v1" }
func (*OrderPaid) Type() string         { return "admit.order.paid.v1" }
func (*PaymentRejected) Type() string   { return "admit.order.payment_rejected.v1" }
func (*PaymentStarted) Type() string    { return "admit.order.payment_started.v1" }
func (*OrderExpired) Type() string      { return "admit.order.expired.v1" }
func (*OrderCancelled) Type() string    { return "admit.order.cancelled.v1" }
func (*OrderRefunded) Type() string     { return "admit.order.refunded.v1" }
func (*RefundSettled) Type() string     { return "admit.order.refund_settled.v1" }
func (*SigningKeyAdded) Type() string   { return "admit.signing_key.added.v1" }
func (*SigningKeyRetired) Type() string { return "admit.signing_key.retired.v1" }

func (e *OrderPlaced) Subject() string       { return "orders/" + e.OrderID }
func (e *OrderPaid) Subject() string         { return "orders/" + e.OrderID }
func (e *PaymentRejected) Subject() string   { return "orders/" + e.OrderID }
func (e *PaymentStarted) Subject() string    { return "orders/" + e.OrderID }
func (e *OrderExpired) Subject() string      { return "orders/" + e.OrderID }
func (e *OrderCancelled) Subject() string    { return "orders/" + e.OrderID }
func (e *OrderRefunded) Subject() string     { return "orders/" + e.OrderID }
func (e *RefundSettled) Subject() string     { return "orders/" + e.OrderID }
func (e *SigningKeyAdded) Subject() string   { return "signing-keys/" + e.KeyID }
func (e *SigningKeyRetired) Subject() string { return "signing-keys/" + e.KeyID }

// Order returns the order with the id, or nil.
func (s *State) Order(id string) *Order { return s.orders[id] }

// Ticket returns the ticket with the id, or nil.
func (s *State) Ticket(id string) *Ticket { return s.tickets[id] }

// OrderByToken returns the order whose secret link token is token, or nil.
func (s *State) OrderByToken(token string) *Order {
	if o := s.orders[s.tokens[token]]; o != nil && o.Token == token {
		return o
	}
	return nil
}

// Remembers reports whether a request with this Idempotency-Key was
// answered and is still remembered at now.
func (s *State) Remembers(idem *IdemStamp, now time.Time) bool {
	rec, ok := s.idem[idem.Scope+"\x00"+idem.Key]
	return ok && now.Sub(rec.At) <= IdemRetention
}

// CurrentKey returns the key new tickets are signed with, or nil when the
// event has none.
func (s *State) CurrentKey() *SigningKey {
	for i := len(s.Keys) - 1; i >= 0; i-- {
		if s.Keys[i].RetiredAt.IsZero() {
			return s.Keys[i]
		}
	}
	return nil
}

// Key returns the signing key with the id, or nil.
func (s *State) Key(id string) *SigningKey {
	for _, k := range s.Keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// KeyID is the id of an Ed25519 public key as tickets name it: the hex of
// the first 4 bytes of its SHA-256.
func KeyID(pub []byte) string {
	sum := sha256.Sum256(pub)
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 8)
	for i, b := range sum[:4] {
		out[2*i], out[2*i+1] = hexDigits[b>>4], hexDigits[b&15]
	}
	return string(out)
}

var ticketIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// TicketID is the id of an order's i-th ticket: derived from the order id,
// so deciding a payment needs no randomness and a replay gets the same ids.
// 100 bits of SHA-256 keep ids of different orders apart.
func TicketID(orderID string, i int) string {
	sum := sha256.Sum256([]byte("admit ticket\x00" + orderID + "\x00" + strconv.Itoa(i)))
	return "tk_" + ticketIDEncoding.EncodeToString(sum[:])[:20]
}

// WithDefaults fills in the defaults of an event's payment settings, for
// details written before they existed as well as new ones. The read model
// stores them filled in the same way. An absent manual window is the
// 3 days it meant when such entries were written; decideCreateEvent gives
// new events DefaultManualPaymentWindowSeconds before this.
func (d *PaymentSettings) WithDefaults() {
	if d.PaymentWindowSeconds == 0 {
		d.PaymentWindowSeconds = DefaultPaymentWindowSeconds
	}
	if d.ManualPaymentWindowSeconds == 0 {
		d.ManualPaymentWindowSeconds = legacyManualPaymentWindowSeconds
	}
	if d.PaymentProviders == nil {
		d.PaymentProviders = []string{ProviderManual}
	}
}

func (f *fieldErrs) paymentSettings(d *PaymentSettings) {
	f.between("/payment_window_seconds", d.PaymentWindowSeconds, MinPaymentWindowSeconds, MaxPaymentWindowSeconds)
	f.between("/manual_payment_window_seconds", d.ManualPaymentWindowSeconds, MinPaymentWindowSeconds,
		MaxManualPaymentWindowSeconds)
	f.freeText("/manual_payment_instructions", d.ManualPaymentInstructions, 0, 2000)
	if len(d.PaymentProviders) == 0 {
		f.add("/payment_providers", "must list at least one of manual, stripe")
	}
	for i, p := range d.PaymentProviders {
		switch {
		case p != ProviderManual && p != ProviderStripe:
			f.add("/payment_providers/"+strconv.Itoa(i), "must be manual or stripe")
		case slices.Contains(d.PaymentProviders[:i], p):
			f.add("/payment_providers/"+strconv.Itoa(i), "is listed twice")
		}
	}
}

// name checks a person's name: up to 200 characters of text on one line.
func (f *fieldErrs) name(field, v string, minLen int) {
	f.text(field, v, minLen, 200)
}

// email adds a field error unless v is a plain e-mail address.
func (f *fieldErrs) email(field, v string) {
	a, err := mail.ParseAddress(v)
	switch {
	case v == "":
		f.add(field, "must not be empty")
	case len(v) > 254 || err != nil || a.Address != v || a.Name != "":
		f.add(field, "must be an e-mail address such as ada@example.com")
	}
}

func (s *State) decidePlaceOrder(c *PlaceOrder, now time.Time) (Decision, error) {
	ev := s.Event
	if ev == nil || ev.Status == Draft {
		return Decision{}, fault.New(fault.NotFound, "event not found")
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	h := s.Hold(c.HoldID)
	switch {
	case h == nil:
		return Decision{}, fault.New(fault.NotFound, "hold not found")
	case h.OrderID != "":
		return Decision{}, fault.Coded(fault.Conflict, "hold-ordered", "this hold already became order %s", h.OrderID)
	case h.Status != Active || !now.Before(h.ExpiresAt):
		return Decision{}, fault.New(fault.HoldExpired, "the hold expired at %s; hold the tickets again",
			h.ExpiresAt.UTC().Format(time.RFC3339))
	case ev.Status == Cancelled:
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled")
	case s.orders[c.OrderID] != nil:
		return Decision{}, fault.New(fault.Conflict, "order %s already exists", c.OrderID)
	}
	var f fieldErrs
	f.name("/buyer/name", c.Buyer.Name, 1)
	f.email("/buyer/email", c.Buyer.Email)
	lines := make([]OrderLine, len(h.Items))
	total := Money{Currency: ev.Currency}
	names := false // whether some ticket type asks for attendee names
	for i, it := range h.Items {
		tt := s.ticketTypes[it.TicketTypeID]
		lines[i] = OrderLine{TicketTypeID: tt.ID, Name: tt.Name, Quantity: it.Quantity, UnitPrice: tt.Price,
			Amount: Money{Amount: tt.Price.Amount * int64(it.Quantity), Currency: tt.Price.Currency}}
		total.Amount += lines[i].Amount.Amount
		names = names || tt.AttendeeNames
	}
	switch {
	case len(c.Attendees) == 0 && names:
		f.add("/attendees", "must list a name for each of the "+strconv.Itoa(h.Quantity)+" tickets")
	case len(c.Attendees) != 0 && len(c.Attendees) != h.Quantity:
		f.add("/attendees", "must list one name for each of the "+strconv.Itoa(h.Quantity)+" tickets, or none")
	case len(c.Attendees) != 0:
		k := 0
		for _, it := range h.Items {
			minLen := 0
			if s.ticketTypes[it.TicketTypeID].AttendeeNames {
				minLen = 1
			}
			for range it.Quantity {
				f.name("/attendees/"+strconv.Itoa(k), c.Attendees[k], minLen)
				k++
			}
		}
	}
	provider := c.Provider
	switch {
	case total.Amount == 0 && (provider == "" || provider == ProviderFree):
		provider = ProviderFree
	case total.Amount == 0:
		f.add("/payment_provider", "must be free (or left out): the order costs nothing")
	case provider == "" && len(ev.PaymentProviders) == 1:
		provider = ev.PaymentProviders[0]
	case !slices.Contains(ev.PaymentProviders, provider):
		f.add("/payment_provider", "must be one of this event's payment providers: "+
			strings.Join(ev.PaymentProviders, ", "))
	}
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	if err := s.issuable(now); err != nil {
		return Decision{}, err // its tickets could never admit
	}
	payBy := now.Add(time.Duration(ev.PaymentWindowSeconds) * time.Second)
	if provider == ProviderManual {
		var ok bool
		if payBy, ok = ManualPayBy(ev, now); !ok {
			return Decision{}, errManualClosed
		}
	}
	if payBy.After(ev.EndsAt) && now.Before(ev.EndsAt) {
		payBy = ev.EndsAt
	}
	if provider != ProviderFree { // a free order is paid at once: it ties nothing up
		if err := s.checkOrderLimits(c.Client, c.Buyer.Email); err != nil {
			return Decision{}, err
		}
	}
	placed := &OrderPlaced{OrderID: c.OrderID, HoldID: h.ID, Token: c.Token, Buyer: c.Buyer,
		Attendees: slices.Clone(c.Attendees), Lines: lines, Total: total, Provider: provider, PayBy: payBy, Idem: c.Idem,
		Client: c.Client, Actor: access.BuyerActor}
	if provider != ProviderFree {
		return one(placed, c.OrderID)
	}
	paid := &OrderPaid{OrderID: c.OrderID, Payment: Payment{Provider: ProviderFree, Amount: total, ReceivedAt: now, Kept: true},
		Tickets: issue(c.OrderID, lines, placed.Attendees), Actor: access.BuyerActor}
	return Decision{Entries: []Entry{placed, paid}, Ref: c.OrderID}, nil
}

// issue lists the tickets of an order's lines, one per admission.
func issue(orderID string, lines []OrderLine, attendees []string) []IssuedTicket {
	var out []IssuedTicket
	for _, l := range lines {
		for range l.Quantity {
			t := IssuedTicket{TicketID: TicketID(orderID, len(out)), TicketTypeID: l.TicketTypeID, Price: l.UnitPrice}
			if len(out) < len(attendees) {
				t.Attendee = attendees[len(out)]
			}
			out = append(out, t)
		}
	}
	return out
}

// organizerOrder finds an order for the organizer's command. Errors:
// NotFound.
func (s *State) organizerOrder(organizerID, orderID string) (*Order, error) {
	if err := s.organizerEvent(organizerID); err != nil {
		return nil, err
	}
	o := s.orders[orderID]
	if o == nil {
		return nil, fault.New(fault.NotFound, "order not found")
	}
	return o, nil
}

func (s *State) decideRecordPayment(c *RecordPayment, now time.Time) (Decision, error) {
	var o *Order
	if c.OrganizerID != "" {
		var err error
		if o, err = s.organizerOrder(c.OrganizerID, c.OrderID); err != nil {
			return Decision{}, err
		}
	} else if o = s.orders[c.OrderID]; o == nil {
		return Decision{}, fault.New(fault.NotFound, "order not found")
	}
	if c.EventRef != "" && s.paymentEvents[c.EventRef] {
		return Decision{Ref: o.ID, Unchanged: true}, nil
	}
	for _, p := range o.Payments {
		if c.Ref != "" && p.Ref == c.Ref {
			return Decision{Ref: o.ID, Unchanged: true}, nil // the same payment, told again
		}
	}
	amount := c.Amount
	if c.Provider == ProviderManual && amount == (Money{}) {
		amount = o.Total
	}
	switch {
	case c.Provider != o.Provider:
		return Decision{}, fault.New(fault.Conflict, "order %s is paid with %s, not %s", o.ID, o.Provider, c.Provider)
	case c.Provider == ProviderManual && c.OrganizerID == "":
		return Decision{}, fault.New(fault.Forbidden, "only the organizer can mark a manual payment as received")
	case c.Provider != ProviderManual && c.Ref == "":
		return Decision{}, fault.New(fault.Invalid, "a %s payment needs the provider's payment id", c.Provider)
	case amount != o.Total:
		return Decision{}, fault.New(fault.Conflict, "the payment of %d %s does not match the order's total of %d %s",
			amount.Amount, amount.Currency, o.Total.Amount, o.Total.Currency)
	case len(o.Payments) >= MaxPaymentsPerOrder:
		return Decision{}, fault.New(fault.Conflict, "order %s has recorded too many payments", o.ID)
	}
	pay := Payment{Provider: c.Provider, Ref: c.Ref, Amount: amount, ReceivedAt: now}
	if o.Status == StatusPaid || o.Status == StatusRefunded {
		if c.Provider == ProviderManual {
			return Decision{Ref: o.ID, Unchanged: true}, nil // marking paid twice is the same as once
		}
		return s.rejectPayment(o, c, pay, "the order was already paid", now)
	}
	if s.Event.Status == Cancelled {
		return s.rejectPayment(o, c, pay, "the event was cancelled", now)
	}
	if err := s.issuable(now); err != nil {
		// No ticket issued now could admit: the organizer is told so, and
		// a card payment is paid back, as a late one is.
		if c.Provider == ProviderManual {
			return Decision{}, err
		}
		return s.rejectPayment(o, c, pay, "the event is over: no ticket can be issued for it any more", now)
	}
	if o.Status == StatusPendingPayment {
		pay.Kept = true
		return one(&OrderPaid{OrderID: o.ID, Payment: pay, EventRef: c.EventRef,
			Tickets: issue(o.ID, o.Lines, o.Attendees), Actor: c.payer()}, o.ID)
	}
	// Expired or cancelled: the money came too late. A late payment of an
	// expired order takes the capacity again if it is still free.
	if o.Status == StatusExpired && s.Event.Status != Cancelled && s.fits(o.Lines) {
		pay.Kept = true
		return one(&OrderPaid{OrderID: o.ID, Payment: pay, EventRef: c.EventRef, Retaken: true,
			Tickets: issue(o.ID, o.Lines, o.Attendees), Actor: c.payer()}, o.ID)
	}
	reason := "the order had expired and its tickets were sold to someone else"
	if o.Status == StatusCancelled {
		reason = "the order had been cancelled"
	}
	return s.rejectPayment(o, c, pay, reason, now)
}

func (s *State) rejectPayment(o *Order, c *RecordPayment, pay Payment, reason string, now time.Time) (Decision, error) {
	if c.RefundID == "" {
		return Decision{}, fault.New(fault.Internal, "boxoffice: a payment to reject needs a refund id")
	}
	return one(&PaymentRejected{OrderID: o.ID, Payment: pay, EventRef: c.EventRef, Reason: reason, Actor: c.payer(),
		Refund: Refund{ID: c.RefundID, Amount: pay.Amount, Reason: reason, Provider: pay.Provider, PaymentRef: pay.Ref,
			Status: RefundPending, CreatedAt: now}}, o.ID)
}

// fits reports whether every quota has room for the lines' tickets.
func (s *State) fits(lines []OrderLine) bool {
	need := map[*Quota]int{}
	for _, l := range lines {
		tt := s.ticketTypes[l.TicketTypeID]
		if tt == nil || len(tt.quotas) == 0 {
			return false
		}
		for _, q := range tt.quotas {
			need[q] += l.Quantity
		}
	}
	for q, n := range need {
		if n > q.Available() {
			return false
		}
	}
	return true
}

func (s *State) decideStartPayment(c *StartPayment) (Decision, error) {
	o := s.orders[c.OrderID]
	switch {
	case o == nil:
		return Decision{}, fault.New(fault.NotFound, "order not found")
	case o.PaymentIntentID == c.PaymentIntentID:
		return Decision{Ref: o.ID, Unchanged: true}, nil
	case o.PaymentIntentID != "":
		return Decision{}, fault.New(fault.Conflict, "order %s already has payment %s", o.ID, o.PaymentIntentID)
	case c.PaymentIntentID == "":
		return Decision{}, fault.New(fault.Invalid, "a payment id is required")
	}
	return one(&PaymentStarted{OrderID: o.ID, PaymentIntentID: c.PaymentIntentID, ClientSecret: c.ClientSecret,
		Actor: access.SystemActor}, o.ID)
}

// keptPayments is what the order holds of the buyer's money: every payment
// received less every refund that did not fail (a rejected payment and its
// refund cancel out), and the provider's id of the payment kept last.
func (o *Order) keptPayments() (Money, string) {
	m := Money{Currency: o.Total.Currency}
	ref := ""
	for _, p := range o.Payments {
		m.Amount += p.Amount.Amount
		if p.Kept {
			ref = p.Ref
		}
	}
	for _, r := range o.Refunds {
		if r.Status != RefundFailed {
			m.Amount -= r.Amount.Amount
		}
	}
	m.Amount = max(0, m.Amount)
	return m, ref
}

func (s *State) decideCancelOrder(c *CancelOrder, now time.Time) (Decision, error) {
	o, err := s.organizerOrder(c.OrganizerID, c.OrderID)
	if err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	var f fieldErrs
	f.text("/reason", c.Reason, 0, 500)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	switch o.Status {
	case StatusCancelled:
		return Decision{Ref: o.ID, Unchanged: true}, nil
	case StatusExpired, StatusRefunded:
		return Decision{}, fault.New(fault.Conflict, "order %s is %s and can no longer be cancelled", o.ID, o.Status)
	}
	e := &OrderCancelled{OrderID: o.ID, Reason: c.Reason, Idem: c.Idem, Actor: c.Actor}
	if o.Status == StatusPaid {
		for _, id := range o.TicketIDs {
			if s.tickets[id].Status == TicketValid {
				e.Revoked = append(e.Revoked, id)
			}
		}
		if kept, ref := o.keptPayments(); kept.Amount > 0 {
			if c.RefundID == "" {
				return Decision{}, fault.New(fault.Internal, "boxoffice: cancelling a paid order needs a refund id")
			}
			e.Refund = &Refund{ID: c.RefundID, Amount: kept, TicketIDs: e.Revoked, Reason: c.Reason, Provider: o.Provider,
				PaymentRef: ref, Status: RefundPending, CreatedAt: now}
		}
	}
	return one(e, o.ID)
}

func (s *State) decideRefundOrder(c *RefundOrder, now time.Time) (Decision, error) {
	o, err := s.organizerOrder(c.OrganizerID, c.OrderID)
	if err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if o.Status != StatusPaid {
		return Decision{}, fault.New(fault.Conflict, "order %s is %s; only a paid order can be refunded", o.ID, o.Status)
	}
	var f fieldErrs
	f.text("/reason", c.Reason, 0, 500)
	ids := c.TicketIDs
	if len(ids) == 0 {
		for _, id := range o.TicketIDs {
			if s.tickets[id].Status == TicketValid {
				ids = append(ids, id)
			}
		}
	}
	amount := Money{Currency: o.Total.Currency}
	for i, id := range ids {
		t := s.tickets[id]
		field := "/ticket_ids/" + strconv.Itoa(i)
		switch {
		case t == nil || t.OrderID != o.ID:
			f.add(field, "is not a ticket of this order")
		case t.Status != TicketValid:
			f.add(field, "is already refunded or cancelled")
		case slices.Contains(ids[:i], id):
			f.add(field, "is listed twice")
		default:
			amount.Amount += t.Price.Amount
		}
	}
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	if len(o.Refunds) >= MaxPaymentsPerOrder {
		return Decision{}, fault.New(fault.Conflict, "order %s has too many refunds", o.ID)
	}
	if c.RefundID == "" {
		return Decision{}, fault.New(fault.Internal, "boxoffice: a refund needs a refund id")
	}
	kept, ref := o.keptPayments()
	amount.Amount = min(amount.Amount, kept.Amount)
	provider := o.Provider
	if amount.Amount == 0 {
		provider = ProviderFree
	}
	return one(&OrderRefunded{OrderID: o.ID, Idem: c.Idem, Actor: c.Actor, Refund: Refund{ID: c.RefundID, Amount: amount,
		TicketIDs: slices.Clone(ids), Reason: c.Reason, Provider: provider, PaymentRef: ref, Status: RefundPending,
		CreatedAt: now}}, o.ID)
}

func (s *State) decideSettleRefund(c *SettleRefund) (Decision, error) {
	o := s.orders[c.OrderID]
	if o == nil {
		return Decision{}, fault.New(fault.NotFound, "order not found")
	}
	for _, r := range o.Refunds {
		if r.ID != c.RefundID {
			continue
		}
		if r.Status != RefundPending {
			return Decision{Ref: o.ID, Unchanged: true}, nil
		}
		return one(&RefundSettled{OrderID: o.ID, RefundID: r.ID, ProviderRef: c.ProviderRef, Failed: c.Failed,
			Message: c.Message, Actor: access.ProviderActor(r.Provider)}, o.ID)
	}
	return Decision{}, fault.New(fault.NotFound, "refund not found")
}

func (s *State) decideAddSigningKey(c *AddSigningKey, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if k := s.CurrentKey(); c.First && k != nil {
		return Decision{Ref: k.ID, Unchanged: true}, nil
	}
	if len(c.PublicKey) != 32 {
		return Decision{}, fault.New(fault.Invalid, "an Ed25519 public key is 32 bytes")
	}
	id := KeyID(c.PublicKey)
	if s.Key(id) != nil {
		return Decision{}, fault.New(fault.Conflict, "key %s already exists", id)
	}
	if len(s.Keys) >= 100 {
		return Decision{}, fault.New(fault.Conflict, "an event can have at most 100 signing keys")
	}
	return one(&SigningKeyAdded{Actor: c.Actor, KeyID: id, PublicKey: slices.Clone(c.PublicKey), Idem: c.Idem}, id)
}

func (s *State) decideRetireSigningKey(c *RetireSigningKey) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	k := s.Key(c.KeyID)
	switch {
	case k == nil:
		return Decision{}, fault.New(fault.NotFound, "signing key not found")
	case !k.RetiredAt.IsZero():
		return Decision{Ref: k.ID, Unchanged: true}, nil
	case s.CurrentKey() == k:
		return Decision{}, fault.New(fault.Conflict, "key %s signs new tickets; add another key before retiring it", k.ID)
	}
	return one(&SigningKeyRetired{Actor: c.Actor, KeyID: k.ID}, k.ID)
}

// expireEntry is the entry that expires hold holdID, which became order
// orderID: the order's when it awaits payment.
func expireEntry(s *State, holdID, orderID string) Entry {
	if o := s.orders[orderID]; o != nil && o.Status == StatusPendingPayment {
		return &OrderExpired{OrderID: o.ID, HoldID: holdID, Actor: access.SystemActor}
	}
	return &HoldExpired{HoldID: holdID, Actor: access.SystemActor}
}

// Applying order entries.

func (s *State) applyOrderPlaced(e *OrderPlaced, at time.Time) error {
	i, active := s.activeHold(e.HoldID)
	if !active || s.orderOf(i) != "" || s.orders[e.OrderID] != nil {
		return errApply(e, "hold %s cannot become order %s", e.HoldID, e.OrderID)
	}
	for _, l := range e.Lines {
		if s.ticketTypes[l.TicketTypeID] == nil {
			return errApply(e, "no ticket type %s", l.TicketTypeID)
		}
	}
	count(s.counts.holds, s.clientOf(i), -1) // no longer a hold only: an order
	s.extraOf(i).orderID = e.OrderID
	s.holds[i].flags |= ordered
	s.setTimes(i, nil, &e.PayBy, nil)
	o := &Order{ID: e.OrderID, HoldID: e.HoldID, Token: e.Token, Buyer: e.Buyer, Client: e.Client, Attendees: e.Attendees,
		Lines: e.Lines, Total: e.Total, Provider: e.Provider, Status: StatusPendingPayment, CreatedAt: at,
		PayBy: e.PayBy, UpdatedAt: at}
	s.Orders = append(s.Orders, o)
	s.orders[o.ID] = o
	if o.Token != "" {
		s.tokens[o.Token] = o.ID
	}
	s.countOrder(o, 1)
	s.remember(e.Idem, o.ID, at)
	return nil
}

func (s *State) applyOrderPaid(e *OrderPaid, at time.Time) error {
	o := s.orders[e.OrderID]
	if o == nil || (!e.Retaken && o.Status != StatusPendingPayment) || (e.Retaken && o.Status != StatusExpired) {
		return errApply(e, "order %s cannot be paid (retaken: %t)", e.OrderID, e.Retaken)
	}
	if e.Retaken {
		s.addSold(o.Lines, 1)
	} else {
		if err := s.endHold(o.HoldID, stConverted, at); err != nil {
			return err
		}
		s.addSold(o.Lines, 1)
		s.countOrder(o, -1)
	}
	o.Status, o.PaidAt, o.EndedAt, o.Reason, o.UpdatedAt = StatusPaid, at, time.Time{}, "", at
	o.Payments = append(o.Payments, e.Payment)
	if e.EventRef != "" {
		s.paymentEvents[e.EventRef] = true
	}
	for _, it := range e.Tickets {
		t := &Ticket{ID: it.TicketID, OrderID: o.ID, TicketTypeID: it.TicketTypeID, Attendee: it.Attendee,
			Price: it.Price, Status: TicketValid, IssuedAt: at}
		s.tickets[t.ID] = t
		o.TicketIDs = append(o.TicketIDs, t.ID)
	}
	return nil
}

// addSold adds sign × the lines' quantities to the sold count of their
// quotas.
func (s *State) addSold(lines []OrderLine, sign int) {
	for _, l := range lines {
		for _, q := range s.ticketTypes[l.TicketTypeID].quotas {
			q.Sold += sign * l.Quantity
		}
	}
}

// revoke revokes the tickets and gives their capacity back.
func (s *State) revoke(ids []string, at time.Time) error {
	for _, id := range ids {
		t := s.tickets[id]
		if t == nil || t.Status != TicketValid {
			return errApplyf("ticket %s cannot be revoked", id)
		}
		t.Status, t.RevokedAt = TicketRevoked, at
		s.Revoked = append(s.Revoked, t.ID)
		for _, q := range s.ticketTypes[t.TicketTypeID].quotas {
			q.Sold--
		}
	}
	return nil
}

func (s *State) applyOrderEntry(e Entry, at time.Time) error {
	switch e := e.(type) {
	case *OrderPlaced:
		return s.applyOrderPlaced(e, at)
	case *OrderPaid:
		return s.applyOrderPaid(e, at)
	case *PaymentRejected:
		o := s.orders[e.OrderID]
		if o == nil {
			return errApply(e, "no order %s", e.OrderID)
		}
		o.Payments = append(o.Payments, e.Payment)
		o.Refunds = append(o.Refunds, SettledOutside(e.Refund, at))
		o.UpdatedAt = at
		if e.EventRef != "" {
			s.paymentEvents[e.EventRef] = true
		}
	case *PaymentStarted:
		o := s.orders[e.OrderID]
		if o == nil {
			return errApply(e, "no order %s", e.OrderID)
		}
		o.PaymentIntentID, o.ClientSecret, o.UpdatedAt = e.PaymentIntentID, e.ClientSecret, at
	case *OrderExpired:
		o := s.orders[e.OrderID]
		if o == nil || o.Status != StatusPendingPayment || o.HoldID != e.HoldID {
			return errApply(e, "order %s cannot expire", e.OrderID)
		}
		if err := s.endHold(e.HoldID, stExpired, at); err != nil {
			return err
		}
		s.countOrder(o, -1)
		o.Status, o.EndedAt, o.UpdatedAt = StatusExpired, at, at
		o.Reason = ReasonNotPaid
	case *OrderCancelled:
		o := s.orders[e.OrderID]
		if o == nil || (o.Status != StatusPendingPayment && o.Status != StatusPaid) {
			return errApply(e, "order %s cannot be cancelled", e.OrderID)
		}
		if o.Status == StatusPendingPayment {
			if err := s.endHold(o.HoldID, stReleased, at); err != nil {
				return err
			}
			s.countOrder(o, -1)
		}
		if err := s.revoke(e.Revoked, at); err != nil {
			return err
		}
		if e.Refund != nil {
			o.Refunds = append(o.Refunds, SettledOutside(*e.Refund, at))
		}
		o.Status, o.EndedAt, o.Reason, o.UpdatedAt = StatusCancelled, at, e.Reason, at
		s.remember(e.Idem, o.ID, at)
	case *OrderRefunded:
		o := s.orders[e.OrderID]
		if o == nil || o.Status != StatusPaid {
			return errApply(e, "order %s cannot be refunded", e.OrderID)
		}
		if err := s.revoke(e.Refund.TicketIDs, at); err != nil {
			return err
		}
		o.Refunds = append(o.Refunds, SettledOutside(e.Refund, at))
		o.UpdatedAt = at
		valid := false
		for _, id := range o.TicketIDs {
			valid = valid || s.tickets[id].Status == TicketValid
		}
		if !valid {
			o.Status, o.EndedAt, o.Reason = StatusRefunded, at, e.Refund.Reason
		}
		s.remember(e.Idem, o.ID, at)
	case *TicketsResent:
		return s.applyTicketsResent(e, at)
	case *RefundSettled:
		o := s.orders[e.OrderID]
		if o == nil {
			return errApply(e, "no order %s", e.OrderID)
		}
		i := slices.IndexFunc(o.Refunds, func(r Refund) bool { return r.ID == e.RefundID })
		if i < 0 || o.Refunds[i].Status != RefundPending {
			return errApply(e, "refund %s is not pending", e.RefundID)
		}
		r := &o.Refunds[i]
		r.Status, r.ProviderRef, r.Message, r.SettledAt = RefundSucceeded, e.ProviderRef, e.Message, at
		if e.Failed {
			r.Status = RefundFailed
		}
		o.UpdatedAt = at
	case *SigningKeyAdded:
		if s.Event == nil || s.Key(e.KeyID) != nil {
			return errApply(e, "cannot add key %s", e.KeyID)
		}
		s.Keys = append(s.Keys, &SigningKey{ID: e.KeyID, PublicKey: e.PublicKey, AddedAt: at})
		s.remember(e.Idem, e.KeyID, at)
	case *SigningKeyRetired:
		k := s.Key(e.KeyID)
		if k == nil || !k.RetiredAt.IsZero() {
			return errApply(e, "cannot retire key %s", e.KeyID)
		}
		k.RetiredAt = at
	default:
		return errApplyf("unknown entry %T", e)
	}
	return nil
}

// SettledOutside returns r as it stands once applied: a refund of nothing,
// or one the organizer pays back by hand (manual), is settled at once; only
// a provider's refund waits for RefundSettled.
func SettledOutside(r Refund, at time.Time) Refund {
	if r.Amount.Amount == 0 || r.Provider == ProviderManual || r.Provider == ProviderFree {
		r.Status, r.SettledAt = RefundSucceeded, at
	}
	return r
}

func errApply(e Entry, format string, args ...any) error {
	return fmt.Errorf("boxoffice: apply %s: "+format, append([]any{e.Type()}, args...)...)
}

func errApplyf(format string, args ...any) error {
	return fmt.Errorf("boxoffice: apply: "+format, args...)
}
