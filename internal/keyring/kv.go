package keyring

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/ledger"
)

// Bucket is the NATS KV bucket sealed keys are kept in.
const Bucket = "ADMIT_KEYS"

// KV is a Store on a NATS JetStream KV bucket, shared by every node.
type KV struct{ kv jetstream.KeyValue }

var (
	_ Store = (*KV)(nil)
	_ Store = (*Memory)(nil)
)

// OpenKV opens the bucket, creating it (file storage, the given replicas)
// if it does not exist. nc belongs to the caller.
func OpenKV(ctx context.Context, nc *nats.Conn, replicas int) (*KV, error) {
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: Bucket,
		Description: "admit ticket signing keys, sealed under the master key",
		Storage:     jetstream.FileStorage, Replicas: max(1, replicas), History: 1})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &KV{kv: kv}, nil
}

// Create implements Store.
func (s *KV) Create(ctx context.Context, name string, value []byte) error {
	_, err := s.kv.Create(ctx, name, value)
	return err
}

// Get implements Store.
func (s *KV) Get(ctx context.Context, name string) ([]byte, error) {
	e, err := s.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}
