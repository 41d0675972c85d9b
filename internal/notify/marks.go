package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/ledger"
)

// The values of a mark.
const (
	markSending = "sending"
	markSent    = "sent"
)

// Bucket is the NATS KV bucket of the e-mail marks.
const Bucket = "ADMIT_MAIL"

// KVMarks keeps marks in a NATS KV bucket, shared by every node: one key
// per e-mail, the mark id made a KV key ("ev_x/12.0" → "ev_x.12.0"), whose
// value is "sending" or "sent". Keys never expire: a mark is a few dozen
// bytes, and one that expired would let a replay of the ledger from an
// earlier position send its e-mail again. It is safe for concurrent use.
type KVMarks struct{ kv jetstream.KeyValue }

var (
	_ Marks = (*KVMarks)(nil)
	_ Marks = (*MemoryMarks)(nil)
)

// OpenKVMarks opens the bucket, creating it (file storage, the given
// replicas, no history, no expiry) if it does not exist. nc belongs to the
// caller.
func OpenKVMarks(ctx context.Context, nc *nats.Conn, replicas int) (*KVMarks, error) {
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: Bucket,
		Description: "admit e-mails sent, by ledger entry", Storage: jetstream.FileStorage,
		Replicas: max(1, replicas), History: 1})
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return &KVMarks{kv: kv}, nil
}

// Claim implements Marks. The common case, a first claim, is one create.
func (m *KVMarks) Claim(ctx context.Context, id string) (bool, error) {
	key := dotAtom(id)
	_, err := m.kv.Create(ctx, key, []byte(markSending))
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("notify: mark %s: %w", key, err)
	}
	e, err := m.kv.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("notify: mark %s: %w", key, err)
	}
	// "sending": a send was cut short; it is claimed again as it is.
	return string(e.Value()) == markSent, nil
}

// Done implements Marks.
func (m *KVMarks) Done(ctx context.Context, id string) error {
	key := dotAtom(id)
	if _, err := m.kv.Put(ctx, key, []byte(markSent)); err != nil {
		return fmt.Errorf("notify: mark %s: %w", key, err)
	}
	return nil
}

// MemoryMarks keeps marks in memory, for tests. The zero value is ready
// to use; it is safe for concurrent use.
type MemoryMarks struct {
	mu    sync.Mutex
	marks map[string]string // by mark id: "sending" or "sent"
}

// Claim implements Marks.
func (m *MemoryMarks) Claim(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks[id] == markSent {
		return true, nil
	}
	if m.marks == nil {
		m.marks = make(map[string]string)
	}
	m.marks[id] = markSending
	return false, nil
}

// Done implements Marks.
func (m *MemoryMarks) Done(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks == nil {
		m.marks = make(map[string]string)
	}
	m.marks[id] = markSent
	return nil
}
