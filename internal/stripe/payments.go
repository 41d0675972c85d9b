package stripe

import (
	"context"
	"strings"

	stripego "github.com/stripe/stripe-go/v86"

	"github.com/admit-org/admit/internal/fault"
)

// The metadata keys by which a PaymentIntent names its order and event.
const (
	metaOrderID = "admit_order_id"
	metaEventID = "admit_event_id"
)

// PaymentIntent is what admit needs of a Stripe PaymentIntent.
type PaymentIntent struct {
	ID string
	// Status is Stripe's: "requires_payment_method", "processing",
	// "succeeded", "canceled", …
	Status string
	// ClientSecret lets the buyer's browser confirm the payment. Hand it to
	// that buyer only, and never log it.
	ClientSecret string
	// Currency is upper-case ISO 4217 ("EUR"), as admit writes it.
	Currency string
	// Amount is in the currency's minor units.
	Amount int64
	// OrderID and EventID come from the metadata admit_order_id and
	// admit_event_id; empty for a PaymentIntent admit did not create.
	OrderID, EventID string
}

// RefundResult is the outcome of a refund.
type RefundResult struct {
	ID string
	// Status is Stripe's: "pending", "succeeded", "failed", …
	Status string
	// Amount is what was refunded, in minor units.
	Amount int64
}

// CreatePaymentIntent creates the PaymentIntent that pays for an order:
// amount in currency's minor units, automatic payment methods, and the
// order and event in its metadata. It sends the Idempotency-Key
// "admit-pi-" + orderID, so calling it again for the same order (after a
// crash, say) returns the same PaymentIntent and never creates a second one
// — within the 24 hours Stripe keeps idempotency keys, and as long as the
// amount and currency are the same: otherwise it fails with Conflict
// "payment-idempotency-conflict".
//
// currency is a three-letter ISO 4217 code in any case. Errors: Invalid for
// bad arguments or a request Stripe refuses, Unavailable when Stripe cannot
// be reached (see the package comment), Internal when our key is refused.
func (c *Client) CreatePaymentIntent(ctx context.Context, eventID, orderID string, amount int64, currency string) (PaymentIntent, error) {
	var fields []fault.FieldError
	if eventID == "" {
		fields = append(fields, fault.FieldError{Field: "/event_id", Message: "the event is missing"})
	}
	if orderID == "" {
		fields = append(fields, fault.FieldError{Field: "/order_id", Message: "the order is missing"})
	}
	if amount <= 0 {
		fields = append(fields, fault.FieldError{Field: "/amount", Message: "the amount must be positive"})
	}
	if !isCurrency(currency) {
		fields = append(fields, fault.FieldError{Field: "/currency", Message: "the currency must be a three-letter ISO 4217 code"})
	}
	if len(fields) > 0 {
		return PaymentIntent{}, fault.Fields(fields...)
	}

	params := &stripego.PaymentIntentCreateParams{
		Amount:   stripego.Int64(amount),
		Currency: stripego.String(strings.ToLower(currency)),
		AutomaticPaymentMethods: &stripego.PaymentIntentCreateAutomaticPaymentMethodsParams{
			Enabled: stripego.Bool(true),
		},
	}
	// PaymentIntentCreateParams has a Metadata field of its own that shadows
	// Params.Metadata; its AddMetadata fills the right one.
	params.AddMetadata(metaOrderID, orderID)
	params.AddMetadata(metaEventID, eventID)
	params.SetIdempotencyKey("admit-pi-" + orderID)

	var pi *stripego.PaymentIntent
	err := c.call(ctx, "create payment intent for order "+orderID, func(ctx context.Context) error {
		var err error
		pi, err = c.api.V1PaymentIntents.Create(ctx, params)
		return err
	})
	if err != nil {
		return PaymentIntent{}, err
	}
	return paymentIntent(pi), nil
}

// PaymentIntent fetches a PaymentIntent, as a webhook handler should before
// acting on one: the webhook tells that something happened, the fetch what
// is true now. Errors: Invalid for an empty id, NotFound for an unknown one,
// Unavailable and Internal as for CreatePaymentIntent.
func (c *Client) PaymentIntent(ctx context.Context, id string) (PaymentIntent, error) {
	if id == "" {
		return PaymentIntent{}, fault.New(fault.Invalid, "the payment intent is missing")
	}
	var pi *stripego.PaymentIntent
	err := c.call(ctx, "fetch payment intent "+id, func(ctx context.Context) error {
		var err error
		pi, err = c.api.V1PaymentIntents.Retrieve(ctx, id, nil)
		return err
	})
	if err != nil {
		return PaymentIntent{}, err
	}
	return paymentIntent(pi), nil
}

// Refund refunds amount (minor units, positive) of a PaymentIntent's
// payment. idempotencyKey, required, names this refund: a second call with
// the same key returns the first refund instead of refunding twice; use one
// per refund admit decides on (e.g. "admit-refund-" + the refund's id).
// Errors: Invalid for bad arguments or an amount Stripe refuses (more than
// is left, say), Conflict for a payment already refunded in full, NotFound
// for an unknown PaymentIntent, Unavailable and Internal as for
// CreatePaymentIntent.
func (c *Client) Refund(ctx context.Context, paymentIntentID string, amount int64, idempotencyKey string) (RefundResult, error) {
	var fields []fault.FieldError
	if paymentIntentID == "" {
		fields = append(fields, fault.FieldError{Field: "/payment_intent_id", Message: "the payment intent is missing"})
	}
	if amount <= 0 {
		fields = append(fields, fault.FieldError{Field: "/amount", Message: "the amount must be positive"})
	}
	if idempotencyKey == "" {
		fields = append(fields, fault.FieldError{Field: "/idempotency_key", Message: "the idempotency key is missing"})
	}
	if len(fields) > 0 {
		return RefundResult{}, fault.Fields(fields...)
	}

	params := &stripego.RefundCreateParams{
		PaymentIntent: stripego.String(paymentIntentID),
		Amount:        stripego.Int64(amount),
	}
	params.SetIdempotencyKey(idempotencyKey)

	var r *stripego.Refund
	err := c.call(ctx, "refund payment intent "+paymentIntentID, func(ctx context.Context) error {
		var err error
		r, err = c.api.V1Refunds.Create(ctx, params)
		return err
	})
	if err != nil {
		return RefundResult{}, err
	}
	return RefundResult{ID: r.ID, Status: string(r.Status), Amount: r.Amount}, nil
}

func paymentIntent(pi *stripego.PaymentIntent) PaymentIntent {
	return PaymentIntent{
		ID:           pi.ID,
		Status:       string(pi.Status),
		ClientSecret: pi.ClientSecret,
		Currency:     strings.ToUpper(string(pi.Currency)),
		Amount:       pi.Amount,
		OrderID:      pi.Metadata[metaOrderID],
		EventID:      pi.Metadata[metaEventID],
	}
}

// isCurrency reports whether s looks like an ISO 4217 code: three ASCII
// letters in any case. Stripe checks that it names a currency it supports.
func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		b := s[i] | 0x20 // lower case
		if b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}
