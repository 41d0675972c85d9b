package payments

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/stripe"
	"github.com/admit-org/admit/internal/stripe/stripemock"
	"github.com/admit-org/admit/internal/worker"
)

const (
	org           = "or_aaaaaaaaaaaaaaaaaaaa"
	webhookSecret = "whsec_admit_test"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// rig is a box office on an in-memory ledger with a fake clock, the Stripe
// adapter on a real stripe-mock behind the stateful proxy, and the payments
// worker following the ledger.
type rig struct {
	t      *testing.T
	clk    *clock.Fake
	m      *office.Manager
	stripe *stripemock.Stateful
	p      *Payments
	evID   string
	ttID   string
}

// failFirst makes the first StartPayment fail after Stripe was called, as
// a crash between the call and the ledger append would.
type failFirst struct {
	Offices
	failed atomic.Bool
}

func (f *failFirst) Do(ctx context.Context, eventID string, cmd boxoffice.Command, r office.Render) (office.Result, error) {
	if _, ok := cmd.(*boxoffice.StartPayment); ok && f.failed.CompareAndSwap(false, true) {
		return office.Result{}, fault.New(fault.Unavailable, "the node died before recording the payment")
	}
	return f.Offices.Do(ctx, eventID, cmd, r)
}

func newRig(t *testing.T, capacity int, offices func(Offices) Offices) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	led := ledger.NewMemory()
	r := &rig{t: t, clk: clock.NewFake(t0)}
	r.m = office.NewManager(led, r.clk, office.Local{}, log, office.Config{})
	started := make(chan struct{})
	done := make(chan struct{}, 2)
	go func() { r.m.Run(ctx, started); done <- struct{}{} }()
	<-started
	r.stripe = stripemock.NewStateful(t, stripemock.Start(t))
	client, err := stripe.New(stripe.Config{SecretKey: "sk_test_admit", WebhookSecret: webhookSecret, APIBase: r.stripe.URL})
	if err != nil {
		t.Fatal(err)
	}
	var o Offices = r.m
	if offices != nil {
		o = offices(r.m)
	}
	r.p = &Payments{Stripe: client, Offices: o, Log: log}
	run := &worker.Runner{Name: "payments", Ledger: led, Positions: &worker.Memory{}, Handle: r.p.Handle, Log: log,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
	go func() { run.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })

	r.evID, r.ttID = id.New("ev", id.Short), id.New("tt", id.Short)
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: org, EventID: r.evID, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Concert", TimeZone: "Europe/Berlin", StartsAt: t0.Add(24 * time.Hour), EndsAt: t0.Add(27 * time.Hour),
			PaymentSettings: boxoffice.PaymentSettings{PaymentProviders: []string{boxoffice.ProviderStripe}}}},
		&boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: r.ttID, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Price: boxoffice.Money{Amount: 2500, Currency: "EUR"}}},
		&boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Hall", Capacity: capacity, TicketTypeIDs: []string{r.ttID}}},
		&boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale},
	} {
		r.do(c)
	}
	return r
}

func (r *rig) do(c boxoffice.Command) office.Result {
	r.t.Helper()
	res, err := r.m.Do(context.Background(), r.evID, c, nil)
	if err != nil {
		r.t.Fatalf("%T: %v", c, err)
	}
	return res
}

// order holds n tickets and places a card order for them.
func (r *rig) order(n int) string {
	r.t.Helper()
	h := r.do(&boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Items: []boxoffice.Item{{TicketTypeID: r.ttID, Quantity: n}}})
	orderID := id.New("od", id.Short)
	r.do(&boxoffice.PlaceOrder{OrderID: orderID, HoldID: h.Ref, Token: id.Token("ot_"),
		Buyer: boxoffice.Buyer{Name: "Ada", Email: "ada@example.com"}, Provider: boxoffice.ProviderStripe})
	return orderID
}

