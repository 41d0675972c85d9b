// Package sandbox is a proxy in front of stripe-mock that adds the state
// stripe-mock leaves out by design, so a card payment can be played
// through without a Stripe account: it answers a repeated Idempotency-Key
// with the first answer (as Stripe does, for 24 hours), remembers each
// PaymentIntent's amount, currency and metadata (and, as Stripe, answers
// 404 for one it did not make), and marks one succeeded
// when told, then sends admit the signed webhook Stripe would. Everything
// else is stripe-mock's: the validation of every request, and the shape of
// every answer. It is a development and test tool (admit sandbox stripe),
// never a payment provider.
package sandbox
