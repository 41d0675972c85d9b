// Package ticket makes and checks ticket secrets: what a ticket's QR code
// holds. A secret is a compact, versioned payload (event, ticket type,
// ticket, validity) signed with the event's Ed25519 key, so a door scanner
// can verify it offline with the event's public key. docs/tickets.md
// describes the format. The package is pure: keys are stored, rotated and
// revoked by its callers.
package ticket

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/id"
)

// Prefix starts every version 1 secret: "admit ticket", version 1.
const Prefix = "AT1:"

// version is the first byte of a version 1 payload.
const version = 1

// Layout of a version 1 payload, before its signature.
const (
	idBytes      = 13 // an id's 20 base32 characters, 5 bits each, zero-padded
	keyIDBytes   = 4
	payloadBytes = 1 + keyIDBytes + 3*idBytes + 4 + 4
	secretBytes  = payloadBytes + ed25519.SignatureSize
)

// signingContext is prefixed to what is signed, so a ticket signature can
// never be taken for a signature of anything else made with the same key.
const signingContext = "admit ticket v1\x00"

// Claims are what a secret says: this ticket, of this ticket type, admits
// to this event between ValidFrom and ValidUntil (whole seconds).
type Claims struct {
	EventID      string    // ev_…
	TicketTypeID string    // tt_…
	TicketID     string    // tk_…
	ValidFrom    time.Time // UTC, whole seconds
	ValidUntil   time.Time // UTC, whole seconds
}

// KeyID names an event key in a secret: the first 4 bytes of the SHA-256 of
// its public key.
type KeyID [keyIDBytes]byte

// String is the id in hex.
func (k KeyID) String() string { return hex.EncodeToString(k[:]) }

// IDOf returns the id of a public key.
func IDOf(pub ed25519.PublicKey) KeyID {
	sum := sha256.Sum256(pub)
	return KeyID(sum[:keyIDBytes])
}

// SigningKey is an event's private key.
type SigningKey struct {
	ID  KeyID
	key ed25519.PrivateKey
}

// NewSigningKey makes a key from random (crypto/rand.Reader in production).
func NewSigningKey(random io.Reader) (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(random)
	if err != nil {
		return nil, fmt.Errorf("ticket: new key: %w", err)
	}
	return &SigningKey{ID: IDOf(priv.Public().(ed25519.PublicKey)), key: priv}, nil
}

