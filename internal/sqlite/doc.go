// Package sqlite is admit's read model: a projection of the ledger into a
// SQLite file (modernc.org/sqlite, pure Go), queried by the HTTP API for
// everything that is not hot (organizers, API tokens, event lists, orders
// and their tickets, payments and refunds, signing keys, sales over time).
// Holds are not in it: the box office has every hold in memory and answers
// reads of them, and the ledger keeps them.
//
// The projector reads every ledger message in order. A message on
// "ledger.event.<event-id>" is an event's batch of box-office entries, one on
// "ledger.org.<organizer-id>" an organizer's; the entries that change tables
// change them and the position (the last ledger stream sequence applied) in
// the SAME transaction, so a restart neither loses nor applies anything
// twice. Hold entries and messages on other subjects change nothing: a
// batch of such messages opens no transaction and moves only the position
// in memory, which WaitFor goes by. The file's position catches up with the
// next transaction, within about a second or 10,000 messages otherwise, and
// when Run returns or the DB closes; after a crash the projector starts
// from the file's position, and the messages after it change nothing when
// applied again. A message that does not decode or an entry that cannot
// follow the tables stops the projector with an error, never silently.
//
// The read model is derived: Rebuild empties it and replays the whole ledger,
// and Dump prints it canonically, so a rebuild can be proved identical to the
// live projection.
//
// # Connections and locks
//
// A DB has one writer connection (a *sql.DB limited to one connection) used
// only by Apply, Run and Rebuild, and a pool of read-only connections for
// queries; with WAL, readers never wait for the writer. Lock order:
// DB.applyMu (one writer transaction at a time, held across the
// transaction) before DB.mu (the in-memory position and its waiters, never
// held during I/O).
//
// ExportOrders and ExportAttendees, which walk all of an event's orders or
// tickets for a download, read them a chunk at a time, each chunk a short
// query of its own: a read transaction held open for as long as a client
// takes to download would keep SQLite from checkpointing the WAL past it
// and hold one of the read connections (see export.go).
package sqlite
