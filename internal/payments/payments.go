package payments

import (
	"context"
	"log/slog"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/stripe"
	"github.com/admit-org/admit/internal/worker"
)

// Stripe is what payments needs of Stripe (*stripe.Client).
type Stripe interface {
	CreatePaymentIntent(ctx context.Context, eventID, orderID string, amount int64, currency string) (stripe.PaymentIntent, error)
	PaymentIntent(ctx context.Context, id string) (stripe.PaymentIntent, error)
	Refund(ctx context.Context, paymentIntentID string, amount int64, idempotencyKey string) (stripe.RefundResult, error)
	ParseWebhook(body []byte, signature string) (stripe.WebhookEvent, error)
	BreakerOpen() bool
}

// Offices is what payments needs of the box offices (*office.Manager).
type Offices interface {
	Do(ctx context.Context, eventID string, cmd boxoffice.Command, render office.Render) (office.Result, error)
	Read(ctx context.Context, eventID string, render office.Render) (any, error)
}

var (
	_ Stripe  = (*stripe.Client)(nil)
	_ Offices = (*office.Manager)(nil)
)

// Payments is safe for concurrent use.
type Payments struct {
	Stripe  Stripe
	Offices Offices
	Log     *slog.Logger
}

// orderNow is the order's state that the worker acts on.
type orderNow struct {
	found           bool
	status          boxoffice.OrderStatus
	provider        string
	paymentIntentID string
	total           boxoffice.Money
	refund          *boxoffice.Refund // the one asked for, if any
}

func (p *Payments) order(ctx context.Context, eventID, orderID, refundID string) (orderNow, error) {
	v, err := p.Offices.Read(ctx, eventID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		o := st.Order(orderID)
		if o == nil {
			return orderNow{}
		}
		n := orderNow{found: true, status: o.Status, provider: o.Provider, paymentIntentID: o.PaymentIntentID, total: o.Total}
		for _, r := range o.Refunds {
			if r.ID == refundID {
				n.refund = &r
			}
		}
		return n
	})
	if err != nil {
		return orderNow{}, err
	}
	return v.(orderNow), nil
}

// Handle is the worker's handler (worker.Handler).
func (p *Payments) Handle(ctx context.Context, e worker.Entry) error {
	switch en := e.Entry.(type) {
	case *boxoffice.OrderPlaced:
		if en.Provider != boxoffice.ProviderStripe {
			return nil
		}
		return p.startPayment(ctx, e.EventID, en.OrderID)
	case *boxoffice.PaymentRejected:
		return p.refund(ctx, e.EventID, en.OrderID, en.Refund)
	case *boxoffice.OrderCancelled:
		if en.Refund != nil {
			return p.refund(ctx, e.EventID, en.OrderID, *en.Refund)
		}
	case *boxoffice.OrderRefunded:
		return p.refund(ctx, e.EventID, en.OrderID, en.Refund)
	}
	return nil
}

// startPayment creates the order's PaymentIntent, unless it has one or no
// longer waits for payment, and records it with its client secret: the
// buyer's pages show the recorded secret and never ask Stripe for it.
func (p *Payments) startPayment(ctx context.Context, eventID, orderID string) error {
	o, err := p.order(ctx, eventID, orderID, "")
	if err != nil {
		return err
	}
	if !o.found || o.paymentIntentID != "" || o.status != boxoffice.StatusPendingPayment {
		return nil
	}
	pi, err := p.Stripe.CreatePaymentIntent(ctx, eventID, orderID, o.total.Amount, o.total.Currency)
	if err != nil {
		return err
	}
	_, err = p.Offices.Do(ctx, eventID, &boxoffice.StartPayment{OrderID: orderID, PaymentIntentID: pi.ID,
		ClientSecret: pi.ClientSecret}, nil)
	if fault.Is(err, fault.Conflict) {
		p.Log.Error("payments: the order already has another PaymentIntent", "order", orderID, "payment_intent", pi.ID, "err", err)
		return nil
	}
	return err
}

