// Package flags is admit's feature flags: the flags the code knows
// (Registry), the JSON an operator stores for one (Stored), and an
// OpenFeature provider (Provider) that keeps every stored flag in memory,
// fed by a watch of the NATS KV bucket ADMIT_FLAGS, so that a flag set on
// one node is seen by every node within moments and an evaluation does no
// I/O. A store that cannot be read makes every evaluation answer the
// flag's default: flags never cause an outage. docs/operating.md, "Feature
// flags", is the operator's side.
package flags
