package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/admit-org/admit/internal/stripe/sandbox"
	"github.com/admit-org/admit/internal/web"
)

// sandboxStripe serves the Stripe sandbox: a proxy in front of a local
// stripe-mock that keeps PaymentIntents, so a card payment can be played
// through with curl and no Stripe account.
func sandboxStripe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("sandbox stripe", `Serves a Stripe API for trying card payments without a Stripe account: it
forwards to a local stripe-mock (which checks every request but keeps no
state), remembers each PaymentIntent, and plays the buyer paying one:
  curl -X POST http://ADDR/sandbox/payment_intents/pi_…/succeed
marks it succeeded and sends admit the signed payment_intent.succeeded
webhook. Point admit serve --stripe-api-base at it. See docs/payments.md.`, getenv, stderr)
	addr := f.string("addr", "ADMIT_SANDBOX_ADDR", "127.0.0.1:12110", "address to listen on")
	mock := f.string("stripe-mock", "ADMIT_SANDBOX_STRIPE_MOCK", "http://127.0.0.1:12111", "the stripe-mock to forward to")
	hook := f.string("webhook", "ADMIT_SANDBOX_WEBHOOK", "http://127.0.0.1:8080/api/v1/webhooks/stripe",
		"admit's Stripe webhook endpoint")
	secret := f.string("webhook-secret", "ADMIT_STRIPE_WEBHOOK_SECRET", "whsec_sandbox",
		"the webhook signing secret admit serve was given")
	if err := f.parse(args); err != nil {
		return err
	}
	for _, u := range []struct{ flag, v string }{{"--stripe-mock", *mock}, {"--webhook", *hook}} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &usageError{fmt.Sprintf("%s %q: want an http(s) URL", u.flag, u.v)}
		}
	}
	p := sandbox.New(*mock)
	p.Webhook, p.WebhookSecret = *hook, *secret
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := web.NewHTTPServer(p, slog.NewLogLogger(slog.New(slog.NewTextHandler(stderr, nil)).Handler(), slog.LevelWarn))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Stripe sandbox at %s, forwarding to stripe-mock at %s\n", base, *mock)
	fmt.Fprintf(stdout, "start admit with: admit serve --stripe-secret-key sk_test_sandbox --stripe-webhook-secret %s --stripe-api-base %s\n",
		*secret, base)
	fmt.Fprintf(stdout, "pay a PaymentIntent: curl -X POST %s/sandbox/payment_intents/pi_…/succeed\n", base)
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("sandbox: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
