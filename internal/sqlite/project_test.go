package sqlite

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/organizer"
)

// everyEntry appends one of every entry type (and a message on a subject
// the projection does not know) and returns the last sequence.
func everyEntry(b *book) uint64 {
	b.t.Helper()
	b.org("or_a", at(0),
		&organizer.Created{OrganizerID: "or_a", Name: "Acme Concerts"},
		&organizer.TokenCreated{OrganizerID: "or_a", TokenID: "tk_1", Name: "ci", Hash: "hash1"},
		&organizer.TokenCreated{OrganizerID: "or_a", TokenID: "tk_2", Name: "old", Hash: "hash2"})
	b.org("or_a", at(1), &organizer.TokenRevoked{OrganizerID: "or_a", TokenID: "tk_2"})
	b.event("ev_1", at(2), &boxoffice.EventCreated{EventID: "ev_1", OrganizerID: "or_a", Currency: "EUR",
		EventDetails: eventDetails("Night")})
	b.event("ev_1", at(3),
		&boxoffice.EventUpdated{EventID: "ev_1", EventDetails: eventDetails("Late Night")},
		&boxoffice.EventStatusChanged{EventID: "ev_1", From: boxoffice.Draft, Status: boxoffice.OnSale})
	b.event("ev_1", at(4),
		&boxoffice.TicketTypeCreated{TicketTypeID: "tt_a", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "GA", Price: boxoffice.Money{Amount: 4500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 8}},
		&boxoffice.TicketTypeCreated{TicketTypeID: "tt_b", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Seated", Price: boxoffice.Money{Amount: 6500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 4,
			SalesStart: at(100), SalesEnd: at(200)}})
	b.event("ev_1", at(5),
		&boxoffice.TicketTypeUpdated{TicketTypeID: "tt_a", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "GA", Price: boxoffice.Money{Amount: 5000, Currency: "EUR"}, MinPerHold: 2, MaxPerHold: 6}},
		&boxoffice.QuotaCreated{QuotaID: "qu_1", QuotaDetails: boxoffice.QuotaDetails{Name: "All", Capacity: 100,
			TicketTypeIDs: []string{"tt_a", "tt_b"}}},
		&boxoffice.QuotaCreated{QuotaID: "qu_2", QuotaDetails: boxoffice.QuotaDetails{Name: "Seats", Capacity: 40,
			TicketTypeIDs: []string{"tt_b"}}})
	b.event("ev_1", at(6),
		&boxoffice.QuotaUpdated{QuotaID: "qu_1", QuotaDetails: boxoffice.QuotaDetails{Name: "Everyone", Capacity: 120,
			TicketTypeIDs: []string{"tt_b"}}},
		&boxoffice.HoldCreated{HoldID: "ho_1", ExpiresAt: at(606), Items: []boxoffice.Item{
			{TicketTypeID: "tt_a", Quantity: 2}, {TicketTypeID: "tt_b", Quantity: 1}}},
		&boxoffice.HoldCreated{HoldID: "ho_2", ExpiresAt: at(606), Items: []boxoffice.Item{{TicketTypeID: "tt_b", Quantity: 3}}},
		&boxoffice.HoldCreated{HoldID: "ho_3", ExpiresAt: at(606), Items: []boxoffice.Item{{TicketTypeID: "tt_a", Quantity: 1}}})
	b.event("ev_1", at(7), &boxoffice.HoldReleased{HoldID: "ho_1"}, &boxoffice.HoldExpired{HoldID: "ho_2"})
	return b.raw("ledger.other.x", []byte("not for the read model"))
}

