package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// openDB opens a read model in a new temporary directory and closes it at
// the end of the test.
func openDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// book writes entries to a ledger the way the box offices and organizer
// desks do: one CloudEvents batch per message, fenced on the subject's last
// sequence.
type book struct {
	t    testing.TB
	led  *ledger.Memory
	last map[string]uint64 // subject → its last sequence
}

func newBook(t testing.TB) *book {
	return &book{t: t, led: ledger.NewMemory(), last: make(map[string]uint64)}
}

// oneEvent is a book with the organizer or_a and its event ev_1.
func oneEvent(t testing.TB) *book {
	t.Helper()
	b := newBook(t)
	b.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
	b.newEvent("or_a", "ev_1", at(1))
	return b
}

// openFile opens a read model in a file of its own and returns it with
// the file's path; closing it (or crashing it) is the test's.
func openFile(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "read.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// event appends one message of the event's entries, decided at at, and
// returns its sequence.
func (b *book) event(eventID string, at time.Time, entries ...boxoffice.Entry) uint64 {
	b.t.Helper()
	return b.append("ledger.event."+eventID, boxoffice.Source(eventID), at, entries)
}

// org appends one message of the organizer's entries.
func (b *book) org(organizerID string, at time.Time, entries ...boxoffice.Entry) uint64 {
	b.t.Helper()
	return b.append(organizer.Subject(organizerID), organizer.Source(organizerID), at, entries)
}

func (b *book) append(subject, source string, at time.Time, entries []boxoffice.Entry) uint64 {
	b.t.Helper()
	after := b.last[subject]
	data, err := boxoffice.EncodeBatch(nil, source, after, at, entries)
	if err != nil {
		b.t.Fatalf("EncodeBatch: %v", err)
	}
	return b.raw(subject, data)
}

// raw appends a message with any data.
func (b *book) raw(subject string, data []byte) uint64 {
	b.t.Helper()
	seq, err := b.led.Append(context.Background(), ledger.Message{Subject: subject, Data: data,
		Header: map[string]string{"Content-Type": boxoffice.BatchContentType}}, b.last[subject])
	if err != nil {
		b.t.Fatalf("Append %s: %v", subject, err)
	}
	b.last[subject] = seq
	return seq
}

// records returns every record in the ledger.
func (b *book) records() []ledger.Record {
	b.t.Helper()
	var recs []ledger.Record
	if _, err := b.led.Read(context.Background(), "ledger.>", 1, func(r ledger.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		b.t.Fatalf("Read: %v", err)
	}
	return recs
}

// dump returns the read model's Dump.
func dump(t testing.TB, db *DB) string {
	t.Helper()
	var buf bytes.Buffer
	if err := db.Dump(context.Background(), &buf); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return buf.String()
}

// position returns the read model's position in shard 0, the only shard
// these tests write to but one (TestProjectShards).
func position(t testing.TB, db *DB) uint64 {
	t.Helper()
	pos, err := db.Position(context.Background())
	if err != nil {
		t.Fatalf("Position: %v", err)
	}
	if len(pos) > 1 {
		t.Fatalf("Position = %v: a shard other than 0 has records", pos)
	}
	return pos.Seq(0)
}

// count returns the number of rows of a table.
func count(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// running runs db.Run against led until the test ends, and returns a
// function that stops it and returns Run's error.
func running(t testing.TB, db *DB, led Follower) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- db.Run(ctx, led) }()
	stopped := false
	var err error
	stop = func() error {
		if !stopped {
			cancel()
			err = <-done
			stopped = true
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFor waits, ten seconds at most, for the read model to reach seq.
func waitFor(t testing.TB, db *DB, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.WaitFor(ctx, seq); err != nil {
		t.Fatalf("WaitFor(%d): %v", seq, err)
	}
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 500_000_000, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// eventDetails are an event's details for tests.
func eventDetails(name string) boxoffice.EventDetails {
	cet := time.FixedZone("CET", 3600)
	return boxoffice.EventDetails{Name: name, Venue: "Hall", TimeZone: "Europe/Berlin",
		StartsAt: time.Date(2027, 1, 10, 20, 0, 0, 0, cet), EndsAt: time.Date(2027, 1, 10, 23, 0, 0, 0, cet),
		HoldTTLSeconds: 600, MaxTicketsPerHold: 10}
}

// newEvent appends an event of the organizer with a ticket type and a
// quota: what holds need.
func (b *book) newEvent(organizerID, eventID string, when time.Time) {
	b.t.Helper()
	b.event(eventID, when,
		&boxoffice.EventCreated{EventID: eventID, OrganizerID: organizerID, Currency: "EUR", EventDetails: eventDetails("Show " + eventID)},
		&boxoffice.TicketTypeCreated{TicketTypeID: "tt_" + eventID, TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing", Price: boxoffice.Money{Amount: 4500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 8}},
		&boxoffice.QuotaCreated{QuotaID: "qu_" + eventID, QuotaDetails: boxoffice.QuotaDetails{
			Name: "All", Capacity: 1_000_000, TicketTypeIDs: []string{"tt_" + eventID}}},
	)
}

// hold is a hold of n tickets of the ticket type newEvent made.
func hold(eventID, holdID string, n int, when time.Time) *boxoffice.HoldCreated {
	return &boxoffice.HoldCreated{HoldID: holdID, ExpiresAt: when.Add(10 * time.Minute),
		Items: []boxoffice.Item{{TicketTypeID: "tt_" + eventID, Quantity: n}}}
}

// placed is an order awaiting Stripe payment of a hold that hold made.
func placed(eventID, orderID, holdID string, when time.Time) *boxoffice.OrderPlaced {
	price := boxoffice.Money{Amount: 4500, Currency: "EUR"}
	return &boxoffice.OrderPlaced{OrderID: orderID, HoldID: holdID, Token: "tok_" + orderID,
		Buyer: boxoffice.Buyer{Name: "Buyer", Email: "buyer@example.com"},
		Lines: []boxoffice.OrderLine{{TicketTypeID: "tt_" + eventID, Name: "Standing", Quantity: 1,
			UnitPrice: price, Amount: price}},
		Total: price, Provider: boxoffice.ProviderStripe, PayBy: when.Add(10 * time.Minute)}
}

// savedPosition returns the position in the read model file at path, as a
// process opening it would start from, read over a connection of its own.
func savedPosition(t testing.TB, path string) uint64 {
	t.Helper()
	c, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pos, err := readPosition(context.Background(), c)
	if err != nil {
		t.Fatalf("read the saved position: %v", err)
	}
	return pos.Seq(0)
}

// filePosition returns the position in db's file (what a restart would
// start from), which may lag db's Position.
func filePosition(t testing.TB, db *DB) uint64 {
	t.Helper()
	pos, err := readPosition(context.Background(), db.r)
	if err != nil {
		t.Fatalf("read the file's position: %v", err)
	}
	return pos.Seq(0)
}

// crash drops db as a killed process would: without saving the position
// or closing anything in order.
func crash(db *DB) {
	db.setStopped(ErrClosed)
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	db.closeStmts()
	db.r.Close()
	db.w.Close()
}
