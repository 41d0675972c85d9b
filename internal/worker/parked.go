package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/organizer"
)

// Parked is an entry a worker gave up on for now: its handler failed for
// good, or kept failing. The worker went on with the next entry; an
// operator can look at it and ask for a retry (docs/workers.md).
type Parked struct {
	ID      string `json:"id"`     // "<worker>.<event id>.<ledger sequence>.<index>": the key to retry it by
	Worker  string `json:"worker"` // the Runner's Name
	EntryID string `json:"entry_id"`
	EventID string `json:"event_id,omitempty"`
	// OrganizerID is set instead of EventID for an organizer's entry.
	OrganizerID string    `json:"organizer_id,omitempty"`
	Seq         uint64    `json:"seq"`
	Index       int       `json:"index"`
	Type        string    `json:"type"`  // the entry's CloudEvents type
	Error       string    `json:"error"` // the last attempt's error
	Kind        string    `json:"kind"`  // its fault kind
	Attempts    int       `json:"attempts"`
	ParkedAt    time.Time `json:"parked_at"`
	// Retry is set by an operator: the running worker handles the entry
	// again (and parks it again if it still fails).
	Retry bool `json:"retry,omitempty"`
	// Data is the entry itself, as a ledger message of one entry, so a
	// retry needs nothing but this record.
	Data json.RawMessage `json:"data"`
}

// ParkedID is the id of entry e parked by worker.
func ParkedID(worker string, e Entry) string {
	return worker + "." + e.source() + "." + strconv.FormatUint(e.Seq, 10) + "." + strconv.Itoa(e.Index)
}

// parked makes the record of e, which failed with err after attempts tries.
// The entry is stored as a ledger message of its own, whose CloudEvents id
// is not the ledger's: Seq and Index say where it came from.
func parked(worker string, e Entry, err error, attempts int, now time.Time) (Parked, error) {
	data, encErr := encodeOne(e)
	if encErr != nil {
		return Parked{}, fmt.Errorf("worker %s: park %s: %w", worker, e.ID(), encErr)
	}
	return Parked{ID: ParkedID(worker, e), Worker: worker, EntryID: e.ID(), EventID: e.EventID, OrganizerID: e.OrganizerID, Seq: e.Seq,
		Index: e.Index, Type: e.Entry.Type(), Error: err.Error(), Kind: fault.KindOf(err).String(), Attempts: attempts,
		ParkedAt: now.UTC(), Data: data}, nil
}

// entry rebuilds the parked entry.
func (p Parked) entry() (Entry, error) {
	decode := boxoffice.DecodeBatch
	if p.OrganizerID != "" {
		decode = organizer.DecodeBatch
	}
	batch, err := decode(p.Data)
	if err != nil {
		return Entry{}, fmt.Errorf("worker: parked %s: %w", p.ID, err)
	}
	if len(batch) != 1 {
		return Entry{}, fmt.Errorf("worker: parked %s holds %d entries, not one", p.ID, len(batch))
	}
	return Entry{EventID: p.EventID, OrganizerID: p.OrganizerID, Seq: p.Seq, Index: p.Index, At: batch[0].At, Entry: batch[0].Entry}, nil
}

// Parking keeps parked entries (*KVParking).
type Parking interface {
	// Park records p, replacing an earlier record of the same id.
	Park(ctx context.Context, p Parked) error
	// Unpark drops the record of id: its entry was handled.
	Unpark(ctx context.Context, id string) error
	// Retries delivers the worker's parked entries that an operator asked
	// to retry: those asked for already, then each new request, until ctx
	// ends; then the channel is closed.
	Retries(ctx context.Context, worker string) (<-chan Parked, error)
}

// ParkedBucket is the NATS KV bucket of parked entries.
const ParkedBucket = "ADMIT_PARKED"

// KVParking keeps parked entries in the NATS KV bucket ADMIT_PARKED, one
// key per entry (Parked.ID), shared by every node; a record stays until
// its entry is handled. It is safe for concurrent use.
type KVParking struct{ kv jetstream.KeyValue }

var _ Parking = (*KVParking)(nil)

// OpenKVParking opens the bucket of parked entries, creating it if needed.
// nc belongs to the caller.
func OpenKVParking(ctx context.Context, nc *nats.Conn, replicas int) (*KVParking, error) {
	kv, err := openBucket(ctx, nc, ParkedBucket, "admit workers' parked entries", replicas)
	if err != nil {
		return nil, err
	}
	return &KVParking{kv: kv}, nil
}

// Park implements Parking.
func (k *KVParking) Park(ctx context.Context, p Parked) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("worker: park %s: %w", p.ID, err)
	}
	if _, err := k.kv.Put(ctx, p.ID, data); err != nil {
		return fmt.Errorf("worker: park %s: %w", p.ID, err)
	}
	return nil
}

// Unpark implements Parking.
func (k *KVParking) Unpark(ctx context.Context, id string) error {
	if err := k.kv.Purge(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("worker: unpark %s: %w", id, err)
	}
	return nil
}

// List returns every parked entry, of all workers, by id.
func (k *KVParking) List(ctx context.Context) ([]Parked, error) {
	keys, err := k.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("worker: list parked: %w", err)
	}
	defer keys.Stop()
	var out []Parked
	for key := range keys.Keys() {
		p, _, err := k.get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // handled in the meantime
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Parked) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// get returns the parked entry id and the revision of its record. Errors:
// the bucket's, jetstream.ErrKeyNotFound among them.
func (k *KVParking) get(ctx context.Context, id string) (Parked, uint64, error) {
	e, err := k.kv.Get(ctx, id)
	if err != nil {
		return Parked{}, 0, fmt.Errorf("worker: parked %s: %w", id, err)
	}
	var p Parked
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return Parked{}, 0, fmt.Errorf("worker: parked %s: %w", id, err)
	}
	return p, e.Revision(), nil
}

// Retry asks the worker to handle the parked entry id again. Errors:
// fault.NotFound when no entry of that id is parked.
func (k *KVParking) Retry(ctx context.Context, id string) (Parked, error) {
	p, rev, err := k.get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return Parked{}, fault.New(fault.NotFound, "no parked entry %q (handled already?)", id)
	}
	if err != nil {
		return Parked{}, err
	}
	p.Retry = true
	data, err := json.Marshal(p)
	if err != nil {
		return Parked{}, err
	}
	// On the revision read: the worker handling it meanwhile wins.
	if _, err := k.kv.Update(ctx, id, data, rev); err != nil {
		return Parked{}, fmt.Errorf("worker: retry %s: %w", id, err)
	}
	return p, nil
}

// Retries implements Parking, with a watch on the worker's keys.
func (k *KVParking) Retries(ctx context.Context, worker string) (<-chan Parked, error) {
	w, err := k.kv.Watch(ctx, worker+".>", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("worker: watch %s: %w", ParkedBucket, err)
	}
	out := make(chan Parked)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			var e jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				return
			case e, ok = <-w.Updates():
			}
			if !ok {
				return // the watch stopped
			}
			if e == nil {
				continue // the end of the values there were
			}
			var p Parked
			if json.Unmarshal(e.Value(), &p) != nil || !p.Retry {
				continue
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
