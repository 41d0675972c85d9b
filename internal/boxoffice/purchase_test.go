package boxoffice

import (
	"slices"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

var buyer = Buyer{Name: "Zoë Łukasiewicz", Email: "zoe@example.com"}

// held returns an on-sale event with providers manual and stripe, and hold
// "h1" of 2 ga and 1 vip (2 × 25.00 + 1 × 25.00 EUR) made at t0.
func held(tb testing.TB) *State {
	tb.Helper()
	s := onSaleEvent(tb)
	must(tb, s, &UpdateEvent{OrganizerID: org, Patch: EventPatch{
		PaymentProviders: []string{ProviderManual, ProviderStripe}}}, t0)
	must(tb, s, hold("h1", item("ga", 2), item("vip", 1)), t0)
	return s
}

func place(provider string) *PlaceOrder {
	return &PlaceOrder{OrderID: "o1", HoldID: "h1", Token: "secret-1", Buyer: buyer, Provider: provider}
}

// quotaCounts is each quota's held and sold count, "total held/sold, vipq held/sold".
func quotaCounts(s *State) [4]int {
	return [4]int{s.Quota("total").Held, s.Quota("total").Sold, s.Quota("vipq").Held, s.Quota("vipq").Sold}
}

func wantCounts(tb testing.TB, s *State, want [4]int) {
	tb.Helper()
	if got := quotaCounts(s); got != want {
		tb.Fatalf("quotas (total held, sold; vipq held, sold) = %v, want %v", got, want)
	}
}

func TestPlaceOrder(t *testing.T) {
	s := held(t)
	now := t0.Add(time.Minute)
	d := must(t, s, place(ProviderStripe), now)
	o := s.Order("o1")
	if d.Ref != "o1" || o == nil || o.Status != StatusPendingPayment {
		t.Fatalf("decision %+v, order %+v", d, o)
	}
	if o.Total != (Money{7500, "EUR"}) || len(o.Lines) != 2 || o.Lines[0].Amount != (Money{5000, "EUR"}) {
		t.Fatalf("total %v, lines %+v", o.Total, o.Lines)
	}
	wantPayBy := now.Add(DefaultPaymentWindowSeconds * time.Second)
	if h := s.Hold("h1"); !o.PayBy.Equal(wantPayBy) || !h.ExpiresAt.Equal(wantPayBy) || h.OrderID != "o1" {
		t.Fatalf("pay by %s, hold expires %s (order %q), want both %s", o.PayBy, h.ExpiresAt, h.OrderID, wantPayBy)
	}
	if got := s.OrderByToken("secret-1"); got != o {
		t.Fatalf("OrderByToken = %v", got)
	}
	if s.OrderByToken("secret-2") != nil {
		t.Fatal("OrderByToken found an order for an unknown token")
	}
	wantCounts(t, s, [4]int{3, 0, 1, 0}) // still held until paid
	// The hold is the order's now.
	_, err := Decide(s, place(ProviderStripe), now)
	if fe := wantKind(t, err, fault.Conflict); fe.Code != "hold-ordered" {
		t.Fatalf("code = %q", fe.Code)
	}
	_, err = Decide(s, &ReleaseHold{HoldID: "h1"}, now)
	wantKind(t, err, fault.Conflict)

	// A manual order waits a day.
	s = held(t)
	must(t, s, place(ProviderManual), now)
	if want := now.Add(DefaultManualPaymentWindowSeconds * time.Second); !s.Order("o1").PayBy.Equal(want) {
		t.Fatalf("manual pay by %s, want %s", s.Order("o1").PayBy, want)
	}
}

func TestPlaceOrderRefusals(t *testing.T) {
	now := t0.Add(time.Minute)
	for _, tc := range []struct {
		name   string
		mod    func(*State, *PlaceOrder)
		kind   fault.Kind
		fields []string
	}{
		{name: "no hold", mod: func(_ *State, c *PlaceOrder) { c.HoldID = "h9" }, kind: fault.NotFound},
		{name: "bad e-mail", mod: func(_ *State, c *PlaceOrder) { c.Buyer.Email = "Zoë <zoe@example.com>" },
			fields: []string{"/buyer/email"}},
		{name: "a line break in the name", mod: func(_ *State, c *PlaceOrder) { c.Buyer.Name = "Ada\r\nBcc: x@example.com" },
			fields: []string{"/buyer/name"}},
		{name: "no name, no e-mail", mod: func(_ *State, c *PlaceOrder) { c.Buyer = Buyer{} },
			fields: []string{"/buyer/name", "/buyer/email"}},
		{name: "unknown provider", mod: func(_ *State, c *PlaceOrder) { c.Provider = "paypal" },
			fields: []string{"/payment_provider"}},
		{name: "free for a paid order", mod: func(_ *State, c *PlaceOrder) { c.Provider = ProviderFree },
			fields: []string{"/payment_provider"}},
		{name: "provider left out, two offered", mod: func(_ *State, c *PlaceOrder) { c.Provider = "" },
			fields: []string{"/payment_provider"}},
		{name: "attendees miscounted", mod: func(_ *State, c *PlaceOrder) { c.Attendees = []string{"A", "B"} },
			fields: []string{"/attendees"}},
		{name: "attendee names required", kind: fault.Invalid, mod: func(s *State, c *PlaceOrder) {
			s.TicketType("vip").AttendeeNames = true
			c.Attendees = []string{"A", "", ""}
		}, fields: []string{"/attendees/2"}},
		{name: "attendee names left out", kind: fault.Invalid, mod: func(s *State, c *PlaceOrder) {
			s.TicketType("vip").AttendeeNames = true
		}, fields: []string{"/attendees"}},
		{name: "hold expired", mod: func(s *State, _ *PlaceOrder) {
			mustApply(t, s, Expire(s, "h1", t0.Add(time.Hour)), t0.Add(time.Hour))
		}, kind: fault.HoldExpired},
		{name: "hold released", mod: func(s *State, _ *PlaceOrder) {
			must(t, s, &ReleaseHold{HoldID: "h1"}, t0)
		}, kind: fault.HoldExpired},
		{name: "event cancelled", mod: func(s *State, _ *PlaceOrder) { setStatus(t, s, Cancelled, t0) },
			kind: fault.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := held(t)
			c := place(ProviderStripe)
			tc.mod(s, c)
			before := snap(t, s)
			_, err := Decide(s, c, now)
			if tc.fields != nil {
				wantFields(t, err, tc.fields...)
			} else {
				wantKind(t, err, tc.kind)
			}
			if !slices.Equal(before, snap(t, s)) {
				t.Fatal("Decide changed the state")
			}
		})
	}
}

