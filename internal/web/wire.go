package web

import (
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
)

// The JSON shapes of api/openapi.yaml. Times are always UTC.

type moneyJSON struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type ticketTypeJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Price         moneyJSON  `json:"price"`
	MinPerHold    int        `json:"min_per_hold"`
	MaxPerHold    int        `json:"max_per_hold"`
	SalesStart    *time.Time `json:"sales_start,omitempty"`
	SalesEnd      *time.Time `json:"sales_end,omitempty"`
	AttendeeNames bool       `json:"attendee_names"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

type quotaJSON struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Capacity      int       `json:"capacity"`
	TicketTypeIDs []string  `json:"ticket_type_ids"`
	Held          int       `json:"held"`
	Sold          int       `json:"sold"`
	Available     int       `json:"available"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type eventJSON struct {
	ID                         string           `json:"id"`
	OrganizerID                string           `json:"organizer_id"`
	Name                       string           `json:"name"`
	Venue                      string           `json:"venue"`
	TimeZone                   string           `json:"timezone"`
	StartsAt                   time.Time        `json:"starts_at"`
	EndsAt                     time.Time        `json:"ends_at"`
	Currency                   string           `json:"currency"`
	Status                     string           `json:"status"`
	HoldTTLSeconds             int              `json:"hold_ttl_seconds"`
	MaxTicketsPerHold          int              `json:"max_tickets_per_hold"`
	PaymentProviders           []string         `json:"payment_providers"`
	PaymentWindowSeconds       int              `json:"payment_window_seconds"`
	ManualPaymentWindowSeconds int              `json:"manual_payment_window_seconds"`
	ManualPaymentInstructions  string           `json:"manual_payment_instructions"`
	MaxHoldsPerClient          int              `json:"max_holds_per_client"`
	MaxUnpaidOrdersPerClient   int              `json:"max_unpaid_orders_per_client"`
	MaxUnpaidOrdersPerEmail    int              `json:"max_unpaid_orders_per_email"`
	CreatedAt                  time.Time        `json:"created_at"`
	UpdatedAt                  time.Time        `json:"updated_at"`
	TicketTypes                []ticketTypeJSON `json:"ticket_types"`
	Quotas                     []quotaJSON      `json:"quotas"`
}

type eventSummaryJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Venue     string    `json:"venue"`
	TimeZone  string    `json:"timezone"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type eventListJSON struct {
	Items      []eventSummaryJSON `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

type publicTicketTypeJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Price         moneyJSON  `json:"price"`
	MinPerHold    int        `json:"min_per_hold"`
	MaxPerHold    int        `json:"max_per_hold"`
	SalesStart    *time.Time `json:"sales_start,omitempty"`
	SalesEnd      *time.Time `json:"sales_end,omitempty"`
	AttendeeNames bool       `json:"attendee_names"`
	Available     int        `json:"available"`
	State         string     `json:"state"`
}

type publicEventJSON struct {
	ID                string                 `json:"id"`
	Name              string                 `json:"name"`
	Venue             string                 `json:"venue"`
	TimeZone          string                 `json:"timezone"`
	StartsAt          time.Time              `json:"starts_at"`
	EndsAt            time.Time              `json:"ends_at"`
	Currency          string                 `json:"currency"`
	Status            string                 `json:"status"`
	MaxTicketsPerHold int                    `json:"max_tickets_per_hold"`
	PaymentProviders  []string               `json:"payment_providers"`
	TicketTypes       []publicTicketTypeJSON `json:"ticket_types"`
}

type ticketTypeAvailabilityJSON struct {
	TicketTypeID string `json:"ticket_type_id"`
	Available    int    `json:"available"`
	State        string `json:"state"`
}

type quotaAvailabilityJSON struct {
	QuotaID   string `json:"quota_id"`
	Available int    `json:"available"`
}

type availabilityJSON struct {
	EventID     string                       `json:"event_id"`
	Status      string                       `json:"status"`
	TicketTypes []ticketTypeAvailabilityJSON `json:"ticket_types"`
	Quotas      []quotaAvailabilityJSON      `json:"quotas"`
}

type itemJSON struct {
	TicketTypeID string `json:"ticket_type_id"`
	Quantity     int    `json:"quantity"`
}

type holdJSON struct {
	ID         string     `json:"id"`
	EventID    string     `json:"event_id"`
	Status     string     `json:"status"`
	Items      []itemJSON `json:"items"`
	Quantity   int        `json:"quantity"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
	ExpiredAt  *time.Time `json:"expired_at,omitempty"`
	// ConvertedAt: when its order was paid and the held tickets sold.
	ConvertedAt *time.Time `json:"converted_at,omitempty"`
	OrderID     string     `json:"order_id,omitempty"`
	Extended    int        `json:"extended"` // times the buyer asked for more time; at most 10
}

type organizerJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"created_at"`
	ContactEmail string    `json:"contact_email,omitempty"`
	Website      string    `json:"website,omitempty"`
	TermsURL     string    `json:"terms_url,omitempty"`
	PrivacyURL   string    `json:"privacy_url,omitempty"`
}

func utc(t time.Time) time.Time { return t.UTC() }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func money(m boxoffice.Money) moneyJSON { return moneyJSON{Amount: m.Amount, Currency: m.Currency} }

func ticketTypeOf(tt *boxoffice.TicketType) ticketTypeJSON {
	return ticketTypeJSON{ID: tt.ID, Name: tt.Name, Description: tt.Description, Price: money(tt.Price),
		MinPerHold: tt.MinPerHold, MaxPerHold: tt.MaxPerHold, SalesStart: optTime(tt.SalesStart),
		SalesEnd: optTime(tt.SalesEnd), AttendeeNames: tt.AttendeeNames, CreatedAt: utc(tt.CreatedAt),
		UpdatedAt: utc(tt.UpdatedAt)}
}

