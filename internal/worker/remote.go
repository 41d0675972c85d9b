package worker

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// Remote lets a worker running on one node of a cluster handle an entry on
// the node that runs the entry's event: a handler's box-office calls (a
// PaymentIntent recorded, a signing key added, the tickets read) can only
// be made where the event's box office runs. The worker still handles one
// entry at a time, in ledger order, from its one position; only where each
// handler call runs moves.
//
// An entry travels as a ledger message of one entry on the subject
// admit.node.<node>.work, with the worker's name, the event, the sequence
// and the index in headers; the answer carries the handler's error, kind
// and code, which the worker takes as if the handler had run here.
type Remote struct {
	cfg RemoteConfig

	mu       sync.Mutex
	handlers map[string]Handler
	sub      *nats.Subscription
	inFlight chan struct{}
}

// RemoteConfig is what a Remote needs.
type RemoteConfig struct {
	Conn *nats.Conn
	Node string // this node's name, as its leases carry it
	// Runs reports whether the event's box office runs on this node.
	Runs func(eventID string) bool
	// Holder returns the node holding the event's lease, "" when none
	// (office.Leased.Holder).
	Holder func(ctx context.Context, eventID string) (string, error)
	Log    *slog.Logger
}

// RemoteTimeout bounds one entry handled on another node: above what a
// handler takes (an e-mail with its PDF sent over SMTP, a call to Stripe).
// An entry whose answer did not come in time is handled again: handlers
// are idempotent.
const RemoteTimeout = 30 * time.Second

// Headers of an entry sent to another node, and of its answer.
const (
	hdrWorker    = "Admit-Worker"
	hdrEvent     = "Admit-Event"
	hdrSeq       = "Admit-Seq"
	hdrIndex     = "Admit-Index"
	hdrErrorKind = "Admit-Error-Kind" // absent: the handler succeeded
	hdrErrorCode = "Admit-Error-Code"
)

// WorkSubject is the subject a node takes other nodes' entries on.
func WorkSubject(node string) string { return "admit.node." + node + ".work" }

// NewRemote returns a Remote; Start makes it take other nodes' entries.
func NewRemote(cfg RemoteConfig) *Remote {
	return &Remote{cfg: cfg, handlers: make(map[string]Handler), inFlight: make(chan struct{}, 64)}
}

// Handler returns the handler a Runner named name uses: local where the
// entry's event runs on this node or on none (handling it here loads it),
// and for an organizer's entry; on the node that runs the event otherwise. It also makes local the one
// that handles the entries other nodes send for name.
func (rm *Remote) Handler(name string, local Handler) Handler {
	rm.mu.Lock()
	rm.handlers[name] = local
	rm.mu.Unlock()
	return func(ctx context.Context, e Entry) error {
		if e.OrganizerID != "" || rm.cfg.Runs(e.EventID) {
			return local(ctx, e) // an organizer's entry has no box office to run at: any node may handle it
		}
		node, err := rm.cfg.Holder(ctx, e.EventID)
		if err != nil {
			return fault.Wrap(fault.Unavailable, err, "worker %s: who runs event %s", name, e.EventID)
		}
		if node == "" || node == rm.cfg.Node {
			return local(ctx, e)
		}
		return rm.send(ctx, node, name, e)
	}
}

