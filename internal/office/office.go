package office

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/tracing"
)

// Ledger is what a box office needs of the ledger. *ledger.JetStream and
// *ledger.Memory implement it.
type Ledger interface {
	Append(ctx context.Context, m ledger.Message, expectLastSubjectSeq uint64) (uint64, error)
	Read(ctx context.Context, filter string, from uint64, fn func(ledger.Record) error) (uint64, error)
	PutSnapshot(ctx context.Context, key string, data []byte) error
	GetSnapshot(ctx context.Context, key string) ([]byte, error)
}

var (
	_ Ledger = (*ledger.JetStream)(nil)
	_ Ledger = (*ledger.Memory)(nil)
)

// Config tunes box offices. Zero fields take the defaults.
type Config struct {
	QueueDepth    int // commands waiting per event before callers get Unavailable at once (load shedding); default 16,384, four full batches
	MaxBatch      int // commands decided per ledger message at most; default 4,096
	SnapshotEvery int // entries between snapshots, at least; default 200,000 (half the event's holds, once that is more); see docs/ledger.md
	AppendTimeout time.Duration
	// IdleTimeout is how long a box office waits without a command or a
	// read before it stores a snapshot and unloads; the next command,
	// read or due hold expiry loads it again. Default 10 seconds; negative:
	// never unload.
	IdleTimeout time.Duration
	// Appended, when set, is told of every append of a box office: its
	// entries, how long the ledger took to acknowledge it, and whether it
	// failed instead. It runs on the office's goroutine: it must be quick.
	Appended func(entries int, took time.Duration, failed bool)
}

