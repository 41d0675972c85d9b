// Package web is admit's HTTP interface: the JSON API described by
// api/openapi.yaml, health endpoints, and (later) the buyer's pages.
//
// Handlers turn requests into box office commands or read-model queries and
// their results into JSON; errors become RFC 9457 problem+json in exactly one
// place (writeProblem). Handlers hold no state of their own but the
// in-flight Idempotency-Key registry and the per-client rate limiters
// (ratelimit.go).
package web
