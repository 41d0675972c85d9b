// Package worker runs side effects driven by the ledger: e-mails, payment
// calls, refunds. Never inline in a request: each worker
// follows the ledger from its last position, hands every entry of an
// event's ledger message to its handler, retries a failing entry with
// backoff, and records its position after each message. One entry never
// holds back the others for long: an entry that fails for good, or keeps
// failing, is parked (the KV bucket ADMIT_PARKED), logged and counted, and
// the worker goes on; a dependency out of reach for every entry (fault
// Unavailable) is waited for, in order. An operator lists parked entries
// and asks for retries with "admit worker parked" and "admit worker retry";
// the running worker watches the bucket for those requests.
// docs/workers.md has the design.
//
// Delivery is at least once: a crash between an effect and the position's
// update replays the entry, so handlers must be idempotent (a Stripe
// idempotency key, a box office command that is a replay the second time,
// a sent-mail marker). A position is one value per worker name in the NATS
// KV bucket ADMIT_WORKERS, shared by every node. Run a worker on one node
// at a time.
package worker
