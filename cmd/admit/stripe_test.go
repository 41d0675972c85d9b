package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/admit-org/admit/internal/stripe/stripemock"
)

// TestCardPayment: with Stripe configured (a real stripe-mock behind the
// stateful proxy), a card order gets its PaymentIntent from the worker, the
// buyer's link shows its client secret, and a signed webhook pays it.
func TestCardPayment(t *testing.T) {
	shim := stripemock.NewStateful(t, stripemock.Start(t))
	const secret = "whsec_admit_e2e"
	dir := t.TempDir()
	a := startAdmit(t, dir, "--stripe-secret-key", "sk_test_admit", "--stripe-webhook-secret", secret,
		"--stripe-api-base", shim.URL)
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"payment_providers": []string{"stripe", "manual"}})
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}})
	o := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"], "payment_provider": "stripe",
		"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	link := o["order_url"].(string)
	var pi string
	deadline := time.Now().Add(30 * time.Second)
	for {
		o = pub.must(200, "GET", link, nil)
		if o["client_secret"] != nil {
			pi = o["payment_intent_id"].(string)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PaymentIntent for the order: %v", o)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(o["client_secret"].(string), pi) {
		t.Fatalf("client secret %q of %s", o["client_secret"], pi)
	}
	// The buyer pays, as the sandbox plays it: the PaymentIntent succeeds and
	// Stripe's signed webhook reaches admit.
	paySandbox(t, shim, pi, a.url, secret)
	if o = pub.must(200, "GET", link, nil); o["status"] != "paid" {
		t.Fatalf("order after the sandbox's webhook: %v", o)
	}
	deliverAt := func(pi, sig string, at time.Time) response {
		payload := fmt.Sprintf(`{"id":"evt_e2e","object":"event","type":"payment_intent.succeeded","created":%d,
			"data":{"object":{"id":%q,"object":"payment_intent"}}}`, time.Now().Unix(), pi)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: secret,
			Timestamp: at})
		if sig == "" {
			sig = signed.Header
		}
		return pub.do("POST", "/api/v1/webhooks/stripe", string(signed.Payload), "Stripe-Signature", sig)
	}
	deliver := func(sig string) response { return deliverAt(pi, sig, time.Now()) }
	if r := deliver("t=1,v1=deadbeef"); r.status != 401 || r.json(t)["code"] != "webhook-signature-invalid" {
		t.Fatalf("forged webhook: %d %s", r.status, r.body)
	}
	if r := deliverAt(pi, "", time.Now().Add(24*time.Hour)); r.status != 401 || r.json(t)["code"] != "webhook-signature-invalid" {
		t.Fatalf("webhook signed a day ahead: %d %s", r.status, r.body)
	}
	// Signed, about a PaymentIntent Stripe does not know: taken, so that
	// Stripe does not deliver it again for days.
	if r := deliverAt("pi_3PkZ8r2eZvKYlo2CunknownX", "", time.Now()); r.status != 200 {
		t.Fatalf("webhook about an unknown PaymentIntent: %d %s", r.status, r.body)
	}
	for range 3 { // Stripe delivering again
		if r := deliver(""); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
	}
	o = pub.must(200, "GET", link, nil)
	if o["status"] != "paid" || len(o["tickets"].([]any)) != 2 || len(o["payments"].([]any)) != 1 || o["client_secret"] != nil {
		t.Fatalf("order after the webhooks: %v", o)
	}

	// A refund is paid back through Stripe by the payments worker.
	orderPath := "/api/v1/events/" + evID + "/orders/" + o["id"].(string)
	c.must(200, "POST", orderPath+"/refunds", map[string]any{"reason": "cannot come"})
	for deadline := time.Now().Add(30 * time.Second); ; {
		refunds := c.must(200, "GET", orderPath, nil)["refunds"].([]any)
		if len(refunds) == 1 && refunds[0].(map[string]any)["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refund was not paid back: %v", refunds)
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.stop()
	wantActors(t, everyEntryNamesItsActor(t, dir), map[string][]string{
		"admit.order.payment_started.v1": {"system"},
		"admit.order.paid.v1":            {"provider"},
		"admit.order.refunded.v1":        {"token"},
		"admit.order.refund_settled.v1":  {"provider"},
	})
}