// everyEntryDump is the Dump after everyEntry, columns separated by " | ".
const everyEntryDump = `table organizers (id, name, created_at)
"or_a" | "Acme Concerts" | "2026-11-22T10:00:00.500000000Z"
table api_tokens (id, organizer_id, name, hash, created_at, revoked_at)
"tk_1" | "or_a" | "ci" | "hash1" | "2026-11-22T10:00:00.500000000Z" | NULL
"tk_2" | "or_a" | "old" | "hash2" | "2026-11-22T10:00:00.500000000Z" | "2026-11-22T10:00:01.500000000Z"
table events (id, organizer_id, name, venue, timezone, starts_at, ends_at, currency, status, hold_ttl_seconds, max_tickets_per_hold, created_at, updated_at)
"ev_1" | "or_a" | "Late Night" | "Hall" | "Europe/Berlin" | "2027-01-10T19:00:00.000000000Z" | "2027-01-10T22:00:00.000000000Z" | "EUR" | "on_sale" | 600 | 10 | "2026-11-22T10:00:02.500000000Z" | "2026-11-22T10:00:03.500000000Z"
table ticket_types (id, event_id, name, description, price_amount, price_currency, min_per_hold, max_per_hold, sales_start, sales_end, created_at, updated_at)
"tt_a" | "ev_1" | "Standing" | "GA" | 5000 | "EUR" | 2 | 6 | NULL | NULL | "2026-11-22T10:00:04.500000000Z" | "2026-11-22T10:00:05.500000000Z"
"tt_b" | "ev_1" | "Seated" | "" | 6500 | "EUR" | 1 | 4 | "2026-11-22T10:01:40.500000000Z" | "2026-11-22T10:03:20.500000000Z" | "2026-11-22T10:00:04.500000000Z" | "2026-11-22T10:00:04.500000000Z"
table quotas (id, event_id, name, capacity, created_at, updated_at)
"qu_1" | "ev_1" | "Everyone" | 120 | "2026-11-22T10:00:05.500000000Z" | "2026-11-22T10:00:06.500000000Z"
"qu_2" | "ev_1" | "Seats" | 40 | "2026-11-22T10:00:05.500000000Z" | "2026-11-22T10:00:05.500000000Z"
table quota_ticket_types (quota_id, ticket_type_id)
"qu_1" | "tt_b"
"qu_2" | "tt_b"
table holds (id, event_id, status, quantity, items, created_at, expires_at, ended_at)
"ho_1" | "ev_1" | "released" | 3 | "[{\"ticket_type_id\":\"tt_a\",\"quantity\":2},{\"ticket_type_id\":\"tt_b\",\"quantity\":1}]" | "2026-11-22T10:00:06.500000000Z" | "2026-11-22T10:10:06.500000000Z" | "2026-11-22T10:00:07.500000000Z"
"ho_2" | "ev_1" | "expired" | 3 | "[{\"ticket_type_id\":\"tt_b\",\"quantity\":3}]" | "2026-11-22T10:00:06.500000000Z" | "2026-11-22T10:10:06.500000000Z" | "2026-11-22T10:00:07.500000000Z"
"ho_3" | "ev_1" | "active" | 1 | "[{\"ticket_type_id\":\"tt_a\",\"quantity\":1}]" | "2026-11-22T10:00:06.500000000Z" | "2026-11-22T10:10:06.500000000Z" | NULL
`

const emptyDump = `table organizers (id, name, created_at)
table api_tokens (id, organizer_id, name, hash, created_at, revoked_at)
table events (id, organizer_id, name, venue, timezone, starts_at, ends_at, currency, status, hold_ttl_seconds, max_tickets_per_hold, created_at, updated_at)
table ticket_types (id, event_id, name, description, price_amount, price_currency, min_per_hold, max_per_hold, sales_start, sales_end, created_at, updated_at)
table quotas (id, event_id, name, capacity, created_at, updated_at)
table quota_ticket_types (quota_id, ticket_type_id)
table holds (id, event_id, status, quantity, items, created_at, expires_at, ended_at)
`