func TestFreeOrderIsPaidAtOnce(t *testing.T) {
	s := onSaleEvent(t)
	free := ttDetails("Guest list")
	free.Price.Amount = 0
	must(t, s, &CreateTicketType{OrganizerID: org, TicketTypeID: "guest", Details: free}, t0)
	must(t, s, &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"ga", "vip", "guest"}}}, t0)
	must(t, s, hold("h1", item("guest", 2)), t0)
	d := must(t, s, &PlaceOrder{OrderID: "o1", HoldID: "h1", Token: "t", Buyer: buyer, Attendees: []string{"A", "B"}}, t0)
	if len(d.Entries) != 2 {
		t.Fatalf("entries = %d, want OrderPlaced and OrderPaid", len(d.Entries))
	}
	o := s.Order("o1")
	if o.Status != StatusPaid || o.Provider != ProviderFree || len(o.TicketIDs) != 2 {
		t.Fatalf("order %+v", o)
	}
	if tk := s.Ticket(o.TicketIDs[1]); tk.Attendee != "B" || tk.Status != TicketValid || tk.TicketTypeID != "guest" {
		t.Fatalf("ticket %+v", tk)
	}
	if h := s.Hold("h1"); h.Status != Converted || s.ActiveHolds() != 0 {
		t.Fatalf("hold %s, active holds %d", h.Status, s.ActiveHolds())
	}
	wantCounts(t, s, [4]int{0, 2, 0, 0})
}

