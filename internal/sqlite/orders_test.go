package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/organizer"
)

// office runs the box office's state machine (boxoffice.Decide and Apply)
// for one event and writes what it decides to the book, one message per
// batch, as a box office does. The read model can then be held against the
// state.
type office struct {
	t       testing.TB
	b       *book
	s       *boxoffice.State
	org, ev string
}

func newOffice(b *book, organizerID, eventID string) *office {
	return &office{t: b.t, b: b, s: boxoffice.NewState(), org: organizerID, ev: eventID}
}

// do decides the commands at now one after another, applying each one's
// entries before deciding the next, and appends all the entries as one
// message. Every command must be accepted.
func (o *office) do(now time.Time, cmds ...boxoffice.Command) uint64 {
	o.t.Helper()
	var entries []boxoffice.Entry
	for _, c := range cmds {
		d, err := boxoffice.Decide(o.s, c, now)
		if err != nil {
			o.t.Fatalf("Decide(%T %+v): %v", c, c, err)
		}
		for _, e := range d.Entries {
			if err := boxoffice.Apply(o.s, e, now); err != nil {
				o.t.Fatalf("Apply(%s): %v", e.Type(), err)
			}
		}
		entries = append(entries, d.Entries...)
	}
	if len(entries) == 0 {
		o.t.Fatalf("commands at %s decided nothing", now)
	}
	return o.b.event(o.ev, now, entries...)
}