// refund pays back a pending Stripe refund and records the outcome. A
// refund Stripe refuses for good is recorded as failed, for the organizer
// to settle by hand.
func (p *Payments) refund(ctx context.Context, eventID, orderID string, r boxoffice.Refund) error {
	if r.Provider != boxoffice.ProviderStripe || r.Amount.Amount == 0 {
		return nil
	}
	o, err := p.order(ctx, eventID, orderID, r.ID)
	if err != nil {
		return err
	}
	if o.refund == nil || o.refund.Status != boxoffice.RefundPending {
		return nil // settled already (a replay)
	}
	settle := &boxoffice.SettleRefund{OrderID: orderID, RefundID: r.ID}
	res, err := p.Stripe.Refund(ctx, r.PaymentRef, r.Amount.Amount, "admit-refund-"+r.ID)
	switch k := fault.KindOf(err); {
	case err == nil:
		settle.ProviderRef = res.ID
	case k == fault.Invalid || k == fault.Conflict || k == fault.NotFound:
		settle.Failed, settle.Message = true, fault.As(err).Message
		p.Log.Error("payments: Stripe refused a refund; settle it by hand", "order", orderID, "refund", r.ID, "err", err)
	default:
		return err // retried
	}
	_, err = p.Offices.Do(ctx, eventID, settle, nil)
	return err
}

// Webhook handles one delivery of Stripe's webhook: it checks the
// signature on the raw body, fetches the PaymentIntent it names, and
// records the payment if it succeeded. Errors: Unauthorized for a bad
// signature, Invalid for a body that is not an event, Unavailable when
// Stripe or the box office cannot be reached now, Internal when Stripe
// refuses admit's key (Stripe delivers again, until it is fixed).
//
// A correctly signed event that admit cannot act on is logged and
// acknowledged (nil), because delivering it again would change nothing:
// one about a PaymentIntent Stripe does not know or refuses to show,
// one admit did not make, or one for an order or event admit does not know.
func (p *Payments) Webhook(ctx context.Context, body []byte, signature string) error {
	ev, err := p.Stripe.ParseWebhook(body, signature)
	if err != nil || ev.PaymentIntentID == "" {
		return err
	}
	pi, err := p.Stripe.PaymentIntent(ctx, ev.PaymentIntentID)
	if k := fault.KindOf(err); k == fault.NotFound || k == fault.Invalid {
		p.Log.Warn("payments: a webhook about a PaymentIntent Stripe does not show; acknowledged, nothing done",
			"payment_intent", ev.PaymentIntentID, "stripe_event", ev.ID, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	if pi.Status != "succeeded" {
		return nil // not paid (yet): a failed or cancelled payment leaves the order to expire
	}
	if pi.EventID == "" || pi.OrderID == "" {
		p.Log.Warn("payments: a payment that admit did not ask for", "payment_intent", pi.ID, "stripe_event", ev.ID)
		return nil
	}
	if !id.ValidSharded(pi.EventID, "ev", id.Short) || !id.Valid(pi.OrderID, "od", id.Short) {
		p.Log.Error("payments: a payment whose metadata names no order admit could have made; acknowledged, nothing done",
			"payment_intent", pi.ID, "order", pi.OrderID, "event", pi.EventID, "stripe_event", ev.ID)
		return nil
	}
	_, err = p.Offices.Do(ctx, pi.EventID, &boxoffice.RecordPayment{OrderID: pi.OrderID, Provider: boxoffice.ProviderStripe,
		Ref: pi.ID, EventRef: ev.ID, Amount: boxoffice.Money{Amount: pi.Amount, Currency: pi.Currency},
		RefundID: id.New("rf", id.Short)}, nil)
	if fault.Is(err, fault.NotFound) || fault.Is(err, fault.Conflict) {
		p.Log.Error("payments: a payment that cannot be recorded", "payment_intent", pi.ID, "order", pi.OrderID,
			"stripe_event", ev.ID, "err", err)
		return nil // telling Stripe to deliver again would not help
	}
	return err
}

// BreakerOpen reports whether calls to Stripe are failing fast.
func (p *Payments) BreakerOpen() bool { return p.Stripe.BreakerOpen() }
