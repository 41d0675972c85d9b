// Package schemas holds the JSON Schemas (draft 2020-12) of admit's ledger
// entries. They are the contract of the ledger: whatever reads it — a
// projection, a worker, a tool outside this repository, or this code in a
// later version — may rely on what they promise, and every entry admit
// writes must keep that promise.
//
// The files:
//
//   - <type>.json, one per entry type (admit.hold.created.v1.json, …): the
//     entry's data, the facts of the change, field by field.
//   - envelope.json: one entry in the CloudEvents 1.0 structured JSON form
//     admit writes, tying each type to its source, its subject and its data
//     schema.
//   - batch.json: the body of one ledger message, the entries decided
//     together.
//   - common.json: definitions the others refer to (identifiers, times,
//     money, the Idempotency-Key record, the parts of orders).
//
// Each schema's $id is https://github.com/admit-org/admit/schemas/<file>;
// references between them are relative, so a validator can load them all
// from this folder without a network.
//
// Entries are never edited, so a schema never changes in a way that would
// reject an entry already written, and data that readers of the current
// schema would not accept is a new type version (….v2) with a file of its
// own; the old file stays for the entries that have it. The tests
// check that every entry type of internal/boxoffice and internal/organizer
// has exactly one schema, that the schema (and each object of common.json)
// lists the Go struct's JSON fields, and that the entries admit encodes
// validate against it.
//
// FS holds the files, for code that serves or validates against them.
package schemas

import "embed"

// FS holds the schema files, named as in this folder (batch.json, …).
//
//go:embed *.json
var FS embed.FS
