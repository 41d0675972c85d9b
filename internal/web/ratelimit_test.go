package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

// anyHold is a box office that grants every hold.
type anyHold struct{}

func (anyHold) Do(context.Context, string, boxoffice.Command, office.Render) (office.Result, error) {
	return office.Result{Decision: boxoffice.Decision{Ref: "ho_x"}, Value: map[string]string{"id": "ho_x"}}, nil
}
func (anyHold) Read(context.Context, string, office.Render) (any, error) { return nil, nil }
func (anyHold) View(context.Context, string) (*boxoffice.View, error)    { return nil, nil }

// oneToken is a read model that knows one organizer API token.
type oneToken struct{ hash string }

func (o oneToken) ActorByTokenHash(_ context.Context, hash string) (sqlite.Organizer, access.Actor, error) {
	if hash != o.hash {
		return sqlite.Organizer{}, access.Actor{}, fault.New(fault.NotFound, "no such token")
	}
	const org = "or_aaaaaaaaaaaaaaaaaaaa"
	return sqlite.Organizer{ID: org, Name: "Org"}, access.Actor{Kind: access.Token, ID: "tk_aaaaaaaaaaaaaaaaaaaa", OrganizerID: org, Role: access.Owner}, nil
}
func (oneToken) ListEvents(context.Context, string, string, int, string) ([]sqlite.EventRow, string, error) {
	return nil, "", nil
}
func (oneToken) CountEvents(context.Context, string) (int, error) { return 0, nil }
func (oneToken) Organizer(context.Context, string) (sqlite.Organizer, error) {
	return sqlite.Organizer{}, nil
}
func (oneToken) ListOrders(context.Context, sqlite.OrderFilter) ([]sqlite.OrderRow, string, error) {
	return nil, "", nil
}
func (oneToken) ExportOrders(context.Context, string, func(sqlite.OrderRow) error) error { return nil }
func (oneToken) ExportAttendees(context.Context, string, func(sqlite.AttendeeRow) error) error {
	return nil
}
func (oneToken) WaitFor(context.Context, uint64) error { return nil }

type limitRig struct {
	t     *testing.T
	s     *Server
	clock *clock.Fake
	token string
}

func newLimitRig(t *testing.T, l Limits, trusted ...netip.Prefix) *limitRig {
	return newLimitRigConfig(t, Config{Limits: l, TrustedProxies: trusted})
}

// newLimitRigConfig is newLimitRig with more of the server's Config.
func newLimitRigConfig(t *testing.T, cfg Config) *limitRig {
	token, hash := organizer.NewToken()
	c := clock.NewFake(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg.Offices, cfg.Read, cfg.Clock = anyHold{}, oneToken{hash}, c
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return &limitRig{t: t, s: New(cfg), clock: c, token: token}
}

const limitEvent = "ev_aaaaaaaaaaaaaaaaaaaa"

// hold posts a hold from the client address from.
func (g *limitRig) hold(from string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/v1/public/events/"+limitEvent+"/holds",
		strings.NewReader(`{"items":[{"ticket_type_id":"tt_aaaaaaaaaaaaaaaaaaaa","quantity":1}]}`))
	req.Header.Set("Content-Type", "application/json")
	return g.send(req, from, headers...)
}

// organizer gets the organizer with token from the client address from.
func (g *limitRig) organizer(from, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/api/v1/organizer", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return g.send(req, from)
}

func (g *limitRig) send(req *http.Request, from string, headers ...string) *httptest.ResponseRecorder {
	req.RemoteAddr = from
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	g.s.ServeHTTP(rec, req)
	return rec
}

// limited checks that rec is a 429 rate-limited problem whose Retry-After
// and retry_after_seconds are retry.
func limited(t *testing.T, rec *httptest.ResponseRecorder, retry string) {
	t.Helper()
	var p Problem
	json.Unmarshal(rec.Body.Bytes(), &p)
	if rec.Code != http.StatusTooManyRequests || p.Code != "rate-limited" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s, want 429 rate-limited problem+json", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Retry-After"); got != retry || itoa(uint64(p.RetryAfter)) != retry {
		t.Fatalf("Retry-After %q, retry_after_seconds %d; want %s", got, p.RetryAfter, retry)
	}
	if rec.Header().Get("RateLimit-Policy") == "" || rec.Header().Get("RateLimit") != `"`+strings.Split(strings.TrimPrefix(rec.Header().Get("RateLimit-Policy"), `"`), `"`)[0]+`";r=0;t=`+retry {
		t.Fatalf("RateLimit-Policy %q, RateLimit %q", rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit"))
	}
}

