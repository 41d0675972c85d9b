package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
)

// holdsOnly appends n messages of hold entries to the event newEvent made,
// every kind of them, and returns the last sequence.
func holdsOnly(b *book, eventID, prefix string, n int, when time.Time) uint64 {
	b.t.Helper()
	var last uint64
	for i := range n {
		h := prefix + itoa(i)
		entries := []boxoffice.Entry{hold(eventID, h, 1+i%3, when)}
		switch i % 4 {
		case 1:
			entries = append(entries, &boxoffice.HoldReleased{HoldID: h})
		case 2:
			entries = append(entries, &boxoffice.HoldExpired{HoldID: h})
		case 3:
			entries = append(entries, &boxoffice.HoldExtended{HoldID: h, ExpiresAt: when.Add(time.Hour)})
		}
		last = b.event(eventID, when, entries...)
	}
	return last
}

// TestHoldsLeaveReadModelUntouched: messages of hold entries change no
// table and commit no transaction, yet move the position and release the
// readers waiting for them; the next message that changes a table saves
// the position with its rows.
func TestHoldsLeaveReadModelUntouched(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	b.newEvent("or_a", "ev_2", at(20))
	db := openDB(t)
	db.saveEvery, db.saveAfter = time.Hour, 1<<62 // only a transaction with rows saves
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	before, saved := dump(t, db), filePosition(t, db)
	if saved != position(t, db) {
		t.Fatalf("the file's position %d, want %d after a transaction", saved, position(t, db))
	}

	n := len(b.records())
	holdsOnly(b, "ev_2", "ho_2_", 50, at(21))
	holdsOnly(b, "ev_1", "ho_1_", 10, at(21))
	b.raw("ledger.other.x", []byte("not for the read model"))
	last := holdsOnly(b, "ev_2", "ho_3_", 5, at(22))
	recs := b.records()[n:]
	for i := 0; i < len(recs); i += 7 { // in several Applies
		if err := db.Apply(ctx, recs[i:min(i+7, len(recs))]); err != nil {
			t.Fatalf("Apply of holds: %v", err)
		}
	}
	if got := dump(t, db); got != before {
		t.Errorf("holds changed the tables:\n%s\nwant:\n%s", got, before)
	}
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d", got, last)
	}
	if got := filePosition(t, db); got != saved {
		t.Errorf("the file's position = %d, want %d: holds committed a transaction", got, saved)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.WaitFor(waitCtx, last); err != nil {
		t.Errorf("WaitFor(%d) after holds: %v", last, err)
	}

	// An order in a message of holds: its rows and the position commit.
	last = b.event("ev_2", at(23), hold("ev_2", "ho_4", 1, at(23)), placed("ev_2", "or_4", "ho_4", at(23)),
		&boxoffice.HoldReleased{HoldID: "ho_2_0"})
	if err := db.Apply(ctx, b.records()[len(b.records())-1:]); err != nil {
		t.Fatalf("Apply of an order: %v", err)
	}
	if got := filePosition(t, db); got != last {
		t.Errorf("the file's position after an order = %d, want %d", got, last)
	}
	if got := count(t, db, "orders"); got != 4 {
		t.Errorf("orders = %d, want 4", got)
	}
	if got, want := dump(t, db), dump(t, rebuilt(t, b)); got != want {
		t.Errorf("projection differs from a rebuild:\n%s\nwant:\n%s", got, want)
	}
}

