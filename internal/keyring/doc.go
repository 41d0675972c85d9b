// Package keyring keeps the private halves of events' ticket signing keys.
//
// A ticket's secret is signed with its event's Ed25519 key (internal/ticket).
// The ledger records only the public keys (boxoffice.SigningKeyAdded): it is
// read by every projection and copied into backups, so the seeds live apart,
// sealed with AES-256-GCM under a master key that each node is given (a file
// in the data directory, or ADMIT_MASTER_KEY in a cluster), in a store every
// node shares: a NATS KV bucket next to the ledger. A stolen bucket without
// the master key signs nothing; a lost master key means new keys must be
// made (old tickets still verify: their public keys are in the ledger).
package keyring