func (c Config) withDefaults() Config {
	if c.QueueDepth <= 0 {
		c.QueueDepth = 1 << 14
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 4096
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 200_000
	}
	if c.AppendTimeout <= 0 {
		c.AppendTimeout = 10 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}

// DefaultIdleTimeout is Config.IdleTimeout's default.
const DefaultIdleTimeout = 10 * time.Second

// Subject is the ledger subject of an event's entries.
func Subject(eventID string) string { return "ledger.event." + eventID }

// snapshotKey is where an event's snapshot is kept.
func snapshotKey(eventID string) string { return "event." + eventID }

// Render turns the state right after a command was decided into the value
// its caller gets back. It runs on the box office goroutine and must copy
// what it returns.
type Render func(s *boxoffice.State, d boxoffice.Decision) any

// Result is the answer to one command.
type Result struct {
	boxoffice.Decision
	Value any    // what Render returned
	Seq   uint64 // a ledger sequence at which the result is recorded: the batch's own when it changed something
}

type call struct {
	cmd    boxoffice.Command // nil: a read
	render Render
	reply  chan reply
	res    reply
	span   trace.SpanContext // the caller's span, when tracing: its batch links to it
}

type reply struct {
	Result
	err error
}

// Office is the box office of one event. Its methods are safe for
// concurrent use.
type Office struct {
	id      string
	subject string
	led     Ledger
	clock   clock.Clock
	log     *slog.Logger
	cfg     Config
	view    atomic.Pointer[boxoffice.View]
	viewed  atomic.Bool   // View was called since run last looked: reading the view is using the office
	wake    chan struct{} // holds a token when calls were queued since run last looked
	stopped chan struct{} // closed when run returns
	cancel  func()        // stops run
	err     error         // why run returned; read after stopped is closed

	// The queue grows with what is waiting, up to cfg.QueueDepth: an idle
	// office keeps no buffer of that size.
	qmu      sync.Mutex
	queued   []*call // guarded by qmu
	closed   bool    // guarded by qmu: no call is queued any more
	unloaded bool    // guarded by qmu: closed because the office was idle, not broken

	// Owned by the run goroutine.
	state     *boxoffice.State
	lastSeq   uint64 // stream sequence of the event's last ledger message: the fence
	expiry    holdHeap
	sinceSnap int
	storing   *snapshotStore // the snapshot being stored in the background, nil when none
	buf       []byte
	usedAt    time.Time    // when run last answered a call
	checks    atomic.Int64 // idle checks made, for tests
	// nextExpiry is, once unloaded, the time of the earliest hold expiry it
	// left behind, zero if none: the manager loads the office again then.
	nextExpiry time.Time
}

func newOffice(id string, led Ledger, clk clock.Clock, log *slog.Logger, cfg Config) *Office {
	return &Office{id: id, subject: Subject(id), led: led, clock: clk, log: log.With("event", id), cfg: cfg,
		wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// errUnloaded refuses a call to an office that unloaded itself: the
// manager loads the event again and retries.
var errUnloaded = errors.New("office: unloaded")

// View returns the latest published view, nil while the event does not
// exist. It counts as using the office, which then does not unload: a
// sold-out storm, answered from the view alone, keeps its event loaded. (A
// view is noticed at the next idle check, so an office unloads between
// IdleTimeout and twice that after its last view.)
func (o *Office) View() *boxoffice.View {
	if !o.viewed.Load() { // a store only once per idle check, not per view
		o.viewed.Store(true)
	}
	return o.view.Load()
}

// Do decides cmd, waits until its entries are durable, and returns the
// result. Errors: the kinds Decide returns; Unavailable when the queue is
// full or the office stopped (retry, possibly on another node); the
// context's error when ctx ends first — the command may still take effect.
func (o *Office) Do(ctx context.Context, cmd boxoffice.Command, render Render) (res Result, err error) {
	c := calls.Get().(*call)
	c.cmd, c.render = cmd, render
	if tracing.Enabled() {
		var span trace.Span
		ctx, span = tracing.Tracer().Start(ctx, "office.do", trace.WithAttributes(
			attribute.String("admit.event_id", o.id), attribute.String("admit.command", commandName(cmd))))
		c.span = span.SpanContext()
		defer func() {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
		}()
	}
	o.qmu.Lock()
	if o.closed || len(o.queued) >= o.cfg.QueueDepth {
		closed, unloaded := o.closed, o.unloaded
		o.qmu.Unlock()
		c.done()
		switch {
		case unloaded:
			return Result{}, errUnloaded
		case closed:
			return Result{}, fault.New(fault.Unavailable, "the box office of this event is restarting; try again")
		}
		return Result{}, fault.New(fault.Unavailable, "too many requests for this event right now; try again")
	}
	o.queued = append(o.queued, c)
	o.qmu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default: // a token is already there (a cheap check, without locking the channel)
	}
	// The office answers every call it queued, in a batch or, when it
	// stops, in failQueued: the caller waits for its reply alone.
	select {
	case r := <-c.reply:
		c.done()
		return r.Result, r.err
	case <-ctx.Done():
		return Result{}, ctx.Err() // the office may still answer c, so it is not reused
	}
}

// calls recycles calls and their reply channels: one of each per request of
// an on-sale is garbage the collector need not see. A call goes back only
// once its reply was received, after which the office never touches it.
var calls = sync.Pool{New: func() any { return &call{reply: make(chan reply, 1)} }}

// commandName is a command's type for a span: "read" for a read.
func commandName(cmd boxoffice.Command) string {
	if cmd == nil {
		return "read"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", cmd), "*boxoffice.")
}

// maxSpanLinks bounds the links of a batch's span to its callers' spans.
const maxSpanLinks = 128

// traceBatch starts the span of a batch, linked to its callers' spans (up
// to maxSpanLinks), when tracing.
func traceBatch(eventID string, batch []*call) (context.Context, trace.Span) {
	ctx := context.Background()
	if !tracing.Enabled() {
		return ctx, nil
	}
	var links []trace.Link
	for _, c := range batch {
		if c.span.IsValid() && len(links) < maxSpanLinks {
			links = append(links, trace.Link{SpanContext: c.span})
		}
	}
	return tracing.Tracer().Start(ctx, "office.batch", trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("admit.event_id", eventID), attribute.Int("admit.calls", len(batch))))
}

func (c *call) done() {
	*c = call{reply: c.reply}
	calls.Put(c)
}

// Stopped is closed when the office has stopped; Err then says why.
func (o *Office) Stopped() <-chan struct{} { return o.stopped }

// Err is why the office stopped: nil after a clean shutdown.
func (o *Office) Err() error {
	<-o.stopped
	return o.err
}

// load rebuilds the state from the latest snapshot and the ledger after it.
func (o *Office) load(ctx context.Context) error {
	o.state, o.lastSeq, o.sinceSnap = boxoffice.NewState(), 0, 0
	sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	snap, err := o.led.GetSnapshot(sctx, snapshotKey(o.id))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("office %s: load snapshot: %w", o.id, err)
		}
		// Snapshots are derived: the ledger has it all.
		o.log.Warn("box office snapshot could not be read; replaying the whole ledger", "event", o.id, "err", err)
		snap = nil
	}
	if len(snap) >= 8 {
		// A snapshot it cannot read is left aside: the ledger has it all.
		if st, err := boxoffice.UnmarshalSnapshot(snap[8:]); err != nil {
			o.log.Error("box office snapshot refused; replaying the whole ledger", "err", err)
		} else {
			o.state, o.lastSeq = st, binary.BigEndian.Uint64(snap)
		}
	}
	last, err := o.led.Read(ctx, o.subject, o.lastSeq+1, func(r ledger.Record) error {
		batch, err := boxoffice.DecodeBatch(r.Data)
		if err != nil {
			return fmt.Errorf("seq %d: %w", r.Seq, err)
		}
		for _, t := range batch {
			if err := boxoffice.Apply(o.state, t.Entry, t.At); err != nil {
				return fmt.Errorf("seq %d: %w", r.Seq, err)
			}
		}
		o.sinceSnap += len(batch)
		return nil
	})
	if err != nil {
		return fmt.Errorf("office %s: replay: %w", o.id, err)
	}
	o.lastSeq = max(o.lastSeq, last)
	o.expiry = slices.Grow(o.expiry[:0], o.state.ActiveHolds())
	o.state.ActiveHoldExpiries(func(r boxoffice.HoldRef, at time.Time) {
		o.expiry = append(o.expiry, holdDue{nanos(at), r})
	})
	o.expiry.init()
	o.view.Store(o.state.View())
	return nil
}

