package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/mail"
	"github.com/admit-org/admit/internal/mail/mailpittest"
	"github.com/admit-org/admit/internal/worker"
)

const instructions = "IBAN DE89 3704 0044 0532 0130 00\nReference: your order number"

var (
	ada   = boxoffice.Buyer{Name: "Ada Lovelace", Email: "ada@example.com"}
	bob   = boxoffice.Buyer{Name: "Bob", Email: "bob@example.com"}
	carol = boxoffice.Buyer{Name: "Carol", Email: "carol@example.com"}
	dave  = boxoffice.Buyer{Name: "Dave", Email: "dave@example.com"}
	erin  = boxoffice.Buyer{Name: "Erin", Email: "erin@example.com"}
)

// checkPDF fails unless d carries exactly the tickets' PDF of the order.
func checkPDF(t *testing.T, mp *mailpittest.Server, d mailpittest.Detail, orderID string) {
	t.Helper()
	if len(d.Attachments) != 1 {
		t.Fatalf("%q has %d attachments, want the tickets' PDF", d.Subject, len(d.Attachments))
	}
	a := d.Attachments[0]
	if a.FileName != "tickets-"+orderID+".pdf" || a.ContentType != "application/pdf" {
		t.Errorf("attachment %s (%s), want tickets-%s.pdf (application/pdf)", a.FileName, a.ContentType, orderID)
	}
	if data := mp.Attachment(t, d.ID, a.PartID); !bytes.HasPrefix(data, []byte("%PDF")) {
		t.Errorf("the attachment is not a PDF: %.20q", data)
	}
}

