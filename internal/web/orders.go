package web

import (
	"context"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/sqlite"
)

// PaymentGateway is what the API needs of the card payment provider
// (*payments.Payments).
type PaymentGateway interface {
	// BreakerOpen reports whether calls to the provider are failing fast.
	BreakerOpen() bool
	// Webhook handles one signed notification from the provider.
	Webhook(ctx context.Context, body []byte, signature string) error
}

// The JSON shapes of orders.

type buyerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type orderLineJSON struct {
	TicketTypeID string    `json:"ticket_type_id"`
	Name         string    `json:"name"`
	Quantity     int       `json:"quantity"`
	UnitPrice    moneyJSON `json:"unit_price"`
	Amount       moneyJSON `json:"amount"`
}

type orderTicketJSON struct {
	ID           string     `json:"id"`
	TicketTypeID string     `json:"ticket_type_id"`
	Attendee     string     `json:"attendee,omitempty"`
	Price        moneyJSON  `json:"price"`
	Status       string     `json:"status"`
	IssuedAt     time.Time  `json:"issued_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	QRPNG        string     `json:"qr_png_url,omitempty"` // valid tickets: the QR code of the signed secret
	QRSVG        string     `json:"qr_svg_url,omitempty"`
	// Secret is what the QR code holds, for wallets and apps that draw it
	// themselves: the buyer's link only, valid tickets only.
	Secret string `json:"secret,omitempty"`
}

type paymentJSON struct {
	Provider   string    `json:"provider"`
	Ref        string    `json:"ref,omitempty"`
	Amount     moneyJSON `json:"amount"`
	ReceivedAt time.Time `json:"received_at"`
	Kept       bool      `json:"kept"`
}

type refundJSON struct {
	ID        string     `json:"id"`
	Amount    moneyJSON  `json:"amount"`
	TicketIDs []string   `json:"ticket_ids"`
	Reason    string     `json:"reason,omitempty"`
	Provider  string     `json:"provider"`
	Status    string     `json:"status"`
	Message   string     `json:"message,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SettledAt *time.Time `json:"settled_at,omitempty"`
}

type orderJSON struct {
	ID                  string            `json:"id"`
	EventID             string            `json:"event_id"`
	HoldID              string            `json:"hold_id"`
	Status              string            `json:"status"`
	Provider            string            `json:"payment_provider"`
	Buyer               buyerJSON         `json:"buyer"`
	Attendees           []string          `json:"attendees"`
	Lines               []orderLineJSON   `json:"lines"`
	Total               moneyJSON         `json:"total"`
	Refunded            moneyJSON         `json:"refunded"`
	CreatedAt           time.Time         `json:"created_at"`
	PayBy               time.Time         `json:"pay_by"`
	PaidAt              *time.Time        `json:"paid_at,omitempty"`
	EndedAt             *time.Time        `json:"ended_at,omitempty"`
	Reason              string            `json:"reason,omitempty"`
	PaymentInstructions string            `json:"payment_instructions,omitempty"`
	Tickets             []orderTicketJSON `json:"tickets"`
	Payments            []paymentJSON     `json:"payments"`
	Refunds             []refundJSON      `json:"refunds"`
	PaymentIntentID     string            `json:"payment_intent_id,omitempty"` // stripe: made shortly after the order
	ClientSecret        string            `json:"client_secret,omitempty"`     // stripe, pending, buyer's link only: for Stripe.js
	OrderURL            string            `json:"order_url"`                   // the buyer's secret link
	TicketsPDF          string            `json:"tickets_pdf_url,omitempty"`   // while some ticket is valid
	UpdatedAt           time.Time         `json:"updated_at"`

	clientSecret string // the order's, kept from its PaymentStarted; publicOrder shows it to the buyer
}

