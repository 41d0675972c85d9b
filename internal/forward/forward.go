// Package forward lets any node of a cluster answer any request: a request
// for an event whose box office runs on another node is sent to that node
// over NATS, answered there by its own HTTP handler, and the answer relayed
// as it came. Problems, Idempotency-Key replays and every other answer are
// therefore the owner's, whichever node a client reached.
//
// A request travels as HTTP/1.1 on the wire (Request.Write), on the subject
// admit.node.<node>.http of the node holding the event's lease, with the
// client's address in a header; the answer comes back the same way
// (Response.Write). A forwarded request is never forwarded again: a node
// that no longer owns the event answers it itself (503, owned elsewhere).
package forward

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/tracing"
)

// Headers of a forwarded request.
const (
	ForwardedBy = "Admit-Forwarded-By" // the node that forwarded it; set, the request is not forwarded again
	clientAddr  = "Admit-Client"       // the client's address as the forwarding node saw it (RemoteAddr)
)

// Subject is the subject a node takes forwarded requests on.
func Subject(node string) string { return "admit.node." + node + ".http" }

// Config is what a Forwarder needs.
type Config struct {
	Conn  *nats.Conn
	Node  string       // this node's name, as its leases carry it
	Local http.Handler // this node's own handler
	// Runs reports whether the event's box office runs on this node: then
	// the request is answered here without asking anyone.
	Runs func(eventID string) bool
	// Holder returns the node holding the event's lease, "" when none.
	// It is asked for every request of an event that runs elsewhere: it
	// must remember what it found for a while (office.Leased.Holder).
	Holder func(ctx context.Context, eventID string) (string, error)
	// MaxBody is the largest request body forwarded; a larger one is
	// answered here (the handler refuses it).
	MaxBody int64
	// BodyRoutes name the event of requests whose path names none, by
	// their method and path ("POST /api/v1/webhooks/stripe"): Event reads
	// it from the body, of at most Max bytes; "" answers the request here.
	// The owner checks such a request as if it had come to it directly.
	BodyRoutes map[string]BodyRoute
	// Reconnected, when set, gives a channel closed when the connection
	// next comes back after a drop: a forwarded request waiting then has
	// lost its answer, and is answered here instead of waiting out
	// Timeout (ledger.JetStream.Reconnected).
	Reconnected func() <-chan struct{}
	// Problem answers a request with an error as the API does
	// (web.WriteProblem).
	Problem func(w http.ResponseWriter, r *http.Request, err error)
	Log     *slog.Logger
}

// BodyRoute finds the event of a request in its body.
type BodyRoute struct {
	Max   int64
	Event func(body []byte) string
}

// Forwarder is an http.Handler in front of the node's own.
type Forwarder struct {
	cfg       Config
	sub       *nats.Subscription
	stopOnce  sync.Once
	inFlight  chan struct{} // bounds the forwarded requests answered at once
	forwarded atomic.Int64

	// The answers to this node's forwarded requests come to one
	// subscription, replies.<n>, each to the channel waiting for it.
	replies  string
	repliesS *nats.Subscription
	mu       sync.Mutex
	waiting  map[string]chan *nats.Msg
	next     atomic.Uint64
}

// While it answers a forwarded request, the owner says so every beatEvery
// (and once at once, on receipt); the forwarding node gives up on an
// answer after silence without a word, its request or its answer lost
// with a NATS server, instead of waiting out Timeout.
const (
	beatEvery  = 250 * time.Millisecond
	silence    = 2 * time.Second
	beatHeader = "Admit-Forward-Working"
)

// Timeout bounds one forwarded request: above the 10 seconds a box office
// gives an append before it answers 503 itself, so an answer that is
// coming is waited for. A request or answer lost with a NATS server costs
// less: the owner keeps saying it is working on it, and silence ends the
// wait sooner. The request is then answered here: 503.
const Timeout = 12 * time.Second

// New returns a Forwarder; Start makes it answer other nodes.
func New(cfg Config) *Forwarder {
	return &Forwarder{cfg: cfg, inFlight: make(chan struct{}, 1024), waiting: make(map[string]chan *nats.Msg)}
}

// Forwarded is how many requests this node sent to another.
func (f *Forwarder) Forwarded() int64 { return f.forwarded.Load() }