// get reads a copy of the order.
func (r *rig) get(orderID string) boxoffice.Order {
	r.t.Helper()
	v, err := r.m.Read(context.Background(), r.evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		o := *s.Order(orderID)
		o.Refunds = append([]boxoffice.Refund(nil), o.Refunds...)
		o.Payments = append([]boxoffice.Payment(nil), o.Payments...)
		return o
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return v.(boxoffice.Order)
}

func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// paymentIntent waits for the worker to record the order's PaymentIntent.
func (r *rig) paymentIntent(orderID string) string {
	r.t.Helper()
	r.eventually("the order's PaymentIntent", func() bool { return r.get(orderID).PaymentIntentID != "" })
	return r.get(orderID).PaymentIntentID
}

// webhook delivers a signed Stripe event about a PaymentIntent.
func (r *rig) webhook(eventID, typ, piID string) error {
	payload := fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"api_version":"2025-09-30.clover",
		"data":{"object":{"id":%q,"object":"payment_intent"}}}`, eventID, typ, time.Now().Unix(), piID)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: webhookSecret,
		Timestamp: time.Now()})
	return r.p.Webhook(context.Background(), signed.Payload, signed.Header)
}

// TestPaymentThroughWebhooks: the worker makes one PaymentIntent; the
// same success told three times, and out of order with an earlier event,
// pays the order once.
func TestPaymentThroughWebhooks(t *testing.T) {
	r := newRig(t, 10, nil)
	orderID := r.order(2)
	pi := r.paymentIntent(orderID)
	if n := r.stripe.Intents(); n != 1 {
		t.Fatalf("PaymentIntents made: %d, want 1", n)
	}
	// Recorded with its client secret, for the buyer's pages to show
	// without asking Stripe.
	if cs := r.get(orderID).ClientSecret; !strings.HasPrefix(cs, pi+"_secret_") {
		t.Fatalf("client secret %q recorded for %s", cs, pi)
	}
	// Told before the card went through: the fetch says not paid.
	if err := r.webhook("evt_early", "payment_intent.succeeded", pi); err != nil {
		t.Fatal(err)
	}
	if st := r.get(orderID).Status; st != boxoffice.StatusPendingPayment {
		t.Fatalf("paid on a webhook the PaymentIntent contradicts: %s", st)
	}
	r.stripe.Succeed(pi)
	for _, evt := range []string{"evt_1", "evt_1", "evt_1", "evt_2"} {
		if err := r.webhook(evt, "payment_intent.succeeded", pi); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.webhook("evt_0", "payment_intent.processing", pi); err != nil { // an older event, late
		t.Fatal(err)
	}
	o := r.get(orderID)
	if o.Status != boxoffice.StatusPaid || len(o.Payments) != 1 || len(o.TicketIDs) != 2 || o.Payments[0].Ref != pi {
		t.Fatalf("order after the webhooks: %+v", o)
	}
	// A bad signature is refused.
	err := r.p.Webhook(context.Background(), []byte(`{"id":"evt_x"}`), "t=1,v1=00")
	if fe := fault.As(err); fe == nil || fe.Code != "webhook-signature-invalid" {
		t.Fatalf("unsigned webhook: %v", err)
	}
}

// TestCrashBetweenStripeAndLedger: the worker calls Stripe, then fails to
// record the PaymentIntent; its retry gets the same PaymentIntent from
// Stripe (same idempotency key), never a second one.
func TestCrashBetweenStripeAndLedger(t *testing.T) {
	var wrapped *failFirst
	r := newRig(t, 10, func(o Offices) Offices { wrapped = &failFirst{Offices: o}; return wrapped })
	orderID := r.order(1)
	pi := r.paymentIntent(orderID)
	if !wrapped.failed.Load() {
		t.Fatal("the first attempt did not fail")
	}
	if creates, intents := r.stripe.Creates(), r.stripe.Intents(); creates != 2 || intents != 1 {
		t.Fatalf("create requests %d, PaymentIntents %d; want 2 requests for 1 PaymentIntent", creates, intents)
	}
	if pi == "" {
		t.Fatal("no PaymentIntent recorded")
	}
}

// TestLatePayment: a payment that succeeds after the order expired takes
// the seats again when they are free, and is refunded, with the reason,
// when they are gone.
func TestLatePayment(t *testing.T) {
	t.Run("seats still free", func(t *testing.T) {
		r := newRig(t, 10, nil)
		orderID := r.order(2)
		pi := r.paymentIntent(orderID)
		r.clk.Advance(time.Hour)
		r.eventually("the order to expire", func() bool { return r.get(orderID).Status == boxoffice.StatusExpired })
		r.stripe.Succeed(pi)
		if err := r.webhook("evt_late", "payment_intent.succeeded", pi); err != nil {
			t.Fatal(err)
		}
		if o := r.get(orderID); o.Status != boxoffice.StatusPaid || len(o.TicketIDs) != 2 {
			t.Fatalf("order: %+v", o)
		}
	})
	t.Run("seats gone", func(t *testing.T) {
		r := newRig(t, 2, nil)
		orderID := r.order(2)
		pi := r.paymentIntent(orderID)
		r.clk.Advance(time.Hour)
		r.eventually("the order to expire", func() bool { return r.get(orderID).Status == boxoffice.StatusExpired })
		r.do(&boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Items: []boxoffice.Item{{TicketTypeID: r.ttID, Quantity: 1}}})
		r.stripe.Succeed(pi)
		if err := r.webhook("evt_late", "payment_intent.succeeded", pi); err != nil {
			t.Fatal(err)
		}
		r.eventually("the refund to be paid back", func() bool {
			o := r.get(orderID)
			return len(o.Refunds) == 1 && o.Refunds[0].Status == boxoffice.RefundSucceeded
		})
		o := r.get(orderID)
		if o.Status != boxoffice.StatusExpired || o.Refunds[0].ProviderRef == "" || o.Refunds[0].Reason == "" ||
			o.Refunds[0].Amount.Amount != 5000 {
			t.Fatalf("order: %+v", o)
		}
		if n := r.stripe.Refunds(); n != 1 {
			t.Fatalf("refund requests: %d, want 1", n)
		}
	})
}

// TestCancelRefunds: cancelling a paid card order refunds it through
// Stripe and frees the seats.
func TestCancelRefunds(t *testing.T) {
	r := newRig(t, 2, nil)
	orderID := r.order(2)
	pi := r.paymentIntent(orderID)
	r.stripe.Succeed(pi)
	if err := r.webhook("evt_1", "payment_intent.succeeded", pi); err != nil {
		t.Fatal(err)
	}
	r.do(&boxoffice.CancelOrder{OrganizerID: org, OrderID: orderID, Reason: "moved", RefundID: id.New("rf", id.Short)})
	r.eventually("the refund", func() bool {
		o := r.get(orderID)
		return len(o.Refunds) == 1 && o.Refunds[0].Status == boxoffice.RefundSucceeded
	})
	r.do(&boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Items: []boxoffice.Item{{TicketTypeID: r.ttID, Quantity: 2}}})
}

// TestWebhookAdmitCannotActOn: a correctly signed event about a
// PaymentIntent Stripe does not know, or one for an order or event admit
// does not know, is acknowledged (so Stripe stops delivering it) and
// changes nothing.
func TestWebhookAdmitCannotActOn(t *testing.T) {
	r := newRig(t, 10, nil)
	if err := r.webhook("evt_unknown", "payment_intent.succeeded", "pi_3PkZ8r2eZvKYlo2CunknownX"); err != nil {
		t.Fatalf("an unknown PaymentIntent: %v, want it acknowledged", err)
	}
	for name, ids := range map[string][2]string{
		"unknown order":   {r.evID, id.New("od", id.Short)},
		"unknown event":   {id.New("ev", id.Short), id.New("od", id.Short)},
		"not an admit id": {"ev.>", "od_*"},
	} {
		pi, err := r.p.Stripe.CreatePaymentIntent(context.Background(), ids[0], ids[1], 1000, "EUR")
		if err != nil {
			t.Fatal(err)
		}
		r.stripe.Succeed(pi.ID)
		if err := r.webhook("evt_"+pi.ID, "payment_intent.succeeded", pi.ID); err != nil {
			t.Errorf("%s: %v, want it acknowledged", name, err)
		}
	}
	if r.p.BreakerOpen() {
		t.Error("the breaker opened")
	}
}