// expire appends the expiries due at now, as the box office's timer does.
func (o *office) expire(now time.Time) uint64 {
	o.t.Helper()
	var ids []string
	for id := range o.s.Holds() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var entries []boxoffice.Entry
	for _, id := range ids {
		if e := boxoffice.Expire(o.s, id, now); e != nil {
			if err := boxoffice.Apply(o.s, e, now); err != nil {
				o.t.Fatalf("Apply(%s): %v", e.Type(), err)
			}
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		o.t.Fatalf("nothing expires at %s", now)
	}
	return o.b.event(o.ev, now, entries...)
}

// create creates the event on sale: ticket types ga (25.00), vip (50.00,
// attendees named), free and late (25.00, one ticket only), quotas over
// them, payment by manual transfer or Stripe within 10 minutes, and a
// signing key.
func (o *office) create(now time.Time) {
	o.t.Helper()
	d := eventDetails("Show " + o.ev)
	d.PaymentSettings = boxoffice.PaymentSettings{
		PaymentProviders:     []string{boxoffice.ProviderManual, boxoffice.ProviderStripe},
		PaymentWindowSeconds: 600, ManualPaymentInstructions: "IBAN DE00 0000"}
	d.MaxUnpaidOrdersPerEmail = 100 // two buyers place every kind of order at once
	eur := func(n int64) boxoffice.Money { return boxoffice.Money{Amount: n, Currency: "EUR"} }
	o.do(now,
		&boxoffice.CreateEvent{OrganizerID: o.org, EventID: o.ev, Currency: "EUR", Details: d},
		&boxoffice.CreateTicketType{OrganizerID: o.org, TicketTypeID: o.tt("ga"),
			Details: boxoffice.TicketTypeDetails{Name: "Standing", Price: eur(2500)}},
		&boxoffice.CreateTicketType{OrganizerID: o.org, TicketTypeID: o.tt("vip"),
			Details: boxoffice.TicketTypeDetails{Name: "VIP", Price: eur(5000), AttendeeNames: true}},
		&boxoffice.CreateTicketType{OrganizerID: o.org, TicketTypeID: o.tt("free"),
			Details: boxoffice.TicketTypeDetails{Name: "Guest list", Price: eur(0)}},
		&boxoffice.CreateTicketType{OrganizerID: o.org, TicketTypeID: o.tt("late"),
			Details: boxoffice.TicketTypeDetails{Name: "Last one", Price: eur(2500)}},
		&boxoffice.CreateQuota{OrganizerID: o.org, QuotaID: id.Derived("qu", id.Short, o.ev, "total"),
			Details: boxoffice.QuotaDetails{Name: "Total", Capacity: 1000,
				TicketTypeIDs: []string{o.tt("ga"), o.tt("vip"), o.tt("free"), o.tt("late")}}},
		&boxoffice.CreateQuota{OrganizerID: o.org, QuotaID: id.Derived("qu", id.Short, o.ev, "late"),
			Details: boxoffice.QuotaDetails{Name: "Late", Capacity: 1, TicketTypeIDs: []string{o.tt("late")}}},
		&boxoffice.ChangeStatus{OrganizerID: o.org, Status: boxoffice.OnSale},
		&boxoffice.AddSigningKey{OrganizerID: o.org, PublicKey: publicKey(1)})
}

// The realistic ids of the office's ticket types, holds, orders and
// refunds, derived from the event id and a name.
func (o *office) tt(name string) string    { return id.Derived("tt", id.Short, o.ev, name) }
func (o *office) hold(name string) string  { return id.Derived("ho", id.Long, o.ev, name) }
func (o *office) order(name string) string { return id.Derived("or", id.Short, o.ev, name) }
func (o *office) refund(name string) string {
	return id.Derived("rf", id.Short, o.ev, name)
}

// holdOf is a hold of the ticket types named, alternately name and
// quantity.
func (o *office) holdOf(name string, items ...any) *boxoffice.CreateHold {
	h := &boxoffice.CreateHold{HoldID: o.hold(name)}
	for i := 0; i < len(items); i += 2 {
		h.Items = append(h.Items, boxoffice.Item{TicketTypeID: o.tt(items[i].(string)), Quantity: items[i+1].(int)})
	}
	return h
}

// place is an order of the hold of the same name.
func (o *office) place(name, provider string, buyer boxoffice.Buyer, attendees ...string) *boxoffice.PlaceOrder {
	return &boxoffice.PlaceOrder{OrderID: o.order(name), HoldID: o.hold(name), Token: id.Token(""), Buyer: buyer,
		Attendees: attendees, Provider: provider}
}

// pay is the payment of the order's total from the provider.
func (o *office) pay(name, provider, ref string) *boxoffice.RecordPayment {
	c := &boxoffice.RecordPayment{OrderID: o.order(name), Provider: provider, Ref: ref,
		Amount: o.s.Order(o.order(name)).Total, RefundID: o.refund(name + "-" + ref)}
	if provider == boxoffice.ProviderManual {
		c.OrganizerID = o.org // the organizer marks it paid
	} else {
		c.EventRef = "evt_" + ref // the provider's notification
	}
	return c
}

// sellOrders runs orders of the event through every status there is,
// from start on: paid, awaiting payment, expired, retaken by a late
// payment, cancelled before and after payment (by Stripe or by hand),
// partially and fully refunded (settled, failed, at once), free, and
// payments rejected because they came too late, twice or for a cancelled
// order. It returns the sequence of the last message.
func (o *office) sellOrders(start time.Time) uint64 {
	o.t.Helper()
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	o.create(at(0))
	o.do(at(1),
		o.holdOf("paid", "ga", 2), o.holdOf("pending", "ga", 1), o.holdOf("expired", "ga", 1),
		o.holdOf("retaken", "ga", 1), o.holdOf("cancelled", "ga", 1), o.holdOf("paid-cancelled", "ga", 2),
		o.holdOf("refunded", "ga", 2, "vip", 1), o.holdOf("manual-refunded", "ga", 2), o.holdOf("free", "free", 1),
		o.holdOf("rejected-late", "late", 1), o.holdOf("paid-twice", "ga", 1), o.holdOf("cancelled-paid", "ga", 1),
		o.holdOf("released", "ga", 1), o.holdOf("manual-cancelled", "ga", 1), o.holdOf("manual-rejected", "ga", 1))
	zoe := boxoffice.Buyer{Name: "Zoë Łukasiewicz", Email: "zoe@example.com"}
	grace := boxoffice.Buyer{Name: "Grace Hopper", Email: "grace_hopper@example.org"}
	stripe, manual := boxoffice.ProviderStripe, boxoffice.ProviderManual
	o.do(at(2),
		o.place("paid", stripe, zoe), o.place("pending", manual, grace), o.place("expired", stripe, zoe),
		o.place("retaken", stripe, grace), o.place("cancelled", manual, zoe), o.place("paid-cancelled", stripe, grace),
		o.place("refunded", stripe, zoe, "Zoë", "Ada", "Grace"), o.place("manual-refunded", manual, grace),
		o.place("free", "", zoe, "Zoë"), o.place("rejected-late", stripe, grace), o.place("paid-twice", stripe, zoe),
		o.place("cancelled-paid", stripe, grace), o.place("manual-cancelled", manual, grace),
		o.place("manual-rejected", manual, zoe))
	o.do(at(3),
		&boxoffice.StartPayment{OrderID: o.order("paid"), PaymentIntentID: "pi_paid"},
		o.pay("paid", stripe, "pi_paid"), o.pay("paid-cancelled", stripe, "pi_pc"), o.pay("refunded", stripe, "pi_r"),
		o.pay("manual-refunded", manual, ""), o.pay("paid-twice", stripe, "pi_pt1"), o.pay("manual-cancelled", manual, ""),
		&boxoffice.ReleaseHold{HoldID: o.hold("released")},
		&boxoffice.AddSigningKey{OrganizerID: o.org, PublicKey: publicKey(2)})
	refundOf := func(name string, tickets ...int) *boxoffice.RefundOrder {
		c := &boxoffice.RefundOrder{OrganizerID: o.org, OrderID: o.order(name), Reason: "refund " + name,
			RefundID: o.refund(name + "-" + itoa(len(o.s.Order(o.order(name)).Refunds)))}
		for _, i := range tickets {
			c.TicketIDs = append(c.TicketIDs, boxoffice.TicketID(o.order(name), i))
		}
		return c
	}
	o.do(at(4),
		&boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order("cancelled"), Reason: "changed mind"},
		&boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order("paid-cancelled"), Reason: "show moved",
			RefundID: o.refund("paid-cancelled")},
		&boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order("cancelled-paid"), Reason: "duplicate"},
		&boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order("manual-cancelled"), Reason: "show moved",
			RefundID: o.refund("manual-cancelled")}, // paid back by hand: settled at once
		&boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order("manual-rejected")},
		refundOf("refunded", 0), refundOf("manual-refunded"), refundOf("free"),
		o.pay("paid-twice", stripe, "pi_pt2"),
		&boxoffice.RetireSigningKey{OrganizerID: o.org, KeyID: boxoffice.KeyID(publicKey(1))})
	o.do(at(5),
		&boxoffice.SettleRefund{OrderID: o.order("paid-cancelled"), RefundID: o.refund("paid-cancelled"),
			ProviderRef: "re_pc"},
		&boxoffice.SettleRefund{OrderID: o.order("refunded"), RefundID: o.refund("refunded-0"), Failed: true,
			Message: "card closed"},
		refundOf("refunded"), // the other two tickets
		o.pay("cancelled-paid", stripe, "pi_cp"),
		o.pay("manual-rejected", manual, "")) // paid by hand after all: rejected, paid back by hand
	o.expire(at(700)) // the Stripe orders awaiting payment
	return o.do(at(701),
		o.holdOf("late-taker", "late", 1), // the late ticket goes to someone else
		o.pay("retaken", stripe, "pi_rt"), o.pay("rejected-late", stripe, "pi_rl"),
		&boxoffice.SettleRefund{OrderID: o.order("refunded"), RefundID: o.refund("refunded-1"), ProviderRef: "re_r"})
}

