package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// Entry is one ledger entry of an event, or of an organizer, as a handler
// gets it. Exactly one of EventID and OrganizerID is set.
type Entry struct {
	EventID     string
	OrganizerID string // an organizer's entry (its team, its tokens): no event
	Seq         uint64 // the ledger message's sequence
	Index       int    // the entry's place in the message
	At          time.Time
	Entry       boxoffice.Entry
}

// source is the id of the entry's subject: its event's, else its
// organizer's.
func (e Entry) source() string {
	if e.OrganizerID != "" {
		return e.OrganizerID
	}
	return e.EventID
}

// ID is the entry's CloudEvents id, unique in its event or organizer (and
// so in the ledger: their ids differ by their prefix): a key for idempotent
// effects.
func (e Entry) ID() string {
	return e.source() + "/" + strconv.FormatUint(e.Seq, 10) + "." + strconv.Itoa(e.Index)
}

// decodeEntries decodes a ledger message of the event or organizer whose
// subject it is on: the entries and whose they are. ok is false for a
// subject that is neither's.
func decodeEntries(rec ledger.Record) (batch []boxoffice.Timed, eventID, organizerID string, ok bool, err error) {
	if id, found := strings.CutPrefix(rec.Subject, eventPrefix); found {
		batch, err = boxoffice.DecodeBatch(rec.Data)
		return batch, id, "", true, err
	}
	if id, found := strings.CutPrefix(rec.Subject, organizerPrefix); found {
		batch, err = organizer.DecodeBatch(rec.Data)
		return batch, "", id, true, err
	}
	return nil, "", "", false, nil
}

// encodeOne encodes e as a ledger message of its own, as its event's or
// organizer's messages are.
func encodeOne(e Entry) ([]byte, error) {
	source := boxoffice.Source(e.EventID)
	if e.OrganizerID != "" {
		source = organizer.Source(e.OrganizerID)
	}
	return boxoffice.EncodeBatch(nil, source, e.Seq-1, e.At, []boxoffice.Entry{e.Entry})
}

// Handler acts on one entry. It must be idempotent; the Runner calls it for
// one entry at a time. How its errors are taken (docs/workers.md):
// fault.Unavailable and fault.RateLimited mean a dependency is out of reach
// for every entry (the SMTP server is down): the entry is retried in order,
// with backoff, and never parked. fault.Invalid, NotFound, Forbidden and
// Unauthorized are permanent: the entry is parked at once. Any other error
// is retried a few times, and the entry parked if it keeps failing.
type Handler func(ctx context.Context, e Entry) error

// Follower is what a Runner needs of the ledger (*ledger.JetStream).
type Follower interface {
	Follow(ctx context.Context, after ledger.Vector, fn func(ledger.Record) error) error
}

// Positions keeps each worker's position: per ledger shard, the last
// sequence it handled.
type Positions interface {
	Get(ctx context.Context, worker string) (ledger.Vector, error) // empty when none
	Put(ctx context.Context, worker string, pos ledger.Vector) error
}

// Runner follows the ledger for one worker.
type Runner struct {
	Name      string // the position's key: letters, digits, - and _
	Ledger    Follower
	Positions Positions
	Handle    Handler
	Log       *slog.Logger
	// Parking keeps the entries given up on, and brings an operator's
	// retries; nil: they are only logged and counted (tests).
	Parking Parking
	// Backoff bounds the waits between retries of a failing entry; zero
	// values take 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// An entry that keeps failing (not Unavailable) is parked after
	// ParkAttempts failed attempts or ParkAfter since its first failure,
	// whichever comes first; zero values take 3 and 5 s.
	ParkAttempts int
	ParkAfter    time.Duration
	// Now is the clock of ParkAfter and of the parked records; nil:
	// time.Now.
	Now func() time.Time

	handling sync.Mutex // held while Handle runs: the ledger's entry or a retried one
	parked   atomic.Int64
	running  atomic.Bool                   // Run is following the ledger
	at       atomic.Pointer[ledger.Vector] // the position Run has reached
}

// Running reports whether the worker follows the ledger on this node now,
// and the position it has handled up to.
func (r *Runner) Running() (bool, ledger.Vector) {
	if at := r.at.Load(); at != nil {
		return r.running.Load(), *at
	}
	return r.running.Load(), nil
}

// ParkedCount is how many entries this Runner parked since it was made, a
// retried entry parked again counting again.
func (r *Runner) ParkedCount() int64 { return r.parked.Load() }

const (
	eventPrefix     = "ledger.event."
	organizerPrefix = "ledger.org."
)

