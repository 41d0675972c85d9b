// Package ledger is admit's system of record: an append-only log of entries
// kept in one NATS JetStream stream, plus a store for box-office snapshots.
//
// Every message lives on a subject under "ledger." — "ledger.event.<id>" for
// an event's box-office batches, "ledger.org.<id>" for an organizer's
// changes — and gets a stream sequence that is global and increasing.
// Writers fence each other per subject: Append takes the sequence the writer
// believes is the last on its subject and fails with ErrFenced when another
// writer appended in between. Nothing is acknowledged before it is durable
// (see Open for what that means in each mode).
//
// Two implementations share one contract, checked by the same tests:
//
//   - JetStream, the real ledger: a nats-server embedded in the process
//     (single node) or an external NATS cluster (URL mode).
//   - Memory, the same semantics in memory, for pure tests of the packages
//     that use the ledger.
//
// Both are safe for concurrent use. Users define the small interface they
// need (Append and Read for a box office, Follow for a projection) in their
// own package.
//
// Header keys beginning with "Nats-" (any case) are reserved for JetStream:
// Append rejects them and records never carry them.
package ledger