// TestOrdersFollowBoxOffice: after orders went through every status in the
// box office, the read model shows each order, ticket, payment, refund and
// signing key as the box office's state has it (holds, in every status
// too, are the box office's alone).
func TestOrdersFollowBoxOffice(t *testing.T) {
	b := newBook(t)
	orgID := id.Derived("or", id.Short, "organizer")
	b.org(orgID, at(0), &organizer.Created{OrganizerID: orgID, Name: "Acme"})
	o := newOffice(b, orgID, id.Derived("ev", id.Short, "orders"))
	o.sellOrders(at(1))
	db := openDB(t)
	if err := db.Apply(context.Background(), b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	checkOffice(t, db, o.s)
}

// checkOffice checks that the read model shows the event of state s as s
// has it, and that s has orders, holds, tickets and refunds in every
// status (holds to show that the read model follows whatever became of
// an order's hold).
func checkOffice(t *testing.T, db *DB, s *boxoffice.State) {
	t.Helper()
	ctx := context.Background()
	ev := s.Event.ID

	// Every status occurs, or the test checks less than it says.
	statuses := map[string]bool{}
	for _, o := range s.Orders {
		statuses["order "+string(o.Status)] = true
		for _, r := range o.Refunds {
			statuses["refund "+string(r.Status)] = true
		}
		for _, p := range o.Payments {
			statuses["payment kept="+map[bool]string{true: "yes", false: "no"}[p.Kept]] = true
		}
		for _, id := range o.TicketIDs {
			statuses["ticket "+string(s.Ticket(id).Status)] = true
		}
	}
	for _, h := range s.Holds() {
		statuses["hold "+string(h.Status)] = true
	}
	for _, want := range []string{"order pending_payment", "order paid", "order expired", "order cancelled",
		"order refunded", "refund pending", "refund succeeded", "refund failed", "payment kept=yes",
		"payment kept=no", "ticket valid", "ticket revoked", "hold active", "hold released", "hold expired",
		"hold converted"} {
		if !statuses[want] {
			t.Errorf("the scenario has no %s", want)
		}
	}

	// Orders, listed 5 to a page.
	var rows []OrderRow
	for cursor := ""; ; {
		page, next, err := db.ListOrders(ctx, OrderFilter{EventID: ev, Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatalf("ListOrders: %v", err)
		}
		rows = append(rows, page...)
		if cursor = next; next == "" {
			break
		}
	}
	if len(rows) != len(s.Orders) {
		t.Errorf("ListOrders: %d orders, want %d", len(rows), len(s.Orders))
	}
	byID := map[string]OrderRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	for _, o := range s.Orders {
		want := OrderRow{ID: o.ID, EventID: ev, HoldID: o.HoldID, Status: string(o.Status), Provider: o.Provider,
			BuyerName: o.Buyer.Name, BuyerEmail: o.Buyer.Email, Currency: o.Total.Currency,
			PaymentIntentID: o.PaymentIntentID, Reason: o.Reason, TotalAmount: o.Total.Amount,
			RefundedAmount: o.Refunded(), Quantity: o.Quantity(), CreatedAt: o.CreatedAt.UTC(), PayBy: o.PayBy.UTC(),
			UpdatedAt: o.UpdatedAt.UTC(), PaidAt: utc(o.PaidAt), EndedAt: utc(o.EndedAt)}
		if got := byID[o.ID]; got != want {
			t.Errorf("order %s:\n%+v\nwant\n%+v", o.ID, got, want)
		}

		var wantTickets []TicketRow
		for _, id := range o.TicketIDs {
			tk := s.Ticket(id)
			wantTickets = append(wantTickets, TicketRow{ID: tk.ID, OrderID: o.ID, EventID: ev,
				TicketTypeID: tk.TicketTypeID, Attendee: tk.Attendee, Status: string(tk.Status),
				Currency: tk.Price.Currency, PriceAmount: tk.Price.Amount, IssuedAt: tk.IssuedAt.UTC(),
				RevokedAt: utc(tk.RevokedAt)})
		}
		if got, err := db.TicketsOfOrder(ctx, o.ID); err != nil || !reflect.DeepEqual(got, wantTickets) {
			t.Errorf("TicketsOfOrder(%s) = %+v, %v;\nwant %+v", o.ID, got, err, wantTickets)
		}

		var wantPayments []string
		for _, p := range o.Payments {
			wantPayments = append(wantPayments, rowText(p.Provider, p.Ref, p.Amount.Amount, p.Amount.Currency,
				formatTime(p.ReceivedAt), sqlBool(p.Kept)))
		}
		if got := queryRows(t, db, `SELECT provider, ref, amount, currency, received_at, kept FROM payments
			WHERE order_id = ? ORDER BY seq`, o.ID); !slices.Equal(got, wantPayments) {
			t.Errorf("payments of %s:\n%s\nwant\n%s", o.ID, strings.Join(got, "\n"), strings.Join(wantPayments, "\n"))
		}

		var wantRefunds []string
		for _, r := range o.Refunds {
			ids, _ := jsonArray(r.TicketIDs)
			wantRefunds = append(wantRefunds, rowText(r.ID, r.Amount.Amount, r.Amount.Currency, ids, r.Reason,
				r.Provider, r.PaymentRef, string(r.Status), r.ProviderRef, r.Message, formatTime(r.CreatedAt),
				nullTime(r.SettledAt)))
		}
		slices.Sort(wantRefunds) // by id, as the query sorts them
		if got := queryRows(t, db, `SELECT id, amount, currency, ticket_ids, reason, provider, payment_ref, status,
			provider_ref, message, created_at, settled_at FROM refunds WHERE order_id = ? ORDER BY id`, o.ID); !slices.Equal(got, wantRefunds) {
			t.Errorf("refunds of %s:\n%s\nwant\n%s", o.ID, strings.Join(got, "\n"), strings.Join(wantRefunds, "\n"))
		}
	}

	// Revocations, all and after the first one's time.
	revoked, err := db.Revocations(ctx, ev, time.Time{})
	if err != nil {
		t.Fatalf("Revocations: %v", err)
	}
	var gotIDs []string
	for i, r := range revoked {
		gotIDs = append(gotIDs, r.ID)
		tk := s.Ticket(r.ID)
		if tk == nil || r.Status != "revoked" || !r.RevokedAt.Equal(tk.RevokedAt) {
			t.Errorf("revocation %+v, box office ticket %+v", r, tk)
		}
		if i > 0 && r.RevokedAt.Before(revoked[i-1].RevokedAt) {
			t.Errorf("revocation %s at %s listed after one at %s", r.ID, r.RevokedAt, revoked[i-1].RevokedAt)
		}
	}
	wantIDs := slices.Clone(s.Revoked)
	slices.Sort(gotIDs)
	slices.Sort(wantIDs)
	if len(wantIDs) == 0 || !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("Revocations = %v, want %v", gotIDs, wantIDs)
	}
	since := revoked[0].RevokedAt
	later, err := db.Revocations(ctx, ev, since)
	var wantLater []TicketRow
	for _, r := range revoked {
		if r.RevokedAt.After(since) {
			wantLater = append(wantLater, r)
		}
	}
	if err != nil || len(wantLater) == 0 || len(wantLater) == len(revoked) || !reflect.DeepEqual(later, wantLater) {
		t.Errorf("Revocations since %s = %v, %v; want %v", since, later, err, wantLater)
	}

	var wantKeys []string
	for _, k := range s.Keys {
		wantKeys = append(wantKeys, rowText(k.ID, base64.StdEncoding.EncodeToString(k.PublicKey),
			formatTime(k.AddedAt), nullTime(k.RetiredAt)))
	}
	slices.Sort(wantKeys)
	if got := queryRows(t, db, `SELECT id, public_key, added_at, retired_at FROM signing_keys WHERE event_id = ?
		ORDER BY id`, ev); !slices.Equal(got, wantKeys) {
		t.Errorf("signing keys:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantKeys, "\n"))
	}

	ps := s.Event.PaymentSettings
	providers, _ := json.Marshal(ps.PaymentProviders)
	want := rowText(string(providers), ps.PaymentWindowSeconds, ps.ManualPaymentWindowSeconds, ps.ManualPaymentInstructions)
	if got := queryRows(t, db, `SELECT payment_providers, payment_window_seconds, manual_payment_window_seconds,
		manual_payment_instructions FROM events WHERE id = ?`, ev); !slices.Equal(got, []string{want}) {
		t.Errorf("payment settings %v, want %s", got, want)
	}
	for _, tt := range s.TicketTypes {
		if got := queryRows(t, db, `SELECT attendee_names FROM ticket_types WHERE id = ?`, tt.ID); !slices.Equal(got,
			[]string{rowText(sqlBool(tt.AttendeeNames))}) {
			t.Errorf("ticket type %s: attendee_names %v, want %v", tt.ID, got, tt.AttendeeNames)
		}
	}
}

// utc is t in UTC, zero if zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// queryRows runs a query on the read model and returns its rows as rowText
// writes them.
func queryRows(t testing.TB, db *DB, query string, args ...any) []string {
	t.Helper()
	rs, err := db.r.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, rowText(vals...))
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// rowText writes values as "a | 1 | NULL": text as is, whole numbers in
// decimal, nil and invalid sql.NullStrings as NULL.
func rowText(vals ...any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" | ")
		}
		switch v := v.(type) {
		case nil:
			b.WriteString("NULL")
		case sql.NullString:
			if !v.Valid {
				b.WriteString("NULL")
			} else {
				b.WriteString(v.String)
			}
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(itoa(v))
		case int64:
			b.WriteString(itoa(int(v)))
		default:
			b.WriteString("?")
		}
	}
	return b.String()
}
