package stripe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/stripe"
)

// fixedServer answers every request with status and body and counts them.
func fixedServer(t *testing.T, status int, contentType, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Request-Id", "req_test")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

const piJSON = `{"id":"pi_ok","object":"payment_intent","amount":1500,"currency":"eur","status":"succeeded",
	"client_secret":"pi_ok_secret_shh","metadata":{"admit_order_id":"ord_9","admit_event_id":"evt_9"}}`

// declined is a card error as Stripe sends it, with the PaymentIntent and
// its client secret.
const declined = `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds",
	"message":"Your card has insufficient funds.","payment_intent":{"id":"pi_d","object":"payment_intent",
	"client_secret":"pi_d_secret_leak"}}}`

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		kind        fault.Kind
		code        string
		message     string // the user-facing message, if it matters
	}{
		{"card declined", 402, "application/json", declined, fault.Conflict, "payment-declined", "Your card has insufficient funds."},
		{"invalid request", 400, "application/json",
			`{"error":{"type":"invalid_request_error","param":"amount","message":"Amount must be at least €0.50 eur"}}`,
			fault.Invalid, "", "Amount must be at least €0.50 eur"},
		{"idempotency key reused", 400, "application/json",
			`{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`,
			fault.Conflict, "payment-idempotency-conflict", ""},
		{"already refunded", 400, "application/json",
			`{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"Charge ch_1 has already been refunded."}}`,
			fault.Conflict, "", "Charge ch_1 has already been refunded."},
		{"no such payment intent", 404, "application/json",
			`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent: 'pi_x'"}}`,
			fault.NotFound, "", ""},
		{"key refused", 401, "application/json",
			`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_***"}}`,
			fault.Internal, "", ""},
		{"server error", 500, "application/json", `{"error":{"type":"api_error","message":"Something went wrong."}}`,
			fault.Unavailable, "payment-provider-unavailable", ""},
		{"gateway error from a proxy", 502, "text/html", `<html>Bad Gateway</html>`,
			fault.Unavailable, "payment-provider-unavailable", ""},
		{"rate limited", 429, "application/json", `{"error":{"type":"rate_limit","message":"Too many requests."}}`,
			fault.Unavailable, "payment-provider-unavailable", ""},
		{"undecodable success", 200, "text/html", `<html>hello</html>`, fault.Internal, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fixedServer(t, tt.status, tt.contentType, tt.body)
			// One failure opens this breaker: only Unavailable may open it.
			c := newClient(t, stripe.Config{APIBase: srv.URL, Breaker: stripe.BreakerSettings{Failures: 1}})
			_, err := c.PaymentIntent(t.Context(), "pi_x")
			e := fault.As(err)
			if e == nil {
				t.Fatalf("got %v, want a fault", err)
			}
			if e.Kind != tt.kind || e.Code != tt.code {
				t.Errorf("got %v %q (%v), want %v %q", e.Kind, e.Code, err, tt.kind, tt.code)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("got message %q, want %q", e.Message, tt.message)
			}
			if e.Cause == nil {
				t.Error("the error wraps no cause")
			}
			if strings.Contains(err.Error(), "_secret_") {
				t.Errorf("the error's text leaks a client secret: %s", err)
			}
			if got, want := c.BreakerOpen(), tt.kind == fault.Unavailable; got != want {
				t.Errorf("breaker open: got %v, want %v", got, want)
			}
		})
	}
}

