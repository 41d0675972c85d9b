// Package lease gives one node of a cluster at a time the right to act for
// a name, such as an event's box office, through a NATS KV bucket.
//
// A lease is a key of the bucket ADMIT_LEASES whose value is the holder's
// node name. The bucket's TTL is the lease's term: JetStream removes a key
// not written for that long, and any node may then create it again. The
// holder renews its lease by updating the key at the revision it last
// wrote (compare-and-swap) three times a term, and gives it up by deleting
// it at that revision. A holder counts its lease lost a tenth of a term
// before the server could remove it — measured from when it sent the write
// that the server then stored — so two nodes never both believe they hold
// one, as long as their clocks run at the same rate. A lease is a
// coordination device, not a proof: what a holder writes must still be
// fenced (the ledger's expected-last-sequence check is).
//
// The bucket answers nobody while it elects a leader (its server died),
// which takes NATS longer than a term. A holder still connected keeps its
// lease for ElectionGrace more, since no other node can take it either,
// and once the bucket answers it writes its key again if the TTL removed
// it and nothing was written in its place (a revision-0 update). The
// price: a holder on a NATS server cut off from the others keeps acting
// for up to ElectionGrace after another node took over; the fence stops
// its writes, not its reads.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/ledger"
)

// Bucket is the KV bucket of the leases.
const Bucket = "ADMIT_LEASES"

// DefaultTerm is a lease's term in a bucket this package creates, unless
// Open is given another: how long a node that died holds its leases.
const DefaultTerm = 3 * time.Second

// Leases are the leases of one node. Safe for concurrent use.
type Leases struct {
	kv   jetstream.KeyValue
	nc   *nats.Conn
	node string
	term time.Duration
	log  *slog.Logger

	beforeRenew func() // tests: runs before every renewal, to hold renewals back
}

// HeldError is Acquire's error when another node holds the lease.
type HeldError struct {
	Name   string
	Holder string // the holder's node name; "" when it could not be read
}

func (e *HeldError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("lease %s: held by another node", e.Name)
	}
	return fmt.Sprintf("lease %s: held by node %s", e.Name, e.Holder)
}

// Open opens the bucket, creating it (file storage, the given replicas,
// term as its TTL; DefaultTerm when 0) if it does not exist. An existing
// bucket keeps its term: every node uses the bucket's. node names this
// node; it must be unique in the cluster, per process (NodeName). nc
// belongs to the caller.
func Open(ctx context.Context, nc *nats.Conn, node string, term time.Duration, replicas int, log *slog.Logger) (*Leases, error) {
	if node == "" || !validKey(node) {
		return nil, fmt.Errorf("lease: node name %q: use letters, digits, '-', '_' and '.'", node)
	}
	if term == 0 {
		term = DefaultTerm
	}
	if term < 100*time.Millisecond {
		return nil, fmt.Errorf("lease: term %s is below 100ms", term)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: Bucket,
		Description: "admit leases: which node acts for an event's box office or a worker",
		Storage:     jetstream.FileStorage, Replicas: max(1, replicas), History: 1, TTL: term})
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease: bucket %s: %w", Bucket, err)
	}
	if st.TTL() <= 0 {
		return nil, fmt.Errorf("lease: bucket %s has no TTL: its leases would never expire", Bucket)
	}
	return &Leases{kv: kv, nc: nc, node: node, term: st.TTL(), log: log}, nil
}

// Node is this node's name.
func (l *Leases) Node() string { return l.node }

// Term is how long a lease lasts unless renewed.
func (l *Leases) Term() time.Duration { return l.term }

// askTimeout bounds one question to the bucket (Acquire, Holder): its
// answers take milliseconds, and a request sent as the connection died is
// never answered, which nats.go would otherwise wait 5 s for.
const askTimeout = time.Second

// Acquire takes the lease on name for this node, or fails with a
// *HeldError when another node holds it. The lease is renewed until
// Release, or until it is lost (Lease.Lost).
func (l *Leases) Acquire(ctx context.Context, name string) (*Lease, error) {
	if !validKey(name) {
		return nil, fmt.Errorf("lease %q: not a valid name", name)
	}
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	sent := time.Now()
	rev, err := l.kv.Create(ctx, name, []byte(l.node))
	if errors.Is(err, jetstream.ErrKeyExists) {
		held := &HeldError{Name: name}
		if e, err := l.kv.Get(ctx, name); err == nil {
			held.Holder = string(e.Value())
		}
		return nil, held
	}
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	ls := &Lease{l: l, name: name, rev: rev, renewed: sent,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go ls.keep()
	return ls, nil
}

// Holder returns the node holding the lease on name, "" when none does.
func (l *Leases) Holder(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	e, err := l.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lease %s: %w", name, err)
	}
	return string(e.Value()), nil
}