type orderSummaryJSON struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	Provider  string     `json:"payment_provider"`
	Buyer     buyerJSON  `json:"buyer"`
	Quantity  int        `json:"quantity"`
	Total     moneyJSON  `json:"total"`
	Refunded  moneyJSON  `json:"refunded"`
	CreatedAt time.Time  `json:"created_at"`
	PayBy     time.Time  `json:"pay_by"`
	PaidAt    *time.Time `json:"paid_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

type orderListJSON struct {
	Items      []orderSummaryJSON `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// orderOf renders an order with its tickets. It runs on the box office
// goroutine: everything is copied.
func orderOf(s *boxoffice.State, o *boxoffice.Order) orderJSON {
	out := orderJSON{ID: o.ID, EventID: s.Event.ID, HoldID: o.HoldID, Status: string(o.Status), Provider: o.Provider,
		Buyer: buyerJSON(o.Buyer), Attendees: append([]string{}, o.Attendees...), Total: money(o.Total),
		Refunded: moneyJSON{Amount: o.Refunded(), Currency: o.Total.Currency}, CreatedAt: utc(o.CreatedAt),
		PayBy: utc(o.PayBy), PaidAt: optTime(o.PaidAt), EndedAt: optTime(o.EndedAt), Reason: o.Reason,
		Lines: make([]orderLineJSON, len(o.Lines)), Tickets: make([]orderTicketJSON, len(o.TicketIDs)),
		Payments: make([]paymentJSON, len(o.Payments)), Refunds: make([]refundJSON, len(o.Refunds)),
		OrderURL: links.APIOrder(s.Event.ID, o.Token), PaymentIntentID: o.PaymentIntentID, UpdatedAt: utc(o.UpdatedAt),
		clientSecret: o.ClientSecret}
	if o.Provider == boxoffice.ProviderManual && o.Status == boxoffice.StatusPendingPayment {
		out.PaymentInstructions = s.Event.ManualPaymentInstructions
	}
	for i, l := range o.Lines {
		out.Lines[i] = orderLineJSON{TicketTypeID: l.TicketTypeID, Name: l.Name, Quantity: l.Quantity,
			UnitPrice: money(l.UnitPrice), Amount: money(l.Amount)}
	}
	for i, tid := range o.TicketIDs {
		t := s.Ticket(tid)
		out.Tickets[i] = orderTicketJSON{ID: t.ID, TicketTypeID: t.TicketTypeID, Attendee: t.Attendee,
			Price: money(t.Price), Status: string(t.Status), IssuedAt: utc(t.IssuedAt), RevokedAt: optTime(t.RevokedAt)}
		if t.Status == boxoffice.TicketValid {
			out.Tickets[i].QRPNG = links.TicketQR(s.Event.ID, o.Token, t.ID, "png")
			out.Tickets[i].QRSVG = links.TicketQR(s.Event.ID, o.Token, t.ID, "svg")
			out.TicketsPDF = links.TicketsPDF(s.Event.ID, o.Token)
		}
	}
	for i, p := range o.Payments {
		out.Payments[i] = paymentJSON{Provider: p.Provider, Ref: p.Ref, Amount: money(p.Amount),
			ReceivedAt: utc(p.ReceivedAt), Kept: p.Kept}
	}
	for i, r := range o.Refunds {
		out.Refunds[i] = refundJSON{ID: r.ID, Amount: money(r.Amount), TicketIDs: append([]string{}, r.TicketIDs...),
			Reason: r.Reason, Provider: r.Provider, Status: string(r.Status), Message: r.Message,
			CreatedAt: utc(r.CreatedAt), SettledAt: optTime(r.SettledAt)}
	}
	return out
}

func renderOrder(s *boxoffice.State, d boxoffice.Decision) any {
	if o := s.Order(d.Ref); o != nil {
		return orderOf(s, o)
	}
	return nil
}

type orderIn struct {
	HoldID          opt[string]   `json:"hold_id"`
	Buyer           opt[buyerIn]  `json:"buyer"`
	Attendees       opt[[]string] `json:"attendees"`
	PaymentProvider opt[string]   `json:"payment_provider"`
}

