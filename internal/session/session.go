// Package session keeps the console's sign-in sessions in a NATS KV
// bucket, so every node of a cluster knows them and a session ends by
// itself when the bucket's TTL passes. A session is named by a random
// secret that only the member's browser holds (in a cookie); the bucket
// keys it by the secret's SHA-256, so reading the bucket signs nobody in.
//
// Sessions are not ledger entries: they are not facts about an organizer
// that anything derives from, only a credential with a lifetime. What
// they grant is decided afresh on every request from the member as the
// read model has them (role, removal, password change).
package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// Bucket is the KV bucket of sessions.
const Bucket = "ADMIT_SESSIONS"

// Lifetime is how long a session lasts from sign-in, whatever is done
// with it: the bucket's TTL.
const Lifetime = 12 * time.Hour

// Prefix starts every session secret.
const Prefix = "admitses_"

// Session is one member signed in on one browser.
type Session struct {
	MemberID    string    `json:"member_id"`
	OrganizerID string    `json:"organizer_id"`
	CreatedAt   time.Time `json:"created_at"`
	// CSRF is the secret every form of the session carries, compared
	// with Check (besides the browser's Sec-Fetch-Site and Origin).
	CSRF string `json:"csrf"`
}

// CheckCSRF reports whether token is the session's form secret.
func (s Session) CheckCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

// Store keeps sessions in the bucket. It is safe for concurrent use.
type Store struct {
	kv jetstream.KeyValue
}

// Open opens the bucket, creating it (file storage, the given replicas,
// TTL Lifetime) if needed.
func Open(ctx context.Context, nc *nats.Conn, replicas int) (*Store, error) {
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: Bucket, TTL: Lifetime,
		Storage: jetstream.FileStorage, Replicas: max(1, replicas), History: 1,
		Description: "admit: console sign-in sessions, keyed by the SHA-256 of their secret"})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return &Store{kv: kv}, nil
}

// Begin stores a new session for the member and returns its secret (for
// the cookie) and the session.
func (st *Store) Begin(ctx context.Context, memberID, organizerID string, now time.Time) (string, Session, error) {
	secret := id.Token(Prefix)
	s := Session{MemberID: memberID, OrganizerID: organizerID, CreatedAt: now.UTC(), CSRF: id.Token("")}
	b, err := json.Marshal(s)
	if err != nil {
		return "", Session{}, err
	}
	if _, err := st.kv.Create(ctx, key(secret), b); err != nil {
		return "", Session{}, fault.Wrap(fault.Unavailable, err, "sessions cannot be stored now; try again")
	}
	return secret, s, nil
}

// Get returns the session of a secret. Errors: NotFound for a secret of
// no session (never made, ended, or past its lifetime); Unavailable when
// the bucket cannot be read.
func (st *Store) Get(ctx context.Context, secret string) (Session, error) {
	if len(secret) != len(Prefix)+32 || secret[:len(Prefix)] != Prefix {
		return Session{}, fault.New(fault.NotFound, "no such session")
	}
	e, err := st.kv.Get(ctx, key(secret))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, fault.New(fault.NotFound, "no such session")
	}
	if err != nil {
		return Session{}, fault.Wrap(fault.Unavailable, err, "sessions cannot be read now; try again")
	}
	var s Session
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return Session{}, fmt.Errorf("session: decode: %w", err)
	}
	// The bucket's TTL ends it; this is for a bucket made with another.
	if time.Since(e.Created()) > Lifetime {
		return Session{}, fault.New(fault.NotFound, "no such session")
	}
	return s, nil
}

// End removes the session of a secret; ending one that is gone is fine.
func (st *Store) End(ctx context.Context, secret string) error {
	err := st.kv.Purge(ctx, key(secret))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("session: end: %w", err)
	}
	return nil
}

func key(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
