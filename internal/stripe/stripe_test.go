package stripe_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/stripe"
	"github.com/admit-org/admit/internal/stripe/stripemock"
)

// These tests run against a real stripe-mock. It is stateless: it validates
// each request against Stripe's OpenAPI spec and answers with a fixture into
// which it copies the request's path id and those top-level parameters the
// fixture already has (amount, currency, payment_intent), but not metadata
// (the fixture's is empty), and it ignores Idempotency-Key. So what stripe-mock
// cannot show — metadata, idempotency — is checked on the wire, by a proxy
// that records each request on its way to stripe-mock.

// recorded is one request as the proxy saw it.
type recorded struct {
	method, path string
	header       http.Header
	form         url.Values
}

// proxy is a reverse proxy to stripe-mock that records the requests.
type proxy struct {
	mu   sync.Mutex
	reqs []recorded
}

func startProxy(t *testing.T, target string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		p.reqs = append(p.reqs, recorded{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), form: form})
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// last returns the last request the proxy saw.
func (p *proxy) last(t *testing.T) recorded {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reqs) == 0 {
		t.Fatal("no request reached stripe-mock")
	}
	return p.reqs[len(p.reqs)-1]
}

func TestAgainstStripeMock(t *testing.T) {
	rec, base := startProxy(t, stripemock.Start(t))
	c := newClient(t, stripe.Config{APIBase: base})
	ctx := t.Context()

	t.Run("CreatePaymentIntent", func(t *testing.T) {
		pi, err := c.CreatePaymentIntent(ctx, "evt_1", "ord_1", 4200, "EUR")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pi.ID, "pi_") || pi.ClientSecret == "" || pi.Status == "" {
			t.Errorf("got id %q, client secret %q, status %q; want a pi_ id, a client secret and a status", pi.ID, pi.ClientSecret, pi.Status)
		}
		// Echoed by stripe-mock from the request.
		if pi.Amount != 4200 || pi.Currency != "EUR" {
			t.Errorf("got %d %s, want 4200 EUR", pi.Amount, pi.Currency)
		}

		r := rec.last(t)
		want := map[string]string{
			"amount":                             "4200",
			"currency":                           "eur",
			"automatic_payment_methods[enabled]": "true",
			"metadata[admit_order_id]":           "ord_1",
			"metadata[admit_event_id]":           "evt_1",
		}
		if r.method != http.MethodPost || r.path != "/v1/payment_intents" {
			t.Errorf("got %s %s, want POST /v1/payment_intents", r.method, r.path)
		}
		for k, v := range want {
			if got := r.form.Get(k); got != v {
				t.Errorf("sent %s=%q, want %q", k, got, v)
			}
		}
		if got := r.header.Get("Idempotency-Key"); got != "admit-pi-ord_1" {
			t.Errorf("sent Idempotency-Key %q, want admit-pi-ord_1", got)
		}
	})

	t.Run("CreatePaymentIntent again for the same order", func(t *testing.T) {
		// Stripe answers a repeated key with the first PaymentIntent;
		// stripe-mock cannot, so check that the repeat carries the same key.
		var keys []string
		for range 2 {
			if _, err := c.CreatePaymentIntent(ctx, "evt_1", "ord_2", 1000, "eur"); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, rec.last(t).header.Get("Idempotency-Key"))
		}
		if keys[0] != "admit-pi-ord_2" || keys[1] != keys[0] {
			t.Errorf("sent Idempotency-Keys %q, want admit-pi-ord_2 twice", keys)
		}
	})

	t.Run("PaymentIntent", func(t *testing.T) {
		pi, err := c.PaymentIntent(ctx, "pi_fetched")
		if err != nil {
			t.Fatal(err)
		}
		if pi.ID != "pi_fetched" {
			t.Errorf("got id %q, want pi_fetched", pi.ID)
		}
		// stripe-mock's fixture is in "usd": admit reads it upper-case.
		if pi.Currency != strings.ToUpper(pi.Currency) || len(pi.Currency) != 3 {
			t.Errorf("got currency %q, want an upper-case ISO 4217 code", pi.Currency)
		}
		if r := rec.last(t); r.method != http.MethodGet || r.path != "/v1/payment_intents/pi_fetched" {
			t.Errorf("got %s %s, want GET /v1/payment_intents/pi_fetched", r.method, r.path)
		}
	})

	t.Run("Refund", func(t *testing.T) {
		r, err := c.Refund(ctx, "pi_refunded", 500, "admit-refund-1")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.ID, "re_") || r.Status == "" || r.Amount != 500 {
			t.Errorf("got %+v, want a re_ id, a status and amount 500", r)
		}
		sent := rec.last(t)
		if sent.path != "/v1/refunds" || sent.form.Get("payment_intent") != "pi_refunded" || sent.form.Get("amount") != "500" {
			t.Errorf("sent %s %v, want /v1/refunds payment_intent=pi_refunded amount=500", sent.path, sent.form)
		}
		if got := sent.header.Get("Idempotency-Key"); got != "admit-refund-1" {
			t.Errorf("sent Idempotency-Key %q, want admit-refund-1", got)
		}
	})

	t.Run("a refused key is Internal and does not open the breaker", func(t *testing.T) {
		// stripe-mock accepts only test-mode keys: a live key gets 401.
		live := newClient(t, stripe.Config{SecretKey: "sk_live_123", APIBase: base,
			Breaker: stripe.BreakerSettings{Failures: 1}})
		_, err := live.PaymentIntent(ctx, "pi_1")
		if got := fault.KindOf(err); got != fault.Internal {
			t.Errorf("got %v (%v), want internal", got, err)
		}
		if live.BreakerOpen() {
			t.Error("a 401 opened the breaker")
		}
	})

	t.Run("arguments are checked before any request", func(t *testing.T) {
		rec.mu.Lock()
		before := len(rec.reqs)
		rec.mu.Unlock()
		calls := map[string]func() error{
			"no order":        func() error { _, err := c.CreatePaymentIntent(ctx, "evt_1", "", 100, "EUR"); return err },
			"zero amount":     func() error { _, err := c.CreatePaymentIntent(ctx, "evt_1", "ord_1", 0, "EUR"); return err },
			"bad currency":    func() error { _, err := c.CreatePaymentIntent(ctx, "evt_1", "ord_1", 100, "EURO"); return err },
			"no id":           func() error { _, err := c.PaymentIntent(ctx, ""); return err },
			"no refund key":   func() error { _, err := c.Refund(ctx, "pi_1", 100, ""); return err },
			"negative refund": func() error { _, err := c.Refund(ctx, "pi_1", -1, "k"); return err },
		}
		for name, call := range calls {
			if err := call(); !fault.Is(err, fault.Invalid) {
				t.Errorf("%s: got %v, want invalid", name, err)
			}
		}
		rec.mu.Lock()
		after := len(rec.reqs)
		rec.mu.Unlock()
		if after != before {
			t.Errorf("%d requests reached stripe-mock, want none", after-before)
		}
	})
}

func TestNew(t *testing.T) {
	bad := map[string]stripe.Config{
		"no key":             {},
		"publishable key":    {SecretKey: "pk_test_123"},
		"key with no secret": {SecretKey: "sk_test_"},
		"key with a space":   {SecretKey: "sk_test_12 3"},
		"webhook secret":     {SecretKey: "sk_test_123", WebhookSecret: "secret"},
		"API base scheme":    {SecretKey: "sk_test_123", APIBase: "ftp://example.com"},
		"API base host":      {SecretKey: "sk_test_123", APIBase: "http://"},
	}
	for name, cfg := range bad {
		if _, err := stripe.New(cfg); !fault.Is(err, fault.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	for _, key := range []string{"sk_test_123", "sk_live_AbC9", "rk_test_x1"} {
		if _, err := stripe.New(stripe.Config{SecretKey: key, WebhookSecret: "whsec_1"}); err != nil {
			t.Errorf("key %s: %v", key, err)
		}
	}
}

// newClient returns a client for cfg, with a test key unless cfg has one.
func newClient(t testing.TB, cfg stripe.Config) *stripe.Client {
	t.Helper()
	if cfg.SecretKey == "" {
		cfg.SecretKey = "sk_test_123"
	}
	c, err := stripe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
