package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

// Entry is one ledger entry of an event, as a handler gets it.
type Entry struct {
	EventID string
	Seq     uint64 // the ledger message's sequence
	Index   int    // the entry's place in the message
	At      time.Time
	Entry   boxoffice.Entry
}

// ID is the entry's CloudEvents id, unique in the event: a key for
// idempotent effects.
func (e Entry) ID() string {
	return e.EventID + "/" + strconv.FormatUint(e.Seq, 10) + "." + strconv.Itoa(e.Index)
}

// Handler acts on one entry. It must be idempotent. An error of kind
// Invalid is permanent: it is logged and the entry skipped. Any other error
// is retried with backoff.
type Handler func(ctx context.Context, e Entry) error

// Follower is what a Runner needs of the ledger (*ledger.JetStream).
type Follower interface {
	Follow(ctx context.Context, from uint64, fn func(ledger.Record) error) error
}

// Positions keeps each worker's last handled ledger sequence.
type Positions interface {
	Get(ctx context.Context, worker string) (uint64, error) // 0 when none
	Put(ctx context.Context, worker string, seq uint64) error
}

// Runner follows the ledger for one worker.
type Runner struct {
	Name      string // the position's key: letters, digits, - and _
	Ledger    Follower
	Positions Positions
	Handle    Handler
	Log       *slog.Logger
	// Backoff bounds the waits between retries of a failing entry; zero
	// values take 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
}

const eventPrefix = "ledger.event."

// Run handles every event entry after the worker's position, then each new
// one, until ctx ends (nil) or the ledger or the position store fails.
func (r *Runner) Run(ctx context.Context) error {
	minB, maxB := r.MinBackoff, r.MaxBackoff
	if minB <= 0 {
		minB = time.Second
	}
	if maxB <= 0 {
		maxB = 5 * time.Minute
	}
	from, err := r.Positions.Get(ctx, r.Name)
	if err != nil {
		return fmt.Errorf("worker %s: position: %w", r.Name, err)
	}
	err = r.Ledger.Follow(ctx, from+1, func(rec ledger.Record) error {
		eventID, ok := strings.CutPrefix(rec.Subject, eventPrefix)
		if !ok {
			return nil // organizer entries: no worker acts on them yet; the position moves on the next event record
		}
		batch, err := boxoffice.DecodeBatch(rec.Data)
		if err != nil {
			return fmt.Errorf("worker %s: record %d: %w", r.Name, rec.Seq, err)
		}
		for i, t := range batch {
			e := Entry{EventID: eventID, Seq: rec.Seq, Index: i, At: t.At, Entry: t.Entry}
			if err := r.handle(ctx, e, minB, maxB); err != nil {
				return err
			}
		}
		if err := r.Positions.Put(ctx, r.Name, rec.Seq); err != nil {
			return fmt.Errorf("worker %s: position %d: %w", r.Name, rec.Seq, err)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Supervise runs the worker until ctx ends, starting it again after a
// failure (the ledger or the position store out of reach, a record that
// cannot be decoded), each logged, with waits from MinBackoff (1 s) doubling
// to one minute.
func (r *Runner) Supervise(ctx context.Context) {
	wait := r.MinBackoff
	if wait <= 0 {
		wait = time.Second
	}
	for {
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		r.Log.Error("worker: stopped; starting it again", "worker", r.Name, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, time.Minute)
	}
}

// handle runs the handler on e until it succeeds, fails for good, or ctx
// ends.
func (r *Runner) handle(ctx context.Context, e Entry, minB, maxB time.Duration) error {
	wait := minB
	for attempt := 1; ; attempt++ {
		err := r.Handle(ctx, e)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case fault.Is(err, fault.Invalid):
			r.Log.Error("worker: giving up on an entry", "worker", r.Name, "entry", e.ID(),
				"type", e.Entry.Type(), "err", err)
			return nil
		}
		r.Log.Warn("worker: entry failed; retrying", "worker", r.Name, "entry", e.ID(), "type", e.Entry.Type(),
			"attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxB)
	}
}

// Bucket is the NATS KV bucket of worker positions.
const Bucket = "ADMIT_WORKERS"

// KV keeps positions in a NATS KV bucket.
type KV struct{ kv jetstream.KeyValue }

// OpenKV opens the positions bucket, creating it if needed.
func OpenKV(ctx context.Context, nc *nats.Conn, replicas int) (*KV, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("worker: jetstream: %w", err)
	}
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket,
			Description: "admit workers' ledger positions", Storage: jetstream.FileStorage,
			Replicas: max(1, replicas), History: 1})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("worker: bucket %s: %w", Bucket, err)
	}
	return &KV{kv: kv}, nil
}

// Get implements Positions.
func (s *KV) Get(ctx context.Context, worker string) (uint64, error) {
	e, err := s.kv.Get(ctx, worker)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(e.Value()), 10, 64)
}

// Put implements Positions.
func (s *KV) Put(ctx context.Context, worker string, seq uint64) error {
	_, err := s.kv.Put(ctx, worker, []byte(strconv.FormatUint(seq, 10)))
	return err
}

// Memory keeps positions in memory, for tests.
type Memory struct {
	mu  sync.Mutex
	pos map[string]uint64
}

// Get implements Positions.
func (m *Memory) Get(_ context.Context, worker string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pos[worker], nil
}

// Put implements Positions.
func (m *Memory) Put(_ context.Context, worker string, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pos == nil {
		m.pos = make(map[string]uint64)
	}
	m.pos[worker] = seq
	return nil
}

var (
	_ Positions = (*KV)(nil)
	_ Positions = (*Memory)(nil)
	_ Follower  = (*ledger.JetStream)(nil)
	_ Follower  = (*ledger.Memory)(nil)
)