func TestApplyEveryEntry(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	last := everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got, want := dump(t, db), strings.ReplaceAll(everyEntryDump, " | ", "\t"); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d (the skipped subject's record counts)", got, last)
	}

	org, err := db.Organizer(ctx, "or_a")
	if want := (Organizer{ID: "or_a", Name: "Acme Concerts", CreatedAt: at(0)}); err != nil || org != want {
		t.Errorf("Organizer = %+v, %v; want %+v", org, err, want)
	}
	if n, err := db.CountOrganizers(ctx); err != nil || n != 1 {
		t.Errorf("CountOrganizers = %d, %v; want 1", n, err)
	}
	h, err := db.Hold(ctx, "ev_1", "ho_1")
	want := HoldRow{ID: "ho_1", EventID: "ev_1", Status: "released", Quantity: 3,
		Items:     []boxoffice.Item{{TicketTypeID: "tt_a", Quantity: 2}, {TicketTypeID: "tt_b", Quantity: 1}},
		CreatedAt: at(6), ExpiresAt: at(606), EndedAt: at(7)}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Errorf("Hold = %+v, %v;\nwant %+v", h, err, want)
	}
	if h, err := db.Hold(ctx, "ev_1", "ho_3"); err != nil || !h.EndedAt.IsZero() || h.Status != "active" {
		t.Errorf("active Hold = %+v, %v; want active with no end", h, err)
	}
	if _, err := db.Hold(ctx, "ev_other", "ho_1"); !fault.Is(err, fault.NotFound) {
		t.Errorf("Hold of another event: err = %v, want NotFound", err)
	}
	if _, err := db.Organizer(ctx, "or_none"); !fault.Is(err, fault.NotFound) {
		t.Errorf("Organizer(unknown): err = %v, want NotFound", err)
	}
	rows, next, err := db.ListEvents(ctx, "or_a", "", 10, "")
	wantRow := EventRow{ID: "ev_1", OrganizerID: "or_a", Name: "Late Night", Venue: "Hall", TimeZone: "Europe/Berlin",
		Currency: "EUR", Status: "on_sale", StartsAt: time.Date(2027, 1, 10, 19, 0, 0, 0, time.UTC),
		EndsAt: time.Date(2027, 1, 10, 22, 0, 0, 0, time.UTC), CreatedAt: at(2), UpdatedAt: at(3)}
	if err != nil || next != "" || len(rows) != 1 || rows[0] != wantRow {
		t.Errorf("ListEvents = %+v, %q, %v;\nwant [%+v]", rows, next, err, wantRow)
	}

	// Applying the same records again changes nothing.
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply again: %v", err)
	}
	if got, want := dump(t, db), strings.ReplaceAll(everyEntryDump, " | ", "\t"); got != want {
		t.Errorf("Dump after applying again:\n%s\nwant:\n%s", got, want)
	}
}

func TestOrganizerByTokenHash(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	org, err := db.OrganizerByTokenHash(ctx, "hash1")
	if want := (Organizer{ID: "or_a", Name: "Acme Concerts", CreatedAt: at(0)}); err != nil || org != want {
		t.Errorf("valid token: %+v, %v; want %+v", org, err, want)
	}
	for _, hash := range []string{"hash2" /* revoked */, "hash3" /* unknown */, ""} {
		if org, err := db.OrganizerByTokenHash(ctx, hash); !fault.Is(err, fault.NotFound) {
			t.Errorf("token hash %q: %+v, %v; want NotFound", hash, org, err)
		}
	}
}

