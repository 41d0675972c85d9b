package office

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
)

// Owner decides whether this node may run an event's box office. On a
// single node it always may (Local); in a cluster a lease decides (Leased).
// Acquire blocks until ownership is granted or refused; release gives it
// up. lost is called at most once, from any goroutine, when ownership ends
// before release: the office must then stop.
type Owner interface {
	Acquire(ctx context.Context, eventID string, lost func()) (release func(), err error)
}

// Local is the Owner of a single node: it owns every event.
type Local struct{}

// Acquire always grants ownership.
func (Local) Acquire(context.Context, string, func()) (func(), error) { return func() {}, nil }

// Manager starts box offices on first use and stops them on shutdown. An
// office that unloaded itself when idle is loaded again by the next command
// or read, or when a hold it left behind is due to expire.
// Its methods are safe for concurrent use.
type Manager struct {
	led   Ledger
	clock clock.Clock
	log   *slog.Logger
	cfg   Config
	owner Owner

	ctx    context.Context // set by Run; offices live as long as it
	wg     sync.WaitGroup
	mu     sync.RWMutex // guards ctx, closed, live and wakes
	closed bool
	live   map[string]*entry
	wakes  dueHeap       // unloaded events with a hold to expire
	rewake chan struct{} // holds a token when wakes changed

	warming atomic.Int64 // events Warm is still to load
}

// entry is an office being loaded or running. ready is closed once office
// or err is set.
type entry struct {
	ready  chan struct{}
	office *Office
	err    error
	woken  bool // loaded by wakeUp for a due hold expiry: a failed load is tried again
}

// NewManager returns a manager; call Run before using it.
func NewManager(led Ledger, clk clock.Clock, owner Owner, log *slog.Logger, cfg Config) *Manager {
	return &Manager{led: led, clock: clk, owner: owner, log: log, cfg: cfg.withDefaults(),
		live: make(map[string]*entry), rewake: make(chan struct{}, 1)}
}

// Run lets offices start, and when ctx ends waits for all of them to finish
// their current batch and store a snapshot. It always returns nil.
func (m *Manager) Run(ctx context.Context, started chan<- struct{}) error {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	close(started)
	m.wakeUp(ctx)
	m.mu.Lock()
	m.closed = true // no office starts after this, so wg.Wait below sees them all
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// Do runs cmd on the event's box office, starting it if needed.
// A command other than CreateEvent for an event that does not exist fails
// with NotFound without keeping an office for it.
func (m *Manager) Do(ctx context.Context, eventID string, cmd boxoffice.Command, render Render) (Result, error) {
	_, create := cmd.(*boxoffice.CreateEvent)
	for {
		e, err := m.office(ctx, eventID, create)
		if err != nil {
			return Result{}, err
		}
		r, err := e.office.Do(ctx, cmd, render)
		if !errors.Is(err, errUnloaded) {
			return r, err
		}
		m.drop(eventID, e) // it unloaded between the lookup and the call: load it again
	}
}

// Read runs render on the box office goroutine against the current state,
// in order with the commands: it sees every change acknowledged before it.
func (m *Manager) Read(ctx context.Context, eventID string, render Render) (any, error) {
	for {
		e, err := m.office(ctx, eventID, false)
		if err != nil {
			return nil, err
		}
		r, err := e.office.Do(ctx, nil, render)
		if !errors.Is(err, errUnloaded) {
			return r.Value, err
		}
		m.drop(eventID, e)
	}
}

// View returns the event's latest published view. Errors: NotFound when
// the event does not exist.
func (m *Manager) View(ctx context.Context, eventID string) (*boxoffice.View, error) {
	e, err := m.office(ctx, eventID, false)
	if err != nil {
		return nil, err
	}
	// An office that unloaded since keeps its last view, which is still
	// the event's: an office changes nothing once it unloads.
	return e.office.View(), nil
}

// warmWaitMax is how long Warm waits for one event's office before it
// goes on without it (the load goes on too): readiness does not hang on one
// event whose load neither ends nor fails.
const warmWaitMax = time.Minute

// Warm loads the box offices of the events, in the order given (the most
// important first), workers at a time, so that their first commands find
// them loaded. Ready reports Unavailable until each is loaded, failed to
// load (logged), or was waited for warmWaitMax. Warm returns at once; the
// channel is closed when it is done. Call it after Run has started.
func (m *Manager) Warm(eventIDs []string, workers int) <-chan struct{} {
	done := make(chan struct{})
	m.mu.Lock()
	ctx, closed := m.ctx, m.closed
	if ctx == nil || closed || len(eventIDs) == 0 {
		m.mu.Unlock()
		close(done)
		return done
	}
	m.warming.Add(int64(len(eventIDs)))
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		defer close(done)
		start := time.Now()
		var next, loaded atomic.Int64
		var wg sync.WaitGroup
		for range max(1, min(workers, len(eventIDs))) {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(eventIDs)); i = next.Add(1) - 1 {
					if m.warm(ctx, eventIDs[i]) {
						loaded.Add(1)
					}
					m.warming.Add(-1)
				}
			})
		}
		wg.Wait()
		m.log.Info("box offices of recent events loaded", "events", len(eventIDs), "loaded", loaded.Load(),
			"took", time.Since(start).Round(time.Millisecond).String())
	}()
	return done
}