func TestManualPayment(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderManual), t0)
	pay := &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, Amount: Money{7500, "EUR"}}

	_, err := Decide(s, &RecordPayment{OrderID: "o1", Provider: ProviderManual, Amount: pay.Amount}, t0)
	wantKind(t, err, fault.Forbidden) // only the organizer marks a manual payment
	_, err = Decide(s, &RecordPayment{OrderID: "o1", OrganizerID: other, Provider: ProviderManual, Amount: pay.Amount}, t0)
	wantKind(t, err, fault.NotFound)
	_, err = Decide(s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, Amount: Money{7000, "EUR"}}, t0)
	wantKind(t, err, fault.Conflict)

	must(t, s, pay, t0.Add(time.Hour))
	o := s.Order("o1")
	if o.Status != StatusPaid || len(o.TicketIDs) != 3 || !o.PaidAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("order %+v", o)
	}
	wantCounts(t, s, [4]int{0, 3, 0, 1})
	if d := must(t, s, pay, t0.Add(2*time.Hour)); !d.Unchanged || len(d.Entries) != 0 {
		t.Fatalf("marking paid twice: %+v", d)
	}
	// Ticket ids are derived from the order: a replay of the ledger gets the same.
	if o.TicketIDs[0] != TicketID("o1", 0) || o.TicketIDs[0] == o.TicketIDs[1] {
		t.Fatalf("ticket ids %q", o.TicketIDs)
	}
}

func stripePayment(ref, eventRef string) *RecordPayment {
	return &RecordPayment{OrderID: "o1", Provider: ProviderStripe, Ref: ref, EventRef: eventRef,
		Amount: Money{7500, "EUR"}, RefundID: "rf_" + ref}
}

// TestStripeWebhookTwiceAndOutOfOrder: the same payment told three times,
// under one notification id or several, changes the state once.
func TestStripePaymentToldThrice(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderStripe), t0)
	must(t, s, &StartPayment{OrderID: "o1", PaymentIntentID: "pi_1", ClientSecret: "pi_1_secret_x"}, t0)
	if o := s.Order("o1"); o.PaymentIntentID != "pi_1" || o.ClientSecret != "pi_1_secret_x" {
		t.Fatalf("started payment: %q %q", o.PaymentIntentID, o.ClientSecret)
	}
	must(t, s, stripePayment("pi_1", "evt_1"), t0.Add(time.Minute))
	after := snap(t, s)
	for _, c := range []*RecordPayment{stripePayment("pi_1", "evt_1"), stripePayment("pi_1", "evt_2"), stripePayment("pi_1", "")} {
		if d := must(t, s, c, t0.Add(2*time.Minute)); !d.Unchanged {
			t.Fatalf("%+v: not a replay", c)
		}
	}
	if !slices.Equal(after, snap(t, s)) {
		t.Fatal("a repeated payment changed the state")
	}
	// Starting the payment again with the same intent is a replay; another is refused.
	if d := must(t, s, &StartPayment{OrderID: "o1", PaymentIntentID: "pi_1"}, t0); !d.Unchanged {
		t.Fatal("StartPayment twice is not a replay")
	}
	_, err := Decide(s, &StartPayment{OrderID: "o1", PaymentIntentID: "pi_2"}, t0)
	wantKind(t, err, fault.Conflict)
	// A second, different payment for a paid order is refunded.
	must(t, s, stripePayment("pi_2", "evt_3"), t0.Add(3*time.Minute))
	o := s.Order("o1")
	if o.Status != StatusPaid || len(o.Refunds) != 1 || o.Refunds[0].PaymentRef != "pi_2" || o.Refunds[0].Status != RefundPending {
		t.Fatalf("order after a second payment: %+v", o)
	}
}

func TestOrderExpires(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderStripe), t0)
	payBy := s.Order("o1").PayBy
	if e := Expire(s, "h1", payBy.Add(-time.Second)); e != nil {
		t.Fatalf("expired early: %v", e)
	}
	e := Expire(s, "h1", payBy)
	if oe, ok := e.(*OrderExpired); !ok || oe.OrderID != "o1" || oe.Actor != "system" {
		t.Fatalf("Expire = %#v, want OrderExpired", e)
	}
	mustApply(t, s, e, payBy)
	if o, h := s.Order("o1"), s.Hold("h1"); o.Status != StatusExpired || h.Status != Expired {
		t.Fatalf("order %s, hold %s", o.Status, h.Status)
	}
	wantCounts(t, s, [4]int{0, 0, 0, 0})
	if holdID, at, ok := Expiry(&OrderPlaced{HoldID: "h1", PayBy: payBy}); !ok || holdID != "h1" || !at.Equal(payBy) {
		t.Fatal("Expiry does not see an order's deadline")
	}
}