type buyerIn struct {
	Name  opt[string] `json:"name"`
	Email opt[string] `json:"email"`
}

// errProviderDown is the answer to a new order while its payment provider
// cannot be reached: the hold is kept, so the buyer can try again.
func errProviderDown(provider string) error {
	return fault.Coded(fault.Unavailable, "payment-provider-unavailable",
		"payments with %s cannot be taken right now; your tickets stay held, try again shortly", provider)
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitWrite(r); err != nil {
		return err
	}
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	var in orderIn
	idem, err := readCommand(w, r, publicScope, &in)
	if err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/hold_id", &in.HoldID)
	required(&f, "/buyer", &in.Buyer)
	if in.Buyer.Set && !in.Buyer.Null {
		required(&f, "/buyer/name", &in.Buyer.V.Name)
		required(&f, "/buyer/email", &in.Buyer.V.Email)
	}
	notNull(&f, "/attendees", &in.Attendees)
	notNull(&f, "/payment_provider", &in.PaymentProvider)
	if len(in.Attendees.V) > boxoffice.MaxTicketsPerHoldLimit {
		f = append(f, fault.FieldError{Field: "/attendees", Message: "must list at most 100 names"})
	}
	if err := fieldsErr(f); err != nil {
		return err
	}
	if !id.Valid(in.HoldID.V, "ho", id.Long) {
		return fault.New(fault.NotFound, "hold not found")
	}
	if in.PaymentProvider.V == boxoffice.ProviderStripe {
		if s.stripe == nil {
			return fault.Coded(fault.Unavailable, "payment-provider-unavailable",
				"card payments are not set up on this server; choose another way to pay")
		}
		if s.stripe.BreakerOpen() {
			return errProviderDown("card")
		}
	}
	end, err := s.inFlight.begin(evID, idem)
	if err != nil {
		return err
	}
	defer end()
	cmd := &boxoffice.PlaceOrder{OrderID: id.New("od", id.Short), HoldID: in.HoldID.V, Token: id.Token("ot_"),
		Buyer: boxoffice.Buyer{Name: in.Buyer.V.Name.V, Email: in.Buyer.V.Email.V}, Attendees: in.Attendees.V,
		Provider: in.PaymentProvider.V, Idem: idem, Client: s.ClientKey(r, evID)}
	res, err := s.offices.Do(r.Context(), evID, cmd, renderOrder)
	if err != nil {
		return err
	}
	o := res.Value.(orderJSON)
	return s.writeResult(w, http.StatusCreated, res, o.OrderURL, o)
}

// orderToken returns the event id and the order token of a buyer's order
// link, or NotFound.
func orderToken(r *http.Request) (evID, token string, err error) {
	evID, err = eventID(r)
	if err != nil {
		return "", "", err
	}
	token = r.PathValue("token")
	if !id.Valid(token, "ot", 32) {
		return "", "", errOrderNotFound
	}
	return evID, token, nil
}

var errOrderNotFound = fault.New(fault.NotFound, "order not found; check the link from your e-mail")

func (s *Server) publicOrder(w http.ResponseWriter, r *http.Request) error {
	evID, token, err := orderToken(r)
	if err != nil {
		return err
	}
	o, err := s.readOrder(r, evID, errOrderNotFound, func(st *boxoffice.State) *boxoffice.Order { return st.OrderByToken(token) })
	if err != nil {
		return err
	}
	// The secret comes from the ledger, as the payments worker recorded it:
	// a buyer reloading the link never makes a call to Stripe.
	if o.Status == string(boxoffice.StatusPendingPayment) && s.stripe != nil {
		o.ClientSecret = o.clientSecret
	}
	if err := s.addSecrets(r, &o); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

// addSecrets puts each valid ticket's secret in the buyer's order. A
// ticket that cannot admit anyone (its event is long over) has none.
func (s *Server) addSecrets(r *http.Request, o *orderJSON) error {
	if s.printer.Keys == nil || !slices.ContainsFunc(o.Tickets, func(t orderTicketJSON) bool { return t.QRPNG != "" }) {
		return nil
	}
	po, err := s.buyerOrder(r)
	if err != nil {
		return err
	}
	for i := range o.Tickets {
		t := &o.Tickets[i]
		if t.QRPNG == "" {
			continue
		}
		secret, err := s.printer.Secret(r.Context(), po, t.ID)
		switch {
		case err == nil:
			t.Secret = secret
		case fault.Is(err, fault.Conflict):
		default:
			return err
		}
	}
	return nil
}

// stripeWebhook takes Stripe's notifications. The signature is checked on
// the raw body; 2xx tells Stripe not to deliver again.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.stripe == nil {
		return fault.New(fault.NotFound, "card payments are not set up on this server")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		return fault.Coded(fault.Invalid, "body-too-large", "the body must be at most %d bytes", MaxWebhookBytes)
	}
	if err := s.stripe.Webhook(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}

