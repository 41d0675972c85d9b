package boxoffice

import (
	"encoding/json"
	"fmt"
	"time"
)

// Entry is one fact in the ledger about an event. Entries are never edited;
// a correction is a new entry. Each type is versioned in its name and has a
// JSON Schema under schemas/.
type Entry interface {
	// Type is the CloudEvents type, "admit.<area>.<fact>.v<N>".
	Type() string
	// Subject is the CloudEvents subject: what the entry is about within the event.
	Subject() string
}

// IdemStamp records that an entry answered a request made with an
// Idempotency-Key, so a retry gets the same answer. Hash is the hex SHA-256
// of the request (method, path and body) as the caller sent it.
type IdemStamp struct {
	Scope string `json:"scope"`
	Key   string `json:"key"`
	Hash  string `json:"hash"`
}

// EventDetails are the event's editable details, carried whole by the
// entries that set them.
type EventDetails struct {
	Name              string    `json:"name"`
	Venue             string    `json:"venue"`
	TimeZone          string    `json:"timezone"`
	StartsAt          time.Time `json:"starts_at"`
	EndsAt            time.Time `json:"ends_at"`
	HoldTTLSeconds    int       `json:"hold_ttl_seconds"`
	MaxTicketsPerHold int       `json:"max_tickets_per_hold"`
	PaymentSettings
	BuyerLimits
}

// PaymentSettings say how an event's buyers pay. Entries written before
// they existed leave them out; they then take the defaults.
type PaymentSettings struct {
	PaymentProviders           []string `json:"payment_providers,omitempty"`             // manual, stripe; default manual
	PaymentWindowSeconds       int      `json:"payment_window_seconds,omitempty"`        // how long an order waits for an online payment; default 900
	ManualPaymentWindowSeconds int      `json:"manual_payment_window_seconds,omitempty"` // and for a manual one; default 24 hours
	ManualPaymentInstructions  string   `json:"manual_payment_instructions,omitempty"`   // bank details, "pay at the door"…
}