// TestLatePayment: a payment after the order expired takes the seats again
// when they are free; when they are gone it is refunded and says why.
func TestLatePayment(t *testing.T) {
	expired := func(t *testing.T) *State {
		s := held(t)
		must(t, s, place(ProviderStripe), t0)
		payBy := s.Order("o1").PayBy
		mustApply(t, s, Expire(s, "h1", payBy), payBy)
		return s
	}
	t.Run("seats still free", func(t *testing.T) {
		s := expired(t)
		d := must(t, s, stripePayment("pi_1", "evt_1"), t0.Add(time.Hour))
		if p := d.Entries[0].(*OrderPaid); !p.Retaken {
			t.Fatal("not marked retaken")
		}
		if o := s.Order("o1"); o.Status != StatusPaid || len(o.TicketIDs) != 3 {
			t.Fatalf("order %+v", o)
		}
		wantCounts(t, s, [4]int{0, 3, 0, 1})
	})
	t.Run("seats gone", func(t *testing.T) {
		s := expired(t)
		must(t, s, &UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(1)}}, t0)
		must(t, s, hold("h2", item("vip", 1)), t0.Add(time.Hour))
		d := must(t, s, stripePayment("pi_1", "evt_1"), t0.Add(time.Hour))
		rej, ok := d.Entries[0].(*PaymentRejected)
		if !ok || rej.Refund.Amount != (Money{7500, "EUR"}) || rej.Reason == "" || rej.Refund.ID != "rf_pi_1" {
			t.Fatalf("entries %#v", d.Entries)
		}
		o := s.Order("o1")
		if o.Status != StatusExpired || len(o.TicketIDs) != 0 || len(o.Refunds) != 1 || len(o.Payments) != 1 {
			t.Fatalf("order %+v", o)
		}
		wantCounts(t, s, [4]int{1, 0, 1, 0}) // only h2's
		// Told again: nothing changes.
		if d := must(t, s, stripePayment("pi_1", "evt_2"), t0.Add(2*time.Hour)); !d.Unchanged {
			t.Fatal("a rejected payment told again is not a replay")
		}
		must(t, s, &SettleRefund{OrderID: "o1", RefundID: "rf_pi_1", ProviderRef: "re_1"}, t0.Add(2*time.Hour))
		if r := s.Order("o1").Refunds[0]; r.Status != RefundSucceeded || r.ProviderRef != "re_1" {
			t.Fatalf("refund %+v", r)
		}
		if d := must(t, s, &SettleRefund{OrderID: "o1", RefundID: "rf_pi_1", ProviderRef: "re_1"}, t0); !d.Unchanged {
			t.Fatal("settling twice is not a replay")
		}
	})
}

func TestCancelOrder(t *testing.T) {
	t.Run("pending", func(t *testing.T) {
		s := held(t)
		must(t, s, place(ProviderManual), t0)
		must(t, s, &CancelOrder{OrganizerID: org, OrderID: "o1", Reason: "asked by phone"}, t0)
		if o, h := s.Order("o1"), s.Hold("h1"); o.Status != StatusCancelled || h.Status != Released || len(o.Refunds) != 0 {
			t.Fatalf("order %+v, hold %s", o, h.Status)
		}
		wantCounts(t, s, [4]int{0, 0, 0, 0})
		if d := must(t, s, &CancelOrder{OrganizerID: org, OrderID: "o1"}, t0); !d.Unchanged {
			t.Fatal("cancelling twice is not a replay")
		}
		// A payment arriving now is refunded.
		_, err := Decide(s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, Amount: Money{7500, "EUR"}}, t0)
		wantKind(t, err, fault.Internal) // a rejected payment needs a refund id
	})
	t.Run("paid by stripe", func(t *testing.T) {
		s := held(t)
		must(t, s, place(ProviderStripe), t0)
		must(t, s, stripePayment("pi_1", "evt_1"), t0)
		_, err := Decide(s, &CancelOrder{OrganizerID: other, OrderID: "o1", RefundID: "rf_c"}, t0)
		wantKind(t, err, fault.NotFound)
		must(t, s, &CancelOrder{OrganizerID: org, OrderID: "o1", Reason: "duplicate", RefundID: "rf_c"}, t0)
		o := s.Order("o1")
		if o.Status != StatusCancelled || len(o.Refunds) != 1 || o.Refunds[0].Amount.Amount != 7500 ||
			o.Refunds[0].Status != RefundPending || o.Refunds[0].PaymentRef != "pi_1" {
			t.Fatalf("order %+v", o)
		}
		for _, id := range o.TicketIDs {
			if s.Ticket(id).Status != TicketRevoked {
				t.Fatalf("ticket %s not revoked", id)
			}
		}
		if len(s.Revoked) != 3 {
			t.Fatalf("revocation list %q", s.Revoked)
		}
		wantCounts(t, s, [4]int{0, 0, 0, 0})
	})
}