// Lease is a lease this node holds.
type Lease struct {
	l    *Leases
	name string
	lost chan struct{} // closed when the lease is lost
	stop chan struct{} // closed by Release
	done chan struct{} // closed when keep returns

	mu       sync.Mutex
	rev      uint64    // the revision of this node's last write
	renewed  time.Time // when that write was sent
	released bool
	why      error // why it was lost
}

// Name is the lease's name.
func (ls *Lease) Name() string { return ls.name }

// Lost is closed when the lease ends without Release: another node took
// it, or it could not be renewed within its term. The holder must stop
// acting for it.
func (ls *Lease) Lost() <-chan struct{} { return ls.lost }

// Err says why the lease was lost; nil while it is held.
func (ls *Lease) Err() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.why
}

// valid is how long after a write was sent the holder still counts on it:
// nine tenths of the term.
func (ls *Lease) valid() time.Duration { return ls.l.term - ls.l.term/10 }

// ElectionGrace is how much longer than valid a holder still connected to
// NATS counts on a lease it cannot renew because the bucket does not
// answer: while the bucket elects a leader (NATS's Raft takes 4 to 9 s,
// longer than a term), no node can take the lease either. A holder cut
// off NATS gets no grace: its connection is down, and other nodes may
// reach a leader it cannot.
const ElectionGrace = 10 * time.Second

// retryEvery paces the renewals of a lease past valid, in its grace.
const retryEvery = 250 * time.Millisecond

// keep renews the lease three times a term until Release or loss. A
// renewal that fails for want of an answer is tried again, at the next
// tick and then every retryEvery past valid; the lease is lost when the
// last good one is older than valid (plus ElectionGrace while the
// connection is up), or at once when the key is another node's. A key
// found gone, expired while the bucket had no leader, is written again
// if nothing was written in its place since: no other node took it.
func (ls *Lease) keep() {
	defer close(ls.done)
	every := ls.l.term / 3
	timer := time.NewTimer(every)
	defer timer.Stop()
	for {
		ls.mu.Lock()
		since := time.Since(ls.renewed)
		ls.mu.Unlock()
		left := ls.valid() - since
		if left <= 0 && (!ls.l.nc.IsConnected() || since >= ls.valid()+ElectionGrace) {
			ls.lose(errors.New("not renewed within its term"))
			return
		}
		wait := retryEvery
		if left > 0 {
			wait = min(every, left)
		}
		timer.Reset(wait)
		select {
		case <-ls.stop:
			return
		case <-timer.C:
		}
		ls.mu.Lock()
		rev, renewed := ls.rev, ls.renewed
		ls.mu.Unlock()
		if since := time.Since(renewed); since < every-every/10 {
			continue // woken early to check the deadline
		}
		if ls.l.beforeRenew != nil {
			ls.l.beforeRenew()
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), min(every, time.Second))
		next, err := ls.l.kv.Update(ctx, ls.name, []byte(ls.l.node), rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
			// Revision 0: the subject must be empty, its last entry (this
			// node's) expired and nobody's written since.
			if next, err = ls.l.kv.Update(ctx, ls.name, []byte(ls.l.node), 0); err == nil {
				ls.l.log.Info("lease kept: its key had expired, and no other node had taken it", "lease", ls.name)
			}
		}
		cancel()
		switch {
		case err == nil:
			ls.mu.Lock()
			ls.rev, ls.renewed = next, sent
			ls.mu.Unlock()
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyExists):
			ls.lose(fmt.Errorf("taken by another node: %w", err))
			return
		default:
			ls.l.log.Warn("lease renewal failed; trying again", "lease", ls.name, "err", err)
		}
	}
}

func (ls *Lease) lose(why error) {
	ls.mu.Lock()
	ls.why = fmt.Errorf("lease %s lost: %w", ls.name, why)
	ls.mu.Unlock()
	ls.l.log.Warn("lease lost", "lease", ls.name, "err", why)
	close(ls.lost)
}

// Release gives the lease up: it stops renewing it and deletes the key if
// this node still holds it, so another node can take it at once. It is
// safe to call more than once, and after the lease was lost.
func (ls *Lease) Release(ctx context.Context) error {
	ls.mu.Lock()
	if ls.released {
		ls.mu.Unlock()
		return nil
	}
	ls.released = true
	ls.mu.Unlock()
	close(ls.stop)
	<-ls.done
	select {
	case <-ls.lost:
		return nil
	default:
	}
	ls.mu.Lock()
	rev := ls.rev
	ls.mu.Unlock()
	if err := ls.l.kv.Delete(ctx, ls.name, jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("lease %s: release: %w", ls.name, err)
	}
	return nil
}

// validKey accepts what a NATS KV key may be: letters, digits, '-', '_',
// '=', '/' and '.', not starting or ending with '.'.
func validKey(k string) bool {
	if k == "" || k[0] == '.' || k[len(k)-1] == '.' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=' || c == '/' || c == '.') {
			return false
		}
	}
	return true
}
