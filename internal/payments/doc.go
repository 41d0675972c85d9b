// Package payments connects orders to Stripe. Its Worker follows the ledger
// (internal/worker): for an order placed for Stripe it creates the order's
// PaymentIntent and records it; for a refund owed on a Stripe payment it
// refunds and records the outcome. Its Webhook verifies Stripe's
// notifications, fetches the PaymentIntent they name, and records a
// payment that succeeded in the order's box office.
//
// Nothing is done twice. A PaymentIntent is created with the Stripe
// Idempotency-Key "admit-pi-<order id>": a crash between the call and the
// ledger append replays the entry, and Stripe answers the second call with
// the same PaymentIntent. A refund's key is its refund id. A payment told
// again (the same webhook three times, or a second event about the same
// PaymentIntent) is a replay in the box office.
package payments
