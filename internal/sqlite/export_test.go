package sqlite

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/organizer"
)

// exportScenario is a read model with two events of one organizer whose
// orders went through every status (sellOrders), and the first event's
// box office state.
func exportScenario(t *testing.T) (*DB, *office, *book) {
	t.Helper()
	b := newBook(t)
	orgID := id.Derived("or", id.Short, "organizer")
	b.org(orgID, at(0), &organizer.Created{OrganizerID: orgID, Name: "Acme"})
	o := newOffice(b, orgID, id.Derived("ev", id.Short, "exported"))
	o.sellOrders(at(1))
	newOffice(b, orgID, id.Derived("ev", id.Short, "other")).sellOrders(at(1))
	db := openDB(t)
	if err := db.Apply(context.Background(), b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return db, o, b
}

// wantOrders returns the state's orders as ExportOrders should give them:
// oldest first, ties by id.
func wantOrders(s *boxoffice.State) []OrderRow {
	var want []OrderRow
	for _, o := range s.Orders {
		want = append(want, OrderRow{ID: o.ID, EventID: s.Event.ID, HoldID: o.HoldID, Status: string(o.Status),
			Provider: o.Provider, BuyerName: o.Buyer.Name, BuyerEmail: o.Buyer.Email, Currency: o.Total.Currency,
			PaymentIntentID: o.PaymentIntentID, Reason: o.Reason, TotalAmount: o.Total.Amount,
			RefundedAmount: o.Refunded(), Quantity: o.Quantity(), CreatedAt: o.CreatedAt.UTC(), PayBy: o.PayBy.UTC(),
			UpdatedAt: o.UpdatedAt.UTC(), PaidAt: utc(o.PaidAt), EndedAt: utc(o.EndedAt)})
	}
	slices.SortFunc(want, func(a, b OrderRow) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return want
}

// wantAttendees returns the state's tickets as ExportAttendees should
// give them: by order as wantOrders, then as issued.
func wantAttendees(s *boxoffice.State) []AttendeeRow {
	names := map[string]string{}
	for _, tt := range s.TicketTypes {
		names[tt.ID] = tt.Name
	}
	var want []AttendeeRow
	for _, row := range wantOrders(s) {
		o := s.Order(row.ID)
		for _, tid := range o.TicketIDs {
			tk := s.Ticket(tid)
			want = append(want, AttendeeRow{TicketID: tk.ID, OrderID: o.ID, TicketTypeID: tk.TicketTypeID,
				TicketTypeName: names[tk.TicketTypeID], Attendee: tk.Attendee, Status: string(tk.Status),
				Currency: tk.Price.Currency, PriceAmount: tk.Price.Amount, IssuedAt: tk.IssuedAt.UTC(),
				RevokedAt: utc(tk.RevokedAt), OrderStatus: string(o.Status), BuyerName: o.Buyer.Name,
				BuyerEmail: o.Buyer.Email})
		}
	}
	return want
}

func exportOrders(t *testing.T, db *DB, eventID string) []OrderRow {
	t.Helper()
	var got []OrderRow
	if err := db.ExportOrders(context.Background(), eventID, func(o OrderRow) error {
		got = append(got, o)
		return nil
	}); err != nil {
		t.Fatalf("ExportOrders: %v", err)
	}
	return got
}

func exportAttendees(t *testing.T, db *DB, eventID string) []AttendeeRow {
	t.Helper()
	var got []AttendeeRow
	if err := db.ExportAttendees(context.Background(), eventID, func(a AttendeeRow) error {
		got = append(got, a)
		return nil
	}); err != nil {
		t.Fatalf("ExportAttendees: %v", err)
	}
	return got
}

// TestExport: both exports give every order and ticket of the event, and
// only those, as the box office has them, in their order, whatever the
// chunk size (orders that share a creation time, orders without tickets
// and orders with several fall on the chunks' edges).
func TestExport(t *testing.T) {
	db, o, _ := exportScenario(t)
	orders, attendees := wantOrders(o.s), wantAttendees(o.s)
	if len(orders) < 10 || len(attendees) < 10 {
		t.Fatalf("the scenario has %d orders and %d tickets: too few to test chunks", len(orders), len(attendees))
	}
	for _, chunk := range []int{2, 3, 4, 7, DefaultExportChunk} {
		db.exportChunk = chunk
		if got := exportOrders(t, db, o.ev); !reflect.DeepEqual(got, orders) {
			t.Errorf("chunks of %d: ExportOrders =\n%v\nwant\n%v", chunk, got, orders)
		}
		if got := exportAttendees(t, db, o.ev); !reflect.DeepEqual(got, attendees) {
			t.Errorf("chunks of %d: ExportAttendees =\n%v\nwant\n%v", chunk, got, attendees)
		}
	}
	if got := exportOrders(t, db, "ev_none"); len(got) != 0 {
		t.Errorf("ExportOrders of an event that does not exist: %v", got)
	}
	if got := exportAttendees(t, db, "ev_none"); len(got) != 0 {
		t.Errorf("ExportAttendees of an event that does not exist: %v", got)
	}
}

// TestExportStopsOnError: the callback's error ends the export at once and
// comes back as it is.
func TestExportStopsOnError(t *testing.T) {
	db, o, _ := exportScenario(t)
	db.exportChunk = 3
	stop := errors.New("client went away")
	for _, tc := range []struct {
		name   string
		export func(fn func() error) error
	}{
		{"orders", func(fn func() error) error {
			return db.ExportOrders(context.Background(), o.ev, func(OrderRow) error { return fn() })
		}},
		{"attendees", func(fn func() error) error {
			return db.ExportAttendees(context.Background(), o.ev, func(AttendeeRow) error { return fn() })
		}},
	} {
		calls := 0
		err := tc.export(func() error {
			if calls++; calls == 5 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 5 {
			t.Errorf("%s: the callback failed on call 5: err %v after %d calls", tc.name, err, calls)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.ExportOrders(ctx, o.ev, func(OrderRow) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ExportOrders with a cancelled context: %v", err)
	}
}

// TestExportWhileProjecting: the projector commits while an export is
// half-way (an export holds no read transaction across the callback, and
// would not block it if it did): every order that existed when the export
// started is in it once; orders placed meanwhile, which sort after the
// rows already read, are in it too.
func TestExportWhileProjecting(t *testing.T) {
	db, o, b := exportScenario(t)
	db.exportChunk = 2
	before := wantOrders(o.s)
	var got []OrderRow
	err := db.ExportOrders(context.Background(), o.ev, func(r OrderRow) error {
		if len(got) == 3 {
			o.do(at(800), o.holdOf("late-1", "ga", 1), o.holdOf("late-2", "ga", 2))
			o.do(at(801), o.place("late-1", boxoffice.ProviderManual, boxoffice.Buyer{Name: "Late", Email: "late@example.com"}),
				o.place("late-2", boxoffice.ProviderManual, boxoffice.Buyer{Name: "Later", Email: "later@example.com"}))
			if err := db.Apply(context.Background(), b.records()); err != nil {
				return err
			}
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatalf("ExportOrders: %v", err)
	}
	seen := map[string]int{}
	for _, r := range got {
		seen[r.ID]++
	}
	for _, r := range before {
		if seen[r.ID] != 1 {
			t.Errorf("order %s is %d times in the export, want once", r.ID, seen[r.ID])
		}
	}
	if seen[o.order("late-1")] != 1 || seen[o.order("late-2")] != 1 || len(got) != len(before)+2 {
		t.Errorf("the export has %d orders (%d before), want the two placed during it at the end too", len(got), len(before))
	}
}

// TestExportQueryPlans: each chunk is an index search that stops after the
// chunk, never a sort of the event's orders.
func TestExportQueryPlans(t *testing.T) {
	db := openDB(t)
	for _, tc := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"orders", exportOrdersQuery, []any{"e", "", "", 10},
			[]string{"SEARCH orders USING INDEX orders_by_event (event_id=? AND (created_at,id)>(?,?))"}},
		{"attendees", exportAttendeesQuery, []any{"e", "", "", -1, 10},
			[]string{"SEARCH o USING INDEX orders_by_event (event_id=? AND (created_at,id)>(?,?))",
				"SEARCH t USING INDEX tickets_by_order (order_id=? AND position>?) LEFT-JOIN",
				"SEARCH tt USING INDEX sqlite_autoindex_ticket_types_1 (id=?) LEFT-JOIN"}},
	} {
		plan := strings.Join(queryRows(t, db, "EXPLAIN QUERY PLAN "+tc.query, tc.args...), "\n")
		for _, w := range tc.want {
			if !strings.Contains(plan, w) {
				t.Errorf("plan of %s:\n%s\nwant %s", tc.name, plan, w)
			}
		}
		// A sort of the tickets within one order (LAST TERM) is fine; a
		// sort of every row would read the whole event before the first.
		if strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") || strings.Contains(plan, "SCAN") {
			t.Errorf("plan of %s sorts or scans:\n%s", tc.name, plan)
		}
	}
}