// warm loads one event's office for Warm and reports whether it is loaded.
func (m *Manager) warm(ctx context.Context, eventID string) bool {
	wctx, cancel := context.WithTimeout(ctx, warmWaitMax)
	defer cancel()
	start := time.Now()
	_, err := m.office(wctx, eventID, false)
	switch {
	case err == nil:
		m.log.Debug("box office loaded", "event", eventID, "took", time.Since(start).Round(time.Millisecond).String())
		return true
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		m.log.Warn("box office still loading; readiness does not wait for it", "event", eventID, "waited", warmWaitMax)
	case !errors.Is(err, errNotFound) && ctx.Err() == nil:
		m.log.Warn("box office of a recent event could not be loaded; readiness does not wait for it", "event", eventID, "err", err)
	}
	return false
}

// Ready returns nil once the offices Warm was asked to load are loaded (or
// failed), else an Unavailable fault saying how many are left.
func (m *Manager) Ready() error {
	if n := m.warming.Load(); n > 0 {
		return fault.New(fault.Unavailable, "loading the box offices of %d recently busy events; try again", n)
	}
	return nil
}

// IsLoaded reports whether the event's box office is loaded or loading.
func (m *Manager) IsLoaded(eventID string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.live[eventID] != nil
}

var errNotFound = fault.New(fault.NotFound, "event not found")