// Run handles every entry of the events and organizers after the worker's
// position, then each new one, until ctx ends (nil) or the ledger, the position store or the
// parking fails. Meanwhile it retries the parked entries an operator asks
// for.
func (r *Runner) Run(ctx context.Context) error {
	from, err := r.Positions.Get(ctx, r.Name)
	if err != nil {
		return fmt.Errorf("worker %s: position: %w", r.Name, err)
	}
	r.at.Store(&from)
	r.running.Store(true)
	defer r.running.Store(false)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	var retries sync.WaitGroup
	defer retries.Wait()
	defer cancel()
	var watchEnded atomic.Bool // the retries' watch ended before ctx: Run stops, to be started again
	if r.Parking != nil {
		asked, err := r.Parking.Retries(ctx, r.Name)
		if err != nil {
			return fmt.Errorf("worker %s: parked entries: %w", r.Name, err)
		}
		retries.Go(func() {
			for p := range asked {
				if err := r.retry(ctx, p); err != nil && ctx.Err() == nil {
					r.Log.Error("worker: retrying a parked entry failed", "worker", r.Name, "parked", p.ID, "err", err)
				}
			}
			if ctx.Err() == nil {
				watchEnded.Store(true)
				cancel()
			}
		})
	}
	pos := from.Clone()
	err = r.Ledger.Follow(ctx, from, func(rec ledger.Record) error {
		batch, eventID, organizerID, ok, err := decodeEntries(rec)
		if !ok {
			pos.Advance(rec.Seq)
			at := pos.Clone()
			r.at.Store(&at)
			return nil // a subject of neither: the stored position moves with the next record handled
		}
		if err != nil {
			return fmt.Errorf("worker %s: record %d: %w", r.Name, rec.Seq, err)
		}
		for i, t := range batch {
			e := Entry{EventID: eventID, OrganizerID: organizerID, Seq: rec.Seq, Index: i, At: t.At, Entry: t.Entry}
			if err := r.handle(ctx, e, 0); err != nil {
				return err
			}
		}
		pos.Advance(rec.Seq)
		if err := r.Positions.Put(ctx, r.Name, pos); err != nil {
			return fmt.Errorf("worker %s: position %v: %w", r.Name, pos, err)
		}
		at := pos.Clone()
		r.at.Store(&at)
		return nil
	})
	switch {
	case parent.Err() != nil:
		return nil
	case watchEnded.Load():
		return fmt.Errorf("worker %s: the watch for retries of parked entries ended", r.Name)
	}
	return err
}

// retry handles a parked entry again, as an operator asked: unparked when
// it succeeds, parked again (without the request) when it fails.
func (r *Runner) retry(ctx context.Context, p Parked) error {
	e, err := p.entry()
	if err != nil {
		return err
	}
	r.Log.Info("worker: retrying a parked entry", "worker", r.Name, "parked", p.ID, "type", p.Type)
	return r.handle(ctx, e, p.Attempts)
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

// SuperviseLeased is Supervise on one node of a cluster at a time: it runs
// the worker only while this node holds the lease "worker.<Name>", waits
// for it while another node holds it (trying again three times a term),
// stops the worker when the lease is lost, and gives the lease up when ctx
// ends. The node that takes it over goes on from the stored position.
func (r *Runner) SuperviseLeased(ctx context.Context, leases *lease.Leases) {
	name := "worker." + r.Name
	for ctx.Err() == nil {
		ls, err := leases.Acquire(ctx, name)
		if err != nil {
			if _, held := errors.AsType[*lease.HeldError](err); !held && ctx.Err() == nil {
				r.Log.Warn("worker: could not take its lease; trying again", "worker", r.Name, "err", err)
			}
			t := time.NewTimer(leases.Term() / 3)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			continue
		}
		r.Log.Info("worker: running on this node", "worker", r.Name, "node", leases.Node())
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-ls.Lost():
				r.Log.Warn("worker: lease lost; stopping here", "worker", r.Name, "err", ls.Err())
				cancel()
			case <-lctx.Done():
			}
		}()
		r.Supervise(lctx)
		cancel()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := ls.Release(rctx); err != nil {
			r.Log.Warn("worker: could not give its lease up; it expires by itself", "worker", r.Name, "err", err)
		}
		rcancel()
	}
}