func TestRefundOrder(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderManual), t0)
	must(t, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, Amount: Money{7500, "EUR"}}, t0)
	o := s.Order("o1")
	vip := o.TicketIDs[2]

	_, err := Decide(s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{vip, vip}, RefundID: "rf_1"}, t0)
	wantFields(t, err, "/ticket_ids/1")
	_, err = Decide(s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{"tk_nope"}, RefundID: "rf_1"}, t0)
	wantFields(t, err, "/ticket_ids/0")

	must(t, s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{vip}, Reason: "ill", RefundID: "rf_1"}, t0)
	if o.Status != StatusPaid || o.Refunded() != 2500 || o.Refunds[0].Status != RefundSucceeded {
		t.Fatalf("after a partial refund: %+v", o)
	}
	wantCounts(t, s, [4]int{0, 2, 0, 0})
	_, err = Decide(s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{vip}, RefundID: "rf_2"}, t0)
	wantFields(t, err, "/ticket_ids/0")

	must(t, s, &RefundOrder{OrganizerID: org, OrderID: "o1", RefundID: "rf_2"}, t0) // the rest
	if o.Status != StatusRefunded || o.Refunded() != 7500 || len(o.Refunds[1].TicketIDs) != 2 {
		t.Fatalf("after refunding the rest: %+v", o)
	}
	wantCounts(t, s, [4]int{0, 0, 0, 0})
	_, err = Decide(s, &RefundOrder{OrganizerID: org, OrderID: "o1", RefundID: "rf_3"}, t0)
	wantKind(t, err, fault.Conflict)
}

// TestQuotaCountsSold: a quota's capacity cannot go below what is sold, and
// changing its ticket types recounts both held and sold.
func TestQuotaCountsSold(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderManual), t0)
	must(t, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, Amount: Money{7500, "EUR"}}, t0)
	_, err := Decide(s, &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{Capacity: ptr(2)}}, t0)
	wantKind(t, err, fault.Conflict)
	must(t, s, &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"vip"}}}, t0)
	wantCounts(t, s, [4]int{0, 1, 0, 1})
}

func TestSigningKeys(t *testing.T) {
	s := onSaleEvent(t)
	k1, k2 := make([]byte, 32), make([]byte, 32)
	k2[0] = 1
	d := must(t, s, &AddSigningKey{OrganizerID: org, PublicKey: k1}, t0)
	if d.Ref != KeyID(k1) || s.CurrentKey().ID != KeyID(k1) {
		t.Fatalf("ref %q, current %+v", d.Ref, s.CurrentKey())
	}
	_, err := Decide(s, &AddSigningKey{OrganizerID: org, PublicKey: k1}, t0)
	wantKind(t, err, fault.Conflict)
	_, err = Decide(s, &AddSigningKey{OrganizerID: org, PublicKey: k1[:31]}, t0)
	wantKind(t, err, fault.Invalid)
	_, err = Decide(s, &RetireSigningKey{OrganizerID: org, KeyID: KeyID(k1)}, t0)
	wantKind(t, err, fault.Conflict) // the current key
	must(t, s, &AddSigningKey{OrganizerID: org, PublicKey: k2}, t0)
	must(t, s, &RetireSigningKey{OrganizerID: org, KeyID: KeyID(k1)}, t0.Add(time.Hour))
	if s.CurrentKey().ID != KeyID(k2) || s.Key(KeyID(k1)).RetiredAt.IsZero() {
		t.Fatalf("keys %+v", s.Keys)
	}
}