// run is the box office loop. It returns nil when ctx ends (after a final
// snapshot), or the error that made the office unusable (fenced by another
// writer, or a ledger it could not reload from).
//
// An office that answered no call for cfg.IdleTimeout, and has no hold
// expiry due, stores a snapshot and unloads: run returns nil with the queue
// closed and unloaded set, so callers that find it go back to the manager.
func (o *Office) run(ctx context.Context) (err error) {
	defer func() {
		o.err = err
		o.failQueued()
		o.waitSnapshot()
		close(o.stopped)
	}()
	timer := o.clock.NewTimer(time.Hour)
	defer timer.Stop()
	// Answering a batch wakes each of its callers, which costs about as
	// much as deciding it: an answerer goroutine does it, after the
	// batch's ack, while run decides the next one. A batch's buffer comes
	// back through spare once answered; run waits for it before taking
	// the batch after next, so at most one batch is being answered.
	answers, spare := make(chan []*call), make(chan []*call, 1)
	spare <- nil
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		for b := range answers {
			for _, c := range b {
				c.reply <- c.res
			}
			clear(b) // the calls go back to their pool: keep no pointers to them
			spare <- b[:0]
		}
	}()
	defer func() { close(answers); <-answered }()
	var batch []*call // grows with the load, and swaps with the queue's buffer
	more := false     // the last take left calls queued
	o.usedAt = o.clock.Now()
	for {
		if !more {
			o.arm(timer)
			select {
			case <-ctx.Done():
				o.finalSnapshot(ctx)
				return nil
			case <-o.wake:
			case <-timer.C():
			}
		} else if ctx.Err() != nil {
			o.finalSnapshot(ctx)
			return nil
		}
		batch, more = o.take(batch)
		failed, err := o.decideBatch(ctx, batch)
		if err != nil {
			return err
		}
		switch {
		case failed: // decideBatch answered each call already: none may get another answer
			clear(batch)
			batch = batch[:0]
		case len(batch) > 0:
			answers <- batch
			batch = <-spare
		case !more && o.idle() && o.unload(ctx):
			return nil
		}
	}
}

