package web

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// NewHTTPServer returns the http.Server admit serves h with, its limits set
// for an on-sale: thousands of keep-alive connections from buyers, small
// requests, and no slow client allowed to hold a connection for long.
// Served on a LimitListener, it also tells the listener which connections
// are idle (so they can give way to new ones at the limit) and answers only
// health checks on the listener's spare connections.
func NewHTTPServer(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           spareGate(h),
		ReadHeaderTimeout: 5 * time.Second,  // slow headers (slowloris) are cut off
		ReadTimeout:       15 * time.Second, // a body is at most 64 KiB
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second, // idle buyers give their connection back
		MaxHeaderBytes:    16 << 10,         // a bearer token and a few headers; 431 beyond
		ErrorLog:          errLog,
		ConnState:         trackConnState,
		ConnContext:       spareConnContext,
	}
}

// DefaultMaxConns is how many connections a node serves at once by default.
const DefaultMaxConns = 16_384

// SpareConns is how many connections a LimitListener accepts beyond its
// limit when none of the others is idle, for health checks only.
const SpareConns = 8

// LimitListener accepts at most n connections at a time, so a flood cannot
// exhaust the process's file descriptors, and keeps that limit from
// locking out new clients and health checks:
//
//   - At the limit, a new connection takes the place of the connection
//     that has been idle the longest, which is closed (served by
//     NewHTTPServer's server, the listener knows which are idle). An idle
//     keep-alive connection costs its client nothing to give up, while a
//     newcomer would otherwise wait in the kernel's accept queue until
//     some idle timeout ran out: closing on demand keeps every idle
//     connection as long as no one needs its place, and makes no newcomer
//     wait for a timer. A client that sends a request just as its idle
//     connection is closed sees the connection close, as at any idle
//     timeout, and retries (HTTP/1.1 §9.3.1; Go, curl and browsers retry
//     idempotent requests and those with an Idempotency-Key).
//   - When no connection is idle, up to SpareConns more are accepted, each
//     for one request: /livez and /readyz are answered, anything else gets
//     503 unavailable (so a load balancer still learns the node's state
//     when every connection is busy, and the spares turn over fast).
//   - Beyond that, connections wait in the kernel's accept queue until one
//     closes.
//
// Every connection it returns also answers the errors net/http writes by
// itself (malformed requests, headers over the limit) as problem+json
// (problemConn). It is safe for concurrent use.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, max: n, spare: SpareConns,
		changed: make(chan struct{}), done: make(chan struct{})}
}

// limitListener's counts, idle list and changed channel are guarded by mu,
// and so are the idle flag and links of its connections (limitConn). mu is
// never held while calling into a connection or the network.
type limitListener struct {
	net.Listener
	max, spare int

	mu             sync.Mutex
	open, spares   int           // connections counted against max and spare
	oldest, newest *limitConn    // the idle connections, longest idle first
	changed        chan struct{} // closed (and replaced) when a place may have become free
	waiting        bool          // Accept waits on changed

	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	// Take no connection off the kernel's queue while there is no place
	// for it: the queue is the backpressure.
	for {
		wait := l.room()
		if wait == nil {
			break
		}
		select {
		case <-wait:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		spare, victim, wait := l.place()
		switch {
		case victim != nil:
			victim.Close() // frees its place; take it on the next round
			continue
		case wait != nil: // the idle connection seen by room became busy
			select {
			case <-wait:
				continue
			case <-l.done:
				c.Close()
				return nil, net.ErrClosed
			}
		}
		return &limitConn{problemConn: problemConn{Conn: c}, l: l, spare: spare}, nil
	}
}

// room returns nil when a new connection would find a place, else a
// channel closed when one may have become free.
func (l *limitListener) room() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open < l.max || l.oldest != nil || l.spares < l.spare {
		return nil
	}
	l.waiting = true
	return l.changed
}

// place takes a place for a new connection: a free one, else the longest
// idle connection's (victim, to be closed, then ask again), else a spare
// one; or, when none is left, a channel closed when one may be.
func (l *limitListener) place() (spare bool, victim *limitConn, wait <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.open < l.max:
		l.open++
		return false, nil, nil
	case l.oldest != nil:
		victim = l.oldest
		l.unlinkIdle(victim)
		return false, victim, nil
	case l.spares < l.spare:
		l.spares++
		return true, nil, nil
	}
	l.waiting = true
	return false, nil, l.changed
}

// signal wakes an Accept waiting for a place. Call with mu held.
func (l *limitListener) signal() {
	if !l.waiting {
		return // below the limit, nothing waits: no channel to make per request
	}
	l.waiting = false
	close(l.changed)
	l.changed = make(chan struct{})
}

// unlinkIdle takes c off the idle list, if it is on it. Call with mu held.
func (l *limitListener) unlinkIdle(c *limitConn) {
	if !c.idle.Load() {
		return
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.oldest = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.newest = c.prev
	}
	c.prev, c.next = nil, nil
	c.idle.Store(false)
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn is a connection of a limitListener. Closing it frees its place.
type limitConn struct {
	problemConn
	l     *limitListener
	spare bool // accepted beyond the limit: health checks only

	once       sync.Once
	idle       atomic.Bool // on l's idle list; changed with l.mu held
	prev, next *limitConn  // l's idle list, guarded by l.mu
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		l := c.l
		l.mu.Lock()
		defer l.mu.Unlock()
		l.unlinkIdle(c)
		if c.spare {
			l.spares--
		} else {
			l.open--
		}
		l.signal()
	})
	return err
}

// Read marks the connection busy as soon as a request's first bytes
// arrive, before net/http reports it active (only once the whole header is
// read), so a request on its way in is not cut off to make room.
func (c *limitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.setIdle(false)
	}
	return n, err
}

// setIdle puts the connection on its listener's idle list, or takes it off.
// Only the connection's own goroutine (net/http's, in ConnState and Read)
// puts it on, so taking it off needs no lock when it is not on.
func (c *limitConn) setIdle(idle bool) {
	if !idle && !c.idle.Load() {
		return
	}
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if !idle {
		l.unlinkIdle(c)
		return
	}
	if c.idle.Load() {
		return
	}
	c.prev, c.next = l.newest, nil
	if l.newest != nil {
		l.newest.next = c
	} else {
		l.oldest = c
	}
	l.newest = c
	c.idle.Store(true)
	l.signal()
}

// trackConnState tells a LimitListener which of its connections are idle
// keep-alive connections (http.Server.ConnState).
func trackConnState(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	switch s {
	case http.StateIdle:
		lc.setIdle(true)
	case http.StateActive, http.StateHijacked, http.StateClosed:
		lc.setIdle(false)
	}
}

type spareKey struct{}

// spareConnContext marks the requests of a LimitListener's spare
// connections (http.Server.ConnContext).
func spareConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitConn); ok && lc.spare {
		return context.WithValue(ctx, spareKey{}, true)
	}
	return ctx
}

// healthPaths are the routes a spare connection serves.
var healthPaths = map[string]bool{"/livez": true, "/readyz": true}

// spareGate serves one request per spare connection: a health check, or a
// 503 for anything else.
func spareGate(h http.Handler) http.Handler {
	discard := slog.New(slog.DiscardHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(spareKey{}) == nil {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		if healthPaths[r.URL.Path] {
			h.ServeHTTP(w, r)
			return
		}
		writeProblem(w, r, discard, fault.New(fault.Unavailable,
			"the server is serving as many connections as it may; try again"))
	})
}
