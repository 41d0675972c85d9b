// Package stripemock starts a local stripe-mock for tests: Stripe's own
// stateless fake of its API, which validates requests against Stripe's
// OpenAPI spec and answers with fixtures. It never sends webhooks.
//
// The version is the one pinned in the repository's tools/stripe-mock
// module. It is built once per machine and version into the user cache
// directory (admit-tools/stripe-mock-VERSION/), so only the first run pays
// for the build (≈35 s with a cold Go build cache, ≈1 s with a warm one).
// Starting it takes ≈1 s, as it loads Stripe's spec.
package stripemock