// TestOrderMails follows orders through their lives, with a worker.Runner
// driving the Notifier over the ledger and a real SMTP server: each entry's
// e-mail arrives once, with the current order's data. Then a second Runner
// over the same ledger, from the start but with the same marks, sends
// nothing.
func TestOrderMails(t *testing.T) {
	e := newEnv(t)
	marks := &MemoryMarks{}
	pos := &worker.Memory{}
	stop := e.runner(context.Background(), e.smtp, pos, marks)
	evID, ttID := e.event("Concert", boxoffice.Money{Amount: 4500, Currency: "EUR"}, 10,
		boxoffice.PaymentSettings{PaymentProviders: []string{boxoffice.ProviderManual}, ManualPaymentInstructions: instructions})
	const payBy = "Tuesday 2 March 2027, 13:00 CET" // t0 + the default 24 hours, in the event's time zone

	// A manual order asks for the money, with the instructions and the
	// buyer's link.
	a, token := e.order(evID, ttID, 2, boxoffice.ProviderManual, ada)
	d := e.mail(1, "Please pay by "+payBy+": order "+a+" for Concert")
	contains(t, d, "Hello Ada Lovelace", "IBAN DE89 3704 0044 0532 0130 00", "Reference: your order number",
		"Please pay €90.00", "2 x Standing: €90.00", "Total: €90.00", "When:  Wednesday 31 March 2027, 14:00 CEST",
		"Venue: Stadthalle", baseURL+"/events/"+evID+"/orders/"+token+"\r\n") // the shop's page, not the API
	if len(d.To) != 1 || d.To[0].Address != ada.Email || d.To[0].Name != ada.Name || d.From.Address != "tickets@example.org" {
		t.Errorf("from %v to %v", d.From, d.To)
	}
	if !strings.HasPrefix(d.MessageID, evID+".") || !strings.HasSuffix(d.MessageID, "@admit") || len(d.Attachments) != 0 {
		t.Errorf("Message-ID %q, %d attachments", d.MessageID, len(d.Attachments))
	}
	if !strings.Contains(d.HTML, "IBAN DE89") {
		t.Errorf("the HTML part lacks the instructions:\n%s", d.HTML)
	}

	// Marked paid: the confirmation brings the tickets.
	e.do(evID, &boxoffice.RecordPayment{OrderID: a, OrganizerID: org, Provider: boxoffice.ProviderManual,
		RefundID: id.New("rf", id.Short)})
	d = e.mail(2, "Your tickets for Concert (order "+a+")")
	contains(t, d, "Your tickets are attached", "2 x Standing: €90.00")
	checkPDF(t, e.mp, d, a)

	// One ticket refunded: the notice names the amount and the ticket.
	e.do(evID, &boxoffice.RefundOrder{OrganizerID: org, OrderID: a, TicketIDs: []string{boxoffice.TicketID(a, 0)},
		Reason: "Ada's friend cannot come.", RefundID: id.New("rf", id.Short)})
	d = e.mail(3, "Refund of €45.00 for order "+a+" (Concert)")
	contains(t, d, "We have refunded €45.00", "Ada's friend cannot come.", "1 x Standing: €45.00")
	if strings.Contains(d.Text, "Total:") {
		t.Errorf("a refund notice shows the order's total:\n%s", d.Text)
	}

	// The rest cancelled: the cancellation says a refund follows, and the
	// refund's own notice does follow.
	e.do(evID, &boxoffice.CancelOrder{OrganizerID: org, OrderID: a, Reason: "The concert moves to another city.",
		RefundID: id.New("rf", id.Short)})
	d = e.mail(5, "Your order "+a+" for Concert has been cancelled")
	contains(t, d, "The concert moves to another city.", "A refund of €45.00 follows.")
	cancelID := d.MessageID
	d = e.mail(5, "Refund of €45.00 for order "+a)
	contains(t, d, "The concert moves to another city.", "1 x Standing: €45.00")
	if want := strings.TrimSuffix(cancelID, "@admit") + ".refund@admit"; d.MessageID != want {
		t.Errorf("the cancellation's refund notice has Message-ID %q, want %q", d.MessageID, want)
	}

	// A pending order cancelled without a reason: nothing about a refund.
	c, _ := e.order(evID, ttID, 1, boxoffice.ProviderManual, carol)
	e.mail(6, "Please pay by "+payBy+": order "+c)
	e.do(evID, &boxoffice.CancelOrder{OrganizerID: org, OrderID: c, RefundID: id.New("rf", id.Short)})
	d = e.mail(7, "Your order "+c+" for Concert has been cancelled")
	if strings.Contains(strings.ToLower(d.Text), "a refund of") {
		t.Errorf("an unpaid order's cancellation mentions a refund:\n%s", d.Text)
	}

	// An order not paid in time expires.
	b, _ := e.order(evID, ttID, 1, boxoffice.ProviderManual, bob)
	e.mail(8, "Please pay by "+payBy+": order "+b)
	e.clk.Advance(3*24*time.Hour + time.Second)
	d = e.mail(9, "Your order "+b+" for Concert has expired")
	contains(t, d, "We did not receive your payment by "+payBy+".", "1 x Standing: €45.00")

	// Card payments, in yen: a late payment for an order whose seat went to
	// someone else is refunded, and the buyer told why.
	club, clubTT := e.event("Club night", boxoffice.Money{Amount: 1500, Currency: "JPY"}, 1,
		boxoffice.PaymentSettings{PaymentProviders: []string{boxoffice.ProviderStripe}, PaymentWindowSeconds: 60})
	late, _ := e.order(club, clubTT, 1, boxoffice.ProviderStripe, dave) // no e-mail: the card form asks for the money
	e.clk.Advance(61 * time.Second)
	d = e.mail(10, "Your order "+late+" for Club night has expired")
	contains(t, d, "1 x Standing: ¥1,500")
	taken, _ := e.order(club, clubTT, 1, boxoffice.ProviderStripe, erin)
	yen := boxoffice.Money{Amount: 1500, Currency: "JPY"}
	e.do(club, &boxoffice.RecordPayment{OrderID: taken, Provider: boxoffice.ProviderStripe, Ref: "pi_erin",
		EventRef: "evt_erin", Amount: yen, RefundID: id.New("rf", id.Short)})
	d = e.mail(11, "Your tickets for Club night (order "+taken+")")
	checkPDF(t, e.mp, d, taken)
	res := e.do(club, &boxoffice.RecordPayment{OrderID: late, Provider: boxoffice.ProviderStripe, Ref: "pi_dave",
		EventRef: "evt_dave", Amount: yen, RefundID: id.New("rf", id.Short)})
	if res.Replayed || res.Unchanged {
		t.Fatal("the late payment was taken for a replay")
	}
	d = e.mail(12, "Refund of ¥1,500 for order "+late+" (Club night)")
	contains(t, d, "We could not keep your payment of ¥1,500: the order had expired and its tickets were sold to someone else.")
	if len(d.To) != 1 || d.To[0].Address != dave.Email || strings.Contains(d.Text, "Tickets:") {
		t.Errorf("the rejected payment's notice goes to %v, or lists tickets:\n%s", d.To, d.Text)
	}

	// The organizer sends Erin's tickets again: the same confirmation, once
	// more.
	e.do(club, &boxoffice.ResendTickets{OrganizerID: org, OrderID: taken})
	d = e.mail(13, "Your tickets for Club night (order "+taken+")")
	checkPDF(t, e.mp, d, taken)

	e.caughtUp(pos)
	stop()
	sent := e.mails(13)
	seen := map[string]bool{}
	for _, m := range sent {
		if seen[m.MessageID] {
			t.Errorf("Message-ID %s sent twice", m.MessageID)
		}
		seen[m.MessageID] = true
	}

	// The ledger followed again from the start, with the same marks:
	// nothing is sent again.
	again := &worker.Memory{}
	e.runner(context.Background(), e.smtp, again, marks)
	e.caughtUp(again)
	e.mails(13)
}