// TestOrdersSurviveSnapshots: a state with orders in every status, tickets,
// refunds and keys comes back whole from its snapshot, and goes on deciding
// the same.
func TestOrdersSurviveSnapshots(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderStripe), t0)
	must(t, s, &StartPayment{OrderID: "o1", PaymentIntentID: "pi_1", ClientSecret: "pi_1_secret_x"}, t0)
	must(t, s, stripePayment("pi_1", "evt_1"), t0)
	must(t, s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{s.Order("o1").TicketIDs[0]}, RefundID: "rf_1"}, t0)
	must(t, s, hold("h2", item("ga", 1)), t0)
	must(t, s, &PlaceOrder{OrderID: "o2", HoldID: "h2", Token: "secret-2", Buyer: buyer, Provider: ProviderManual}, t0)
	must(t, s, &AddSigningKey{OrganizerID: org, PublicKey: make([]byte, 32)}, t0)
	c := clone(t, s)
	sameState(t, "snapshot", c, s)
	if c.Order("o1").ClientSecret != "pi_1_secret_x" {
		t.Fatal("the client secret was not kept in the snapshot")
	}
	if c.OrderByToken("secret-2") == nil || c.Ticket(s.Order("o1").TicketIDs[1]) == nil {
		t.Fatal("indexes not rebuilt from the snapshot")
	}
	for _, st := range []*State{s, c} {
		must(t, st, stripePayment("pi_1", "evt_1"), t0) // a replay on both
		must(t, st, &RecordPayment{OrderID: "o2", OrganizerID: org, Provider: ProviderManual, Amount: Money{2500, "EUR"}}, t0)
	}
	sameState(t, "after the same commands", c, s)
}

// TestRefundAfterRejectedPayment: a payment rejected (and refunded) earlier
// does not lower what a later refund of the kept payment pays back.
func TestRefundAfterRejectedPayment(t *testing.T) {
	s := held(t)
	must(t, s, &UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(1)}}, t0)
	must(t, s, place(ProviderManual), t0)
	payBy := s.Order("o1").PayBy
	mustApply(t, s, Expire(s, "h1", payBy), payBy)
	must(t, s, hold("h2", item("vip", 1)), payBy) // the vip seat is gone
	manual := &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual, RefundID: "rf_rejected"}
	must(t, s, manual, payBy)
	if o := s.Order("o1"); o.Status != StatusExpired || len(o.Refunds) != 1 || o.Refunds[0].Status != RefundSucceeded {
		t.Fatalf("a manual payment for an expired order whose seat is gone: %+v", o)
	}
	must(t, s, &ReleaseHold{HoldID: "h2"}, payBy)
	manual.RefundID = "rf_unused"
	must(t, s, manual, payBy) // the seat is free again: this one is kept
	if o := s.Order("o1"); o.Status != StatusPaid {
		t.Fatalf("order: %+v", o)
	}
	must(t, s, &CancelOrder{OrganizerID: org, OrderID: "o1", RefundID: "rf_cancel"}, payBy)
	o := s.Order("o1")
	if r := o.Refunds[len(o.Refunds)-1]; r.ID != "rf_cancel" || r.Amount.Amount != 7500 {
		t.Fatalf("the cancellation's refund: %+v", r)
	}
}

// TestPaymentForCancelledEvent: money for an order of a cancelled event is
// refunded, not turned into tickets.
func TestPaymentForCancelledEvent(t *testing.T) {
	s := held(t)
	must(t, s, place(ProviderStripe), t0)
	setStatus(t, s, Cancelled, t0)
	d := must(t, s, stripePayment("pi_1", "evt_1"), t0)
	if rej, ok := d.Entries[0].(*PaymentRejected); !ok || rej.Reason != "the event was cancelled" {
		t.Fatalf("entries %#v", d.Entries)
	}
	if o := s.Order("o1"); o.Status != StatusPendingPayment || len(o.TicketIDs) != 0 || len(o.Refunds) != 1 {
		t.Fatalf("order %+v", o)
	}
}