// paySandbox plays a buyer paying the PaymentIntent pi: the sandbox marks
// it succeeded and sends Stripe's webhook, signed with secret, to admit at
// url.
func paySandbox(t *testing.T, shim *stripemock.Stateful, pi, url, secret string) {
	t.Helper()
	shim.Webhook, shim.WebhookSecret = url+"/api/v1/webhooks/stripe", secret
	paid, err := http.Post(shim.URL+"/sandbox/payment_intents/"+pi+"/succeed", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	paid.Body.Close()
	if paid.StatusCode != 200 {
		t.Fatalf("sandbox succeed: %d", paid.StatusCode)
	}
}

// TestBuyerReadsMakeNoStripeCalls: once the worker has recorded a card
// order's PaymentIntent, the buyer's link and the shop's order page show its
// client secret from the ledger. Reloaded many times while Stripe answers
// 429, they make no call to Stripe and cannot open the breaker that guards
// payments: a new card order is still taken.
func TestBuyerReadsMakeNoStripeCalls(t *testing.T) {
	shim := stripemock.NewStateful(t, stripemock.Start(t))
	backend, err := url.Parse(shim.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	var calls atomic.Int64
	var limited atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if limited.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests."}}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	a := startAdmit(t, t.TempDir(), "--stripe-secret-key", "sk_test_admit", "--stripe-webhook-secret", "whsec_admit_e2e",
		"--stripe-publishable-key", "pk_test_admit", "--stripe-api-base", front.URL)
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"payment_providers": []string{"stripe"}})
	base := "/api/v1/public/events/" + evID
	order := func() map[string]any {
		h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
		return pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"], "payment_provider": "stripe",
			"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	}
	link := order()["order_url"].(string)
	var secret string
	deadline := time.Now().Add(30 * time.Second)
	for secret == "" {
		if time.Now().After(deadline) {
			t.Fatal("no client secret on the buyer's link")
		}
		time.Sleep(10 * time.Millisecond)
		secret, _ = pub.must(200, "GET", link, nil)["client_secret"].(string)
	}
	page := a.url + "/events/" + evID + "/orders/" + link[strings.LastIndex(link, "/")+1:]

	limited.Store(true)
	before := calls.Load()
	for i := range 25 {
		if o := pub.must(200, "GET", link, nil); o["client_secret"] != secret {
			t.Fatalf("GET %d of the link: client secret %v, want %s", i, o["client_secret"], secret)
		}
		res, err := http.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), `data-client-secret="`+secret+`"`) {
			t.Fatalf("GET %d of the order page: %d without the client secret\n%s", i, res.StatusCode, body)
		}
	}
	if n := calls.Load() - before; n != 0 {
		t.Fatalf("50 buyer reads made %d calls to Stripe, want 0", n)
	}
	// The breaker that guards payments is closed: a new card order is taken.
	order()
	if strings.Contains(a.logs.String(), "no --stripe-publishable-key") {
		t.Errorf("warned of a missing publishable key that was given:\n%s", a.logs.String())
	}
}

// TestCardWithoutPublishableKeyWarns: card payments set up without the
// publishable key say at start what is missing and what it means.
func TestCardWithoutPublishableKeyWarns(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--stripe-secret-key", "sk_test_admit", "--stripe-webhook-secret", "whsec_admit_e2e",
		"--stripe-api-base", "http://127.0.0.1:9")
	if logs := a.logs.String(); !strings.Contains(logs, `"level":"WARN"`) ||
		!strings.Contains(logs, "no --stripe-publishable-key (ADMIT_STRIPE_PUBLISHABLE_KEY), so the shop does not offer card") {
		t.Fatalf("no warning of the missing publishable key:\n%s", logs)
	}
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--stripe-secret-key", "sk_test_admit",
		"--stripe-webhook-secret", "whsec_admit_e2e", "--stripe-publishable-key", "sk_test_admit"}, noEnv, io.Discard, io.Discard)
	if exitCode(err) != 2 || strings.Contains(err.Error(), "sk_test_admit") {
		t.Fatalf("a secret key as the publishable key: %v, want a usage error that does not echo it", err)
	}
}

func TestSandboxUsage(t *testing.T) {
	for _, args := range [][]string{{"sandbox"}, {"sandbox", "paypal"}, {"sandbox", "stripe", "--stripe-mock", "ftp://x"},
		{"sandbox", "stripe", "--webhook", "not a url"}} {
		err := run(t.Context(), args, noEnv, io.Discard, io.Discard)
		if exitCode(err) != 2 {
			t.Errorf("admit %q: %v, want a usage error", args, err)
		}
	}
}
