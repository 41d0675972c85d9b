package web

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/printer"
	"github.com/admit-org/admit/internal/sqlite"
)

// Offices is what the API needs of the box offices (*office.Manager).
type Offices interface {
	Do(ctx context.Context, eventID string, cmd boxoffice.Command, render office.Render) (office.Result, error)
	Read(ctx context.Context, eventID string, render office.Render) (any, error)
	View(ctx context.Context, eventID string) (*boxoffice.View, error)
}

// ReadModel is what the API needs of the read model (*sqlite.DB).
type ReadModel interface {
	ActorByTokenHash(ctx context.Context, hash string) (sqlite.Organizer, access.Actor, error)
	Organizer(ctx context.Context, id string) (sqlite.Organizer, error)
	ListEvents(ctx context.Context, organizerID, status string, limit int, cursor string) ([]sqlite.EventRow, string, error)
	CountEvents(ctx context.Context, organizerID string) (int, error)
	ListOrders(ctx context.Context, f sqlite.OrderFilter) ([]sqlite.OrderRow, string, error)
	// The exports: an event's orders and tickets, one at a time, in bounded memory.
	ExportOrders(ctx context.Context, eventID string, fn func(sqlite.OrderRow) error) error
	ExportAttendees(ctx context.Context, eventID string, fn func(sqlite.AttendeeRow) error) error
	WaitFor(ctx context.Context, pos uint64) error // until the read model has applied the ledger up to pos, in pos's shard
}

var (
	_ Offices   = (*office.Manager)(nil)
	_ ReadModel = (*sqlite.DB)(nil)
)

// Server serves admit's HTTP API. Create it with New; it is an http.Handler
// safe for concurrent use.
type Server struct {
	offices      Offices
	read         ReadModel
	clock        clock.Clock
	log          *slog.Logger
	ready        func(context.Context) error
	openapi      []byte
	stripe       PaymentGateway // nil: card payments are not set up
	printer      *printer.Printer
	shop         http.Handler
	shopPatterns []string
	door         http.Handler // the door scanner, on /door/; nil: none
	console      http.Handler // the organizers' console, on /manage; nil: none
	links        links.Base
	trusted      []netip.Prefix // reverse proxies whose X-Forwarded-For counts
	tokenDesk    TokenDesk      // nil: the token routes answer unavailable
	tokenList    TokenLister
	teamDesk     TeamDesk // nil: the member routes answer unavailable
	team         TeamReader
	writes       *limiter // buyers' writes per client; nil: unlimited
	authFailures *limiter // failed authentications per client; nil: unlimited

	clientMACs     *sync.Pool                                      // HMACs keyed with the client secret, for the opaque client keys of the buyer limits (ClientKey)
	exemptLoopback bool                                            // loopback clients are exempt from the buyer limits
	maxEvents      int                                             // events per organizer; 0: no limit
	pauseHolds     func(ctx context.Context, eventID string) error // nil: never
	ledgerShards   int                                             // the ledger shards new events are spread over
	eventCounts    eventCounts                                     // events per organizer, for maxEvents

	mux      *http.ServeMux
	inFlight inFlight
	// wrote[k] is the highest ledger position in shard k this node's
	// requests produced; wroteShards is one more than the highest such k.
	wrote       [ledger.MaxShards]atomic.Uint64
	wroteShards atomic.Int32
}

