// Package stripe is admit's adapter for Stripe: it creates and fetches an
// order's PaymentIntent, refunds, and verifies the webhooks Stripe sends.
// It speaks admit's language (orders, events, upper-case ISO 4217
// currencies, fault errors) and keeps stripe-go's types to itself.
//
// Every call to Stripe goes through one circuit breaker. Network errors,
// timeouts, 5xx and 429 answers count as failures; after enough of them in a
// row the breaker opens and calls fail at once with an Unavailable error
// coded "payment-provider-unavailable", without reaching Stripe, until a
// probe call succeeds. Answers that are the caller's business (a declined
// card, an invalid amount, an unknown PaymentIntent) never open it.
//
// stripe-go's own retries are off: a retry would hide failures from the
// breaker, and stripe-go sleeps between retries without watching the
// context. Callers retry; the idempotency keys make that safe.
//
// Tests run against a real stripe-mock, started by package stripemock.
package stripe