func TestPaymentIntentFields(t *testing.T) {
	// stripe-mock does not echo metadata: check the mapping on Stripe's shape.
	srv, _ := fixedServer(t, 200, "application/json", piJSON)
	c := newClient(t, stripe.Config{APIBase: srv.URL})
	got, err := c.PaymentIntent(t.Context(), "pi_ok")
	if err != nil {
		t.Fatal(err)
	}
	want := stripe.PaymentIntent{ID: "pi_ok", Status: "succeeded", ClientSecret: "pi_ok_secret_shh",
		Currency: "EUR", Amount: 1500, OrderID: "ord_9", EventID: "evt_9"}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// wantRefused checks that err is the breaker's refusal.
func wantRefused(t *testing.T, err error) {
	t.Helper()
	e := fault.As(err)
	if e == nil || e.Kind != fault.Unavailable || e.Code != "payment-provider-unavailable" {
		t.Fatalf("got %v, want unavailable payment-provider-unavailable", err)
	}
}

// waitClosed polls until the breaker is no longer open.
func waitClosed(t *testing.T, c *stripe.Client) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.BreakerOpen() {
		if time.Now().After(deadline) {
			t.Fatal("the breaker stayed open for 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBreaker(t *testing.T) {
	t.Run("opens after failures, refuses without a request, closes after a probe", func(t *testing.T) {
		var failing atomic.Bool
		failing.Store(true)
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			if failing.Load() {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"error":{"type":"api_error","message":"boom"}}`))
				return
			}
			_, _ = w.Write([]byte(piJSON))
		}))
		t.Cleanup(srv.Close)
		c := newClient(t, stripe.Config{APIBase: srv.URL,
			Breaker: stripe.BreakerSettings{Failures: 3, OpenFor: 50 * time.Millisecond}})
		ctx := t.Context()

		for i := range 3 {
			if c.BreakerOpen() {
				t.Fatalf("open after %d failures, want 3", i)
			}
			_, err := c.PaymentIntent(ctx, "pi_ok")
			wantRefused(t, err) // a 500 answers the same as a refusal
		}
		if !c.BreakerOpen() {
			t.Fatal("closed after 3 failures")
		}
		_, err := c.CreatePaymentIntent(ctx, "evt_1", "ord_1", 100, "EUR")
		wantRefused(t, err)
		_, err = c.Refund(ctx, "pi_ok", 100, "k")
		wantRefused(t, err)
		if got := n.Load(); got != 3 {
			t.Errorf("%d requests reached the server, want 3: an open breaker let calls through", got)
		}

		failing.Store(false)
		waitClosed(t, c) // half-open now: one probe may pass
		if _, err := c.PaymentIntent(ctx, "pi_ok"); err != nil {
			t.Fatalf("the probe failed: %v", err)
		}
		// Closed again: calls pass, and it takes 3 new failures to open.
		failing.Store(true)
		for range 2 {
			_, _ = c.PaymentIntent(ctx, "pi_ok")
		}
		if c.BreakerOpen() {
			t.Error("open after the probe and 2 failures, want closed")
		}
		if got := n.Load(); got != 6 {
			t.Errorf("%d requests reached the server, want 6", got)
		}
	})

	t.Run("a failed probe opens it again", func(t *testing.T) {
		srv, n := fixedServer(t, 503, "text/plain", "down")
		c := newClient(t, stripe.Config{APIBase: srv.URL,
			Breaker: stripe.BreakerSettings{Failures: 1, OpenFor: 50 * time.Millisecond}})
		_, _ = c.PaymentIntent(t.Context(), "pi_1")
		waitClosed(t, c)
		_, err := c.PaymentIntent(t.Context(), "pi_1")
		wantRefused(t, err)
		if !c.BreakerOpen() || n.Load() != 2 {
			t.Errorf("open %v after %d requests, want open after 2", c.BreakerOpen(), n.Load())
		}
	})

	t.Run("network errors count", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close() // nothing listens there now
		c := newClient(t, stripe.Config{APIBase: url, Breaker: stripe.BreakerSettings{Failures: 2}})
		for range 2 {
			_, err := c.PaymentIntent(t.Context(), "pi_1")
			wantRefused(t, err)
		}
		if !c.BreakerOpen() {
			t.Error("closed after 2 connection failures")
		}
	})

	t.Run("timeouts count", func(t *testing.T) {
		// Before the answer, and while reading it (after a 200 status line).
		for _, headersFirst := range []bool{false, true} {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if headersFirst {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"id":`))
					w.(http.Flusher).Flush()
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			c := newClient(t, stripe.Config{APIBase: srv.URL, Breaker: stripe.BreakerSettings{Failures: 1},
				HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
			_, err := c.PaymentIntent(t.Context(), "pi_1")
			close(release)
			srv.Close()
			wantRefused(t, err)
			if !c.BreakerOpen() {
				t.Errorf("closed after a timeout (headers first: %v)", headersFirst)
			}
		}
	})

	t.Run("declined cards do not count", func(t *testing.T) {
		srv, n := fixedServer(t, 402, "application/json", declined)
		c := newClient(t, stripe.Config{APIBase: srv.URL, Breaker: stripe.BreakerSettings{Failures: 2}})
		for range 5 {
			_, err := c.CreatePaymentIntent(t.Context(), "evt_1", "ord_1", 100, "EUR")
			if e := fault.As(err); e == nil || e.Code != "payment-declined" {
				t.Fatalf("got %v, want payment-declined", err)
			}
		}
		if c.BreakerOpen() || n.Load() != 5 {
			t.Errorf("open %v after %d requests, want closed after 5", c.BreakerOpen(), n.Load())
		}
	})

	t.Run("callers that give up do not count", func(t *testing.T) {
		srv, _ := fixedServer(t, 500, "application/json", `{"error":{"type":"api_error"}}`)
		c := newClient(t, stripe.Config{APIBase: srv.URL, Breaker: stripe.BreakerSettings{Failures: 1}})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.PaymentIntent(ctx, "pi_1"); err == nil {
			t.Fatal("a call with a cancelled context succeeded")
		}
		if c.BreakerOpen() {
			t.Error("a cancelled call opened the breaker")
		}
	})
}
