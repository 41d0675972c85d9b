// Package boxoffice is admit's domain core for one ticketed event: its
// details, ticket types, capacity quotas and holds, as a pure state machine.
//
// Decide checks a command against the state at a given time and returns the
// ledger entries that record its effect, or a *fault.Error saying why not.
// Apply folds an entry into the state. Neither does I/O, reads a clock or
// draws random numbers: times and ids arrive with the command, so the same
// ledger always rebuilds the same state.
//
// A State is owned by one goroutine (the box office runner); nothing here is
// safe for concurrent use. A View is an immutable copy for concurrent readers.
package boxoffice