// Start answers the requests other nodes forward to this one, until Stop;
// ctx bounds each of them.
func (f *Forwarder) Start(ctx context.Context) error {
	sub, err := f.cfg.Conn.Subscribe(Subject(f.cfg.Node), func(m *nats.Msg) {
		select {
		case f.inFlight <- struct{}{}:
		default:
			f.refuse(m, "the node that runs this event is answering too many forwarded requests; try again")
			return
		}
		go func() {
			defer func() { <-f.inFlight }()
			f.answer(ctx, m)
		}()
	})
	if err != nil {
		return err
	}
	f.sub = sub
	f.replies = nats.NewInbox() + "."
	if f.repliesS, err = f.cfg.Conn.Subscribe(f.replies+"*", f.deliver); err != nil {
		return err
	}
	return f.cfg.Conn.Flush() // the server has the subscriptions before the node says it serves
}

// deliver hands an answer, or a word that one is coming, to the request
// waiting for it.
func (f *Forwarder) deliver(m *nats.Msg) {
	f.mu.Lock()
	ch := f.waiting[m.Subject]
	f.mu.Unlock()
	if m.Header.Get(beatHeader) != "" && len(ch) > 0 {
		return // a word is waiting already: room is kept for the answer
	}
	select {
	case ch <- m: // nil ch: nobody waits any more
	default:
	}
}

// Stop takes no more forwarded requests: the server stops sending them
// here, and those already delivered are answered first (a drain), so a
// node stopping leaves no forwarded request without an answer but those
// the server sent in the moment it took to hear of it. Stop waits up to
// Timeout for it.
func (f *Forwarder) Stop() { f.stopOnce.Do(f.stop) }

func (f *Forwarder) stop() {
	if f.sub == nil {
		return
	}
	defer f.repliesS.Unsubscribe()
	if err := f.sub.Drain(); err != nil {
		return
	}
	deadline := time.Now().Add(Timeout)
	for f.sub.IsValid() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the drain ends by itself; there is no channel for it
	}
	for range cap(f.inFlight) { // the answers in hand
		f.inFlight <- struct{}{}
	}
}

// EventID returns the event a path is about, "" when none: the API's
// /api/v1/events/{id}…, /api/v1/public/events/{id}… and the shop's
// /events/{id}….
func EventID(path string) string {
	for _, prefix := range []string{"/api/v1/events/", "/api/v1/public/events/", "/events/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			id, _, _ := strings.Cut(rest, "/")
			return id
		}
	}
	return ""
}

func (f *Forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(ForwardedBy) != "" {
		f.cfg.Local.ServeHTTP(w, r)
		return
	}
	var body []byte
	evID, maxBody := EventID(r.URL.Path), f.cfg.MaxBody
	if route, ok := f.cfg.BodyRoutes[r.Method+" "+r.URL.Path]; ok && evID == "" {
		var fits bool
		if body, fits = readBody(r, route.Max); fits {
			evID = route.Event(body)
		}
		maxBody = route.Max
	}
	if evID == "" || f.cfg.Runs(evID) {
		f.cfg.Local.ServeHTTP(w, r)
		return
	}
	node, err := f.cfg.Holder(r.Context(), evID)
	if err != nil || node == "" || node == f.cfg.Node {
		f.cfg.Local.ServeHTTP(w, r) // nobody runs it: this node takes the lease
		return
	}
	if body == nil {
		var fits bool
		if body, fits = readBody(r, maxBody); !fits {
			f.cfg.Local.ServeHTTP(w, r) // it answers as it does for such a body
			return
		}
	}
	resp, err := f.send(r, node, body)
	if err != nil {
		// The owner did not answer (it stopped, or the lease moved): this
		// node answers, as the owner's absence makes it (503, or it takes
		// the lease once it has run out).
		f.cfg.Log.Debug("forward: no answer; answering here", "event", evID, "node", node, "err", err)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.cfg.Local.ServeHTTP(w, r)
		return
	}
	defer resp.Body.Close()
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// readBody reads r's body, up to max bytes, and reports whether it was
// all; r's body reads the same afterwards either way.
func readBody(r *http.Request, max int64) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if body == nil {
		body = []byte{}
	}
	return body, err == nil && int64(len(body)) <= max
}

