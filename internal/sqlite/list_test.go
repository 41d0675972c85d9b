package sqlite

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
)

func TestListEvents(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	// Organizer A has 7 events, B has 3, created interleaved; events 1 and 2
	// of A share a creation time, so the id decides their order.
	var aIDs, onSale []string
	for i := range 10 {
		org, id := "or_a", "ev_a"+itoa(i)
		if i%3 == 2 {
			org, id = "or_b", "ev_b"+itoa(i)
		}
		when := at(i)
		if i == 1 {
			when = at(0)
		}
		b.event(id, when, &boxoffice.EventCreated{EventID: id, OrganizerID: org, Currency: "EUR", EventDetails: eventDetails(id)})
		if org == "or_a" {
			aIDs = append(aIDs, id)
			if i%2 == 0 {
				b.event(id, at(50), &boxoffice.EventStatusChanged{EventID: id, From: boxoffice.Draft, Status: boxoffice.OnSale})
				onSale = append(onSale, id)
			}
		}
	}
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	slices.Reverse(aIDs)
	slices.Reverse(onSale)
	// ev_a1 and ev_a0 have the same creation time: the greater id first.
	if aIDs[len(aIDs)-2] != "ev_a1" || aIDs[len(aIDs)-1] != "ev_a0" {
		t.Fatalf("test setup: %v", aIDs)
	}

	for _, tc := range []struct {
		status string
		limit  int
		want   []string
	}{
		{"", 3, aIDs},
		{"", 1, aIDs},
		{"", 7, aIDs},
		{"", 200, aIDs},
		{"on_sale", 2, onSale},
		{"draft", 2, without(aIDs, onSale)},
		{"cancelled", 5, nil},
	} {
		var got []string
		cursor, pages := "", 0
		for {
			rows, next, err := db.ListEvents(ctx, "or_a", tc.status, tc.limit, cursor)
			if err != nil {
				t.Fatalf("ListEvents(%q, %d, %q): %v", tc.status, tc.limit, cursor, err)
			}
			if len(rows) > tc.limit {
				t.Errorf("ListEvents(%q, %d): %d rows", tc.status, tc.limit, len(rows))
			}
			for _, r := range rows {
				if r.OrganizerID != "or_a" {
					t.Errorf("organizer A sees %s of %s", r.ID, r.OrganizerID)
				}
				if tc.status != "" && r.Status != tc.status {
					t.Errorf("status %q lists %s with status %q", tc.status, r.ID, r.Status)
				}
				got = append(got, r.ID)
			}
			pages++
			if next == "" {
				break
			}
			if len(rows) != tc.limit {
				t.Errorf("a page before the last has %d rows, want %d", len(rows), tc.limit)
			}
			cursor = next
			if pages > 20 {
				t.Fatal("too many pages")
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListEvents(%q, limit %d) = %v, want %v", tc.status, tc.limit, got, tc.want)
		}
		if wantPages := max(1, (len(tc.want)+tc.limit-1)/tc.limit); pages != wantPages {
			t.Errorf("ListEvents(%q, limit %d): %d pages, want %d", tc.status, tc.limit, pages, wantPages)
		}
	}

	rows, _, err := db.ListEvents(ctx, "or_b", "", 200, "")
	if err != nil || len(rows) != 3 {
		t.Errorf("organizer B: %d events, %v; want 3", len(rows), err)
	}
	for _, r := range rows {
		if r.OrganizerID != "or_b" {
			t.Errorf("organizer B sees %s of %s", r.ID, r.OrganizerID)
		}
	}
	if rows, next, err := db.ListEvents(ctx, "or_none", "", 10, ""); err != nil || len(rows) != 0 || next != "" {
		t.Errorf("unknown organizer: %v, %q, %v; want nothing", rows, next, err)
	}

	_, next, err := db.ListEvents(ctx, "or_a", "", 2, "")
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	for _, tc := range []struct {
		status, cursor, field string
		limit                 int
	}{
		{cursor: "!!", field: "cursor", limit: 2},
		{cursor: "bm90IGEgY3Vyc29y", field: "cursor", limit: 2}, // "not a cursor"
		{cursor: next[:len(next)-3], field: "cursor", limit: 2},
		{cursor: next, field: "limit", limit: 0},
		{cursor: next, field: "limit", limit: 201},
		{status: "sold_out", field: "status", limit: 2},
	} {
		_, _, err := db.ListEvents(ctx, "or_a", tc.status, tc.limit, tc.cursor)
		e := fault.As(err)
		if e == nil || e.Kind != fault.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("ListEvents(%q, %d, %q) = %v, want Invalid on %q", tc.status, tc.limit, tc.cursor, err, tc.field)
		}
	}
}