// Config is what New needs.
type Config struct {
	Offices      Offices
	Read         ReadModel
	Clock        clock.Clock
	Log          *slog.Logger
	Ready        func(context.Context) error // nil when the node should get traffic, else an Unavailable fault saying why
	OpenAPI      []byte                      // the contract, served at /api/openapi.yaml
	Stripe       PaymentGateway              // nil when Stripe is not configured
	Keys         printer.Keyring             // the ticket signing keys; nil: tickets cannot be rendered
	Shop         http.Handler                // the buyer's web shop, served on shop.Patterns; nil: none
	ShopPatterns []string
	Door         http.Handler // the door scanner, served on /door and below; nil: none
	Console      http.Handler // the organizers' console, served on /manage and below; nil: none
	// Links is where people reach admit: the door setup links are under it.
	Links links.Base
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (ParseTrustedProxies); none: the connection's peer is.
	TrustedProxies []netip.Prefix
	// Tokens changes organizers' API tokens and TokenList lists them; nil:
	// the token routes answer unavailable.
	Tokens    TokenDesk
	TokenList TokenLister
	// Team changes organizers' members and profiles and TeamRead reads
	// them; nil: those routes answer unavailable.
	Team     TeamDesk
	TeamRead TeamReader
	// Limits are the per-client rate limits; the zero value: none.
	Limits Limits

	// ClientSecret keys the opaque client keys that the buyer limits count
	// by (ClientKey); every node of a cluster must have the same. Nil: a
	// random one, so the limits count afresh after a restart.
	ClientSecret []byte
	// ExemptLoopback exempts clients on a loopback address (127.0.0.0/8,
	// ::1) from the rate limits and the buyer limits: a load test from this
	// machine is one client. Off, a loopback client is limited like any
	// other. Behind a proxy on the same machine the client is the one the
	// proxy names, as long as TrustedProxies names that proxy.
	ExemptLoopback bool
	// MaxEventsPerOrganizer is how many events one organizer may create;
	// 0: no limit. See DefaultMaxEventsPerOrganizer.
	MaxEventsPerOrganizer int
	// PauseHolds returns the error a new hold on the event gets while its
	// holds are paused (the flag holds.paused: a Conflict with code
	// holds-paused), else nil. Nil: never paused. A retry with the
	// Idempotency-Key of a hold made before the pause still gets its hold.
	PauseHolds func(ctx context.Context, eventID string) error

	// LedgerShards is how many ledger shards new events are spread over
	// (their shard is in their id); 0 or 1: all in shard 0.
	LedgerShards int
}

// DefaultMaxEventsPerOrganizer is serve's default for
// Config.MaxEventsPerOrganizer: far more than an organizer sells in years,
// few enough that one token cannot fill a node's disk and read model.
const DefaultMaxEventsPerOrganizer = 10_000