// take moves the calls of the next batch out of the queue: up to MaxBatch
// and maxBatchBytes of them. batch, emptied, becomes the queue's buffer
// when every queued call fits, so neither copies. more reports calls left
// queued.
func (o *Office) take(batch []*call) (_ []*call, more bool) {
	o.qmu.Lock()
	q := o.queued
	n, size := 0, 0 // size: estimated bytes of the batch's entries
	for n < len(q) && n < o.cfg.MaxBatch && size < maxBatchBytes {
		size += callSize(q[n])
		n++
	}
	if n == len(q) {
		o.queued = batch[:0]
		o.qmu.Unlock()
		return q, false
	}
	batch = append(batch[:0], q[:n]...)
	m := copy(q, q[n:])
	clear(q[m:])
	o.queued = q[:m]
	o.qmu.Unlock()
	return batch, true
}

// idle reports whether the office answered no call and showed no view for
// IdleTimeout, and has no hold expiry due.
func (o *Office) idle() bool {
	if o.cfg.IdleTimeout < 0 {
		return false
	}
	defer o.checks.Add(1)
	now := o.clock.Now()
	if o.viewed.Swap(false) {
		o.usedAt = now
		return false
	}
	return now.Sub(o.usedAt) >= o.cfg.IdleTimeout && (len(o.expiry) == 0 || o.expiry.next().After(now))
}

// unloadSnapshotMin is how many entries after the last snapshot make an
// unloading office store a new one. Fewer are replayed from the ledger on
// the next load instead: reading a few entries costs no more than reading
// a snapshot, and storing one costs two fsynced messages, for every event
// that goes idle.
const unloadSnapshotMin = 256

// unload stores a snapshot if the ledger has many entries after the last
// one, and closes the queue, unless a call came in meanwhile or the
// snapshot failed (then the office tries again after another IdleTimeout).
func (o *Office) unload(ctx context.Context) bool {
	if o.sinceSnap >= unloadSnapshotMin && !o.snapshot(ctx) {
		o.usedAt = o.clock.Now()
		return false
	}
	o.qmu.Lock()
	defer o.qmu.Unlock()
	if len(o.queued) > 0 {
		return false
	}
	o.closed, o.unloaded = true, true
	// The heap also keeps the times of holds since released, ordered or
	// extended: the manager is to load the office only for a hold still due.
	for len(o.expiry) > 0 && !o.pending(o.expiry[0]) {
		o.expiry.pop()
	}
	if len(o.expiry) > 0 {
		o.nextExpiry = o.expiry.next()
	}
	return true
}

// pending reports whether x is the expiry of a hold still active: every
// change of a hold's expiry pushes its new time, so the others are stale.
func (o *Office) pending(x holdDue) bool {
	at, active := o.state.HoldExpiry(x.hold)
	return active && nanos(at) == x.at
}

// finalSnapshot stores a snapshot on shutdown.
func (o *Office) finalSnapshot(ctx context.Context) {
	o.snapshot(context.WithoutCancel(ctx))
}

// snapshotTimeout bounds storing or reading a snapshot. Without a deadline
// of its own, nats.go bounds a whole object store Put or Get by its default
// API timeout, 5 seconds, which an event with a million holds (hundreds of
// megabytes) can take on a busy disk: its snapshots would fail, and every
// load of it too.
const snapshotTimeout = time.Minute

// maxBatchBytes bounds the estimated size of a batch's ledger message, far
// below the ledger's message limit even with MaxBatch expiries added.
const maxBatchBytes = 3 << 20

// callSize estimates the encoded size of the entries a call may produce.
func callSize(c *call) int {
	if h, ok := c.cmd.(*boxoffice.CreateHold); ok {
		return 400 + 80*len(h.Items)
	}
	return 400
}