// send forwards r, with its body read, to node and reads the answer.
func (f *Forwarder) send(r *http.Request, node string, body []byte) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.Header.Set(ForwardedBy, f.cfg.Node)
	if tracing.Enabled() {
		// The owner's span is a child of this one, itself the child of the
		// client's: one trace across both nodes.
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracing.Tracer().Start(ctx, "forward", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("admit.node", node), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(out.Header))
	}
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		return nil, err
	}
	m := nats.NewMsg(Subject(node))
	m.Data = buf.Bytes()
	m.Header.Set(clientAddr, r.RemoteAddr)
	ctx, cancel := context.WithTimeout(r.Context(), Timeout)
	defer cancel()
	if f.cfg.Reconnected != nil {
		reconnected := f.cfg.Reconnected()
		go func() {
			select {
			case <-reconnected:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	reply, err := f.request(ctx, m)
	if err != nil {
		return nil, err
	}
	f.forwarded.Add(1)
	return http.ReadResponse(bufio.NewReader(bytes.NewReader(reply.Data)), out)
}

// errSilent is request's error when the owner went silent.
var errSilent = errors.New("forward: the node running the event went silent")

// request sends m and waits for its answer, as long as ctx allows and the
// owner keeps saying it is working on it.
func (f *Forwarder) request(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
	if f.replies == "" {
		return nil, errors.New("forward: not started")
	}
	m.Reply = f.replies + strconv.FormatUint(f.next.Add(1), 36)
	ch := make(chan *nats.Msg, 2)
	f.mu.Lock()
	f.waiting[m.Reply] = ch
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiting, m.Reply)
		f.mu.Unlock()
	}()
	if err := f.cfg.Conn.PublishMsg(m); err != nil {
		return nil, err
	}
	quiet := time.NewTimer(silence)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-quiet.C:
			return nil, errSilent
		case reply := <-ch:
			switch {
			case len(reply.Data) == 0 && reply.Header.Get("Status") == "503":
				return nil, nats.ErrNoResponders
			case reply.Header.Get(beatHeader) != "":
				quiet.Reset(silence)
			default:
				return reply, nil
			}
		}
	}
}

// answer runs a forwarded request through this node's handler and replies
// with its answer.
func (f *Forwarder) answer(ctx context.Context, m *nats.Msg) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(m.Data)))
	if err != nil {
		f.refuse(m, "the forwarded request could not be read; try again")
		return
	}
	req.RemoteAddr = m.Header.Get(clientAddr)
	rctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	rec := &recorder{header: make(http.Header)}
	stopBeats := f.beat(m)
	f.cfg.Local.ServeHTTP(rec, req.WithContext(rctx))
	stopBeats()
	f.reply(m, rec.response())
}

// beat tells the forwarding node that m is being answered, at once and
// every beatEvery, until the returned function is called.
func (f *Forwarder) beat(m *nats.Msg) (stop func()) {
	word := nats.NewMsg(m.Reply)
	word.Header.Set(beatHeader, f.cfg.Node)
	f.cfg.Conn.PublishMsg(word)
	done, beating := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(beating)
		t := time.NewTicker(beatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f.cfg.Conn.PublishMsg(word)
			}
		}
	}()
	return func() { close(done); <-beating }
}

// refuse answers m with an Unavailable problem saying why.
func (f *Forwarder) refuse(m *nats.Msg, why string) {
	rec := &recorder{header: make(http.Header)}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	f.cfg.Problem(rec, req, fault.New(fault.Unavailable, "%s", why))
	f.send1(m, rec.response())
}

// reply sends resp as m's answer; one too big for a NATS message is
// refused instead.
func (f *Forwarder) reply(m *nats.Msg, resp *http.Response) {
	if resp.ContentLength > f.cfg.Conn.MaxPayload()-64<<10 {
		f.refuse(m, "the answer is too large to relay from node "+f.cfg.Node+", which runs this event; ask it directly")
		return
	}
	f.send1(m, resp)
}

// send1 writes resp as m's answer.
func (f *Forwarder) send1(m *nats.Msg, resp *http.Response) {
	resp.ProtoMajor, resp.ProtoMinor = 1, 1
	var buf bytes.Buffer
	if err := resp.Write(&buf); err != nil {
		return
	}
	if err := m.Respond(buf.Bytes()); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		f.cfg.Log.Warn("forward: could not send an answer back", "err", err)
	}
}

// recorder is the ResponseWriter of a forwarded request.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) response() *http.Response {
	code := r.code
	if code == 0 {
		code = http.StatusOK
	}
	return &http.Response{StatusCode: code, Header: r.header, ContentLength: int64(r.body.Len()),
		Body: io.NopCloser(bytes.NewReader(r.body.Bytes()))}
}