// TestApplyAtomic: a call that fails commits nothing, neither its earlier
// valid records nor the position.
func TestApplyAtomic(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		bad  func(b *book)
	}{
		{"undecodable", func(b *book) { b.raw("ledger.event.ev_2", []byte(`[{"specversion":`)) }},
		{"unknown entry type", func(b *book) {
			b.raw("ledger.event.ev_2", []byte(`[{"specversion":"1.0","type":"admit.hold.teleported.v1","data":{}}]`))
		}},
		{"organizer entry on an event subject", func(b *book) {
			b.event("ev_2", at(9), &organizer.Created{OrganizerID: "or_b", Name: "B"})
		}},
		{"release of an unknown hold", func(b *book) { b.event("ev_1", at(9), &boxoffice.HoldReleased{HoldID: "ho_none"}) }},
		{"release of a released hold", func(b *book) { b.event("ev_1", at(9), &boxoffice.HoldReleased{HoldID: "ho_1"}) }},
		{"duplicate hold", func(b *book) { b.event("ev_1", at(9), hold("ev_1", "ho_3", 1, at(9))) }},
		{"ticket type of an unknown event", func(b *book) {
			b.event("ev_none", at(9), &boxoffice.TicketTypeCreated{TicketTypeID: "tt_x"})
		}},
		{"quota over an unknown ticket type", func(b *book) {
			b.event("ev_1", at(9), &boxoffice.QuotaCreated{QuotaID: "qu_x", QuotaDetails: boxoffice.QuotaDetails{
				Name: "X", Capacity: 1, TicketTypeIDs: []string{"tt_none"}}})
		}},
		{"revocation of an unknown token", func(b *book) { b.org("or_a", at(9), &organizer.TokenRevoked{OrganizerID: "or_a", TokenID: "tk_none"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(t)
			everyEntry(b)
			db := openDB(t)
			first := b.records()
			if err := db.Apply(ctx, first); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			before := dump(t, db)
			pos := position(t, db)

			b.org("or_b", at(8), &organizer.Created{OrganizerID: "or_b", Name: "B"})
			b.newEvent("or_b", "ev_2", at(8))
			b.event("ev_1", at(8), hold("ev_1", "ho_4", 2, at(8)))
			tc.bad(b)
			b.org("or_c", at(10), &organizer.Created{OrganizerID: "or_c", Name: "C"})
			rest := b.records()[len(first):]

			if err := db.Apply(ctx, rest); err == nil {
				t.Fatal("Apply of a batch with a bad record: no error")
			}
			if got := dump(t, db); got != before {
				t.Errorf("after the failed Apply the tables changed:\n%s\nwant:\n%s", got, before)
			}
			if got := position(t, db); got != pos {
				t.Errorf("after the failed Apply Position = %d, want %d", got, pos)
			}
			// The records before the bad one apply on their own.
			if err := db.Apply(ctx, rest[:3]); err != nil {
				t.Fatalf("Apply of the valid records: %v", err)
			}
			if got, want := position(t, db), rest[2].Seq; got != want {
				t.Errorf("Position = %d, want %d", got, want)
			}
		})
	}
}

func TestRunWaitForRestart(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	b.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
	b.newEvent("or_a", "ev_1", at(1))
	path := t.TempDir() + "/read.db"
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, db, b.led)

	var last uint64
	for i := range 300 {
		// Some messages carry several entries, as box-office batches do.
		entries := []boxoffice.Entry{hold("ev_1", "ho_"+itoa(i), 1+i%3, at(2))}
		if i%10 == 0 {
			entries = append(entries, &boxoffice.HoldReleased{HoldID: "ho_" + itoa(i)})
		}
		last = b.event("ev_1", at(2), entries...)
	}
	waitFor(t, db, last)
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d", got, last)
	}
	if got := count(t, db, "holds"); got != 300 {
		t.Errorf("holds = %d, want 300", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v, want nil after its context ended", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Entries arrive while the read model is down.
	for i := 300; i < 450; i++ {
		last = b.event("ev_1", at(3), hold("ev_1", "ho_"+itoa(i), 1, at(3)))
	}
	b.org("or_b", at(4), &organizer.Created{OrganizerID: "or_b", Name: "B"})
	last = b.org("or_b", at(4), &organizer.TokenCreated{OrganizerID: "or_b", TokenID: "tk_b", Name: "t", Hash: "hb"})

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop = running(t, db, b.led)
	waitFor(t, db, last)
	if got := count(t, db, "holds"); got != 450 {
		t.Errorf("holds after restart = %d, want 450", got)
	}
	if got := count(t, db, "organizers"); got != 2 {
		t.Errorf("organizers after restart = %d, want 2", got)
	}
	if _, err := db.OrganizerByTokenHash(ctx, "hb"); err != nil {
		t.Errorf("token created while down: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after restart returned %v, want nil", err)
	}
	// And it is the same as a projection of the whole ledger at once.
	if got, want := dump(t, db), dump(t, rebuilt(t, b)); got != want {
		t.Errorf("restarted projection differs from a rebuild:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunStopsOnBadRecord: Run returns the error of a record it cannot
// apply, commits nothing past it, and WaitFor then fails instead of
// waiting.
func TestRunStopsOnBadRecord(t *testing.T) {
	b := newBook(t)
	b.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
	bad := b.raw("ledger.org.or_a", []byte("{"))
	b.org("or_b", at(1), &organizer.Created{OrganizerID: "or_b", Name: "B"})
	db := openDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.Run(ctx, b.led) }()
	if err := db.WaitFor(ctx, bad); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor past the bad record = %v, want the projection's error", err)
	}
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run = %v, want the bad record's error", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not stop on a bad record")
	}
	if got := position(t, db); got >= bad {
		t.Errorf("Position = %d, want before the bad record %d", got, bad)
	}
	if _, err := db.Organizer(context.Background(), "or_b"); !fault.Is(err, fault.NotFound) {
		t.Errorf("organizer after the bad record: %v, want NotFound", err)
	}
}

func TestWaitForContext(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.WaitFor(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor with an ended context = %v, want context.Canceled", err)
	}
	if err := db.WaitFor(ctx, 0); err != nil {
		t.Errorf("WaitFor(0) = %v, want nil", err)
	}
}

// TestRebuildIdentical: a rebuild from the ledger, into a new file or over
// the live one, dumps byte for byte what the live projection does.
func TestRebuildIdentical(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	live := openDB(t)
	stop := running(t, live, b.led)
	everyEntry(b)
	b.org("or_b", at(20), &organizer.Created{OrganizerID: "or_b", Name: "B"},
		&organizer.TokenCreated{OrganizerID: "or_b", TokenID: "tk_b", Name: "t", Hash: "hb"})
	b.newEvent("or_b", "ev_2", at(21))
	var last uint64
	for i := range 2500 { // more than maxBatch: Rebuild commits more than once
		e := []boxoffice.Entry{hold("ev_2", "ho_2_"+itoa(i), 1, at(22))}
		switch i % 7 {
		case 1:
			e = append(e, &boxoffice.HoldReleased{HoldID: "ho_2_" + itoa(i)})
		case 2:
			e = append(e, &boxoffice.HoldExpired{HoldID: "ho_2_" + itoa(i)})
		}
		last = b.event("ev_2", at(22), e...)
	}
	waitFor(t, live, last)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := dump(t, live)
	for _, row := range []string{"\"released\"", "\"expired\"", "\"active\"", "\"hash2\"\t\"2026", "\"hash1\"\t\"2026-11-22T10:00:00.500000000Z\"\tNULL"} {
		if !strings.Contains(want, row) {
			t.Fatalf("the live dump lacks %s:\n%.3000s", row, want)
		}
	}

	if got := dump(t, rebuilt(t, b)); got != want {
		t.Errorf("rebuild into a new file differs from the live projection")
	}
	if err := live.Rebuild(ctx, b.led); err != nil {
		t.Fatalf("Rebuild over the live file: %v", err)
	}
	if got := dump(t, live); got != want {
		t.Errorf("rebuild over the live file differs from the live projection")
	}
	if got := position(t, live); got != last {
		t.Errorf("Position after Rebuild = %d, want %d", got, last)
	}
}

// rebuilt returns a new read model rebuilt from b's ledger.
func rebuilt(t *testing.T, b *book) *DB {
	t.Helper()
	db := openDB(t)
	if err := db.Rebuild(context.Background(), b.led); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	return db
}

func TestOpenAgain(t *testing.T) {
	path := t.TempDir() + "/read.db"
	for range 2 {
		db, err := Open(path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var versions int
		if err := db.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		ms, _ := loadMigrations(migrations)
		if versions != len(ms) {
			t.Errorf("schema_migrations has %d rows, want %d", versions, len(ms))
		}
		var mode string
		if err := db.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