func TestHoldsBeyondTheBurstAreRateLimited(t *testing.T) {
	g := newLimitRig(t, Limits{Writes: Limit{Rate: 0.25, Burst: 5}})
	const buyer = "203.0.113.5:40000"
	for i := range 5 {
		if rec := g.hold(buyer); rec.Code != http.StatusCreated {
			t.Fatalf("hold %d within the burst: %d %s", i+1, rec.Code, rec.Body.String())
		}
	}
	rec := g.hold(buyer)
	limited(t, rec, "4") // a token every 4 s
	if got := rec.Header().Get("RateLimit-Policy"); got != `"writes";q=5;w=20` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if rec := g.hold("198.51.100.7:1234"); rec.Code != http.StatusCreated {
		t.Fatalf("another client is not limited by the first: %d %s", rec.Code, rec.Body.String())
	}
	// Retry-After is right: a second early is still too early, on time is not.
	g.clock.Advance(3 * time.Second)
	limited(t, g.hold(buyer), "1")
	g.clock.Advance(time.Second)
	if rec := g.hold(buyer); rec.Code != http.StatusCreated {
		t.Fatalf("after Retry-After: %d %s", rec.Code, rec.Body.String())
	}
	limited(t, g.hold(buyer), "4")
	// Every public write counts against the same bucket.
	for _, req := range []*http.Request{
		httptest.NewRequest("DELETE", "/api/v1/public/events/"+limitEvent+"/holds/ho_aaaaaaaaaaaaaaaaaaaaaaaaaa", nil),
		httptest.NewRequest("POST", "/api/v1/public/events/"+limitEvent+"/holds/ho_aaaaaaaaaaaaaaaaaaaaaaaaaa/extend", nil),
		httptest.NewRequest("POST", "/api/v1/public/events/"+limitEvent+"/orders", strings.NewReader(`{}`)),
	} {
		limited(t, g.send(req, buyer), "4")
	}
	if d := g.s.LimitWrite(httptest.NewRequest("POST", "/events/x/hold", nil)); d != 0 {
		// httptest's RemoteAddr is 192.0.2.1, a client of its own
		t.Fatalf("the shop's first post from a new client: wait %v", d)
	}
	shop := httptest.NewRequest("POST", "/events/x/hold", nil)
	shop.RemoteAddr = buyer
	if d := g.s.LimitWrite(shop); d != 4*time.Second {
		t.Fatalf("the shop's post from the limited client: wait %v, want 4s", d)
	}
}

func TestClientsBehindATrustedProxyAreLimitedApart(t *testing.T) {
	g := newLimitRig(t, Limits{Writes: Limit{Rate: 1, Burst: 1}}, netip.MustParsePrefix("10.0.0.0/8"))
	const proxy = "10.0.0.2:5000"
	if rec := g.hold(proxy, "X-Forwarded-For", "198.51.100.1"); rec.Code != http.StatusCreated {
		t.Fatalf("first client: %d", rec.Code)
	}
	limited(t, g.hold(proxy, "X-Forwarded-For", "198.51.100.1"), "1")
	if rec := g.hold(proxy, "X-Forwarded-For", "198.51.100.2"); rec.Code != http.StatusCreated {
		t.Fatalf("a second client behind the same proxy: %d", rec.Code)
	}
	// IPv6 clients count by their /64.
	if rec := g.hold("[2001:db8:1:2::1]:5000"); rec.Code != http.StatusCreated {
		t.Fatalf("first IPv6 client: %d", rec.Code)
	}
	limited(t, g.hold("[2001:db8:1:2:ffff::9]:5000"), "1")
	if rec := g.hold("[2001:db8:1:3::1]:5000"); rec.Code != http.StatusCreated {
		t.Fatalf("another /64: %d", rec.Code)
	}
}

func TestLoopbackIsExemptOnlyWhenConfigured(t *testing.T) {
	for _, exempt := range []bool{false, true} {
		g := newLimitRigConfig(t, Config{Limits: Limits{Writes: Limit{Rate: 1, Burst: 2}, AuthFailures: Limit{Rate: 1, Burst: 2}},
			ExemptLoopback: exempt})
		for _, from := range []string{"127.0.0.1:9000", "[::1]:9000", "127.8.9.10:9000"} {
			var holds, guesses int
			for range 10 {
				if rec := g.hold(from); rec.Code == http.StatusTooManyRequests {
					holds++
				}
				if rec := g.organizer(from, "admit_wrong"); rec.Code == http.StatusTooManyRequests {
					guesses++
				}
			}
			if exempt && (holds != 0 || guesses != 0) {
				t.Errorf("exempt loopback %s: %d holds and %d wrong tokens refused with 429, want none", from, holds, guesses)
			}
			if !exempt && (holds != 8 || guesses != 8) {
				t.Errorf("loopback %s without the exemption: %d holds and %d wrong tokens refused with 429, want 8 and 8", from, holds, guesses)
			}
		}
		g.hold("192.0.2.9:1")
		g.hold("192.0.2.9:1")
		limited(t, g.hold("192.0.2.9:1"), "1") // the exemption is for loopback only
	}
}

