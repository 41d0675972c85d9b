package sqlite

import (
	"context"
	"slices"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
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