// office returns the entry of an event's running office, loading it on
// first use.
func (m *Manager) office(ctx context.Context, eventID string, create bool) (*entry, error) {
	// The common case, a running office, takes only the read lock: every
	// request of an on-sale passes here.
	m.mu.RLock()
	e, open := m.live[eventID], m.ctx != nil && !m.closed
	m.mu.RUnlock()
	if e == nil || !open {
		var err error
		if e, err = m.entry(eventID, false); err != nil {
			return nil, err
		}
	}
	select {
	case <-e.ready: // the common case, checked without locking the channel
	default:
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	if !create && e.office.view.Load() == nil {
		m.forget(eventID, e) // do not keep offices for events that do not exist
		return nil, errNotFound
	}
	return e, nil
}

// entry returns the event's entry, starting its office when there is none;
// woken: for a hold expiry due (wakeUp).
func (m *Manager) entry(eventID string, woken bool) (*entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil || m.closed {
		return nil, fault.New(fault.Unavailable, "shutting down")
	}
	e := m.live[eventID]
	if e == nil {
		e = &entry{ready: make(chan struct{}), woken: woken}
		m.live[eventID] = e
		m.wg.Add(1)
		go m.start(eventID, e)
	}
	return e, nil
}

func (m *Manager) forget(eventID string, e *entry) {
	m.mu.Lock()
	if m.live[eventID] == e && e.office != nil && e.office.view.Load() == nil {
		delete(m.live, eventID)
		e.office.cancel()
	}
	m.mu.Unlock()
}

// start acquires ownership, loads and runs one office until the manager
// stops or the office fails.
func (m *Manager) start(eventID string, e *entry) {
	defer m.wg.Done()
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	fail := func(err error) {
		if _, elsewhere := errors.AsType[*OwnedElsewhere](err); elsewhere {
			// Not a failure: the node that owns it answers, and expires its holds.
			m.log.Debug("box office runs on another node", "event", eventID, "err", err)
			e.err = fault.Wrap(fault.Unavailable, err, "this event's box office runs on another node; try again")
		} else {
			m.log.Error("box office could not start", "event", eventID, "err", err)
			e.err = fault.Wrap(fault.Unavailable, err, "the box office of this event is unavailable; try again")
			if e.woken { // its due expiry must not wait for a request to load it
				m.wakeAt(eventID, m.clock.Now().Add(time.Second))
			}
		}
		m.drop(eventID, e)
		close(e.ready)
	}
	// Losing ownership stops the office as a shutdown does: it stores a
	// snapshot (derived, so harmless whoever writes next) and returns.
	release, err := m.owner.Acquire(ctx, eventID, cancel)
	if err != nil {
		fail(err)
		return
	}
	defer release()
	o := newOffice(eventID, m.led, m.clock, m.log, m.cfg)
	o.cancel = cancel
	if err := o.load(ctx); err != nil {
		fail(err)
		return
	}
	e.office = o
	close(e.ready)
	if err := o.run(ctx); err != nil {
		m.log.Error("box office stopped", "event", eventID, "err", err)
	}
	m.drop(eventID, e)
	if !o.nextExpiry.IsZero() {
		m.wakeAt(eventID, o.nextExpiry)
	}
}

// wakeAt has the event's office loaded at the time, unless it is then.
func (m *Manager) wakeAt(eventID string, at time.Time) {
	m.mu.Lock()
	m.wakes.push(due{at, eventID})
	m.mu.Unlock()
	select {
	case m.rewake <- struct{}{}:
	default:
	}
}

// wakeUp loads unloaded offices when a hold they left behind is due to
// expire (the office then expires it), until ctx ends.
func (m *Manager) wakeUp(ctx context.Context) {
	timer := m.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := m.clock.Now()
		var due []string
		m.mu.Lock()
		for len(m.wakes) > 0 && !m.wakes[0].at.After(now) {
			due = append(due, m.wakes.pop().id)
		}
		next := now.Add(time.Hour)
		if len(m.wakes) > 0 {
			next = m.wakes[0].at
		}
		m.mu.Unlock()
		for _, id := range due {
			if _, err := m.entry(id, true); err != nil {
				return // shutting down
			}
		}
		timer.ResetAt(next)
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		case <-m.rewake:
		}
	}
}

func (m *Manager) drop(eventID string, e *entry) {
	m.mu.Lock()
	if m.live[eventID] == e {
		delete(m.live, eventID)
	}
	m.mu.Unlock()
}

// Recents is what RecentEvents needs of the ledger. *ledger.JetStream and
// *ledger.Memory implement it.
type Recents interface {
	Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error)
}

// RecentEvents returns the events whose ledger subject got an entry within
// window before the ledger's last one, the most recently written first, at
// most limit of them: the events that had traffic before a restart.
func RecentEvents(ctx context.Context, led Recents, window time.Duration, limit int) ([]string, error) {
	subjects, err := led.Recent(ctx, Subject("*"), window, limit)
	if err != nil {
		return nil, fmt.Errorf("office: recent events: %w", err)
	}
	ids := make([]string, len(subjects))
	for i, s := range subjects {
		ids[i] = s[len(Subject("")):]
	}
	return ids, nil
}

// Loaded is the number of events whose box offices are loaded or loading.
func (m *Manager) Loaded() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.live)
}

// Queued is the number of commands and reads waiting in the queues of
// all loaded box offices.
func (m *Manager) Queued() int {
	m.mu.RLock()
	offices := make([]*Office, 0, len(m.live))
	for _, e := range m.live {
		select {
		case <-e.ready:
			if e.office != nil {
				offices = append(offices, e.office)
			}
		default:
		}
	}
	m.mu.RUnlock()
	n := 0
	for _, o := range offices {
		o.qmu.Lock()
		n += len(o.queued)
		o.qmu.Unlock()
	}
	return n
}

// Runs reports whether the event's box office is loaded and running on
// this node.
func (m *Manager) Runs(eventID string) bool {
	m.mu.RLock()
	e := m.live[eventID]
	m.mu.RUnlock()
	if e == nil {
		return false
	}
	select {
	case <-e.ready:
		return e.err == nil && e.office != nil
	default:
		return false
	}
}
