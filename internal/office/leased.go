package office

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admit-org/admit/internal/lease"
)

// Leased is the Owner of a node of a cluster: it runs an event's box
// office only while it holds the event's lease, "event.<event-id>" in
// lease.Bucket. Another node's lease is refused with *OwnedElsewhere.
type Leased struct {
	leases *lease.Leases
	held   atomic.Int64 // leases held now

	mu     sync.Mutex
	seen   map[string]heldAt // events recently found held elsewhere
	pruned time.Time         // when seen was last pruned
}

// heldAt is a lease found held by another node, and when.
type heldAt struct {
	err *OwnedElsewhere
	at  time.Time
}

// refusedFor is how long Leased answers from what it last found that an
// event's lease is another node's, instead of asking the bucket again:
// every request for such an event would otherwise cost two KV round
// trips.
const refusedFor = 250 * time.Millisecond

// knownFor is how long Holder remembers another node's lease to answer
// from when the bucket does not (while it elects a leader): forwarding to
// a node that no longer runs the event costs a 503, not answering at all
// costs the same for every request.
const knownFor = time.Minute

// NewLeased returns the Owner of the node whose leases are ls.
func NewLeased(ls *lease.Leases) *Leased { return &Leased{leases: ls, seen: make(map[string]heldAt)} }

// OwnedElsewhere is Acquire's error when another node holds the event's
// lease.
type OwnedElsewhere struct {
	EventID string
	Holder  string // the node; "" when unknown
}

func (e *OwnedElsewhere) Error() string {
	if e.Holder == "" {
		return "office: event " + e.EventID + " is owned by another node"
	}
	return "office: event " + e.EventID + " is owned by node " + e.Holder
}

// LeaseName is the name of an event's lease.
func LeaseName(eventID string) string { return "event." + eventID }

// releaseTimeout bounds giving a lease up; when it fails, the lease
// expires by its term instead.
const releaseTimeout = 5 * time.Second

// Acquire takes the event's lease; lost is called when it is lost.
func (o *Leased) Acquire(ctx context.Context, eventID string, lost func()) (func(), error) {
	o.mu.Lock()
	if h, ok := o.seen[eventID]; ok && time.Since(h.at) < refusedFor {
		o.mu.Unlock()
		return nil, h.err
	}
	o.mu.Unlock()
	ls, err := o.leases.Acquire(ctx, LeaseName(eventID))
	if held, ok := errors.AsType[*lease.HeldError](err); ok {
		e := &OwnedElsewhere{EventID: eventID, Holder: held.Holder}
		o.remember(e)
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	delete(o.seen, eventID)
	o.mu.Unlock()
	o.held.Add(1)
	released := make(chan struct{})
	go func() {
		select {
		case <-ls.Lost():
			lost()
		case <-released:
		}
	}()
	return func() {
		o.held.Add(-1)
		close(released)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		ls.Release(rctx)
	}, nil
}

// Holder is the node holding the event's lease, "" when none: as Acquire
// last found it, if within refusedFor, else as the bucket says now. The
// cluster's forwarding asks it for every request of an event that runs
// elsewhere.
func (o *Leased) Holder(ctx context.Context, eventID string) (string, error) {
	o.mu.Lock()
	h, ok := o.seen[eventID]
	o.mu.Unlock()
	if ok && time.Since(h.at) < refusedFor {
		return h.err.Holder, nil
	}
	node, err := o.leases.Holder(ctx, LeaseName(eventID))
	if err != nil {
		if ok && time.Since(h.at) < knownFor {
			return h.err.Holder, nil
		}
		return "", err
	}
	if node != "" && node != o.leases.Node() {
		o.remember(&OwnedElsewhere{EventID: eventID, Holder: node})
	}
	return node, nil
}

// remember notes that another node holds an event's lease: Acquire and
// Holder answer from it for refusedFor, and Holder for knownFor when the
// bucket does not answer.
func (o *Leased) remember(e *OwnedElsewhere) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	o.seen[e.EventID] = heldAt{e, now}
	if now.Sub(o.pruned) < time.Second {
		return
	}
	o.pruned = now
	for id, h := range o.seen { // keep the map to what Holder may answer from
		if now.Sub(h.at) >= knownFor {
			delete(o.seen, id)
		}
	}
}

// Held is the number of events whose leases this node holds (lost ones
// included until their box office has stopped).
func (o *Leased) Held() int { return int(o.held.Load()) }