// send has node handle e for the worker name, and returns its error.
func (rm *Remote) send(ctx context.Context, node, name string, e Entry) error {
	data, err := boxoffice.EncodeBatch(nil, boxoffice.Source(e.EventID), e.Seq-1, e.At, []boxoffice.Entry{e.Entry})
	if err != nil {
		return err
	}
	m := nats.NewMsg(WorkSubject(node))
	m.Data = data
	m.Header.Set(hdrWorker, name)
	m.Header.Set(hdrEvent, e.EventID)
	m.Header.Set(hdrSeq, strconv.FormatUint(e.Seq, 10))
	m.Header.Set(hdrIndex, strconv.Itoa(e.Index))
	rctx, cancel := context.WithTimeout(ctx, RemoteTimeout)
	defer cancel()
	reply, err := rm.cfg.Conn.RequestMsgWithContext(rctx, m)
	if err != nil {
		// Gone, or too slow: the entry is tried again, maybe elsewhere.
		return fault.Wrap(fault.Unavailable, err, "worker %s: node %s, which runs event %s, did not answer", name, node, e.EventID)
	}
	kindName := reply.Header.Get(hdrErrorKind)
	if kindName == "" {
		return nil
	}
	kind, ok := fault.ParseKind(kindName)
	if !ok {
		kind = fault.Internal
	}
	return &fault.Error{Kind: kind, Code: reply.Header.Get(hdrErrorCode),
		Message: "on node " + node + ": " + string(reply.Data)}
}

// Start takes the entries other nodes send this one, until Stop; ctx
// bounds each.
func (rm *Remote) Start(ctx context.Context) error {
	sub, err := rm.cfg.Conn.Subscribe(WorkSubject(rm.cfg.Node), func(m *nats.Msg) {
		select {
		case rm.inFlight <- struct{}{}:
		default:
			rm.answer(m, fault.New(fault.Unavailable, "node %s is handling too many entries for other nodes", rm.cfg.Node))
			return
		}
		go func() {
			defer func() { <-rm.inFlight }()
			rm.answer(m, rm.run(ctx, m))
		}()
	})
	if err != nil {
		return err
	}
	rm.mu.Lock()
	rm.sub = sub
	rm.mu.Unlock()
	return rm.cfg.Conn.Flush()
}

// Stop takes no more entries; those being handled are answered first.
func (rm *Remote) Stop() {
	rm.mu.Lock()
	sub := rm.sub
	rm.sub = nil
	rm.mu.Unlock()
	if sub == nil {
		return
	}
	if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		rm.cfg.Log.Warn("worker: could not stop taking other nodes' entries", "err", err)
	}
	for range cap(rm.inFlight) { // the entries in hand
		rm.inFlight <- struct{}{}
	}
}

// run handles the entry another node sent, with this node's handler.
func (rm *Remote) run(ctx context.Context, m *nats.Msg) error {
	name := m.Header.Get(hdrWorker)
	rm.mu.Lock()
	h := rm.handlers[name]
	rm.mu.Unlock()
	if h == nil {
		return fault.New(fault.Unavailable, "node %s has no worker %q (yet)", rm.cfg.Node, name)
	}
	seq, err1 := strconv.ParseUint(m.Header.Get(hdrSeq), 10, 64)
	index, err2 := strconv.Atoi(m.Header.Get(hdrIndex))
	batch, err3 := boxoffice.DecodeBatch(m.Data)
	if err := errors.Join(err1, err2, err3); err != nil || len(batch) != 1 {
		return fault.Wrap(fault.Internal, err, "worker %s: an entry sent by another node could not be read", name)
	}
	hctx, cancel := context.WithTimeout(ctx, RemoteTimeout)
	defer cancel()
	return h(hctx, Entry{EventID: m.Header.Get(hdrEvent), Seq: seq, Index: index, At: batch[0].At, Entry: batch[0].Entry})
}

// answer replies to m with err: nothing for success, else its kind, code
// and message.
func (rm *Remote) answer(m *nats.Msg, err error) {
	reply := nats.NewMsg(m.Reply)
	if err != nil {
		kind, code := fault.KindOf(err), ""
		if fe := fault.As(err); fe != nil {
			code = fe.Code
		}
		reply.Header.Set(hdrErrorKind, kind.String())
		if code != "" {
			reply.Header.Set(hdrErrorCode, code)
		}
		reply.Data = []byte(err.Error())
	}
	if err := m.RespondMsg(reply); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		rm.cfg.Log.Warn("worker: could not answer another node's entry", "err", err)
	}
}
