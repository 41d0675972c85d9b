package web

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/admit-org/admit/internal/fault"
)

// Limit is a token bucket per client: Rate tokens a second, at most Burst
// at once. A zero Rate or Burst means no limit.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

// On reports whether the limit limits anything.
func (l Limit) On() bool { return l.Rate > 0 && l.Burst > 0 }

// String is the limit as people read it and --rate-limit-* flags take it:
// "10/s burst 40", "1/m burst 5", or "off".
func (l Limit) String() string {
	if !l.On() {
		return "off"
	}
	n, unit := float64(l.Rate), "/s"
	if n < 1 {
		n, unit = n*60, "/m"
		if n < 1 {
			n, unit = n*60, "/h"
		}
	}
	return strconv.FormatFloat(n, 'g', 4, 64) + unit + " burst " + strconv.Itoa(l.Burst)
}

// ParseRate reads a rate such as "10/s", "120/m" or "3600/h" ("off" or
// "0": none), for the --rate-limit-* flags.
func ParseRate(s string) (rate.Limit, error) {
	if s == "off" || s == "0" {
		return 0, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
	v, err := strconv.ParseFloat(n, 64)
	if !ok || per == 0 || err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a rate: want a number per second, minute or hour, such as 10/s or 120/m, or off", s)
	}
	return rate.Limit(v / per), nil
}

// Limits are the per-client rate limits of a Server. The zero value limits
// nothing. The client is Server.client: the connection's peer, or the
// first untrusted X-Forwarded-For hop behind a trusted proxy; IPv6 clients
// count by their /64, which one subscriber usually has whole.
type Limits struct {
	// Writes limits the buyers' writes: holds, orders, releasing and
	// extending holds, through the API and the shop's forms alike.
	Writes Limit
	// AuthFailures limits failed organizer authentications: each 401 costs
	// a token, and a client without one gets 429 before its token is even
	// looked at, so guessing tokens is as slow as the limit.
	AuthFailures Limit
	// MaxClients bounds the clients remembered per limit (0: 65,536). A
	// client whose bucket has filled up again is forgotten first, which
	// loses nothing: a new bucket starts full.
	MaxClients int
}

// String says which limits are in force, for logs and the bench.
func (l Limits) String() string {
	return "writes " + l.Writes.String() + ", failed authentications " + l.AuthFailures.String() + " per client"
}

// limiterShards spreads the clients of a limiter over this many maps, each
// with its own lock, so concurrent requests from different clients rarely
// wait for one another.
const limiterShards = 64

// limiter keeps a token bucket per client. It is safe for concurrent use.
// Lock order: a shard's mu, then (inside x/time/rate) a bucket's own; a
// bucket is never used with its shard's mu held, except by evict.
type limiter struct {
	name   string // the policy's name in RateLimit-Policy
	what   string // what it counts, for the problem's detail
	limit  Limit
	exempt bool // loopback clients are not limited
	max    int  // buckets per shard
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]*rate.Limiter
}

// newLimiter returns a limiter, or nil when l limits nothing (a nil
// limiter allows everything).
func newLimiter(name, what string, l Limit, exemptLoopback bool, maxClients int) *limiter {
	if !l.On() {
		return nil
	}
	if maxClients <= 0 {
		maxClients = 1 << 16
	}
	return &limiter{name: name, what: what, limit: l, exempt: exemptLoopback, max: max(1, maxClients/limiterShards)}
}

func (l *limiter) shard(a netip.Addr) *limiterShard {
	b := a.As16()
	h := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return &l.shards[h>>58] // the top 6 bits: 64 shards
}

// bucket returns the client's bucket; create: make one when there is none
// (else nil).
func (l *limiter) bucket(a netip.Addr, now time.Time, create bool) *rate.Limiter {
	sh := l.shard(a)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[a]
	if b == nil && create {
		if sh.buckets == nil {
			sh.buckets = make(map[netip.Addr]*rate.Limiter)
		} else if len(sh.buckets) >= l.max {
			sh.evict(l, now)
		}
		b = rate.NewLimiter(l.limit.Rate, l.limit.Burst)
		sh.buckets[a] = b
	}
	return b
}

// evict forgets the clients whose buckets are full again (they are as good
// as new); if that frees nothing, as under a flood from many addresses, it
// forgets an arbitrary eighth, so the map stays bounded.
func (sh *limiterShard) evict(l *limiter, now time.Time) {
	full := float64(l.limit.Burst)
	for a, b := range sh.buckets {
		if b.TokensAt(now) >= full {
			delete(sh.buckets, a)
		}
	}
	if len(sh.buckets) < l.max {
		return
	}
	n := max(1, len(sh.buckets)/8)
	for a := range sh.buckets { // map order is random
		delete(sh.buckets, a)
		if n--; n == 0 {
			break
		}
	}
}

func (l *limiter) exempted(a netip.Addr) bool { return l == nil || (l.exempt && a.IsLoopback()) }

// take spends a token of the client's, or, when it has none, returns the
// rate-limited error saying how long to wait.
func (l *limiter) take(a netip.Addr, now time.Time) error {
	if l.exempted(a) {
		return nil
	}
	a = clientGroup(a)
	b := l.bucket(a, now, true)
	if b.AllowN(now, 1) {
		return nil
	}
	return l.refusal(b, now)
}

// check returns the rate-limited error when the client has no token left,
// without spending one or remembering a new client.
func (l *limiter) check(a netip.Addr, now time.Time) error {
	if l.exempted(a) {
		return nil
	}
	b := l.bucket(clientGroup(a), now, false)
	if b == nil || b.TokensAt(now) >= 1 {
		return nil
	}
	return l.refusal(b, now)
}

func (l *limiter) refusal(b *rate.Limiter, now time.Time) error {
	missing := 1 - b.TokensAt(now)
	wait := time.Duration(missing / float64(l.limit.Rate) * float64(time.Second))
	return &rateLimited{limiter: l, wait: wait}
}

// rateLimited is the error of a request refused by a limiter: a
// RateLimited fault that also knows how long to wait, for Retry-After and
// the RateLimit fields.
type rateLimited struct {
	limiter *limiter
	wait    time.Duration
}

func (e *rateLimited) Error() string { return e.Unwrap().Error() }

func (e *rateLimited) Unwrap() error {
	return fault.Coded(fault.RateLimited, "rate-limited",
		"too many %s from this address (at most %s); wait %d s and try again", e.limiter.what, e.limiter.limit, e.seconds())
}

// seconds is the wait rounded up to whole seconds, at least 1.
func (e *rateLimited) seconds() int {
	return max(1, int(math.Ceil(e.wait.Seconds())))
}

// headers are the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers):
// the policy, a quota of Burst requests per the window that refills it,
// and that none is left for the next t seconds.
func (e *rateLimited) headers() (policy, state string) {
	l := e.limiter.limit
	window := max(1, int(math.Ceil(float64(l.Burst)/float64(l.Rate))))
	return fmt.Sprintf(`"%s";q=%d;w=%d`, e.limiter.name, l.Burst, window),
		fmt.Sprintf(`"%s";r=0;t=%d`, e.limiter.name, e.seconds())
}
