// Package office runs box offices: one goroutine per ticketed event that
// owns the event's boxoffice.State, decides commands a batch at a time,
// appends each batch to the ledger as one message, and answers the callers
// only once that message is durable.
//
// Ownership and locking: a box office's State, its expiry heap and its last
// ledger sequence belong to its run goroutine alone; other goroutines reach
// them only through the command queue. The published *boxoffice.View is
// immutable and swapped atomically. Manager.mu guards only the map of
// offices; it is never held while waiting on an office or the ledger.
package office
