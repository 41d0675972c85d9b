package stripe

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/admit-org/admit/internal/fault"
)

// WebhookTolerance is how far a webhook's signature time may be from now,
// either way: older is a replay, newer a forgery or a clock gone wrong.
// Stripe's own libraries allow 300 s.
const WebhookTolerance = 5 * time.Minute

// errFromFuture is why a signature made after now plus WebhookTolerance is
// refused: stripe-go checks only its age.
var errFromFuture = errors.New("stripe: the webhook signature's timestamp is in the future")

// WebhookEvent is what admit needs of a Stripe event delivered by webhook.
// (A Stripe "event" is a notification, not one of admit's events.)
type WebhookEvent struct {
	ID   string // "evt_…": deliveries may repeat; deduplicate by it
	Type string // "payment_intent.succeeded", …
	// PaymentIntentID is the PaymentIntent the event is about, for
	// payment_intent.* events only.
	PaymentIntentID string
	Created         time.Time
}

// ParseWebhook verifies the Stripe-Signature header of a webhook delivery
// over its raw body, signed with the configured webhook secret at a time
// within WebhookTolerance of now (before or after), and returns the event. It accepts events of any
// API version: admit reads only ids and types, which do not change between
// versions.
//
// Errors: Unauthorized coded "webhook-signature-invalid" for a missing,
// malformed or wrong signature, or one signed too long before or after now; Invalid for a body that is not a
// Stripe event; Internal when no webhook secret is configured. It makes no
// request and is safe for concurrent use.
func (c *Client) ParseWebhook(body []byte, signature string) (WebhookEvent, error) {
	if c.webhookSecret == "" {
		return WebhookEvent{}, fault.New(fault.Internal, "stripe: no webhook secret configured")
	}
	e, err := webhook.ConstructEventWithOptions(body, signature, c.webhookSecret, webhook.ConstructEventOptions{
		Tolerance:                WebhookTolerance,
		IgnoreAPIVersionMismatch: true,
	})
	if err == nil && signedAt(signature).After(time.Now().Add(WebhookTolerance)) {
		err = errFromFuture
	}
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld), errors.Is(err, errFromFuture):
		return WebhookEvent{}, &fault.Error{Kind: fault.Unauthorized, Code: "webhook-signature-invalid",
			Message: "the webhook signature is missing, wrong, or not made within 5 minutes of now", Cause: err}
	case err != nil:
		// Signed by Stripe, yet not an event (stripe-go's other errors).
		return WebhookEvent{}, fault.Wrap(fault.Invalid, err, "the webhook body is not a Stripe event")
	case e.ID == "" || e.Type == "" || e.Created <= 0:
		return WebhookEvent{}, fault.New(fault.Invalid, "the webhook event lacks an id, a type or a creation time")
	}

	ev := WebhookEvent{ID: e.ID, Type: string(e.Type), Created: time.Unix(e.Created, 0).UTC()}
	if strings.HasPrefix(ev.Type, "payment_intent.") {
		var obj struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		}
		if e.Data != nil {
			if err := json.Unmarshal(e.Data.Raw, &obj); err != nil {
				return WebhookEvent{}, fault.Wrap(fault.Invalid, err, "the webhook event's object is malformed")
			}
		}
		if obj.Object != "payment_intent" || obj.ID == "" {
			return WebhookEvent{}, fault.New(fault.Invalid, "the %s event carries no payment intent", ev.Type)
		}
		ev.PaymentIntentID = obj.ID
	}
	return ev, nil
}

// signedAt returns the time of a Stripe-Signature header ("t=1495999758,
// v1=…"), read as stripe-go reads it (the last t wins), or the zero time.
// Call it only on a header stripe-go has verified.
func signedAt(header string) time.Time {
	var at time.Time
	for pair := range strings.SplitSeq(header, ",") {
		if v, ok := strings.CutPrefix(pair, "t="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				at = time.Unix(n, 0)
			}
		}
	}
	return at
}

// WebhookEventOf returns the admit event a webhook delivery's body names:
// the admit_event_id of the PaymentIntent a payment_intent.* event
// carries, as Stripe sends it; "" when it names none. It does not check
// the signature: its answer only chooses which node of a cluster verifies
// and takes the delivery.
func WebhookEventOf(body []byte) string {
	var e struct {
		Type string `json:"type"`
		Data struct {
			Object struct {
				Object   string            `json:"object"`
				Metadata map[string]string `json:"metadata"`
			} `json:"object"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &e) != nil || !strings.HasPrefix(e.Type, "payment_intent.") || e.Data.Object.Object != "payment_intent" {
		return ""
	}
	return e.Data.Object.Metadata[metaEventID]
}