// handle runs the handler on e until it succeeds, is parked, or ctx ends
// (ctx.Err()). before is how many attempts a parked entry had already, 0
// for one from the ledger; a parked entry that succeeds is unparked.
// Errors: ctx's, and the parking's.
func (r *Runner) handle(ctx context.Context, e Entry, before int) error {
	minB, maxB := r.MinBackoff, r.MaxBackoff
	if minB <= 0 {
		minB = time.Second
	}
	if maxB <= 0 {
		maxB = 5 * time.Minute
	}
	parkAttempts, parkAfter := r.ParkAttempts, r.ParkAfter
	if parkAttempts <= 0 {
		parkAttempts = 3
	}
	if parkAfter <= 0 {
		parkAfter = 5 * time.Second
	}
	wait := minB
	var firstFailure time.Time
	failures := 0 // of the kind that parks
	for attempt := 1; ; attempt++ {
		r.handling.Lock()
		err := r.Handle(ctx, e)
		r.handling.Unlock()
		if err == nil {
			if before > 0 && r.Parking != nil {
				if err := r.Parking.Unpark(ctx, ParkedID(r.Name, e)); err != nil {
					return err
				}
				r.Log.Info("worker: a parked entry succeeded; unparked", "worker", r.Name, "parked", ParkedID(r.Name, e))
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch fault.KindOf(err) {
		case fault.Unavailable, fault.RateLimited:
			// Out of reach for every entry: wait for it, in order.
		case fault.Invalid, fault.NotFound, fault.Forbidden, fault.Unauthorized:
			return r.park(ctx, e, err, before+attempt)
		default:
			if failures == 0 {
				firstFailure = r.now()
			}
			failures++
			if failures >= parkAttempts || r.now().Sub(firstFailure) >= parkAfter {
				return r.park(ctx, e, err, before+attempt)
			}
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

// park records that the worker gives up on e for now, and goes on.
func (r *Runner) park(ctx context.Context, e Entry, cause error, attempts int) error {
	id := ParkedID(r.Name, e)
	total := r.parked.Add(1)
	r.Log.Error("worker: parked an entry; going on with the next ones", "worker", r.Name, "parked", id,
		"type", e.Entry.Type(), "attempts", attempts, "parked_total", total, "err", cause,
		"retry", "admit worker retry "+id)
	if r.Parking == nil {
		return nil
	}
	p, err := parked(r.Name, e, cause, attempts, r.now())
	if err != nil {
		return err
	}
	return r.Parking.Park(ctx, p)
}

// now is r.Now, or time.Now when that is nil.
func (r *Runner) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Bucket is the NATS KV bucket of worker positions.
const Bucket = "ADMIT_WORKERS"

// KV keeps positions in a NATS KV bucket.
type KV struct{ kv jetstream.KeyValue }

// OpenKV opens the positions bucket, creating it if needed.
func OpenKV(ctx context.Context, nc *nats.Conn, replicas int) (*KV, error) {
	kv, err := openBucket(ctx, nc, Bucket, "admit workers' ledger positions", replicas)
	if err != nil {
		return nil, err
	}
	return &KV{kv: kv}, nil
}

// openBucket opens a KV bucket of the workers that keeps one value per key
// (file storage, at least one replica), creating it if needed; if another
// node creates it at the same time, it opens theirs.
func openBucket(ctx context.Context, nc *nats.Conn, bucket, description string, replicas int) (jetstream.KeyValue, error) {
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: bucket,
		Description: description, Storage: jetstream.FileStorage,
		Replicas: max(1, replicas), History: 1})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return kv, nil
}

// Get implements Positions. A worker's value is its vector as
// ledger.Vector.String writes it ("12,0,7"); a value from before the
// ledger had shards, one number, is the position in shard 0.
func (s *KV) Get(ctx context.Context, worker string) (ledger.Vector, error) {
	e, err := s.kv.Get(ctx, worker)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ledger.ParseVector(string(e.Value()))
}

// Put implements Positions.
func (s *KV) Put(ctx context.Context, worker string, pos ledger.Vector) error {
	_, err := s.kv.Put(ctx, worker, []byte(pos.String()))
	return err
}

// Memory keeps positions in memory, for tests.
type Memory struct {
	mu  sync.Mutex
	pos map[string]ledger.Vector
}

// Get implements Positions.
func (m *Memory) Get(_ context.Context, worker string) (ledger.Vector, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pos[worker].Clone(), nil
}

// Put implements Positions.
func (m *Memory) Put(_ context.Context, worker string, pos ledger.Vector) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pos == nil {
		m.pos = make(map[string]ledger.Vector)
	}
	m.pos[worker] = pos.Clone()
	return nil
}

var (
	_ Positions = (*KV)(nil)
	_ Positions = (*Memory)(nil)
	_ Follower  = (*ledger.JetStream)(nil)
	_ Follower  = (*ledger.Memory)(nil)
)
