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
}

// Timeout bounds one forwarded request: above the 10 seconds a box office
// gives an append before it answers 503 itself, so an answer that is
// coming is waited for, and short enough that one lost with a NATS server
// (its node's connection gone as it was sent) costs seconds, not the
// client's patience. It is then answered here: 503.
const Timeout = 12 * time.Second

// New returns a Forwarder; Start makes it answer other nodes.
func New(cfg Config) *Forwarder {
	return &Forwarder{cfg: cfg, inFlight: make(chan struct{}, 1024)}
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
	return f.cfg.Conn.Flush() // the server has the subscription before the node says it serves
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
	reply, err := f.cfg.Conn.RequestMsgWithContext(ctx, m)
	if err != nil {
		return nil, err
	}
	f.forwarded.Add(1)
	return http.ReadResponse(bufio.NewReader(bytes.NewReader(reply.Data)), out)
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
	f.cfg.Local.ServeHTTP(rec, req.WithContext(rctx))
	f.reply(m, rec.response())
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