// EventCreated: the event exists, as a draft.
type EventCreated struct {
	EventID     string `json:"event_id"`
	OrganizerID string `json:"organizer_id"`
	Currency    string `json:"currency"`
	EventDetails
	Idem  *IdemStamp `json:"idempotency,omitempty"`
	Actor string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// EventUpdated: the event's details changed; it carries all of them.
type EventUpdated struct {
	EventID string `json:"event_id"`
	EventDetails
	Actor string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// EventStatusChanged: the event moved to another sales status.
type EventStatusChanged struct {
	EventID string     `json:"event_id"`
	From    Status     `json:"from"`
	Status  Status     `json:"status"`
	Idem    *IdemStamp `json:"idempotency,omitempty"`
	Actor   string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// TicketTypeDetails are a ticket type's editable details.
type TicketTypeDetails struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       Money     `json:"price"`
	MinPerHold  int       `json:"min_per_hold"`
	MaxPerHold  int       `json:"max_per_hold"`
	SalesStart  time.Time `json:"sales_start,omitzero"`
	SalesEnd    time.Time `json:"sales_end,omitzero"`
	// AttendeeNames: an order must name the person each ticket admits.
	AttendeeNames bool `json:"attendee_names,omitempty"`
}

// TicketTypeCreated: a new ticket type.
type TicketTypeCreated struct {
	TicketTypeID string `json:"ticket_type_id"`
	TicketTypeDetails
	Idem  *IdemStamp `json:"idempotency,omitempty"`
	Actor string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// TicketTypeUpdated: a ticket type's details changed; it carries all of them.
type TicketTypeUpdated struct {
	TicketTypeID string `json:"ticket_type_id"`
	TicketTypeDetails
	Actor string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// QuotaDetails are a quota's editable details.
type QuotaDetails struct {
	Name          string   `json:"name"`
	Capacity      int      `json:"capacity"`
	TicketTypeIDs []string `json:"ticket_type_ids"`
}

// QuotaCreated: a new capacity pool.
type QuotaCreated struct {
	QuotaID string `json:"quota_id"`
	QuotaDetails
	Idem  *IdemStamp `json:"idempotency,omitempty"`
	Actor string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// QuotaUpdated: a quota's details changed; it carries all of them.
type QuotaUpdated struct {
	QuotaID string `json:"quota_id"`
	QuotaDetails
	Actor string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// HoldCreated: capacity set aside for a buyer until ExpiresAt.
type HoldCreated struct {
	HoldID    string     `json:"hold_id"`
	Items     []Item     `json:"items"`
	ExpiresAt time.Time  `json:"expires_at"`
	Idem      *IdemStamp `json:"idempotency,omitempty"`
	Client    string     `json:"client,omitempty"` // the opaque key of the client that asked; "" when exempt
	Actor     string     `json:"actor,omitempty"`  // "buyer"; "" before actors were recorded
}

// HoldReleased: the buyer gave the hold back before it expired.
type HoldReleased struct {
	HoldID string `json:"hold_id"`
	Actor  string `json:"actor,omitempty"` // "buyer"; "" before actors were recorded
}

// HoldExtended: the buyer asked for more time; the hold now lasts until
// ExpiresAt.
type HoldExtended struct {
	HoldID    string    `json:"hold_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Actor     string    `json:"actor,omitempty"` // "buyer"; "" before actors were recorded
}

// HoldExpired: the hold's time ran out and its capacity is free again.
type HoldExpired struct {
	HoldID string `json:"hold_id"`
	Actor  string `json:"actor,omitempty"` // "system"; "" before actors were recorded
}

func (*EventCreated) Type() string       { return "admit.event.created.v1" }
func (*EventUpdated) Type() string       { return "admit.event.updated.v1" }
func (*EventStatusChanged) Type() string { return "admit.event.status_changed.v1" }
func (*TicketTypeCreated) Type() string  { return "admit.ticket_type.created.v1" }
func (*TicketTypeUpdated) Type() string  { return "admit.ticket_type.updated.v1" }
func (*QuotaCreated) Type() string       { return "admit.quota.created.v1" }
func (*QuotaUpdated) Type() string       { return "admit.quota.updated.v1" }
func (*HoldCreated) Type() string        { return typeHoldCreated }
func (*HoldReleased) Type() string       { return typeHoldReleased }
func (*HoldExpired) Type() string        { return typeHoldExpired }
func (*HoldExtended) Type() string       { return "admit.hold.extended.v1" }

// The types of the entries EncodeBatch writes without encoding/json.
const (
	typeHoldCreated  = "admit.hold.created.v1"
	typeHoldReleased = "admit.hold.released.v1"
	typeHoldExpired  = "admit.hold.expired.v1"
)

func (e *EventCreated) Subject() string       { return "event" }
func (e *EventUpdated) Subject() string       { return "event" }
func (e *EventStatusChanged) Subject() string { return "event" }
func (e *TicketTypeCreated) Subject() string  { return "ticket-types/" + e.TicketTypeID }
func (e *TicketTypeUpdated) Subject() string  { return "ticket-types/" + e.TicketTypeID }
func (e *QuotaCreated) Subject() string       { return "quotas/" + e.QuotaID }
func (e *QuotaUpdated) Subject() string       { return "quotas/" + e.QuotaID }
func (e *HoldCreated) Subject() string        { return "holds/" + e.HoldID }
func (e *HoldReleased) Subject() string       { return "holds/" + e.HoldID }
func (e *HoldExpired) Subject() string        { return "holds/" + e.HoldID }
func (e *HoldExtended) Subject() string       { return "holds/" + e.HoldID }

// EntryTypes lists a new zero value of every entry type, by CloudEvents type.
var entryTypes = map[string]func() Entry{
	"admit.event.created.v1":        func() Entry { return new(EventCreated) },
	"admit.event.updated.v1":        func() Entry { return new(EventUpdated) },
	"admit.event.status_changed.v1": func() Entry { return new(EventStatusChanged) },
	"admit.ticket_type.created.v1":  func() Entry { return new(TicketTypeCreated) },
	"admit.ticket_type.updated.v1":  func() Entry { return new(TicketTypeUpdated) },
	"admit.quota.created.v1":        func() Entry { return new(QuotaCreated) },
	"admit.quota.updated.v1":        func() Entry { return new(QuotaUpdated) },
	typeHoldCreated:                 func() Entry { return new(HoldCreated) },
	typeHoldReleased:                func() Entry { return new(HoldReleased) },
	typeHoldExpired:                 func() Entry { return new(HoldExpired) },
	"admit.hold.extended.v1":        func() Entry { return new(HoldExtended) },

	"admit.order.placed.v1":           func() Entry { return new(OrderPlaced) },
	"admit.order.paid.v1":             func() Entry { return new(OrderPaid) },
	"admit.order.payment_rejected.v1": func() Entry { return new(PaymentRejected) },
	"admit.order.payment_started.v1":  func() Entry { return new(PaymentStarted) },
	"admit.order.expired.v1":          func() Entry { return new(OrderExpired) },
	"admit.order.cancelled.v1":        func() Entry { return new(OrderCancelled) },
	"admit.order.tickets_resent.v1":   func() Entry { return new(TicketsResent) },
	"admit.order.refunded.v1":         func() Entry { return new(OrderRefunded) },
	"admit.order.refund_settled.v1":   func() Entry { return new(RefundSettled) },
	"admit.signing_key.added.v1":      func() Entry { return new(SigningKeyAdded) },
	"admit.signing_key.retired.v1":    func() Entry { return new(SigningKeyRetired) },

	"admit.checkin.list_created.v1":   func() Entry { return new(CheckinListCreated) },
	"admit.checkin.list_updated.v1":   func() Entry { return new(CheckinListUpdated) },
	"admit.checkin.device_added.v1":   func() Entry { return new(DoorDeviceAdded) },
	"admit.checkin.device_revoked.v1": func() Entry { return new(DoorDeviceRevoked) },
	"admit.checkin.scanned.v1":        func() Entry { return new(TicketScanned) },
	"admit.checkin.annulled.v1":       func() Entry { return new(ScanAnnulled) },
}

// EntryTypeNames returns the CloudEvents types of all entries.
func EntryTypeNames() []string {
	names := make([]string, 0, len(entryTypes))
	for name := range entryTypes {
		names = append(names, name)
	}
	return names
}

// BatchContentType is the media type of a ledger message's data: a
// CloudEvents 1.0 JSON batch.
const BatchContentType = "application/cloudevents-batch+json"

// CloudEvent is one entry in its CloudEvents 1.0 structured JSON form.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	Subject         string          `json:"subject"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// Timed is a decoded entry with the time it was decided.
type Timed struct {
	Entry Entry
	At    time.Time
}

// Source is the CloudEvents source of an event's entries.
func Source(eventID string) string { return "/events/" + eventID }

// EncodeBatch appends to buf the entries decided at the same time as one
// ledger message, a CloudEvents JSON batch from source (Source(eventID) for
// an event). after is the sequence the message is fenced on: since only one
// message can follow it, "<after>.<i>" is a unique entry id within the
// source. Hold entries are encoded without allocating beyond growing buf.
func EncodeBatch(buf []byte, source string, after uint64, at time.Time, entries []Entry) ([]byte, error) {
	// Room on the stack for the usual lengths.
	var sourceBuf [64]byte
	var atBuf [len(`""`) + len(time.RFC3339Nano)]byte
	h := newBatchHead(sourceBuf[:0], atBuf[:0], source, after, at)
	buf = append(buf, '[')
	for i, e := range entries {
		if i > 0 {
			buf = append(buf, ',')
		}
		n := len(buf)
		var ok bool
		if buf, ok = h.appendEntryFast(buf, i, e); !ok {
			var err error
			if buf, err = appendEntryJSON(buf[:n], source, after, i, at, e); err != nil {
				return nil, err
			}
		}
	}
	return append(buf, ']'), nil
}

// DecodeBatch decodes an event's ledger message written by EncodeBatch. An
// unknown entry type is an error: a node must not skip facts it does not
// understand. A batch of hold entries alone, as EncodeBatch writes it, is
// decoded without encoding/json, to the same result.
func DecodeBatch(data []byte) ([]Timed, error) {
	if out, ok := decodeHoldBatch(data); ok {
		return out, nil
	}
	return DecodeBatchWith(data, DecodeEntry)
}

// DecodeBatchWith decodes a CloudEvents JSON batch with the given decoder
// of entry data by type.
func DecodeBatchWith(data []byte, decode func(typ string, data []byte) (Entry, error)) ([]Timed, error) {
	var batch []CloudEvent
	if err := json.Unmarshal(data, &batch); err != nil {
		return nil, fmt.Errorf("boxoffice: decode batch: %w", err)
	}
	out := make([]Timed, 0, len(batch))
	for _, ce := range batch {
		e, err := decode(ce.Type, ce.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, Timed{Entry: e, At: ce.Time})
	}
	return out, nil
}

// DecodeEntry decodes one entry's data by its CloudEvents type.
func DecodeEntry(typ string, data []byte) (Entry, error) {
	mk, ok := entryTypes[typ]
	if !ok {
		return nil, fmt.Errorf("boxoffice: unknown entry type %q", typ)
	}
	e := mk()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("boxoffice: decode %s: %w", typ, err)
	}
	return e, nil
}

// ActorOf is who caused the entry, as it records it ("member:…",
// "token:…", "device:…", "provider:stripe", "buyer", "system"), or "" for
// an entry made before actors were recorded.
func ActorOf(e Entry) string {
	switch e := e.(type) {
	case *EventCreated:
		return e.Actor
	case *EventUpdated:
		return e.Actor
	case *EventStatusChanged:
		return e.Actor
	case *TicketTypeCreated:
		return e.Actor
	case *TicketTypeUpdated:
		return e.Actor
	case *QuotaCreated:
		return e.Actor
	case *QuotaUpdated:
		return e.Actor
	case *HoldCreated:
		return e.Actor
	case *HoldReleased:
		return e.Actor
	case *HoldExtended:
		return e.Actor
	case *HoldExpired:
		return e.Actor
	case *OrderPlaced:
		return e.Actor
	case *OrderPaid:
		return e.Actor
	case *PaymentRejected:
		return e.Actor
	case *PaymentStarted:
		return e.Actor
	case *OrderExpired:
		return e.Actor
	case *OrderCancelled:
		return e.Actor
	case *OrderRefunded:
		return e.Actor
	case *RefundSettled:
		return e.Actor
	case *TicketsResent:
		return e.Actor
	case *SigningKeyAdded:
		return e.Actor
	case *SigningKeyRetired:
		return e.Actor
	case *CheckinListCreated:
		return e.Actor
	case *CheckinListUpdated:
		return e.Actor
	case *DoorDeviceAdded:
		return e.Actor
	case *DoorDeviceRevoked:
		return e.Actor
	case *TicketScanned:
		return e.Actor
	case *ScanAnnulled:
		return e.Actor
	}
	return ""
}