// TestLateWorker: a worker that gets to the entries only after the orders
// moved on leaves out what is no longer true. An order paid and refunded in
// full in the meantime gets its refund notice, but neither a payment
// request nor a confirmation without tickets; an order that expired and was
// then paid late gets its tickets, but no expiry notice.
func TestLateWorker(t *testing.T) {
	e := newEnv(t)
	evID, ttID := e.event("Concert", boxoffice.Money{Amount: 4500, Currency: "EUR"}, 10,
		boxoffice.PaymentSettings{PaymentProviders: []string{boxoffice.ProviderManual, boxoffice.ProviderStripe},
			ManualPaymentInstructions: instructions})
	refunded, _ := e.order(evID, ttID, 2, boxoffice.ProviderManual, ada)
	e.do(evID, &boxoffice.RecordPayment{OrderID: refunded, OrganizerID: org, Provider: boxoffice.ProviderManual,
		RefundID: id.New("rf", id.Short)})
	e.do(evID, &boxoffice.RefundOrder{OrganizerID: org, OrderID: refunded, RefundID: id.New("rf", id.Short)})
	retaken, _ := e.order(evID, ttID, 1, boxoffice.ProviderStripe, bob)
	e.clk.Advance(16 * time.Minute) // the default payment window is 15 minutes
	if st := e.status(evID, retaken); st != boxoffice.StatusExpired {
		t.Fatalf("the card order is %s, want expired", st)
	}
	e.do(evID, &boxoffice.RecordPayment{OrderID: retaken, Provider: boxoffice.ProviderStripe, Ref: "pi_bob",
		Amount: boxoffice.Money{Amount: 4500, Currency: "EUR"}, RefundID: id.New("rf", id.Short)})

	pos := &worker.Memory{}
	e.runner(context.Background(), e.smtp, pos, &MemoryMarks{})
	e.caughtUp(pos)
	msgs := e.mails(2)
	d := e.mail(2, "Refund of €90.00 for order "+refunded)
	contains(t, d, "2 x Standing: €90.00")
	d = e.mail(2, "Your tickets for Concert (order "+retaken+")")
	checkPDF(t, e.mp, d, retaken)
	for _, m := range msgs {
		if m.To[0].Address == ada.Email && !strings.HasPrefix(m.Subject, "Refund") {
			t.Errorf("the refunded order got %q", m.Subject)
		}
	}
	for _, want := range []string{"no valid ticket to attach", "there is no payment to ask for", "a late payment took it"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("the logs do not say why an e-mail was left out (%q)", want)
		}
	}
}

func (e *env) status(evID, orderID string) boxoffice.OrderStatus {
	e.t.Helper()
	v, err := e.m.Read(context.Background(), evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		return s.Order(orderID).Status
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.(boxoffice.OrderStatus)
}

// TestCrashAfterSend: the process dies after the SMTP server accepted the
// confirmation and before its mark says sent. The next run sends it once
// more, with the same Message-ID, and then never again.
func TestCrashAfterSend(t *testing.T) {
	e := newEnv(t)
	evID, ttID := e.event("Free gig", boxoffice.Money{Currency: "EUR"}, 10, boxoffice.PaymentSettings{})
	marks, pos := &MemoryMarks{}, &worker.Memory{}
	ctx, kill := context.WithCancel(context.Background())
	crash := &recorder{next: e.smtp, after: func(attempt int, _ mail.Message, err error) error {
		if attempt == 1 && err == nil {
			kill() // the process dies before Send returns
			return fault.New(fault.Unavailable, "killed")
		}
		return err
	}}
	stop := e.runner(ctx, crash, pos, marks)
	holdID, o := id.New("ho", id.Long), id.New("od", id.Short)
	e.do(evID, &boxoffice.CreateHold{HoldID: holdID, Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 1}}})
	placed := e.do(evID, &boxoffice.PlaceOrder{OrderID: o, HoldID: holdID, Token: id.Token("ot_"), Buyer: ada}) // free: placed and paid in one ledger message
	first := e.mail(1, "Your tickets for Free gig (order "+o+")")
	stop()
	if p, _ := pos.Get(context.Background(), "mail"); p.Covers(placed.Seq) {
		t.Fatalf("the position moved to %d, past the order's message %d with its unmarked e-mail", p, placed.Seq)
	}
	if got := marks.state(t); len(got) != 1 || got[0] != markSending {
		t.Fatalf("marks after the crash: %v, want one sending", got)
	}

	e.runner(context.Background(), e.smtp, pos, marks)
	e.caughtUp(pos)
	msgs := e.mails(2)
	if msgs[0].MessageID != first.MessageID || msgs[1].MessageID != first.MessageID || msgs[0].Subject != first.Subject {
		t.Errorf("the resent e-mail differs: %s", subjects(msgs))
	}
	checkPDF(t, e.mp, e.mp.Message(t, msgs[0].ID), o)
	if got := marks.state(t); len(got) != 1 || got[0] != markSent {
		t.Fatalf("marks after the resend: %v, want one sent", got)
	}
	again := &worker.Memory{}
	e.runner(context.Background(), e.smtp, again, marks)
	e.caughtUp(again)
	e.mails(2)
}