// decideBatch decides a batch of calls plus any due expiries, appends their
// entries as one ledger message, and sets each call's result, to be
// answered by the caller of decideBatch. When the append (or applying a
// decision) fails, it answers the calls itself, Unavailable, reloads, and
// reports failed: the caller must not answer them again, or a reply would
// reach whoever uses the call next. An error means the office must
// stop.
func (o *Office) decideBatch(ctx context.Context, batch []*call) (failed bool, err error) {
	tctx, span := traceBatch(o.id, batch)
	if span != nil {
		defer span.End()
	}
	now := o.clock.Now()
	if len(batch) > 0 {
		o.usedAt = now
	}
	var entries []boxoffice.Entry
	// At most MaxBatch expiries a batch, so the message stays small; the
	// timer fires again at once for the rest.
	for n := 0; n < o.cfg.MaxBatch && len(o.expiry) > 0 && !o.expiry.next().After(now); n++ {
		x := o.expiry.pop()
		if e := boxoffice.Expire(o.state, o.state.HoldID(x.hold), now); e != nil {
			if err := boxoffice.Apply(o.state, e, now); err != nil {
				return true, o.reload(ctx, batch, err)
			}
			entries = append(entries, e)
		}
	}
	for _, c := range batch {
		if c.cmd == nil {
			c.res = reply{Result: Result{Value: c.render(o.state, boxoffice.Decision{})}}
			continue
		}
		d, err := boxoffice.Decide(o.state, c.cmd, now)
		if err != nil {
			c.res = reply{err: err}
			continue
		}
		for _, e := range d.Entries {
			if err := boxoffice.Apply(o.state, e, now); err != nil {
				return true, o.reload(ctx, batch, fmt.Errorf("apply own decision: %w", err))
			}
			if h, ok := e.(*boxoffice.HoldCreated); ok {
				o.expiry.pushHold(o.state, h)
			} else if holdID, at, ok := boxoffice.Expiry(e); ok {
				o.expiry.pushAt(o.state, holdID, at) // the earlier expiry, now stale, finds the hold not yet due
			}
		}
		entries = append(entries, d.Entries...)
		c.res = reply{Result: Result{Decision: d}}
		if c.render != nil {
			c.res.Value = c.render(o.state, d)
		}
	}
	if len(entries) > 0 {
		seq, err := o.tracedAppend(ctx, tctx, span, now, entries)
		if err != nil {
			return true, o.reload(ctx, batch, err)
		}
		o.lastSeq = seq
		o.view.Store(o.state.View())
		o.sinceSnap += len(entries)
		// A snapshot costs time in proportion to the state, so they grow
		// apart as it grows: their total cost stays linear in the entries.
		// Half the holds apart keeps a crash's replay at a tenth of a
		// million-hold event's entries (a second, not two).
		if o.sinceSnap >= max(o.cfg.SnapshotEvery, o.state.HoldCount()/2) {
			o.snapshotInBackground(ctx)
		}
	}
	for _, c := range batch {
		if c.res.err == nil {
			c.res.Seq = o.lastSeq // the change, or a replay's earlier one, is recorded at or before it
		}
	}
	return false, nil
}

// tracedAppend is append in a span of its own, the child of the batch's,
// when tracing.
func (o *Office) tracedAppend(ctx, tctx context.Context, batch trace.Span, now time.Time, entries []boxoffice.Entry) (uint64, error) {
	if batch == nil {
		return o.append(ctx, now, entries)
	}
	batch.SetAttributes(attribute.Int("admit.entries", len(entries)))
	_, span := tracing.Tracer().Start(tctx, "ledger.append", trace.WithAttributes(attribute.String("admit.subject", o.subject)))
	defer span.End()
	seq, err := o.append(ctx, now, entries)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Int64("admit.seq", int64(seq)))
	}
	return seq, err
}

func (o *Office) append(ctx context.Context, now time.Time, entries []boxoffice.Entry) (uint64, error) {
	data, err := boxoffice.EncodeBatch(o.buf[:0], boxoffice.Source(o.id), o.lastSeq, now, entries)
	if err != nil {
		return 0, err
	}
	o.buf = data[:0]
	msg := ledger.Message{Subject: o.subject, Data: data, Header: map[string]string{
		"Ce-Specversion":  "1.0",
		"Ce-Source":       boxoffice.Source(o.id),
		"Ce-Time":         now.UTC().Format(time.RFC3339Nano),
		"Content-Type":    boxoffice.BatchContentType,
		"Admit-Entries":   fmt.Sprint(len(entries)),
		"Admit-Appending": "box-office",
	}}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.cfg.AppendTimeout)
	defer cancel()
	start := time.Now()
	seq, err := o.led.Append(actx, msg, o.lastSeq)
	if o.cfg.Appended != nil {
		o.cfg.Appended(len(entries), time.Since(start), err != nil)
	}
	return seq, err
}

