// Package id makes and checks admit's identifiers: a short prefix naming the
// kind of thing, an underscore, and lowercase base32 characters
// ("ev_k3n7…"). They are safe in URLs and in NATS subjects.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"hash/fnv"
	"strconv"
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Lengths of the random part, in base32 characters (5 bits each).
const (
	Short = 20 // 100 bits: events, ticket types, quotas, organizers, tokens
	Long  = 26 // 130 bits: holds, whose id is the buyer's capability
)

// New returns a random id: prefix, "_", n random base32 characters.
func New(prefix string, n int) string {
	if n > 48 {
		b := make([]byte, (n*5+7)/8)
		rand.Read(b)
		return prefix + "_" + b32.EncodeToString(b)[:n]
	}
	// On the stack: a hold id is made for every request of an on-sale.
	var raw [30]byte
	var enc [48]byte
	b := raw[:(n*5+7)/8]
	rand.Read(b)
	b32.Encode(enc[:], b)
	return prefix + "_" + string(enc[:n])
}

// Derived returns an id computed from parts, the same for the same parts:
// used so a retried create with the same Idempotency-Key reaches the same
// event.
func Derived(prefix string, n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + "_" + b32.EncodeToString(h.Sum(nil))[:n]
}

// Valid reports whether s is an id with the prefix and n characters.
func Valid(s, prefix string, n int) bool {
	if len(s) != len(prefix)+1+n || s[:len(prefix)] != prefix || s[len(prefix)] != '_' {
		return false
	}
	for i := len(prefix) + 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// Token returns a random secret of 160 bits in base32, with the prefix.
func Token(prefix string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return prefix + b32.EncodeToString(b)
}

// InShard returns base, an id made by New or Derived, placed in shard k
// (at most MaxShard) of the ledger: base itself for shard 0, base + "_" + k
// otherwise. The
// ledger reads an id's shard back from this suffix (ledger.SubjectShard),
// so it never changes.
func InShard(base string, k int) string {
	if k <= 0 {
		return base
	}
	return base + "_" + strconv.Itoa(k)
}

// PickShard returns the shard, of shards (at least 1), that base goes to:
// a hash of the id, so the same id always picks the same shard for one
// count, and ids spread evenly.
func PickShard(base string, shards int) int {
	if shards <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(base))
	return int(h.Sum32() % uint32(shards))
}

// MaxShard is the highest shard an id can name: a ticket carries an
// event's shard in the 4 bits its id leaves over (docs/tickets.md).
const MaxShard = 15

// ValidSharded reports whether s is an id with the prefix and n
// characters, with or without a shard suffix ("_1" to "_15", as InShard
// makes it).
func ValidSharded(s, prefix string, n int) bool {
	base := len(prefix) + 1 + n
	if len(s) <= base {
		return Valid(s, prefix, n)
	}
	if !Valid(s[:base], prefix, n) || s[base] != '_' {
		return false
	}
	k, err := strconv.Atoi(s[base+1:])
	return err == nil && k >= 1 && k <= MaxShard && s[base+1:] == strconv.Itoa(k)
}