func quotaOf(q *boxoffice.Quota) quotaJSON {
	ids := q.TicketTypeIDs
	if ids == nil {
		ids = []string{}
	}
	return quotaJSON{ID: q.ID, Name: q.Name, Capacity: q.Capacity, TicketTypeIDs: ids, Held: q.Held,
		Sold: q.Sold, Available: q.Available(), CreatedAt: utc(q.CreatedAt), UpdatedAt: utc(q.UpdatedAt)}
}

func eventOf(v *boxoffice.View) eventJSON {
	ev := &v.Event
	out := eventJSON{ID: ev.ID, OrganizerID: ev.OrganizerID, Name: ev.Name, Venue: ev.Venue, TimeZone: ev.TimeZone,
		StartsAt: utc(ev.StartsAt), EndsAt: utc(ev.EndsAt), Currency: ev.Currency, Status: string(ev.Status),
		HoldTTLSeconds: ev.HoldTTLSeconds, MaxTicketsPerHold: ev.MaxTicketsPerHold,
		PaymentProviders: ev.PaymentProviders, PaymentWindowSeconds: ev.PaymentWindowSeconds,
		ManualPaymentWindowSeconds: ev.ManualPaymentWindowSeconds, ManualPaymentInstructions: ev.ManualPaymentInstructions,
		MaxHoldsPerClient: ev.MaxHoldsPerClient, MaxUnpaidOrdersPerClient: ev.MaxUnpaidOrdersPerClient,
		MaxUnpaidOrdersPerEmail: ev.MaxUnpaidOrdersPerEmail, CreatedAt: utc(ev.CreatedAt),
		UpdatedAt: utc(ev.UpdatedAt), TicketTypes: make([]ticketTypeJSON, len(v.TicketTypes)),
		Quotas: make([]quotaJSON, len(v.Quotas))}
	for i := range v.TicketTypes {
		out.TicketTypes[i] = ticketTypeOf(&v.TicketTypes[i].TicketType)
	}
	for i := range v.Quotas {
		out.Quotas[i] = quotaOf(&v.Quotas[i])
	}
	return out
}

func publicEventOf(v *boxoffice.View, now time.Time) publicEventJSON {
	ev := &v.Event
	out := publicEventJSON{ID: ev.ID, Name: ev.Name, Venue: ev.Venue, TimeZone: ev.TimeZone,
		StartsAt: utc(ev.StartsAt), EndsAt: utc(ev.EndsAt), Currency: ev.Currency, Status: string(ev.Status),
		MaxTicketsPerHold: ev.MaxTicketsPerHold, PaymentProviders: ev.PaymentProviders,
		TicketTypes: make([]publicTicketTypeJSON, len(v.TicketTypes))}
	for i := range v.TicketTypes {
		tv := &v.TicketTypes[i]
		state := v.State(tv, now)
		out.TicketTypes[i] = publicTicketTypeJSON{ID: tv.ID, Name: tv.Name, Description: tv.Description,
			Price: money(tv.Price), MinPerHold: tv.MinPerHold, MaxPerHold: tv.MaxPerHold,
			SalesStart: optTime(tv.SalesStart), SalesEnd: optTime(tv.SalesEnd), AttendeeNames: tv.AttendeeNames,
			Available: shown(tv, state),
			State:     state}
	}
	return out
}

// shown is the availability a buyer is told: what could be held now.
func shown(tv *boxoffice.TicketTypeView, state string) int {
	if state == boxoffice.StateUnavailable || state == boxoffice.StateSalesEnded || state == boxoffice.StateNotYetOnSale {
		return 0
	}
	return tv.Available
}

func availabilityOf(v *boxoffice.View, now time.Time) availabilityJSON {
	out := availabilityJSON{EventID: v.Event.ID, Status: string(v.Event.Status),
		TicketTypes: make([]ticketTypeAvailabilityJSON, len(v.TicketTypes)),
		Quotas:      make([]quotaAvailabilityJSON, len(v.Quotas))}
	for i := range v.TicketTypes {
		tv := &v.TicketTypes[i]
		state := v.State(tv, now)
		out.TicketTypes[i] = ticketTypeAvailabilityJSON{TicketTypeID: tv.ID, Available: shown(tv, state), State: state}
	}
	for i := range v.Quotas {
		out.Quotas[i] = quotaAvailabilityJSON{QuotaID: v.Quotas[i].ID, Available: v.Quotas[i].Available()}
	}
	return out
}

func holdOf(eventID string, h *boxoffice.Hold) holdJSON {
	out := holdJSON{ID: h.ID, EventID: eventID, Status: string(h.Status), Items: make([]itemJSON, len(h.Items)),
		Quantity: h.Quantity, CreatedAt: utc(h.CreatedAt), ExpiresAt: utc(h.ExpiresAt)}
	for i, it := range h.Items {
		out.Items[i] = itemJSON{TicketTypeID: it.TicketTypeID, Quantity: it.Quantity}
	}
	switch h.Status {
	case boxoffice.Released:
		out.ReleasedAt = optTime(h.EndedAt)
	case boxoffice.Expired:
		out.ExpiredAt = optTime(h.EndedAt)
	case boxoffice.Converted:
		out.ConvertedAt = optTime(h.EndedAt)
	}
	out.OrderID, out.Extended = h.OrderID, h.Extended
	return out
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
