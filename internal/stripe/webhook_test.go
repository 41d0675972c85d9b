package stripe_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/stripe"
)

const whsec = "whsec_test_admit"

// eventJSON is a Stripe event of typ about object, rendered in apiVersion.
func eventJSON(typ, apiVersion, object string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_1","object":"event","api_version":%q,"created":1767225600,
		"type":%q,"livemode":false,"pending_webhooks":1,"data":{"object":%s}}`, apiVersion, typ, object)
}

const piObject = `{"id":"pi_paid","object":"payment_intent","amount":4200,"currency":"eur","status":"succeeded"}`

// sign signs body as Stripe would at t with secret.
func sign(body []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t}).Header
}

func TestParseWebhook(t *testing.T) {
	c := newClient(t, stripe.Config{WebhookSecret: whsec})
	now := time.Now()
	succeeded := eventJSON("payment_intent.succeeded", "2026-06-24.dahlia", piObject)

	t.Run("payment intent event", func(t *testing.T) {
		got, err := c.ParseWebhook(succeeded, sign(succeeded, whsec, now))
		if err != nil {
			t.Fatal(err)
		}
		want := stripe.WebhookEvent{ID: "evt_1", Type: "payment_intent.succeeded", PaymentIntentID: "pi_paid",
			Created: time.Unix(1767225600, 0).UTC()}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("other API versions are accepted", func(t *testing.T) {
		for _, v := range []string{"2020-08-27", "2025-03-31.basil", ""} {
			body := eventJSON("payment_intent.payment_failed", v, piObject)
			if got, err := c.ParseWebhook(body, sign(body, whsec, now)); err != nil || got.PaymentIntentID != "pi_paid" {
				t.Errorf("api_version %q: got %+v, %v", v, got, err)
			}
		}
	})

	t.Run("other events carry no payment intent", func(t *testing.T) {
		body := eventJSON("charge.refunded", "2026-06-24.dahlia",
			`{"id":"ch_1","object":"charge","payment_intent":"pi_paid"}`)
		got, err := c.ParseWebhook(body, sign(body, whsec, now))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != "charge.refunded" || got.PaymentIntentID != "" {
			t.Errorf("got %+v, want a charge.refunded event without a payment intent", got)
		}
	})

	t.Run("a signature within the tolerance", func(t *testing.T) {
		if _, err := c.ParseWebhook(succeeded, sign(succeeded, whsec, now.Add(-4*time.Minute))); err != nil {
			t.Error(err)
		}
		// Stripe's clock a little ahead of ours.
		if _, err := c.ParseWebhook(succeeded, sign(succeeded, whsec, now.Add(4*time.Minute))); err != nil {
			t.Error(err)
		}
	})

	refused := map[string]struct {
		body      []byte
		signature string
	}{
		"wrong secret":      {succeeded, sign(succeeded, "whsec_other", now)},
		"tampered body":     {eventJSON("payment_intent.succeeded", "2026-06-24.dahlia", `{"id":"pi_evil","object":"payment_intent"}`), sign(succeeded, whsec, now)},
		"expired":           {succeeded, sign(succeeded, whsec, now.Add(-6*time.Minute))},
		"a day ahead":       {succeeded, sign(succeeded, whsec, now.Add(24*time.Hour))},
		"6 minutes ahead":   {succeeded, sign(succeeded, whsec, now.Add(6*time.Minute))},
		"no signature":      {succeeded, ""},
		"garbled signature": {succeeded, "t=oops,v1=zz"},
	}
	for name, tt := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := c.ParseWebhook(tt.body, tt.signature)
			if e := fault.As(err); e == nil || e.Kind != fault.Unauthorized || e.Code != "webhook-signature-invalid" {
				t.Errorf("got %v, want unauthorized webhook-signature-invalid", err)
			}
		})
	}

	malformed := map[string][]byte{
		"not JSON":            []byte(`{"id":`),
		"not an event":        []byte(`{"id":"pi_1","object":"payment_intent"}`),
		"no id":               []byte(`{"object":"event","type":"payment_intent.succeeded","created":1,"data":{"object":` + piObject + `}}`),
		"no PI in a PI event": eventJSON("payment_intent.succeeded", "2026-06-24.dahlia", `{"id":"ch_1","object":"charge"}`),
	}
	for name, body := range malformed {
		t.Run(name, func(t *testing.T) {
			if _, err := c.ParseWebhook(body, sign(body, whsec, now)); !fault.Is(err, fault.Invalid) {
				t.Errorf("got %v, want invalid", err)
			}
		})
	}

	t.Run("no webhook secret configured", func(t *testing.T) {
		c := newClient(t, stripe.Config{})
		if _, err := c.ParseWebhook(succeeded, sign(succeeded, "", now)); !fault.Is(err, fault.Internal) || fault.As(err) == nil {
			t.Errorf("got %v, want internal", err)
		}
	})
}

func TestWebhookEventOf(t *testing.T) {
	withMeta := `{"id":"pi_paid","object":"payment_intent","metadata":{"admit_event_id":"ev_abc","admit_order_id":"od_x"}}`
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"a payment intent of admit's", eventJSON("payment_intent.succeeded", "2025-01-27.acacia", withMeta), "ev_abc"},
		{"without metadata", eventJSON("payment_intent.succeeded", "2025-01-27.acacia", piObject), ""},
		{"another type", eventJSON("charge.succeeded", "2025-01-27.acacia", withMeta), ""},
		{"another object", eventJSON("payment_intent.succeeded", "2025-01-27.acacia",
			`{"id":"ch_1","object":"charge","metadata":{"admit_event_id":"ev_abc"}}`), ""},
		{"not JSON", []byte("{"), ""},
	} {
		if got := stripe.WebhookEventOf(c.body); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