// reload answers every call of a failed batch with Unavailable and rebuilds
// the state from the ledger, which is the truth: the batch may or may not
// have been recorded. A fenced append means another writer owns the event;
// the office then stops.
func (o *Office) reload(ctx context.Context, batch []*call, cause error) error {
	o.waitSnapshot() // the load reads the latest one
	for _, c := range batch {
		c.reply <- reply{err: fault.Wrap(fault.Unavailable, cause, "could not record the change; try again")}
	}
	if errors.Is(cause, ledger.ErrFenced) {
		return fmt.Errorf("office %s: %w", o.id, cause)
	}
	o.log.Error("box office append failed; reloading from the ledger", "err", cause)
	if err := o.load(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("office %s: reload after %v: %w", o.id, cause, err)
	}
	return nil
}

// snapshot stores the state with the sequence it covers, unless the stored
// one is current, and reports whether a current one is stored. A failure
// is logged: the ledger still has everything.
func (o *Office) snapshot(ctx context.Context) bool {
	o.waitSnapshot()
	return o.startSnapshot(ctx) && o.waitSnapshot()
}

// snapshotInBackground stores a snapshot without waiting for the store, so
// the event's requests wait for its encoding only, not for the object
// store's fsynced writes of tens of megabytes. One store at a time: while
// one is in flight, the next waits for a later batch.
func (o *Office) snapshotInBackground(ctx context.Context) {
	if o.storing != nil {
		select {
		case <-o.storing.done:
		default:
			return
		}
	}
	o.waitSnapshot()
	o.startSnapshot(ctx)
}

// snapshotStore is a snapshot being stored by a goroutine of its own.
// entries is what it covers beyond the snapshot before it; err is set
// before done is closed.
type snapshotStore struct {
	done    chan struct{}
	entries int
	err     error
}

// startSnapshot freezes the state on the box office's goroutine (it must
// see the state unchanged) and starts a goroutine encoding and storing it,
// unless the stored one is current. Freezing copies the hold records;
// encoding them takes ten times as long, which requests would wait for on
// this goroutine. No store may be in flight. It reports false when the
// state could not be frozen.
func (o *Office) startSnapshot(ctx context.Context) bool {
	if o.sinceSnap == 0 || o.state.Event == nil {
		return true
	}
	frozen, err := o.state.Freeze()
	if err != nil {
		o.log.Warn("box office snapshot failed", "err", err)
		return false
	}
	st := &snapshotStore{done: make(chan struct{}), entries: o.sinceSnap}
	o.storing, o.sinceSnap = st, 0
	seq := o.lastSeq
	go func() {
		defer close(st.done)
		data := frozen.AppendSnapshot(binary.BigEndian.AppendUint64(nil, seq))
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotTimeout)
		defer cancel()
		st.err = o.led.PutSnapshot(sctx, snapshotKey(o.id), data)
	}()
	return true
}

// waitSnapshot waits for the snapshot being stored, if any, and takes its
// outcome: a store that failed gives its entries back to sinceSnap, so a
// later batch tries again. It reports false for a failed store.
func (o *Office) waitSnapshot() bool {
	st := o.storing
	if st == nil {
		return true
	}
	<-st.done
	o.storing = nil
	if st.err != nil {
		o.log.Warn("box office snapshot failed", "err", st.err)
		o.sinceSnap += st.entries
		return false
	}
	return true
}

// arm sets the timer to the earliest hold expiry or, sooner, the time the
// office becomes idle.
func (o *Office) arm(t clock.Timer) {
	at := o.clock.Now().Add(time.Hour)
	if len(o.expiry) > 0 {
		at = o.expiry.next()
	}
	if o.cfg.IdleTimeout > 0 {
		if idle := o.usedAt.Add(o.cfg.IdleTimeout); idle.Before(at) {
			at = idle
		}
	}
	t.ResetAt(at)
}

// failQueued closes the queue and answers what is left in it.
func (o *Office) failQueued() {
	o.qmu.Lock()
	q := o.queued
	o.queued, o.closed = nil, true
	o.qmu.Unlock()
	for _, c := range q {
		c.reply <- reply{err: fault.New(fault.Unavailable, "the box office of this event stopped; try again")}
	}
}