// SigningKeyFromSeed rebuilds a stored key from its 32-byte seed.
func SigningKeyFromSeed(seed []byte) (*SigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("ticket: a key seed has %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &SigningKey{ID: IDOf(priv.Public().(ed25519.PublicKey)), key: priv}, nil
}

// Seed is what to store to rebuild the key. It is secret.
func (k *SigningKey) Seed() []byte { return k.key.Seed() }

// Public is the key scanners verify with.
func (k *SigningKey) Public() ed25519.PublicKey { return k.key.Public().(ed25519.PublicKey) }

// ErrValidity is Sign's error for a validity that a secret cannot carry.
var ErrValidity = errors.New("ticket: the validity is not a range within 1970–2106")

// Sign returns the secret for c. Errors: ids that are not admit ids of
// their kind, or ErrValidity for a validity outside 1970–2106 or ending
// before it starts.
func (k *SigningKey) Sign(c Claims) (string, error) {
	b := make([]byte, payloadBytes, secretBytes)
	b[0] = version
	copy(b[1:], k.ID[:])
	at := 1 + keyIDBytes
	for _, f := range []struct{ v, prefix string }{{c.EventID, "ev"}, {c.TicketTypeID, "tt"}, {c.TicketID, "tk"}} {
		if err := packID(b[at:at+idBytes], f.v, f.prefix); err != nil {
			return "", err
		}
		at += idBytes
	}
	from, until := c.ValidFrom.Unix(), c.ValidUntil.Unix()
	if from < 0 || until > 1<<32-1 || until < from {
		return "", fmt.Errorf("%w: %v to %v", ErrValidity, c.ValidFrom, c.ValidUntil)
	}
	binary.BigEndian.PutUint32(b[at:], uint32(from))
	binary.BigEndian.PutUint32(b[at+4:], uint32(until))
	b = append(b, ed25519.Sign(k.key, signed(b))...)
	return Prefix + encodeBase45(b), nil
}

func signed(payload []byte) []byte {
	return append([]byte(signingContext), payload...)
}

// Keys finds an event's public key by its id. A retired key is not found:
// its secrets no longer verify.
type Keys func(KeyID) (ed25519.PublicKey, bool)

// The errors of Verify. Claims come back with ErrNotYetValid and
// ErrExpired, so a scanner can say which ticket it was.
var (
	ErrMalformed    = errors.New("ticket: not an admit ticket secret")
	ErrUnknownKey   = errors.New("ticket: signed with a key this event does not know (or no longer trusts)")
	ErrBadSignature = errors.New("ticket: the signature does not match: forged or altered")
	ErrNotYetValid  = errors.New("ticket: not valid yet")
	ErrExpired      = errors.New("ticket: no longer valid")
)

// Verify checks a secret's format, signature and validity at now, with no
// network: keys is the event's key ring. Whether the ticket was revoked
// (cancelled or refunded) is the caller's lookup of Claims.TicketID.
func Verify(secret string, keys Keys, now time.Time) (Claims, error) {
	text, ok := strings.CutPrefix(secret, Prefix)
	if !ok {
		return Claims{}, ErrMalformed
	}
	b, err := decodeBase45(text)
	if err != nil || len(b) != secretBytes || b[0] != version {
		return Claims{}, ErrMalformed
	}
	payload, sig := b[:payloadBytes], b[payloadBytes:]
	pub, ok := keys(KeyID(payload[1 : 1+keyIDBytes]))
	if !ok {
		return Claims{}, ErrUnknownKey
	}
	if !ed25519.Verify(pub, signed(payload), sig) {
		return Claims{}, ErrBadSignature
	}
	var c Claims
	at := 1 + keyIDBytes
	for _, f := range []struct {
		to     *string
		prefix string
	}{{&c.EventID, "ev"}, {&c.TicketTypeID, "tt"}, {&c.TicketID, "tk"}} {
		if *f.to, err = unpackID(payload[at:at+idBytes], f.prefix); err != nil {
			return Claims{}, ErrMalformed // signed, yet not ours: a key used elsewhere
		}
		at += idBytes
	}
	c.ValidFrom = time.Unix(int64(binary.BigEndian.Uint32(payload[at:])), 0).UTC()
	c.ValidUntil = time.Unix(int64(binary.BigEndian.Uint32(payload[at+4:])), 0).UTC()
	switch {
	case now.Before(c.ValidFrom):
		return c, ErrNotYetValid
	case now.After(c.ValidUntil):
		return c, ErrExpired
	}
	return c, nil
}

// EventOf returns the event id a secret names, without verifying it: a
// scanner tells a ticket of another event (whose keys it does not have)
// from a forgery by it. Errors: ErrMalformed.
func EventOf(secret string) (string, error) {
	text, ok := strings.CutPrefix(secret, Prefix)
	if !ok {
		return "", ErrMalformed
	}
	b, err := decodeBase45(text)
	if err != nil || len(b) != secretBytes || b[0] != version {
		return "", ErrMalformed
	}
	return unpackID(b[1+keyIDBytes:1+keyIDBytes+idBytes], "ev")
}

const b32 = "abcdefghijklmnopqrstuvwxyz234567"

// packID writes the id's characters after "prefix_" into dst, 5 bits each;
// the 4 bits left over carry an event id's shard ("ev_…_<k>"), zero for
// every other id.
func packID(dst []byte, s, prefix string) error {
	shard := 0
	if prefix == "ev" && id.ValidSharded(s, prefix, id.Short) && len(s) > len(prefix)+1+id.Short {
		shard, _ = strconv.Atoi(s[len(prefix)+2+id.Short:])
		s = s[:len(prefix)+1+id.Short]
	}
	if !id.Valid(s, prefix, id.Short) {
		return fmt.Errorf("ticket: %q is not a %s_ id", s, prefix)
	}
	clear(dst)
	for i, ch := range []byte(s[len(prefix)+1:]) {
		v := strings.IndexByte(b32, ch)
		for bit := range 5 {
			if v&(1<<(4-bit)) != 0 {
				n := i*5 + bit
				dst[n/8] |= 0x80 >> (n % 8)
			}
		}
	}
	dst[idBytes-1] |= byte(shard)
	return nil
}

// unpackID reverses packID; the bits left over must be zero but for an
// event id's shard.
func unpackID(src []byte, prefix string) (string, error) {
	shard := int(src[idBytes-1] & 0x0f)
	if shard != 0 && prefix != "ev" {
		return "", ErrMalformed
	}
	out := make([]byte, 0, len(prefix)+1+id.Short)
	out = append(out, prefix...)
	out = append(out, '_')
	for i := range id.Short {
		v := 0
		for bit := range 5 {
			n := i*5 + bit
			v <<= 1
			if src[n/8]&(0x80>>(n%8)) != 0 {
				v |= 1
			}
		}
		out = append(out, b32[v])
	}
	return id.InShard(string(out), shard), nil
}
