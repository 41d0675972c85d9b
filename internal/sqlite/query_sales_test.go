package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/organizer"
)

// TestEventSales: orders count in the quarter hour they were paid in,
// to the nanosecond, with their tickets and totals, whatever became of
// them after; orders never paid count for nothing.
func TestEventSales(t *testing.T) {
	b := newBook(t)
	orgID := id.Derived("or", id.Short, "organizer")
	b.org(orgID, at(0), &organizer.Created{OrganizerID: orgID, Name: "Acme"})
	o := newOffice(b, orgID, id.Derived("ev", id.Short, "sales"))
	day := func(d, h, m, s, ns int) time.Time { return time.Date(2026, 12, d, h, m, s, ns, time.UTC) }
	o.create(day(1, 9, 0, 0, 0))
	buyer := boxoffice.Buyer{Name: "Ada", Email: "ada@example.com"}
	stripe, manual := boxoffice.ProviderStripe, boxoffice.ProviderManual
	// Each order is placed, then paid (unless paid is zero), then what
	// follows happens a minute later, before the next order is placed.
	for _, tc := range []struct {
		name          string
		tickets       int
		placed, paid  time.Time
		then          string // "", "refund" or "cancel"
		provider, ref string
	}{
		{"last nanosecond of a quarter", 2, day(1, 10, 5, 0, 0), day(1, 10, 14, 59, 999_999_999), "", stripe, "pi_1"},
		{"first of the next", 1, day(1, 10, 15, 0, 0), day(1, 10, 15, 0, 0), "", stripe, "pi_2"},
		{"refunded later", 3, day(1, 10, 20, 0, 0), day(1, 10, 21, 0, 0), "refund", stripe, "pi_3"},
		{"cancelled after payment", 1, day(1, 10, 25, 0, 0), day(1, 10, 29, 0, 0), "cancel", manual, ""},
		{"never paid", 4, day(1, 10, 31, 0, 0), time.Time{}, "", manual, ""},
		{"cancelled unpaid", 2, day(1, 10, 32, 0, 0), time.Time{}, "cancel", manual, ""},
		{"next day, last quarter", 1, day(2, 23, 55, 0, 0), day(2, 23, 59, 59, 0), "", stripe, "pi_4"},
	} {
		o.do(tc.placed, o.holdOf(tc.name, "ga", tc.tickets))
		o.do(tc.placed, o.place(tc.name, tc.provider, buyer))
		if !tc.paid.IsZero() {
			o.do(tc.paid, o.pay(tc.name, tc.provider, tc.ref))
		}
		after := tc.placed.Add(time.Minute)
		if !tc.paid.IsZero() {
			after = tc.paid.Add(time.Minute)
		}
		switch tc.then {
		case "refund":
			o.do(after, &boxoffice.RefundOrder{OrganizerID: o.org, OrderID: o.order(tc.name), Reason: "asked",
				RefundID: o.refund(tc.name)})
		case "cancel":
			c := &boxoffice.CancelOrder{OrganizerID: o.org, OrderID: o.order(tc.name), Reason: "moved"}
			if !tc.paid.IsZero() {
				c.RefundID = o.refund(tc.name)
			}
			o.do(after, c)
		}
	}
	// Another event's sales are its own.
	other := newOffice(b, orgID, id.Derived("ev", id.Short, "other"))
	other.create(day(1, 9, 0, 0, 0))
	other.do(day(1, 10, 5, 0, 0), other.holdOf("x", "ga", 5))
	other.do(day(1, 10, 5, 0, 0), other.place("x", stripe, buyer))
	other.do(day(1, 10, 6, 0, 0), other.pay("x", stripe, "pi_x"))

	db := openDB(t)
	if err := db.Apply(context.Background(), b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got, err := db.EventSales(context.Background(), o.ev)
	if err != nil {
		t.Fatalf("EventSales: %v", err)
	}
	want := `EUR Europe/Berlin
2026-12-01T10:00:00Z 2 5000
2026-12-01T10:15:00Z 5 12500
2026-12-02T23:45:00Z 1 2500`
	if s := salesText(got); s != want || got.EventID != o.ev {
		t.Errorf("EventSales(%s) of %s:\n%s\nwant\n%s", o.ev, got.EventID, s, want)
	}
	for _, sl := range got.Slots {
		if sl.Start.Location() != time.UTC {
			t.Errorf("slot %s is not in UTC", sl.Start)
		}
	}
}

// TestEventSalesFollowBoxOffice: after orders went through every status,
// the event's sales are the sums over the box office's orders that have a
// payment time.
func TestEventSalesFollowBoxOffice(t *testing.T) {
	b := newBook(t)
	orgID := id.Derived("or", id.Short, "organizer")
	b.org(orgID, at(0), &organizer.Created{OrganizerID: orgID, Name: "Acme"})
	o := newOffice(b, orgID, id.Derived("ev", id.Short, "orders"))
	o.sellOrders(time.Date(2026, 12, 1, 10, 14, 50, 0, time.UTC)) // its payments straddle 10:15
	db := openDB(t)
	if err := db.Apply(context.Background(), b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	type sums struct {
		tickets int
		amount  int64
	}
	want := map[time.Time]sums{}
	var starts []time.Time
	paid, unpaid := 0, 0
	for _, ord := range o.s.Orders {
		if ord.PaidAt.IsZero() {
			unpaid++
			continue
		}
		paid++
		slot := ord.PaidAt.UTC().Truncate(SalesSlotLength)
		if _, ok := want[slot]; !ok {
			starts = append(starts, slot)
		}
		want[slot] = sums{want[slot].tickets + ord.Quantity(), want[slot].amount + ord.Total.Amount}
	}
	if paid == 0 || unpaid == 0 || len(want) < 2 {
		t.Fatalf("the scenario has %d paid and %d unpaid orders in %d slots: it tests less than it says", paid, unpaid,
			len(want))
	}
	got, err := db.EventSales(context.Background(), o.ev)
	if err != nil {
		t.Fatalf("EventSales: %v", err)
	}
	if len(got.Slots) != len(want) {
		t.Errorf("%d slots, want %d", len(got.Slots), len(want))
	}
	for i, sl := range got.Slots {
		if w, ok := want[sl.Start]; !ok || w != (sums{sl.Tickets, sl.Amount}) {
			t.Errorf("slot %s: %d tickets for %d; want %+v", sl.Start, sl.Tickets, sl.Amount, w)
		}
		if i > 0 && !sl.Start.After(got.Slots[i-1].Start) {
			t.Errorf("slot %s after %s", sl.Start, got.Slots[i-1].Start)
		}
	}
}

func TestEventSalesErrors(t *testing.T) {
	b := oneEvent(t)
	db := openDB(t)
	if err := db.Apply(context.Background(), b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	ctx := context.Background()
	if s, err := db.EventSales(ctx, "ev_1"); err != nil || salesText(s) != "EUR Europe/Berlin" {
		t.Errorf("EventSales of an event without orders = %s, %v", salesText(s), err)
	}
	if _, err := db.EventSales(ctx, ""); !fault.Is(err, fault.Invalid) {
		t.Errorf("EventSales(\"\") = %v, want Invalid", err)
	}
	if _, err := db.EventSales(ctx, "ev_none"); !fault.Is(err, fault.NotFound) {
		t.Errorf("EventSales(ev_none) = %v, want NotFound", err)
	}
}

// salesText writes sales as their currency and time zone, then a line
// per slot.
func salesText(s EventSales) string {
	lines := []string{s.Currency + " " + s.TimeZone}
	for _, sl := range s.Slots {
		lines = append(lines, fmt.Sprintf("%s %d %d", sl.Start.Format(time.RFC3339), sl.Tickets, sl.Amount))
	}
	return strings.Join(lines, "\n")
}

// BenchmarkEventSales sums an event's 100,000 paid orders, paid over 30
// days. The orders are written to the table directly: the query is what
// is measured, not the projection.
func BenchmarkEventSales(b *testing.B) {
	const orders = 100_000
	bk := oneEvent(b)
	db := openDB(b)
	ctx := context.Background()
	if err := db.Apply(ctx, bk.records()); err != nil {
		b.Fatalf("Apply: %v", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range orders {
		ts := formatTime(start.Add(time.Duration(i) * (30 * 24 * time.Hour / orders)))
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, event_id, hold_id, token, status, provider, buyer_name,
			buyer_email, attendees, lines, total_amount, currency, refunded_amount, quantity, payment_intent_id, created_at,
			pay_by, paid_at, reason, updated_at) VALUES (?, 'ev_1', ?, ?, 'paid', 'stripe', 'B', 'b@example.com', '[]', '[]',
			4500, 'EUR', 0, 1, '', ?, ?, ?, '', ?)`, fmt.Sprintf("or_%06d", i), fmt.Sprintf("ho_%06d", i),
			fmt.Sprintf("tok_%06d", i), ts, ts, ts, ts); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := db.EventSales(ctx, "ev_1")
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Slots) != 30*24*4 {
			b.Fatalf("%d slots", len(s.Slots))
		}
	}
}