// New returns the API handler.
func New(c Config) *Server {
	s := &Server{offices: c.Offices, read: c.Read, clock: c.Clock, log: c.Log, ready: c.Ready,
		openapi: c.OpenAPI, stripe: c.Stripe, printer: &printer.Printer{Offices: c.Offices, Keys: c.Keys}, shop: c.Shop, shopPatterns: c.ShopPatterns, door: c.Door, console: c.Console, links: c.Links,
		trusted: c.TrustedProxies, tokenDesk: c.Tokens, tokenList: c.TokenList, teamDesk: c.Team, team: c.TeamRead, mux: http.NewServeMux(),
		clientMACs: newClientMACs(c.ClientSecret), exemptLoopback: c.ExemptLoopback, maxEvents: c.MaxEventsPerOrganizer,
		pauseHolds: c.PauseHolds, ledgerShards: c.LedgerShards,
		writes:       newLimiter("writes", "writes", c.Limits.Writes, c.ExemptLoopback, c.Limits.MaxClients),
		authFailures: newLimiter("auth-failures", "failed authentications", c.Limits.AuthFailures, c.ExemptLoopback, c.Limits.MaxClients)}
	s.routes()
	return s
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler for an organizer's route.
type authedFunc func(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error

// actorKey is the request context's key of the actor an organizer's route
// was authenticated as (actorOf).
type actorKey struct{}

// actorOf is who asks, as the ledger records it ("token:tk_…"), on an
// organizer's route; "" elsewhere.
func actorOf(r *http.Request) string {
	if a, ok := r.Context().Value(actorKey{}).(access.Actor); ok {
		return a.String()
	}
	return ""
}

// actorFunc is a handler for an organizer's route that needs to know who
// asks, not only for which organizer.
type actorFunc func(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error

func (s *Server) routes() {
	methods := map[string][]string{}
	handle := func(method, path string, h handlerFunc) {
		methods[path] = append(methods[path], method)
		s.mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				writeProblem(w, r, s.log, err)
			}
		})
	}
	// Every organizer's route names the action it takes, and access
	// decides whether the token's role may take it.
	as := func(method, path string, action access.Action, h actorFunc) {
		handle(method, path, func(w http.ResponseWriter, r *http.Request) error {
			org, actor, err := s.authenticateLimited(r)
			if err != nil {
				return err
			}
			if err := access.Allow(actor, org.ID, action); err != nil {
				return err
			}
			return h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)), org, actor)
		})
	}
	authed := func(method, path string, action access.Action, h authedFunc) {
		as(method, path, action, func(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, _ access.Actor) error {
			return h(w, r, org)
		})
	}
	handle("GET", "/livez", s.livez)
	handle("GET", "/readyz", s.readyz)
	handle("GET", "/api/openapi.yaml", s.openAPI)

	authed("GET", "/api/v1/organizer", access.ReadEvents, s.getOrganizer)
	as("PATCH", "/api/v1/organizer", access.ManageProfile, s.updateOrganizer)
	authed("GET", "/api/v1/organizer/tokens", access.ReadTeam, s.listTokens)
	as("POST", "/api/v1/organizer/tokens", access.ManageTeam, s.createToken)
	as("DELETE", "/api/v1/organizer/tokens/{token_id}", access.ManageTeam, s.revokeToken)
	authed("GET", "/api/v1/organizer/members", access.ReadTeam, s.listMembers)
	as("POST", "/api/v1/organizer/members", access.ManageTeam, s.inviteMember)
	as("PATCH", "/api/v1/organizer/members/{member_id}", access.ManageTeam, s.changeMember)
	as("DELETE", "/api/v1/organizer/members/{member_id}", access.ManageTeam, s.removeMember)
	authed("POST", "/api/v1/events", access.ManageEvents, s.createEvent)
	authed("GET", "/api/v1/events", access.ReadEvents, s.listEvents)
	authed("GET", "/api/v1/events/{event_id}", access.ReadEvents, s.getEvent)
	authed("PATCH", "/api/v1/events/{event_id}", access.ManageEvents, s.updateEvent)
	authed("POST", "/api/v1/events/{event_id}/status", access.ManageEvents, s.changeStatus)
	authed("POST", "/api/v1/events/{event_id}/ticket-types", access.ManageEvents, s.createTicketType)
	authed("PATCH", "/api/v1/events/{event_id}/ticket-types/{ticket_type_id}", access.ManageEvents, s.updateTicketType)
	authed("POST", "/api/v1/events/{event_id}/quotas", access.ManageEvents, s.createQuota)
	authed("PATCH", "/api/v1/events/{event_id}/quotas/{quota_id}", access.ManageEvents, s.updateQuota)
	authed("GET", "/api/v1/events/{event_id}/orders", access.ReadOrders, s.listOrders)
	authed("GET", "/api/v1/events/{event_id}/orders/{order_id}", access.ReadOrders, s.getOrder)
	as("POST", "/api/v1/events/{event_id}/orders/{order_id}/mark-paid", access.ManageOrders, s.markPaid)
	as("POST", "/api/v1/events/{event_id}/orders/{order_id}/cancel", access.ManageOrders, s.cancelOrder)
	as("POST", "/api/v1/events/{event_id}/orders/{order_id}/refunds", access.ManageOrders, s.refundOrder)
	as("POST", "/api/v1/events/{event_id}/orders/{order_id}/resend-tickets", access.ManageOrders, s.resendTickets)
	authed("POST", "/api/v1/events/{event_id}/signing-keys", access.ManageKeys, s.rotateSigningKey)
	authed("POST", "/api/v1/events/{event_id}/signing-keys/{key_id}/retire", access.ManageKeys, s.retireSigningKey)
	authed("GET", "/api/v1/events/{event_id}/revocations", access.ReadCheckin, s.revocations)
	authed("GET", "/api/v1/events/{event_id}/check-in-lists", access.ReadCheckin, s.listCheckinLists)
	authed("POST", "/api/v1/events/{event_id}/check-in-lists", access.ManageDoor, s.createCheckinList)
	authed("GET", "/api/v1/events/{event_id}/check-in-lists/{list_id}", access.ReadCheckin, s.getCheckinList)
	authed("PATCH", "/api/v1/events/{event_id}/check-in-lists/{list_id}", access.ManageDoor, s.updateCheckinList)
	authed("GET", "/api/v1/events/{event_id}/check-in-conflicts", access.ReadCheckin, s.checkinConflicts)
	authed("GET", "/api/v1/events/{event_id}/tickets/{ticket_id}/scans", access.ReadCheckin, s.ticketScans)
	authed("GET", "/api/v1/events/{event_id}/door-devices", access.ReadCheckin, s.listDoorDevices)
	authed("POST", "/api/v1/events/{event_id}/door-devices", access.ManageDoor, s.createDoorDevice)
	authed("POST", "/api/v1/events/{event_id}/door-devices/{device_id}/revoke", access.ManageDoor, s.revokeDoorDevice)
	authed("GET", "/api/v1/events/{event_id}/exports/orders.csv", access.ExportOrders, s.exportOrders)
	authed("GET", "/api/v1/events/{event_id}/exports/attendees.csv", access.ExportOrders, s.exportAttendees)
	// The doors' routes: a door device's token or the organizer's.
	handle("GET", "/api/v1/events/{event_id}/door-bundle", s.doorBundle)
	handle("POST", "/api/v1/events/{event_id}/check-in-lists/{list_id}/scans", s.scanTicket)
	handle("POST", "/api/v1/events/{event_id}/check-in-lists/{list_id}/annulments", s.annulScan)

	handle("GET", "/api/v1/public/events/{event_id}", s.publicEvent)
	handle("GET", "/api/v1/public/events/{event_id}/availability", s.availability)
	handle("POST", "/api/v1/public/events/{event_id}/holds", s.createHold)
	handle("GET", "/api/v1/public/events/{event_id}/holds/{hold_id}", s.getHold)
	handle("DELETE", "/api/v1/public/events/{event_id}/holds/{hold_id}", s.releaseHold)
	handle("POST", "/api/v1/public/events/{event_id}/holds/{hold_id}/extend", s.extendHold)
	handle("POST", "/api/v1/public/events/{event_id}/orders", s.createOrder)
	handle("GET", "/api/v1/public/events/{event_id}/orders/{token}", s.publicOrder)
	handle("GET", "/api/v1/public/events/{event_id}/orders/{token}/tickets.pdf", s.ticketsPDF)
	handle("GET", "/api/v1/public/events/{event_id}/orders/{token}/tickets/{ticket_id}/qr.png", s.ticketPNG)
	handle("GET", "/api/v1/public/events/{event_id}/orders/{token}/tickets/{ticket_id}/qr.svg", s.ticketSVG)
	handle("GET", "/api/v1/public/events/{event_id}/signing-keys", s.publicSigningKeys)
	handle("POST", "/api/v1/webhooks/stripe", s.stripeWebhook)

	for path, ms := range methods {
		allow := strings.Join(slices.Sorted(slices.Values(append(ms, "HEAD"))), ", ")
		if !slices.Contains(ms, "GET") {
			allow = strings.Join(slices.Sorted(slices.Values(ms)), ", ")
		}
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, r, s.log, fault.Coded(fault.Invalid, "method-not-allowed",
				"%s is not allowed here; use %s", r.Method, allow))
		})
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.log, fault.New(fault.NotFound, "no such resource: %s", r.URL.Path))
	}
	s.mux.HandleFunc("/api/", notFound)
	if s.door != nil {
		s.mux.Handle("/door", s.door)
		s.mux.Handle("/door/", s.door)
	}
	if s.console != nil {
		s.mux.Handle("/manage", s.console)
		s.mux.Handle("/manage/", s.console)
	}
	if s.shop == nil {
		s.mux.HandleFunc("/", notFound)
		return
	}
	// Everything outside the API is the shop's: its pages, its assets, and
	// its own HTML "not found" for people who mistyped an address.
	s.mux.Handle("/", s.shop)
	for _, p := range s.shopPatterns {
		s.mux.Handle(p, s.shop)
	}
}