func without(all, drop []string) []string {
	var out []string
	for _, s := range all {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestListOrders(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	orgID := id.Derived("or", id.Short, "organizer")
	o := newOffice(b, orgID, id.Derived("ev", id.Short, "list"))
	o.create(at(0))
	// Buyers whose names and e-mails test the search; the others are
	// plain. Orders are placed three per batch (they share a creation time,
	// so the id decides their order); every third is paid, every fifth
	// cancelled.
	buyers := []boxoffice.Buyer{
		{Name: "Zoë Łukasiewicz", Email: "zoe@example.com"},
		{Name: "ZOË KRAUSE", Email: "zk@example.com"},
		{Name: "Ann_Lee", Email: "ann.lee@example.org"},
		{Name: "Annxlee", Email: "annx@example.org"},
		{Name: "100% Fan", Email: "fan@example.com"},
		{Name: "1000 Fans", Email: "fans@example.com"},
		{Name: `Back\slash`, Email: "back@example.com"},
		{Name: "Grace Hopper", Email: "GRACE@Example.ORG"},
	}
	for i := len(buyers); i < 31; i++ {
		buyers = append(buyers, boxoffice.Buyer{Name: "Buyer " + itoa(i), Email: "buyer" + itoa(i) + "@example.net"})
	}
	name := func(i int) string { return "o" + itoa(i) }
	for i := 0; i < len(buyers); i += 3 {
		var holds, orders []boxoffice.Command
		for j := i; j < min(i+3, len(buyers)); j++ {
			holds = append(holds, o.holdOf(name(j), "ga", 1))
			orders = append(orders, o.place(name(j), boxoffice.ProviderManual, buyers[j]))
		}
		o.do(at(10+i), holds...)
		o.do(at(11+i), orders...)
	}
	var changes []boxoffice.Command
	for i := range buyers {
		switch {
		case i%3 == 0:
			changes = append(changes, o.pay(name(i), boxoffice.ProviderManual, ""))
		case i%5 == 0:
			changes = append(changes, &boxoffice.CancelOrder{OrganizerID: orgID, OrderID: o.order(name(i))})
		}
	}
	o.do(at(100), changes...)
	// Another event's orders never show.
	other := newOffice(b, orgID, id.Derived("ev", id.Short, "other"))
	other.create(at(0))
	other.do(at(1), other.holdOf("x", "ga", 1))
	other.do(at(2), other.place("x", boxoffice.ProviderManual, buyers[0]))

	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	// want lists the event's orders that match, newest first, the way the
	// filter is documented: the status, and the query as a substring of the
	// name or e-mail, A to Z folded.
	want := func(status, query string) []string {
		fold := func(s string) string {
			return strings.Map(func(r rune) rune {
				if 'A' <= r && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, s)
		}
		var os []*boxoffice.Order
		for _, or := range o.s.Orders {
			if (status == "" || string(or.Status) == status) &&
				(strings.Contains(fold(or.Buyer.Name), fold(query)) || strings.Contains(fold(or.Buyer.Email), fold(query))) {
				os = append(os, or)
			}
		}
		slices.SortFunc(os, func(a, b *boxoffice.Order) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		var ids []string
		for _, or := range os {
			ids = append(ids, or.ID)
		}
		return ids
	}
	// Some answers spelled out, so that want is not the only judge.
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, o.order(name(n)))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"n_l", ids(2)},   // _ is no wildcard: not Annxlee
		{"0%", ids(4)},    // % neither: not 1000 Fans
		{`k\s`, ids(6)},   // nor \
		{"ë", ids(0)},     // only A to Z fold: not ZOË
		{"zo", ids(1, 0)}, // newest first
		{"grace@EXAMPLE", ids(7)},
		{"nobody", nil},
	} {
		if got := want("", tc.query); !slices.Equal(got, tc.want) {
			t.Fatalf("test setup: want(%q) = %v, not %v", tc.query, got, tc.want)
		}
	}

	for _, tc := range []struct {
		status, query string
		limit         int
	}{
		{"", "", 4}, {"", "", 1}, {"", "", 31}, {"", "", 100},
		{"paid", "", 3}, {"cancelled", "", 2}, {"pending_payment", "", 7}, {"expired", "", 5},
		{"", "zo", 1}, {"", "ZO", 2}, {"", "ë", 10}, {"", "Ë", 10}, {"", "n_l", 10}, {"", "0%", 10}, {"", "%", 10},
		{"", "_", 10}, {"", `\`, 10}, {"", `k\s`, 10}, {"", "example.org", 1}, {"", "EXAMPLE.ORG", 2},
		{"", "buyer1", 4}, {"paid", "buyer", 2}, {"", "nobody", 5},
	} {
		var got []string
		cursor, pages := "", 0
		for {
			rows, next, err := db.ListOrders(ctx, OrderFilter{EventID: o.ev, Status: tc.status, Query: tc.query,
				Limit: tc.limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("ListOrders(%q, %q, %d, %q): %v", tc.status, tc.query, tc.limit, cursor, err)
			}
			if len(rows) > tc.limit {
				t.Errorf("ListOrders(%q, %q, %d): %d rows", tc.status, tc.query, tc.limit, len(rows))
			}
			for _, r := range rows {
				got = append(got, r.ID)
			}
			pages++
			if next == "" {
				break
			}
			if len(rows) != tc.limit {
				t.Errorf("a page before the last has %d rows, want %d", len(rows), tc.limit)
			}
			cursor = next
			if pages > 40 {
				t.Fatal("too many pages")
			}
		}
		w := want(tc.status, tc.query)
		if !slices.Equal(got, w) {
			t.Errorf("ListOrders(%q, %q, limit %d) = %v, want %v", tc.status, tc.query, tc.limit, got, w)
		}
		if wantPages := max(1, (len(w)+tc.limit-1)/tc.limit); pages != wantPages {
			t.Errorf("ListOrders(%q, %q, limit %d): %d pages, want %d", tc.status, tc.query, tc.limit, pages, wantPages)
		}
	}

	// A cursor stays valid while newer orders are placed.
	all := want("", "")
	first, next, err := db.ListOrders(ctx, OrderFilter{EventID: o.ev, Limit: 4})
	if err != nil || len(first) != 4 || next == "" {
		t.Fatalf("first page: %d rows, %q, %v", len(first), next, err)
	}
	o.do(at(200), o.holdOf("new", "ga", 1))
	last := o.do(at(201), o.place("new", boxoffice.ProviderManual, buyers[9]))
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if position(t, db) != last {
		t.Fatal("the new order was not applied")
	}
	second, _, err := db.ListOrders(ctx, OrderFilter{EventID: o.ev, Limit: 4, Cursor: next})
	var got []string
	for _, r := range second {
		got = append(got, r.ID)
	}
	if err != nil || !slices.Equal(got, all[4:8]) {
		t.Errorf("second page after a new order = %v, %v; want %v", got, err, all[4:8])
	}

	bad := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	created := formatTime(at(11))
	for _, tc := range []struct {
		f     OrderFilter
		field string
	}{
		{OrderFilter{Limit: 10}, "event_id"},
		{OrderFilter{EventID: o.ev, Status: "sold_out", Limit: 10}, "status"},
		{OrderFilter{EventID: o.ev, Limit: 0}, "limit"},
		{OrderFilter{EventID: o.ev, Limit: 101}, "limit"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: "!!"}, "cursor"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: bad("not a cursor")}, "cursor"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: next[:len(next)-3]}, "cursor"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: next + "x"}, "cursor"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: bad("order " + created)}, "cursor"},                              // no id
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: bad("order 2026-11-22T10:00:11.5Z " + o.order("o1"))}, "cursor"}, // not our time format
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: bad("order 2026-13-22T10:00:11.500000000Z " + o.order("o1"))}, "cursor"},
		{OrderFilter{EventID: o.ev, Limit: 10, Cursor: pageCursor{created, o.order("o1")}.encode(eventCursorKind)}, "cursor"}, // an events cursor
	} {
		_, _, err := db.ListOrders(ctx, tc.f)
		e := fault.As(err)
		if e == nil || e.Kind != fault.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("ListOrders(%+v) = %v, want Invalid on %q", tc.f, err, tc.field)
		}
	}
	// And an orders cursor is no events cursor.
	if _, _, err := db.ListEvents(ctx, orgID, "", 10, next); !fault.Is(err, fault.Invalid) {
		t.Errorf("ListEvents with an orders cursor: %v, want Invalid", err)
	}
	if rows, next, err := db.ListOrders(ctx, OrderFilter{EventID: "ev_none", Limit: 10}); err != nil || rows != nil || next != "" {
		t.Errorf("unknown event: %v, %q, %v; want nothing", rows, next, err)
	}
}

// TestOrderQueryPlans: the order and ticket queries walk an index in the
// order they return, never sorting and never scanning other events.
func TestOrderQueryPlans(t *testing.T) {
	db := openDB(t)
	after := &pageCursor{createdAt: formatTime(t0), id: "or_x"}
	for _, tc := range []struct {
		query string
		args  []any
		want  string
	}{
		{query: "list", want: "SEARCH orders USING INDEX orders_by_event (event_id=?)"},
		{query: "list cursor", want: "SEARCH orders USING INDEX orders_by_event (event_id=? AND (created_at,id)<(?,?))"},
		{query: "list status", want: "SEARCH orders USING INDEX orders_by_event_status (event_id=? AND status=?)"},
		{query: "list status cursor", want: "SEARCH orders USING INDEX orders_by_event_status (event_id=? AND status=? AND (created_at,id)<(?,?))"},
		{query: "list search cursor", want: "SEARCH orders USING INDEX orders_by_event (event_id=? AND (created_at,id)<(?,?))"},
		{query: "list status search", want: "SEARCH orders USING INDEX orders_by_event_status (event_id=? AND status=?)"},
		{query: `SELECT ` + ticketColumns + ` FROM tickets WHERE order_id = ? ORDER BY position`, args: []any{"o"},
			want: "SEARCH tickets USING INDEX tickets_by_order (order_id=?)"},
		{query: `SELECT ` + ticketColumns + ` FROM tickets WHERE event_id = ? AND revoked_at IS NOT NULL AND revoked_at > ?
			ORDER BY revoked_at, id`, args: []any{"e", ""}, want: "SEARCH tickets USING INDEX tickets_revoked (event_id=? AND revoked_at>?)"},
		{query: `SELECT id FROM orders WHERE token = ?`, args: []any{"t"}, want: "SEARCH orders USING INDEX orders_by_token (token=?)"},
	} {
		q, args := tc.query, tc.args
		if rest, ok := strings.CutPrefix(q, "list"); ok {
			f := OrderFilter{EventID: "e", Limit: 10}
			var c *pageCursor
			if strings.Contains(rest, "status") {
				f.Status = "paid"
			}
			if strings.Contains(rest, "search") {
				f.Query = "x"
			}
			if strings.Contains(rest, "cursor") {
				c = after
			}
			q, args = listOrdersQuery(f, c)
		}
		plan := strings.Join(queryRows(t, db, "EXPLAIN QUERY PLAN "+q, args...), "\n")
		if !strings.Contains(plan, tc.want) || strings.Contains(plan, "TEMP B-TREE") || strings.Count(plan, "\n") != 0 {
			t.Errorf("plan of %s:\n%s\nwant %s", tc.query, plan, tc.want)
		}
	}
}