func TestFailedAuthenticationsAreRateLimited(t *testing.T) {
	g := newLimitRig(t, Limits{AuthFailures: Limit{Rate: 0.5, Burst: 3}})
	const guesser = "203.0.113.66:1000"
	wrong, _ := organizer.NewToken()
	for i := range 3 {
		if rec := g.organizer(guesser, wrong); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d within the burst: %d %s", i+1, rec.Code, rec.Body.String())
		}
	}
	limited(t, g.organizer(guesser, wrong), "2")
	// Out of tokens, even the right token is not looked at: else guessing
	// would go on, the 200 standing out among the 429s.
	limited(t, g.organizer(guesser, g.token), "2")
	if rec := g.organizer("198.51.100.3:1", g.token); rec.Code != http.StatusOK {
		t.Fatalf("another client with the right token: %d %s", rec.Code, rec.Body.String())
	}
	// Successes cost nothing.
	for range 10 {
		if rec := g.organizer("198.51.100.3:1", g.token); rec.Code != http.StatusOK {
			t.Fatalf("the right token again: %d", rec.Code)
		}
	}
	g.clock.Advance(2 * time.Second)
	if rec := g.organizer(guesser, g.token); rec.Code != http.StatusOK {
		t.Fatalf("after Retry-After, the right token: %d %s", rec.Code, rec.Body.String())
	}
}

func TestLimiterForgetsClientsWithinItsBound(t *testing.T) {
	l := newLimiter("writes", "writes", Limit{Rate: 1, Burst: 2}, false, 256)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	count := func() (n int) {
		for i := range l.shards {
			n += len(l.shards[i].buckets)
		}
		return n
	}
	for i := range 20_000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.take(a, now)
		l.take(a, now)
		if err := l.take(a, now); err == nil {
			t.Fatalf("client %v: a third write within the burst of 2 was allowed", a)
		}
	}
	if n := count(); n > 256 {
		t.Fatalf("%d clients remembered, want at most 256", n)
	}
	// Idle clients, whose buckets filled up again, are forgotten first.
	later := now.Add(time.Minute)
	var sh limiterShard
	sh.buckets = map[netip.Addr]*rate.Limiter{}
	busy := netip.MustParseAddr("192.0.2.1")
	for i := range 4 {
		sh.buckets[netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)})] = rate.NewLimiter(1, 2)
	}
	sh.buckets[busy] = rate.NewLimiter(1, 2)
	sh.buckets[busy].AllowN(later, 2)
	sh.evict(&limiter{limit: Limit{Rate: 1, Burst: 2}, max: 5}, later)
	if _, kept := sh.buckets[busy]; !kept || len(sh.buckets) != 1 {
		t.Fatalf("after evicting, %d clients left (busy kept: %v), want only the busy one", len(sh.buckets), kept)
	}
}

func BenchmarkLimiterTake(b *testing.B) {
	l := newLimiter("writes", "writes", Limit{Rate: 1e9, Burst: 1 << 30}, false, 0)
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			l.take(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), now)
		}
	})
}

// BenchmarkHoldRequest is a hold through the whole handler (on a box
// office that grants it at once), with the limits off, on for one client
// (a load test from one address without the exemption: every request
// takes the same bucket) and on for 1,024 clients.
func BenchmarkHoldRequest(b *testing.B) {
	body := []byte(`{"items":[{"ticket_type_id":"tt_aaaaaaaaaaaaaaaaaaaa","quantity":1}]}`)
	for _, c := range []struct {
		name    string
		limits  Limits
		clients int
	}{
		{"limits off", Limits{}, 1},
		{"limits on, one client", Limits{Writes: Limit{Rate: 1e9, Burst: 1 << 30}}, 1},
		{"limits on, 1024 clients", Limits{Writes: Limit{Rate: 1e9, Burst: 1 << 30}}, 1024},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := New(Config{Offices: anyHold{}, Clock: clock.Real{}, Limits: c.limits,
				Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					req := httptest.NewRequest("POST", "/api/v1/public/events/"+limitEvent+"/holds", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.RemoteAddr = "10.0." + itoa(uint64(i%c.clients/256)) + "." + itoa(uint64(i%c.clients%256)) + ":1"
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
				}
			})
		})
	}
}

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want rate.Limit
		str  string // Limit{want, 5}.String()
	}{
		{"10/s", 10, "10/s burst 5"},
		{"120/m", 2, "2/s burst 5"},
		{"1/m", rate.Limit(1.0 / 60), "1/m burst 5"},
		{"30/h", rate.Limit(30.0 / 3600), "30/h burst 5"},
		{"off", 0, "off"},
		{"0", 0, "off"},
	} {
		got, err := ParseRate(c.in)
		if err != nil || got != c.want || (Limit{got, 5}).String() != c.str {
			t.Errorf("ParseRate(%q) = %v, %v (%s); want %v (%s)", c.in, got, err, Limit{got, 5}, c.want, c.str)
		}
	}
	for _, bad := range []string{"", "10", "10/d", "-1/s", "x/s", "Inf/s", "NaN/s"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q): no error", bad)
		}
	}
}