// TestCrashReplaysUnsavedHolds: a read model killed with its position in
// memory ahead of its file's starts again from the file's, and applying
// the messages after it again changes nothing: the rows and the position
// come out as if it had not crashed.
func TestCrashReplaysUnsavedHolds(t *testing.T) {
	ctx := context.Background()
	b := oneEvent(t)
	db, path := openFile(t)
	db.saveEvery, db.saveAfter = time.Hour, 1<<62
	holdsOnly(b, "ev_1", "ho_a", 40, at(2))
	saved := b.event("ev_1", at(3), hold("ev_1", "ho_o", 2, at(3)), placed("ev_1", "or_o", "ho_o", at(3)))
	n := len(b.records())
	holdsOnly(b, "ev_1", "ho_b", 40, at(4))
	b.raw("ledger.other.x", []byte("not for the read model"))
	last := holdsOnly(b, "ev_1", "ho_c", 3, at(5))
	// The order's transaction saves the position up to it; the Applies
	// after it save nothing.
	if err := db.Apply(ctx, b.records()[:n]); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.records()[n:] {
		if err := db.Apply(ctx, []ledger.Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	if got := position(t, db); got != last {
		t.Fatalf("Position = %d, want %d", got, last)
	}
	if got := filePosition(t, db); got != saved {
		t.Fatalf("the file's position = %d, want %d (the order's)", got, saved)
	}
	before := dump(t, db)

	// Killed: nothing saves the position.
	crash(db)
	if got := savedPosition(t, path); got != saved {
		t.Fatalf("the file's position after the crash = %d, want %d", got, saved)
	}

	b.event("ev_1", at(6), &boxoffice.HoldReleased{HoldID: "ho_a0"})
	last = b.event("ev_1", at(6), &boxoffice.PaymentStarted{OrderID: "or_o", PaymentIntentID: "pi_o"})
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := position(t, db); got != saved {
		t.Errorf("Position after the restart = %d, want %d", got, saved)
	}
	stop := running(t, db, b.led)
	waitFor(t, db, last)
	if err := stop(); err != nil {
		t.Fatalf("Run after the crash: %v", err)
	}
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d", got, last)
	}
	if got := filePosition(t, db); got != last {
		t.Errorf("the file's position = %d, want %d", got, last)
	}
	got := dump(t, db)
	if !strings.Contains(got, `"pi_o"`) || strings.Replace(got, `"pi_o"`, `""`, 1) == before {
		t.Errorf("after the restart the order did not start its payment, or not only that:\n%s\nbefore:\n%s", got, before)
	}
	if want := dump(t, rebuilt(t, b)); got != want {
		t.Errorf("restarted projection differs from a rebuild:\n%s\nwant:\n%s", got, want)
	}
}

// TestPositionSavedLazily: a position that changed no table is saved after
// saveAfter records, by Run once saveEvery passed without records, and by
// Close.
func TestPositionSavedLazily(t *testing.T) {
	ctx := context.Background()
	b := oneEvent(t)
	db, path := openFile(t)
	db.saveEvery, db.saveAfter = time.Hour, 5
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatal(err)
	}
	saved := filePosition(t, db)
	apply := func(recs []ledger.Record) {
		t.Helper()
		if err := db.Apply(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}

	n := len(b.records())
	holdsOnly(b, "ev_1", "ho_a", 4, at(2))
	apply(b.records()[n:])
	if got := filePosition(t, db); got != saved {
		t.Errorf("after 4 records the file's position = %d, want %d", got, saved)
	}
	last := holdsOnly(b, "ev_1", "ho_b", 1, at(2))
	apply(b.records()[n+4:])
	if got := filePosition(t, db); got != last {
		t.Errorf("after 5 records the file's position = %d, want %d", got, last)
	}

	// Run saves once the ledger is quiet.
	db.saveEvery, db.saveAfter = 20*time.Millisecond, 1<<62
	stop := running(t, db, b.led)
	last = holdsOnly(b, "ev_1", "ho_c", 3, at(3))
	waitFor(t, db, last)
	for deadline := time.Now().Add(10 * time.Second); filePosition(t, db) != last; {
		if time.Now().After(deadline) {
			t.Fatalf("the file's position = %d 10 s after the records, want %d", filePosition(t, db), last)
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// And as it stops.
	db.saveEvery = time.Hour
	stop = running(t, db, b.led)
	last = holdsOnly(b, "ev_1", "ho_d", 2, at(4))
	waitFor(t, db, last)
	if got := filePosition(t, db); got == last {
		t.Fatalf("the file's position is %d before Run stops", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := filePosition(t, db); got != last {
		t.Errorf("after Run the file's position = %d, want %d", got, last)
	}

	// And Close.
	last = holdsOnly(b, "ev_1", "ho_e", 2, at(5))
	apply(b.records()[len(b.records())-2:])
	if got := filePosition(t, db); got == last {
		t.Fatalf("the file's position is %d before Close", got)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := savedPosition(t, path); got != last {
		t.Errorf("after Close the file's position = %d, want %d", got, last)
	}
}

// TestMigrationDropsHolds: migrations 4 to 6 take a read model of schema
// 3 to today's: its holds table dropped, and then (migration 6, for the
// orders' history) everything emptied with the position, so the projector
// rebuilds it from the ledger.
func TestMigrationDropsHolds(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	last := everyEntry(b)
	path := filepath.Join(t.TempDir(), "read.db")
	old, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrations)
	if err != nil || len(ms) < 4 || ms[3].version != 4 {
		t.Fatalf("migrations %v, %v", ms, err)
	}
	if err := migrate(ctx, old, ms[:3]); err != nil {
		t.Fatalf("migrate to 3: %v", err)
	}
	// What schema 3 had after everyEntry, but for its holds (one will do)
	// and what schemas 5 and 6 added: tokens' roles, members, history.
	want := strings.ReplaceAll(everyEntryDump, " | ", "\t")
	schema3 := beforeRoles(want)
	for _, q := range dumpInserts(t, schema3) {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ts := formatTime(at(6))
	for _, q := range []string{
		`INSERT INTO holds VALUES ('ho_1', 'ev_1', 'active', 1, '[]', '` + ts + `', '` + ts + `', NULL, NULL)`,
		`INSERT INTO projection VALUES ('ledger', ` + itoa(int(last)) + `)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var tables int
	if err := db.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'holds'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("holds tables after migration 4: %d, %v; want none", tables, err)
	}
	if got := position(t, db); got != 0 {
		t.Errorf("Position after migration 6 = %d, want 0 (%d before)", got, last)
	}
	if got := dump(t, db); got != emptyDump {
		t.Errorf("Dump after migration 6:\n%s\nwant:\n%s", got, emptyDump)
	}
	// The projector rebuilds it all.
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply after migration 6: %v", err)
	}
	if got := dump(t, db); got != want {
		t.Errorf("Dump after the rebuild:\n%s\nwant:\n%s", got, want)
	}
}

// dumpInserts returns INSERT statements that fill the tables with the rows
// of a Dump.
// beforeRoles turns a dump into that of a read model of schema 3: without
// tokens' roles, members, the orders' history and organizers' profiles.
func beforeRoles(dump string) string {
	var o strings.Builder
	table := ""
	for _, line := range strings.SplitAfter(dump, "\n") {
		if rest, ok := strings.CutPrefix(line, "table "); ok {
			table, _, _ = strings.Cut(rest, " ")
			if table == "api_tokens" {
				line = strings.Replace(line, ", role)", ")", 1)
			}
			if table == "organizers" {
				line = strings.Replace(line, ", contact_email, website, terms_url, privacy_url, logo_sha)", ")", 1)
			}
			if table != "members" && table != "order_history" && table != "event_history" {
				o.WriteString(line)
			}
			continue
		}
		switch table {
		case "members", "order_history", "event_history":
		case "api_tokens":
			o.WriteString(line[:strings.LastIndex(line, "\t")] + "\n")
		case "organizers": // the profile's four columns
			cells := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
			o.WriteString(strings.Join(cells[:3], "\t") + "\n")
		default:
			o.WriteString(line)
		}
	}
	return o.String()
}

func dumpInserts(t *testing.T, dump string) []string {
	t.Helper()
	var out []string
	var table string
	for _, line := range strings.Split(strings.TrimSuffix(dump, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "table "); ok {
			name, cols, _ := strings.Cut(rest, " ")
			table = name + " " + cols
			continue
		}
		var vals []string
		for _, v := range strings.Split(line, "\t") {
			if strings.HasPrefix(v, `"`) {
				s, err := strconv.Unquote(v)
				if err != nil {
					t.Fatalf("value %s: %v", v, err)
				}
				v = "'" + strings.ReplaceAll(s, "'", "''") + "'"
			}
			vals = append(vals, v)
		}
		out = append(out, "INSERT INTO "+table+" VALUES ("+strings.Join(vals, ", ")+")")
	}
	return out
}