// state lists the marks' values.
func (m *MemoryMarks) state(t *testing.T) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, v := range m.marks {
		out = append(out, v)
	}
	return out
}

// TestRetryUntilDelivered: while the SMTP server refuses the recipient for
// now (451), the worker retries with backoff; once it accepts, the e-mail
// arrives, once.
func TestRetryUntilDelivered(t *testing.T) {
	e := newEnv(t, "--chaos-triggers", "Recipient:451:100")
	evID, ttID := e.event("Free gig", boxoffice.Money{Currency: "EUR"}, 10, boxoffice.PaymentSettings{})
	rec := &recorder{next: e.smtp}
	pos := &worker.Memory{}
	e.runner(context.Background(), rec, pos, &MemoryMarks{})
	start := time.Now()
	o, _ := e.order(evID, ttID, 1, "", ada)
	deadline := time.Now().Add(mailWait)
	for len(rec.attempts()) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts after %s, want 3 failures", len(rec.attempts()), mailWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(e.mp.Messages(t)); n != 0 {
		t.Fatalf("Mailpit holds %d messages while refusing them", n)
	}
	setChaos(t, e.mp, "{}")
	d := e.mail(1, "Your tickets for Free gig (order "+o+")")
	e.caughtUp(pos)
	e.mails(1)
	checkPDF(t, e.mp, d, o)
	errs := rec.attempts()
	for i, err := range errs[:len(errs)-1] {
		if !fault.Is(err, fault.Unavailable) {
			t.Errorf("attempt %d: %v, want an Unavailable error", i+1, err)
		}
	}
	if err := errs[len(errs)-1]; err != nil {
		t.Errorf("the last attempt: %v", err)
	}
	t.Logf("%d attempts in %s", len(errs), time.Since(start).Round(time.Millisecond))
}

// TestRefusedForGood: an address the SMTP server refuses for good (550) is
// given up on, and the worker goes on with the next e-mail.
func TestRefusedForGood(t *testing.T) {
	e := newEnv(t, "--smtp-allowed-recipients", `^ok@example\.com$`)
	evID, ttID := e.event("Free gig", boxoffice.Money{Currency: "EUR"}, 10, boxoffice.PaymentSettings{})
	rec := &recorder{next: e.smtp}
	pos := &worker.Memory{}
	e.runner(context.Background(), rec, pos, &MemoryMarks{})
	e.order(evID, ttID, 1, "", boxoffice.Buyer{Name: "Nobody", Email: "nobody@example.com"})
	o, _ := e.order(evID, ttID, 1, "", boxoffice.Buyer{Name: "OK", Email: "ok@example.com"})
	e.mail(1, "Your tickets for Free gig (order "+o+")")
	e.caughtUp(pos)
	e.mails(1)
	errs := rec.attempts()
	if len(errs) != 2 || !fault.Is(errs[0], fault.Invalid) || errs[1] != nil {
		t.Fatalf("attempts: %v, want one Invalid and one success", errs)
	}
	if !strings.Contains(e.logs.String(), "parked an entry") {
		t.Error("the worker did not log the refused e-mail")
	}
}

// TestNoInstructions: an event taking manual payments without saying how
// still sends the payment request, which tells the buyer to ask.
func TestNoInstructions(t *testing.T) {
	e := newEnv(t)
	evID, ttID := e.event("Concert", boxoffice.Money{Amount: 4500, Currency: "EUR"}, 10, boxoffice.PaymentSettings{})
	e.runner(context.Background(), e.smtp, &worker.Memory{}, &MemoryMarks{})
	o, _ := e.order(evID, ttID, 1, boxoffice.ProviderManual, ada)
	d := e.mail(1, "Please pay by Tuesday 2 March 2027, 13:00 CET: order "+o)
	contains(t, d, noInstructions, "Please pay €45.00")
}