// MaxWebhookBytes bounds a webhook delivery's body.
const MaxWebhookBytes = 256 << 10

// readOrder renders the order that find picks from the event's state, or
// answers notFound.
func (s *Server) readOrder(r *http.Request, evID string, notFound error, find func(*boxoffice.State) *boxoffice.Order) (orderJSON, error) {
	v, err := s.offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if st.Event == nil {
			return nil
		}
		if o := find(st); o != nil {
			return orderOf(st, o)
		}
		return nil
	})
	if err != nil {
		return orderJSON{}, err
	}
	o, ok := v.(orderJSON)
	if !ok {
		return orderJSON{}, notFound
	}
	return o, nil
}

// orderID returns the order id of an organizer's order path, or NotFound.
func orderID(r *http.Request) (string, error) {
	oid := r.PathValue("order_id")
	if !id.Valid(oid, "od", id.Short) {
		return "", fault.New(fault.NotFound, "order not found")
	}
	return oid, nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	oid, err := orderID(r)
	if err != nil {
		return err
	}
	o, err := s.readOrder(r, evID, fault.New(fault.NotFound, "order not found"), func(st *boxoffice.State) *boxoffice.Order {
		if st.Event.OrganizerID != org.ID {
			return nil
		}
		return st.Order(oid)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	v, err := s.organizerView(r, org)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var f []fault.FieldError
	limit := limitParam(&f, q.Get("limit"), 100)
	status := q.Get("status")
	switch boxoffice.OrderStatus(status) {
	case "", boxoffice.StatusPendingPayment, boxoffice.StatusPaid, boxoffice.StatusExpired, boxoffice.StatusCancelled,
		boxoffice.StatusRefunded:
	default:
		f = append(f, fault.FieldError{Field: "status",
			Message: "must be one of pending_payment, paid, expired, cancelled, refunded"})
	}
	search := q.Get("q")
	if len(search) > 200 {
		f = append(f, fault.FieldError{Field: "q", Message: "must be at most 200 bytes"})
	}
	if len(f) > 0 {
		return badQuery(f)
	}
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	rows, next, err := s.read.ListOrders(r.Context(), sqlite.OrderFilter{EventID: v.Event.ID, Status: status,
		Query: search, Limit: limit, Cursor: q.Get("cursor")})
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		return badQuery(fe.Fields)
	}
	if err != nil {
		return err
	}
	out := orderListJSON{Items: make([]orderSummaryJSON, len(rows)), NextCursor: next}
	for i, o := range rows {
		out.Items[i] = orderSummaryJSON{ID: o.ID, Status: o.Status, Provider: o.Provider,
			Buyer: buyerJSON{Name: o.BuyerName, Email: o.BuyerEmail}, Quantity: o.Quantity,
			Total:    moneyJSON{Amount: o.TotalAmount, Currency: o.Currency},
			Refunded: moneyJSON{Amount: o.RefundedAmount, Currency: o.Currency}, CreatedAt: utc(o.CreatedAt),
			PayBy: utc(o.PayBy), PaidAt: optTime(o.PaidAt), EndedAt: optTime(o.EndedAt), UpdatedAt: utc(o.UpdatedAt)}
	}
	return writeJSON(w, http.StatusOK, out)
}

// orderCommand runs an organizer's POST on one order.
func (s *Server) orderCommand(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, in any,
	build func(orderID string, idem *boxoffice.IdemStamp) (boxoffice.Command, error)) error {
	oid, err := orderID(r)
	if err != nil {
		return err
	}
	return s.organizerCommand(w, r, org, in, http.StatusOK, "", func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		cmd, err := build(oid, idem)
		return cmd, renderOrder, err
	})
}