// ServeHTTP gives every request an id and a security baseline, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Request-Id"] = []string{newRequestID()}
	h["X-Content-Type-Options"] = headerNosniff
	s.mux.ServeHTTP(w, r)
}

var headerNosniff = []string{"nosniff"}

// newRequestID returns 16 random hex digits naming a request in logs and
// problems. They need to be unique, not secret: the runtime's generator
// is enough, and far cheaper than crypto/rand on every request.
func newRequestID() string {
	var r [8]byte
	binary.BigEndian.PutUint64(r[:], rand.Uint64())
	var b [16]byte
	hex.Encode(b[:], r[:])
	return string(b[:])
}

// client is the address of the client a request comes from (clientAddr).
func (s *Server) client(r *http.Request) netip.Addr { return clientAddr(r, s.trusted) }

// authenticateLimited is authenticate behind the limit on failed
// authentications: a client out of tokens gets RateLimited before its
// token is looked at, and each Unauthorized costs it a token. Errors:
// Unauthorized, RateLimited (*rateLimited).
func (s *Server) authenticateLimited(r *http.Request) (sqlite.Organizer, access.Actor, error) {
	if s.authFailures == nil {
		return s.authenticate(r)
	}
	client, now := s.client(r), s.clock.Now()
	if err := s.authFailures.check(client, now); err != nil {
		return sqlite.Organizer{}, access.Actor{}, err
	}
	org, actor, err := s.authenticate(r)
	if fault.Is(err, fault.Unauthorized) {
		if lerr := s.authFailures.take(client, now); lerr != nil {
			return sqlite.Organizer{}, access.Actor{}, lerr
		}
	}
	return org, actor, err
}