func (s *Server) markPaid(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	var in struct {
		Amount opt[moneyIn] `json:"amount"`
	}
	return s.orderCommand(w, r, org, &in, func(oid string, _ *boxoffice.IdemStamp) (boxoffice.Command, error) {
		var f []fault.FieldError
		notNull(&f, "/amount", &in.Amount)
		if in.Amount.Set && !in.Amount.Null {
			required(&f, "/amount/amount", &in.Amount.V.Amount)
			required(&f, "/amount/currency", &in.Amount.V.Currency)
		}
		if err := fieldsErr(f); err != nil {
			return nil, err
		}
		cmd := &boxoffice.RecordPayment{OrderID: oid, OrganizerID: org.ID, Provider: boxoffice.ProviderManual,
			RefundID: id.New("rf", id.Short), Actor: actor.String()}
		if in.Amount.Set {
			cmd.Amount = boxoffice.Money{Amount: in.Amount.V.Amount.V, Currency: in.Amount.V.Currency.V}
		}
		return cmd, nil
	})
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	var in struct {
		Reason opt[string] `json:"reason"`
	}
	return s.orderCommand(w, r, org, &in, func(oid string, idem *boxoffice.IdemStamp) (boxoffice.Command, error) {
		var f []fault.FieldError
		notNull(&f, "/reason", &in.Reason)
		if err := fieldsErr(f); err != nil {
			return nil, err
		}
		return &boxoffice.CancelOrder{OrganizerID: org.ID, OrderID: oid, Reason: in.Reason.V,
			RefundID: id.New("rf", id.Short), Idem: idem, Actor: actor.String()}, nil
	})
}

func (s *Server) refundOrder(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	var in struct {
		TicketIDs opt[[]string] `json:"ticket_ids"`
		Reason    opt[string]   `json:"reason"`
	}
	return s.orderCommand(w, r, org, &in, func(oid string, idem *boxoffice.IdemStamp) (boxoffice.Command, error) {
		var f []fault.FieldError
		notNull(&f, "/ticket_ids", &in.TicketIDs)
		notNull(&f, "/reason", &in.Reason)
		if in.TicketIDs.Set && len(in.TicketIDs.V) == 0 {
			f = append(f, fault.FieldError{Field: "/ticket_ids", Message: "must list at least one ticket, or be left out to refund all"})
		}
		if len(in.TicketIDs.V) > boxoffice.MaxTicketsPerHoldLimit {
			f = append(f, fault.FieldError{Field: "/ticket_ids", Message: "must list at most 100 tickets"})
		}
		if err := fieldsErr(f); err != nil {
			return nil, err
		}
		return &boxoffice.RefundOrder{OrganizerID: org.ID, OrderID: oid, TicketIDs: in.TicketIDs.V, Reason: in.Reason.V,
			RefundID: id.New("rf", id.Short), Idem: idem, Actor: actor.String()}, nil
	})
}

// resendTickets asks for a paid order's tickets to be e-mailed to the
// buyer again.
func (s *Server) resendTickets(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	var in struct{}
	return s.orderCommand(w, r, org, &in, func(oid string, idem *boxoffice.IdemStamp) (boxoffice.Command, error) {
		return &boxoffice.ResendTickets{OrganizerID: org.ID, OrderID: oid, Actor: actor.String(), Idem: idem}, nil
	})
}