// limitWrite spends one of the client's tokens for a buyer's write.
// Errors: RateLimited (*rateLimited).
func (s *Server) limitWrite(r *http.Request) error {
	if s.writes == nil {
		return nil
	}
	return s.writes.take(s.client(r), s.clock.Now())
}

// LimitWrite is limitWrite for the shop's forms, which write through the
// box offices directly: it returns how long the client must wait, 0 when
// the write may go ahead.
func (s *Server) LimitWrite(r *http.Request) time.Duration {
	var rl *rateLimited
	if errors.As(s.limitWrite(r), &rl) {
		return time.Duration(rl.seconds()) * time.Second
	}
	return 0
}

// SignInWait is the limit on failed authentications for the console's
// sign-in form: how long the request's client must wait before it may try
// again, 0 when it may now.
func (s *Server) SignInWait(r *http.Request) time.Duration {
	var rl *rateLimited
	if s.authFailures != nil && errors.As(s.authFailures.check(s.client(r), s.clock.Now()), &rl) {
		return time.Duration(rl.seconds()) * time.Second
	}
	return 0
}

// SignInFailed counts a failed sign-in against the request's client, as a
// failed authentication of the API is.
func (s *Server) SignInFailed(r *http.Request) {
	if s.authFailures != nil {
		s.authFailures.take(s.client(r), s.clock.Now())
	}
}

// authenticate checks the bearer API token, and returns its organizer and
// the token as an actor. Errors: Unauthorized.
func (s *Server) authenticate(r *http.Request) (sqlite.Organizer, access.Actor, error) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if auth == "" {
		return sqlite.Organizer{}, access.Actor{}, fault.New(fault.Unauthorized,
			"this route needs an organizer API token: Authorization: Bearer admit_…")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || !organizer.LooksLikeToken(strings.TrimSpace(token)) {
		return sqlite.Organizer{}, access.Actor{}, fault.New(fault.Unauthorized, "the Authorization header must be Bearer followed by an admit API token")
	}
	org, actor, err := s.read.ActorByTokenHash(r.Context(), organizer.HashToken(strings.TrimSpace(token)))
	if fault.Is(err, fault.NotFound) {
		return sqlite.Organizer{}, access.Actor{}, fault.New(fault.Unauthorized, "the API token is not valid (unknown or revoked)")
	}
	return org, actor, err
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	if h, ok := v.(holdJSON); ok { // the answer of every hold of an on-sale
		if done, err := writeHoldFast(w, status, &h); done {
			return err
		}
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// The values of the headers every JSON answer has, made once: Header.Set
// would make a slice for each of them on every request.
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
)

// setJSONHeaders sets the Content-Type and Cache-Control of a JSON answer.
// The values are shared: nothing appends to a header it did not set.
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
}

// writeResult answers a command's result, with the headers of a write.
func (s *Server) writeResult(w http.ResponseWriter, status int, res office.Result, location string, v any) error {
	h := w.Header()
	if res.Replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	if res.Seq > 0 {
		h.Set("Admit-Ledger-Seq", itoa(res.Seq))
		s.noteWrite(res.Seq)
	}
	if location != "" && status == http.StatusCreated {
		h.Set("Location", location)
	}
	return writeJSON(w, status, v)
}

// noteWrite records a ledger sequence this node produced, for
// read-your-writes (waitForOwnWrites).
func (s *Server) noteWrite(seq uint64) {
	k := ledger.PosShard(seq)
	for {
		n := s.wroteShards.Load()
		if int32(k) < n || s.wroteShards.CompareAndSwap(n, int32(k)+1) {
			break
		}
	}
	for {
		old := s.wrote[k].Load()
		if seq <= old || s.wrote[k].CompareAndSwap(old, seq) {
			return
		}
	}
}

func (s *Server) livez(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			// Not ready is an answer, not a failure: a probe every second
			// while the box offices load must not log an error each time.
			writeProblem(w, r, quiet, err)
			return nil
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}

// quiet is the logger of answers that are not failures.
var quiet = slog.New(slog.DiscardHandler)

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(s.openapi)
	return err
}

// waitForOwnWrites gives read-your-writes on the read model: it waits, a
// short while at most, until the projection has caught up with every change
// this node made.
func (s *Server) waitForOwnWrites(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for k := range s.wroteShards.Load() {
		if err := s.read.WaitFor(ctx, s.wrote[k].Load()); err != nil {
			return fault.Wrap(fault.Unavailable, err, "the read model is catching up; try again")
		}
	}
	return nil
}
