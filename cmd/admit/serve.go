package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit"
	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/console"
	"github.com/admit-org/admit/internal/door"
	"github.com/admit-org/admit/internal/fault"
	featureflags "github.com/admit-org/admit/internal/flags"
	"github.com/admit-org/admit/internal/forward"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/keyring"
	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/mail"
	"github.com/admit-org/admit/internal/metrics"
	"github.com/admit-org/admit/internal/notify"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/payments"
	"github.com/admit-org/admit/internal/printer"
	"github.com/admit-org/admit/internal/session"
	"github.com/admit-org/admit/internal/shop"
	"github.com/admit-org/admit/internal/sqlite"
	"github.com/admit-org/admit/internal/stripe"
	"github.com/admit-org/admit/internal/tracing"
	"github.com/admit-org/admit/internal/web"
	"github.com/admit-org/admit/internal/worker"
)

// storeFlags are the flags that say where the ledger and read model live.
type storeFlags struct {
	data, nats *string
	unsafe     *bool
	shards     *int // serve's --ledger-shards; nil elsewhere (1, and any shards that exist are found)
}

func addStoreFlags(f *flags) storeFlags {
	return storeFlags{
		data: f.string("data", "ADMIT_DATA", "./admit-data", "directory for the embedded ledger and the read model"),
		nats: f.string("nats", "ADMIT_NATS_URL", "",
			"NATS JetStream server or cluster to use instead of the embedded one, e.g. nats://10.0.0.1:4222"),
		unsafe: f.bool("unsafe-lazy-fsync", "ADMIT_UNSAFE_LAZY_FSYNC", false,
			"accept an external NATS setup that may lose acknowledged writes on a crash (testing only)"),
	}
}

// store is an open ledger and the lock on the data directory.
type store struct {
	dir    string
	led    *ledger.JetStream
	unlock func()
}

// openStore locks the data directory and opens the ledger.
func openStore(ctx context.Context, sf storeFlags, log *slog.Logger) (*store, error) {
	return openStoreWith(ctx, sf, log, false)
}

// openStoreWith is openStore; listenLocal makes an embedded NATS server
// reachable by admit's other commands while it runs (ledger.ListenLocal).
func openStoreWith(ctx context.Context, sf storeFlags, log *slog.Logger, listenLocal bool) (*store, error) {
	dir, err := filepath.Abs(*sf.data)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	shards := 1
	if sf.shards != nil {
		shards = *sf.shards
	}
	led, err := ledger.Open(ctx, ledger.Config{DataDir: dir, URL: *sf.nats, UnsafeLazyFsync: *sf.unsafe, Shards: shards, Logger: log,
		ListenLocal: listenLocal && *sf.nats == ""})
	if err != nil {
		unlock()
		return nil, err
	}
	return &store{dir: dir, led: led, unlock: unlock}, nil
}

func (s *store) close() {
	s.led.Close()
	s.unlock()
}

// lockDir takes an exclusive lock on the data directory, so that two
// processes never write the same embedded ledger or read model.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &dirInUse{dir}
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	return func() { f.Close() }, nil
}

// errDirInUse is what lockDir's error is when another process holds the
// lock: a running admit serve, most likely.
var errDirInUse = errors.New("data directory in use")

type dirInUse struct{ dir string }

func (e *dirInUse) Error() string {
	return fmt.Sprintf("the data directory %s is in use by another admit process (is admit serve running?); stop it first or use --data", e.dir)
}

func (e *dirInUse) Is(target error) bool { return target == errDirInUse }

// The defaults of --warm-events and --warm-window. Loading an event's box
// office costs in proportion to its holds; loading 256 at GOMAXPROCS at a
// time is quick unless some are big, and those are the ones that pay off.
const (
	defaultWarmEvents = 256
	defaultWarmWindow = 10 * time.Minute
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("serve", "Runs admit: the HTTP API, the box offices, the ledger and the read model.", getenv, stderr)
	addr := f.string("addr", "ADMIT_ADDR", "127.0.0.1:8080", "address to listen on for HTTP")
	sf := addStoreFlags(f)
	tokenFile := f.string("bootstrap-token-file", "ADMIT_BOOTSTRAP_TOKEN_FILE", "",
		"on the first start, write the organizer API token to this file (mode 0600) instead of printing it")
	maxConns := f.int("max-conns", "ADMIT_MAX_CONNS", web.DefaultMaxConns,
		"connections served at once; at the cap the longest idle one gives way, and 8 more are kept for /livez and /readyz")
	masterKey := f.string("master-key", "ADMIT_MASTER_KEY", "",
		"64 hex digits sealing ticket signing keys; default: <data>/master.key, made on the first start (a cluster must give every node the same key)")
	stripeKey := f.string("stripe-secret-key", "ADMIT_STRIPE_SECRET_KEY", "",
		"Stripe secret key (sk_test_… or sk_live_…): turns on card payments")
	stripeWebhook := f.string("stripe-webhook-secret", "ADMIT_STRIPE_WEBHOOK_SECRET", "",
		"Stripe webhook signing secret (whsec_…) of the endpoint /api/v1/webhooks/stripe")
	stripePublishable := f.string("stripe-publishable-key", "ADMIT_STRIPE_PUBLISHABLE_KEY", "",
		"Stripe publishable key (pk_…): the shop offers card, with Stripe's Payment Element, only with it")
	stripeBase := f.string("stripe-api-base", "ADMIT_STRIPE_API_BASE", "",
		"Stripe API URL; empty for Stripe's own (set it to a stripe-mock to try card payments offline)")
	logFormat := f.string("log-format", "ADMIT_LOG_FORMAT", "auto", "log format: auto (text on a terminal, else json), text or json")
	logLevel := f.string("log-level", "ADMIT_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	smtpURL := f.string("smtp", "ADMIT_SMTP_URL", "",
		"SMTP server for buyers' e-mails, e.g. smtp://user:password@mail.example.com:587?from=tickets@example.com; empty: log the e-mails instead of sending them")
	demo := f.bool("demo", "ADMIT_DEMO", false, "seed a demo event on sale (once per data directory) and print its shop page")
	publicURL := f.string("public-url", "ADMIT_PUBLIC_URL", "",
		"the URL buyers reach admit at, for the links in e-mails and the shop (set it behind a proxy); default: http:// and the listen address")
	trustedProxies := f.string("trusted-proxies", "ADMIT_TRUSTED_PROXIES", "",
		"reverse proxies (IPs or CIDR prefixes, comma-separated) whose X-Forwarded-For names the client; default: none, the connection's peer is the client")
	lf := addLimitFlags(f)
	exemptLoopback := f.bool("exempt-loopback", "ADMIT_EXEMPT_LOOPBACK", false,
		"exempt clients on loopback (127.0.0.1, ::1) from the rate limits and the events' buyer limits, for load tests from this machine; never behind a proxy on the same machine without --trusted-proxies")
	maxEvents := f.int("max-events-per-organizer", "ADMIT_MAX_EVENTS_PER_ORGANIZER", web.DefaultMaxEventsPerOrganizer,
		"events one organizer may create (0: no limit); more are refused with event-limit-reached")
	idleTimeout := f.string("office-idle-timeout", "ADMIT_OFFICE_IDLE_TIMEOUT", office.DefaultIdleTimeout.String(),
		"how long an event's box office stays in memory without requests before it is unloaded (a snapshot stays; the next request loads it); 0: never")
	warmEvents := f.int("warm-events", "ADMIT_WARM_EVENTS", defaultWarmEvents,
		"on start, load the box offices of up to this many events with ledger entries in the --warm-window before the last one, the most recent first; /readyz answers 503 until they are loaded (0: none)")
	warmWindow := f.string("warm-window", "ADMIT_WARM_WINDOW", defaultWarmWindow.String(),
		"how far back from the ledger's last entry an event's entries make it one to load on start")
	metricsAddr := f.string("metrics-addr", "ADMIT_METRICS_ADDR", "",
		"address to serve Prometheus metrics on, at /metrics, e.g. 127.0.0.1:9464 (keep it off the internet); default: none")
	sf.shards = f.int("ledger-shards", "ADMIT_LEDGER_SHARDS", 1,
		"how many JetStream streams new events' ledger entries are spread over, so that their leaders (and the writes) spread over a NATS cluster's servers; an event keeps the shard it was created in; 1: the stream LEDGER alone (see docs/ledger.md)")
	node := f.string("node", "ADMIT_NODE", "",
		"with --nats, this node's name in the cluster, unique per process (letters, digits, '-', '_', '.'); default: the host name and a random suffix")
	if err := f.parse(args); err != nil {
		return err
	}
	window, err := time.ParseDuration(*warmWindow)
	if err != nil || window <= 0 {
		return &usageError{"--warm-window must be a duration such as 10m"}
	}
	if *warmEvents < 0 {
		return &usageError{"--warm-events must be 0 (none) or more"}
	}
	idle, err := time.ParseDuration(*idleTimeout)
	if err != nil || idle < 0 {
		return &usageError{"--office-idle-timeout must be a duration such as 1m or 30s, or 0 for never"}
	}
	if idle == 0 {
		idle = -1 // office.Config: negative is never
	}
	if *maxEvents < 0 {
		return &usageError{"--max-events-per-organizer must be 0 (no limit) or more"}
	}
	if *sf.shards < 1 || *sf.shards > ledger.MaxShards {
		return &usageError{fmt.Sprintf("--ledger-shards must be between 1 and %d", ledger.MaxShards)}
	}
	trusted, err := web.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		return &usageError{"--trusted-proxies: " + err.Error()}
	}
	limits, err := lf.limits()
	if err != nil {
		return err
	}
	if *maxConns < 1 {
		return &usageError{"--max-conns must be at least 1"}
	}
	if err := checkPublicURL(*publicURL); err != nil {
		return err
	}
	if pk := *stripePublishable; pk != "" && !strings.HasPrefix(pk, "pk_test_") && !strings.HasPrefix(pk, "pk_live_") {
		// Never echo it: it may be a secret key, which the shop would publish.
		return &usageError{"--stripe-publishable-key is not a pk_test_ or pk_live_ key; the shop shows it in every card order's page"}
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	sender, err := mailSender(*smtpURL, log)
	if err != nil {
		return err
	}

	// Wiring, in order; closed in reverse. The address is bound first, so
	// that a port in use fails before anything is created: a first start
	// that failed later would have made an organizer whose token nobody saw.
	// Until Serve, connections wait in the kernel's accept queue.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close() // once serving, Shutdown has closed it already
	var metricsLn net.Listener
	if *metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", *metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: listen on %s: %w", *metricsAddr, err)
		}
		defer metricsLn.Close()
	}
	met := metrics.New()
	// Traces go out when the standard OTEL_* variables ask for them, read
	// from the process's environment as the exporter reads them.
	if tracing.Wanted(os.Getenv) {
		stopTracing, err := tracing.Start(ctx, mainVersion())
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := stopTracing(sctx); err != nil {
				log.Warn("tracing: flushing the last spans failed", "err", err)
			}
		}()
		log.Info("tracing: sending OpenTelemetry traces over OTLP/HTTP")
	}
	// Without --public-url, the shop's and the e-mails' links go to the
	// address listened on, never to a request's Host.
	url := "http://" + ln.Addr().String()
	base, err := links.Parse(cmp.Or(*publicURL, url))
	if err != nil {
		return err
	}
	if w := linksWarning(ln.Addr(), *publicURL); w != "" {
		log.Warn(w)
	}

	// On a single node, admit's other commands (admit flags) reach the
	// running server's store through a loopback listener of its own.
	st, err := openStoreWith(ctx, sf, log, true)
	if err != nil {
		return err
	}
	defer st.close()

	db, err := openReadModel(st.dir)
	if err != nil {
		return err
	}
	defer db.Close()

	var wg sync.WaitGroup
	defer wg.Wait()
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	projErr := make(chan error, 1)
	wg.Go(func() { projErr <- db.Run(bg, st.led) })
	if err := catchUp(ctx, st.led, db, projErr); err != nil {
		return err
	}

	orgID, token, ownerInvite, err := bootstrap(ctx, st.led, db, *tokenFile, *sf.nats != "")
	if err != nil {
		return err
	}
	keys, err := openKeyring(ctx, st, *sf.nats, *masterKey)
	if err != nil {
		return err
	}
	fl, err := startFlags(ctx, bg, &wg, st, met, log)
	if err != nil {
		return err
	}
	defer fl.Close(context.WithoutCancel(ctx))

	// A single node runs every event's box office and every worker; a node
	// of a cluster runs an event's box office, or a worker, only while it
	// holds its lease.
	var owner office.Owner = office.Local{}
	var leases *lease.Leases  // nil on a single node
	var leased *office.Leased // the same
	if *sf.nats != "" {
		if leases, err = lease.Open(ctx, st.led.Conn(), nodeName(*node), 0, st.led.Replicas(), log); err != nil {
			return fmt.Errorf("--node: %w", err)
		}
		leased = office.NewLeased(leases)
		owner = leased
		if st.led.Shards() > 1 {
			wg.Go(func() { balanceLeaders(bg, st.led, leases, leadersEvery, log) })
		}
		met.Gauge("admit_leases_held", "Events whose box-office lease this node holds.",
			func() float64 { return float64(leased.Held()) })
		log.Info("box offices run under leases", "node", leases.Node(), "term", leases.Term().String())
	}
	ocfg := office.Config{IdleTimeout: idle}
	if metricsLn != nil { // nothing is measured that nothing serves
		ocfg.Appended = met.Appended
	}
	offices := office.NewManager(st.led, clock.Real{}, owner, log, ocfg)
	met.Gauge("admit_offices_loaded", "Events whose box offices are in memory on this node.",
		func() float64 { return float64(offices.Loaded()) })
	met.Gauge("admit_office_queued", "Commands and reads waiting in this node's box-office queues.",
		func() float64 { return float64(offices.Queued()) })
	met.Gauge("admit_readmodel_lag_entries", "Ledger messages this node's read model has yet to apply (-1 when the ledger does not answer).",
		func() float64 {
			lctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			last, err := st.led.Last(lctx)
			if err != nil {
				return -1
			}
			pos, _ := db.Position(lctx)
			return float64(pos.Behind(last))
		})
	officeCtx, stopOffices := context.WithCancel(context.WithoutCancel(ctx))
	started := make(chan struct{})
	var officesDone sync.WaitGroup
	officesDone.Go(func() { offices.Run(officeCtx, started) })
	<-started
	defer func() { stopOffices(); officesDone.Wait() }()
	// The events busy before the restart are loaded before readiness, so
	// that their buyers' first requests do not wait for a snapshot to load.
	// Finding them reads the ledger's tail: HTTP serves (/livez) meanwhile.
	var warming atomic.Bool // the events to load are not yet handed to Warm
	warming.Store(true)
	wg.Go(func() {
		defer warming.Store(false)
		recent, err := office.RecentEvents(bg, st.led, window, *warmEvents)
		if err != nil {
			if bg.Err() == nil {
				log.Warn("could not find the recently busy events to load on start", "err", err)
			}
			return
		}
		offices.Warm(recent, runtime.GOMAXPROCS(0))
	})

	// Workers (payments, e-mail) use the box offices: they stop first.
	workCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	defer func() { stopWorkers(); workers.Wait() }()
	positions, err := worker.OpenKV(ctx, st.led.Conn(), st.led.Replicas())
	if err != nil {
		return err
	}
	parking, err := worker.OpenKVParking(ctx, st.led.Conn(), st.led.Replicas())
	if err != nil {
		return err
	}
	// In a cluster a worker runs on one node, and hands each entry to the
	// node running its event's box office.
	var remote *worker.Remote // nil on a single node
	if leases != nil {
		remote = worker.NewRemote(worker.RemoteConfig{Conn: st.led.Conn(), Node: leases.Node(), Runs: offices.Runs,
			Holder: leased.Holder, Log: log})
		if err := remote.Start(bg); err != nil {
			return fmt.Errorf("workers: %w", err)
		}
		defer remote.Stop() // after the workers, before the box offices stop
	}
	wk := workerSetup{st: st, positions: positions, parking: parking, leases: leases, remote: remote, met: met}
	var gateway web.PaymentGateway
	if *stripeKey != "" {
		p, err := startPayments(workCtx, &workers, wk, offices, log, *stripeKey, *stripeWebhook, *stripeBase)
		if err != nil {
			return err
		}
		gateway = p
		if *stripePublishable == "" {
			log.Warn("card payments: no --stripe-publishable-key (ADMIT_STRIPE_PUBLISHABLE_KEY), so the shop does not offer card: " +
				"its order page could not take the payment; API clients bringing their own Stripe.js still can")
		}
	}

	var ready atomic.Bool
	projection := &projectionWatch{last: st.led.Last, pos: func() ledger.Vector { p, _ := db.Position(bg); return p },
		now: time.Now, stall: projectionStall}
	shopCfg := shop.Config{Offices: offices, Clock: clock.Real{}, Log: log, Links: base,
		CardPayments: func(ctx context.Context, eventID string) bool {
			return gateway != nil && !gateway.BreakerOpen() && fl.Bool(ctx, featureflags.CardPayments, eventID)
		},
		PauseHolds: fl.PauseHolds,
		LowStockCount: func(ctx context.Context, eventID string) bool {
			return fl.Bool(ctx, featureflags.LowStockCount, eventID)
		}}
	if gateway != nil {
		shopCfg.StripePublishableKey = *stripePublishable
	}
	var api *web.Server // the shop's buyers are limited by the API's rate limits and client keys
	shopCfg.LimitWrite = func(r *http.Request) time.Duration { return api.LimitWrite(r) }
	shopCfg.ClientKey = func(r *http.Request, eventID string) string { return api.ClientKey(r, eventID) }
	shopCfg.Organizer, shopCfg.Logo = db.Profile, db.Logo
	buyers := shop.New(shopCfg)
	sessions, err := session.Open(ctx, st.led.Conn(), st.led.Replicas())
	if err != nil {
		return err
	}
	manage := console.New(console.Config{Read: db, Desk: &organizer.Desk{Ledger: st.led, Now: time.Now, Secrets: teamSecrets(keys)}, Sessions: sessions,
		Offices: offices, Clock: clock.Real{}, Log: log, Links: base,
		SignInWait:   func(r *http.Request) time.Duration { return api.SignInWait(r) },
		SignInFailed: func(r *http.Request) { api.SignInFailed(r) },
		CreateEvent: func(ctx context.Context, actor access.Actor, organizerID, currency string, d boxoffice.EventDetails) (string, uint64, error) {
			return api.CreateEvent(ctx, actor, organizerID, currency, d)
		},
		Export: func(w http.ResponseWriter, r *http.Request, organizerID, what string) {
			api.Export(w, r, organizerID, what)
		},
		RotateKey: func(ctx context.Context, actor access.Actor, organizerID, eventID string) (uint64, error) {
			return api.RotateSigningKey(ctx, actor, organizerID, eventID)
		},
		ChoiceKey: keys.Derive("console organizer choices")})
	api = web.New(web.Config{Offices: offices, Read: db, Clock: clock.Real{}, Log: log, OpenAPI: admit.OpenAPI, Keys: keys, Stripe: gateway,
		Shop: buyers, ShopPatterns: shop.Patterns, Door: door.New(door.Config{}), Console: manage, Links: base, TrustedProxies: trusted, Limits: limits,
		Tokens: &organizer.Desk{Ledger: st.led, Now: time.Now}, TokenList: db,
		Team: &organizer.Desk{Ledger: st.led, Now: time.Now, Secrets: teamSecrets(keys)}, TeamRead: db,
		ClientSecret: keys.Derive("client keys"), ExemptLoopback: *exemptLoopback,
		MaxEventsPerOrganizer: *maxEvents, PauseHolds: fl.PauseHolds, LedgerShards: *sf.shards,
		Ready: func(ctx context.Context) error {
			if !ready.Load() {
				return fault.New(fault.Unavailable, "starting up or shutting down")
			}
			if warming.Load() {
				return fault.New(fault.Unavailable, "finding the recently busy events to load")
			}
			if !st.led.Conn().IsConnected() {
				return fault.New(fault.Unavailable, "the ledger's NATS connection is down; reconnecting")
			}
			if err := projection.check(ctx); err != nil {
				return err
			}
			return offices.Ready()
		}})
	startMail, err := mailWorker(workCtx, &workers, wk, offices, keys, db, log, sender)
	if err != nil {
		return err
	}
	demoEvent := ""
	if *demo {
		if demoEvent, err = seedDemo(ctx, offices, orgID, gateway != nil); err != nil {
			return err
		}
	}
	// Metrics inside tracing: the request the router names (Pattern) is
	// the one tracing made, which both then read.
	var handler http.Handler = api
	if metricsLn != nil {
		handler = met.Middleware(handler)
	}
	if tracing.Enabled() {
		handler = tracing.Middleware(handler)
	}
	// In a cluster, a request for an event whose box office runs on
	// another node is answered there: the owner's own handler (with its
	// metrics and spans) answers it.
	if leases != nil {
		fwd := forward.New(forward.Config{Conn: st.led.Conn(), Node: leases.Node(), Local: handler, Runs: offices.Runs,
			Holder: leased.Holder, Reconnected: st.led.Reconnected, MaxBody: web.MaxBodyBytes, Problem: web.WriteProblem, Log: log,
			// Stripe's webhook names the event in the PaymentIntent it carries.
			BodyRoutes: map[string]forward.BodyRoute{"POST /api/v1/webhooks/stripe": {Max: web.MaxWebhookBytes,
				Event: func(body []byte) string {
					if ev := stripe.WebhookEventOf(body); id.ValidSharded(ev, "ev", id.Short) {
						return ev
					}
					return ""
				}}}})
		if err := fwd.Start(bg); err != nil {
			return fmt.Errorf("forwarding: %w", err)
		}
		defer fwd.Stop() // after HTTP's shutdown, before the box offices stop
		met.Counter("admit_forwarded_requests_total", "Requests this node sent to the node running their event's box office.",
			func() float64 { return float64(fwd.Forwarded()) })
		handler = fwd
	}
	srv := web.NewHTTPServer(handler, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	srvErr := make(chan error, 1)
	wg.Go(func() { srvErr <- srv.Serve(web.LimitListener(ln, *maxConns)) })
	if metricsLn != nil {
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", met.Handler())
		metricsSrv := web.NewHTTPServer(metricsMux, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
		wg.Go(func() { metricsSrv.Serve(metricsLn) }) // ends with its Close below
		defer metricsSrv.Close()
	}
	ready.Store(true)

	startMail(base)

	// One write, so a reader that sees the first line sees them all.
	var banner strings.Builder
	fmt.Fprintf(&banner, "admit is running at %s\n", url)
	if demoEvent != "" {
		fmt.Fprintf(&banner, "demo shop: %s\n", base.URL(links.Event(demoEvent)))
	}
	fmt.Fprintf(&banner, "data directory: %s\n", st.dir)
	if metricsLn != nil {
		fmt.Fprintf(&banner, "metrics at http://%s/metrics\n", metricsLn.Addr())
	}
	if ownerInvite != "" {
		fmt.Fprintf(&banner, "%s%s\n", firstOwnerLine, base.URL(links.Invitation(ownerInvite)))
	}
	switch {
	case token != "" && *tokenFile == "":
		fmt.Fprintf(&banner, "organizer API token (shown once, keep it): %s\n", token)
	case token != "":
		fmt.Fprintf(&banner, "organizer API token written to %s\n", *tokenFile)
	}
	if demoEvent != "" {
		bearer := "$TOKEN" // the organizer's API token, shown on the first start
		if token != "" && *tokenFile == "" {
			bearer = token
		}
		fmt.Fprintf(&banner, "demo: a bank-transfer order is paid once its organizer says so; with the order number from its page:\n"+
			"  curl -X POST %s/api/v1/events/%s/orders/od_…/mark-paid -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' -d '{}'\n",
			url, demoEvent, bearer)
	}
	io.WriteString(stdout, banner.String())
	log.Info("serving", "url", url, "data", st.dir, "rate_limits", limits.String(), "exempt_loopback", *exemptLoopback)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-projErr:
		runErr = fmt.Errorf("read model projection stopped: %w", err)
	}

	// Shutdown: readiness off, HTTP drained, workers stopped, box offices
	// flushed, then the read model and the ledger close through the defers
	// above.
	log.Info("shutting down")
	ready.Store(false)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	stopWorkers()
	workers.Wait()
	if remote != nil {
		remote.Stop() // the entries other nodes' workers sent are answered
	}
	stopOffices()
	officesDone.Wait()
	stopBG()
	return runErr
}

// flagsLoadWait is how long serve waits on start for the flags to load
// before it serves with their defaults (and keeps trying to load them).
const flagsLoadWait = 5 * time.Second

// startFlags runs the feature flags' provider on the ledger's connection
// until bg ends, and waits a little for their first load, so that a
// paused event stays paused across a restart.
func startFlags(ctx, bg context.Context, wg *sync.WaitGroup, st *store, met *metrics.Metrics, log *slog.Logger) (*featureflags.Flags, error) {
	p := featureflags.NewProvider(featureflags.Config{Conn: st.led.Conn(), Replicas: st.led.Replicas(), Log: log})
	met.Gauge("admit_flags_live", "1 while the feature flags come from a working watch of their store, 0 while they are answered as last loaded (30 s), then by their defaults.",
		func() float64 {
			if live, _ := p.Live(); live {
				return 1
			}
			return 0
		})
	wg.Go(func() { p.Run(bg) })
	fl, err := featureflags.New(ctx, p)
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(flagsLoadWait)
	defer t.Stop()
	select {
	case <-p.Loaded():
	case <-t.C:
		log.Warn("flags: not loaded yet; serving with their defaults until they are", "waited", flagsLoadWait.String())
	case <-ctx.Done():
		fl.Close(context.WithoutCancel(ctx))
		return nil, ctx.Err()
	}
	return fl, nil
}

// openKeyring opens the ticket signing keys' store with the master key:
// given, or the data directory's (made on the first start). A node of a
// cluster must be given the key: nodes making their own would not open each
// other's keys.
func openKeyring(ctx context.Context, st *store, natsURL, masterHex string) (*keyring.Keyring, error) {
	var master []byte
	var err error
	switch {
	case masterHex != "":
		master, err = keyring.ParseMasterKey(masterHex)
		if err != nil {
			err = &usageError{"--master-key: " + err.Error()}
		}
	case natsURL != "":
		master, err = keyring.LoadMasterKeyFile(filepath.Join(st.dir, "master.key"), false)
		if errors.Is(err, os.ErrNotExist) {
			err = &usageError{"with --nats, give every node the same --master-key (ADMIT_MASTER_KEY): " +
				"64 hex digits, e.g. from openssl rand -hex 32"}
		}
	default:
		master, err = keyring.LoadMasterKeyFile(filepath.Join(st.dir, "master.key"), true)
	}
	if err != nil {
		return nil, err
	}
	kv, err := keyring.OpenKV(ctx, st.led.Conn(), st.led.Replicas())
	if err != nil {
		return nil, err
	}
	return keyring.New(master, kv)
}

// startPayments starts the payments worker (PaymentIntents, refunds) on the
// ledger and returns what the API needs for card payments.
func startPayments(bg context.Context, wg *sync.WaitGroup, wk workerSetup, offices *office.Manager,
	log *slog.Logger, key, webhookSecret, apiBase string) (*payments.Payments, error) {
	if webhookSecret == "" {
		return nil, &usageError{"--stripe-secret-key needs --stripe-webhook-secret (ADMIT_STRIPE_WEBHOOK_SECRET) too: " +
			"payments are only recorded from signed webhooks"}
	}
	client, err := stripe.New(stripe.Config{SecretKey: key, WebhookSecret: webhookSecret, APIBase: apiBase})
	if err != nil {
		return nil, &usageError{"stripe: " + err.Error()}
	}
	p := &payments.Payments{Stripe: client, Offices: offices, Log: log}
	run := wk.runner("payments", p.Handle, log)
	wg.Go(func() { wk.supervise(bg, run) })
	return p, nil
}

// mailSender returns the sender of buyers' e-mails: the SMTP server the URL
// names (mail.ParseURL), or without one a sender that logs the e-mails it
// would send.
func mailSender(smtpURL string, log *slog.Logger) (mail.Sender, error) {
	if smtpURL == "" {
		log.Info("no SMTP server configured (--smtp, ADMIT_SMTP_URL): e-mails to buyers are logged, not sent")
		return &mail.Log{Log: log}, nil
	}
	c, err := mail.ParseURL(smtpURL)
	if err != nil {
		return nil, &usageError{"--smtp: " + err.Error()}
	}
	s, err := mail.NewSMTP(c)
	if err != nil {
		return nil, &usageError{"--smtp: " + err.Error()}
	}
	return s, nil
}

// linksWarning says what is wrong with the links admit builds when it
// listens on every interface without --public-url: they name an address
// (0.0.0.0, ::) no buyer can open. "" when nothing is.
func linksWarning(addr net.Addr, publicURL string) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || publicURL != "" || !tcp.IP.IsUnspecified() {
		return ""
	}
	return "listening on every interface without --public-url (ADMIT_PUBLIC_URL): the links in e-mails and in the shop name http://" +
		tcp.String() + ", which buyers cannot open; set --public-url to the address they reach admit at"
}

// checkPublicURL accepts "" or what links.Parse does: an absolute http(s)
// URL without a query or fragment.
func checkPublicURL(raw string) error {
	if raw == "" {
		return nil
	}
	if _, err := links.Parse(raw); err != nil {
		return &usageError{"--public-url " + err.Error()}
	}
	return nil
}

// mailWorker opens what the e-mail worker keeps in NATS and returns the
// function that starts it, once the public URL is known, on the ledger
// until bg ends: it tells buyers about their orders, with links under
// base.
func mailWorker(bg context.Context, wg *sync.WaitGroup, wk workerSetup, offices *office.Manager,
	keys *keyring.Keyring, db *sqlite.DB, log *slog.Logger, sender mail.Sender) (start func(base links.Base), err error) {
	marks, err := notify.OpenKVMarks(bg, wk.st.led.Conn(), wk.st.led.Replicas())
	if err != nil {
		return nil, err
	}
	return func(base links.Base) {
		n := notify.New(notify.Config{Sender: sender, Printer: &printer.Printer{Offices: offices, Keys: keys},
			Links: base, Sent: marks, Log: log, Secrets: teamSecrets(keys),
			OrganizerName: func(ctx context.Context, organizerID string) (string, error) {
				o, err := db.Organizer(ctx, organizerID)
				return o.Name, err
			}})
		run := wk.runner("mail", n.Handle, log)
		wg.Go(func() { wk.supervise(bg, run) })
	}, nil
}

// teamSecrets makes the secrets of the team's e-mailed links (invitations)
// under the master key, so the console's desk and the e-mail worker, on any
// node, make the same.
func teamSecrets(keys *keyring.Keyring) organizer.Secrets {
	return organizer.KeyedSecrets(keys.Derive("team links"))
}

// workerSetup is what every worker of this node runs with.
type workerSetup struct {
	st        *store
	positions worker.Positions
	parking   worker.Parking
	leases    *lease.Leases  // nil on a single node
	remote    *worker.Remote // the same
	met       *metrics.Metrics
}

// runner is the worker name handling entries with h: in a cluster, on the
// node that runs each entry's event.
func (wk workerSetup) runner(name string, h worker.Handler, log *slog.Logger) *worker.Runner {
	if wk.remote != nil {
		h = wk.remote.Handler(name, h)
	}
	run := &worker.Runner{Name: name, Ledger: wk.st.led, Positions: wk.positions, Parking: wk.parking, Handle: h, Log: log}
	wk.met.Gauge("admit_worker_running", "1 while the worker follows the ledger on this node.", func() float64 {
		if running, _ := run.Running(); running {
			return 1
		}
		return 0
	}, "worker", name)
	wk.met.Gauge("admit_worker_backlog_messages", "Ledger messages after the worker's position, on the node running it (0 elsewhere; -1 when the ledger does not answer).",
		func() float64 {
			running, at := run.Running()
			if !running {
				return 0
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			last, err := wk.st.led.Last(ctx)
			if err != nil {
				return -1
			}
			return float64(at.Behind(last))
		}, "worker", name)
	wk.met.Counter("admit_worker_parked_total", "Entries the worker parked on this node since it started (docs/workers.md).",
		func() float64 { return float64(run.ParkedCount()) }, "worker", name)
	return run
}

// supervise runs a worker until bg ends: on a single node always, in a
// cluster (leases) on one node at a time, the one holding its lease.
func (wk workerSetup) supervise(bg context.Context, run *worker.Runner) {
	if wk.leases == nil {
		run.Supervise(bg)
		return
	}
	run.SuperviseLeased(bg, wk.leases)
}

// catchUp waits until the read model has applied everything already in the
// ledger, so that the first requests see it.
func catchUp(ctx context.Context, led *ledger.JetStream, db *sqlite.DB, projErr <-chan error) error {
	last, err := led.Last(ctx)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.WaitForAll(waitCtx, last) }()
	select {
	case err := <-done:
		return err
	case err := <-projErr:
		return fmt.Errorf("read model projection stopped: %w", err)
	}
}

// firstOwnerLine starts the line of serve's first start that carries the
// first owner's invitation.
const firstOwnerLine = "create the console's first owner (link shown once, valid 7 days): "

// bootstrap creates the first organizer, its API token and the
// invitation of its first owner when there is no organizer yet. It returns
// the organizer (the one created, else the oldest there is), the token and
// the invitation's secret, or "" for both when there was nothing to create.
func bootstrap(ctx context.Context, led *ledger.JetStream, db *sqlite.DB, tokenFile string, cluster bool) (orgID, token, ownerInvite string, err error) {
	orgs, err := db.ListOrganizers(ctx)
	if err != nil {
		return "", "", "", err
	}
	if len(orgs) > 0 {
		return orgs[0].ID, "", "", nil
	}
	if cluster {
		// Nodes of a new cluster starting at once make one organizer: the
		// node that creates the claim does; the others wait for it.
		claimed, err := claimBootstrap(ctx, led)
		if err != nil {
			return "", "", "", err
		}
		if !claimed {
			orgID, err := awaitBootstrap(ctx, led, db)
			return orgID, "", "", err
		}
	}
	desk := &organizer.Desk{Ledger: led, Now: time.Now}
	write := func() error { return nil }
	if tokenFile != "" {
		// Create the file before the organizer, so a bad path fails early.
		f, err := os.OpenFile(tokenFile, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return "", "", "", fmt.Errorf("bootstrap token file: %w", err)
		}
		defer f.Close()
		write = func() error {
			if _, err := fmt.Fprintln(f, token); err != nil {
				return fmt.Errorf("bootstrap token file: %w", err)
			}
			return f.Sync()
		}
	}
	f, err := desk.Found(ctx, "My organization", "bootstrap")
	if err != nil {
		return "", "", "", fmt.Errorf("bootstrap organizer: %w", err)
	}
	orgID, token, ownerInvite = f.OrganizerID, f.Token, f.Owner.Token
	if err := write(); err != nil {
		return "", "", "", err
	}
	last, err := led.Last(ctx)
	if err != nil {
		return "", "", "", err
	}
	return orgID, token, ownerInvite, db.WaitForAll(ctx, last)
}

// bootstrapBucket holds the cluster's one-time claims; bootstrapKey is the
// claim to make the first organizer.
const (
	bootstrapBucket = "ADMIT_CLUSTER"
	bootstrapKey    = "bootstrap"
)

// bootstrapStale is how old a claim whose organizer never came may be
// before another node takes it over: its node died while making it.
const bootstrapStale = time.Minute

// claimBootstrap creates the bootstrap claim, and reports whether this
// node made it (or took over a stale one).
func claimBootstrap(ctx context.Context, led *ledger.JetStream) (bool, error) {
	kv, err := ledger.OpenKV(ctx, led.Conn(), jetstream.KeyValueConfig{Bucket: bootstrapBucket,
		Description: "admit cluster-wide one-time claims, such as making the first organizer",
		Storage:     jetstream.FileStorage, Replicas: led.Replicas(), History: 1})
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	if _, err := kv.Create(ctx, bootstrapKey, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err == nil {
		return true, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("bootstrap: claim: %w", err)
	}
	e, err := kv.Get(ctx, bootstrapKey)
	if err != nil {
		return false, fmt.Errorf("bootstrap: claim: %w", err)
	}
	if time.Since(e.Created()) < bootstrapStale {
		return false, nil
	}
	// The organizer never came: take the claim over, once.
	_, err = kv.Update(ctx, bootstrapKey, []byte(time.Now().UTC().Format(time.RFC3339Nano)), e.Revision())
	return err == nil, nil
}

// awaitBootstrap waits until the organizer another node is making is in
// this node's read model.
func awaitBootstrap(ctx context.Context, led *ledger.JetStream, db *sqlite.DB) (orgID string, err error) {
	deadline := time.Now().Add(bootstrapStale)
	for {
		last, err := led.Last(ctx)
		if err != nil {
			return "", err
		}
		if err := db.WaitForAll(ctx, last); err != nil {
			return "", err
		}
		orgs, err := db.ListOrganizers(ctx)
		if err != nil {
			return "", err
		}
		if len(orgs) > 0 {
			return orgs[0].ID, nil
		}
		if time.Now().After(deadline) {
			return "", errors.New("bootstrap: another node claimed making the first organizer and has not made it in a minute; start this node again")
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// The default per-client rate limits (web.Limits): generous for people,
// even many behind one address, and a wall for scripts.
const (
	defaultWriteRate  = "10/s"
	defaultWriteBurst = 50
	defaultAuthRate   = "1/s"
	defaultAuthBurst  = 10
)

// limitFlags are serve's --rate-limit-* flags.
type limitFlags struct {
	writes, auth          *string
	writeBurst, authBurst *int
}

func addLimitFlags(f *flags) limitFlags {
	return limitFlags{
		writes: f.string("rate-limit-writes", "ADMIT_RATE_LIMIT_WRITES", defaultWriteRate,
			"buyers' writes (holds, orders, releases, extensions, the shop's forms) per client, as N/s, N/m or N/h; off: none"),
		writeBurst: f.int("rate-limit-writes-burst", "ADMIT_RATE_LIMIT_WRITES_BURST", defaultWriteBurst,
			"buyers' writes a client may make at once before --rate-limit-writes applies"),
		auth: f.string("rate-limit-auth-failures", "ADMIT_RATE_LIMIT_AUTH_FAILURES", defaultAuthRate,
			"failed organizer authentications (401) per client, as N/s, N/m or N/h; a client over it gets 429 even with a valid token; off: none"),
		authBurst: f.int("rate-limit-auth-failures-burst", "ADMIT_RATE_LIMIT_AUTH_FAILURES_BURST", defaultAuthBurst,
			"failed authentications a client may make at once before --rate-limit-auth-failures applies"),
	}
}

func (lf limitFlags) limits() (web.Limits, error) {
	var l web.Limits
	var err error
	if l.Writes.Rate, err = web.ParseRate(*lf.writes); err != nil {
		return l, &usageError{"--rate-limit-writes: " + err.Error()}
	}
	if l.AuthFailures.Rate, err = web.ParseRate(*lf.auth); err != nil {
		return l, &usageError{"--rate-limit-auth-failures: " + err.Error()}
	}
	if *lf.writeBurst < 0 || *lf.authBurst < 0 {
		return l, &usageError{"--rate-limit-writes-burst and --rate-limit-auth-failures-burst must be at least 0 (0: no limit)"}
	}
	l.Writes.Burst, l.AuthFailures.Burst = *lf.writeBurst, *lf.authBurst
	return l, nil
}

// nodeName is the --node flag, or the host name and a random suffix: two
// processes on one host are two nodes.
func nodeName(flag string) string {
	if flag != "" {
		return flag
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "admit"
	}
	clean := []byte(host)
	for i, c := range clean {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			clean[i] = '-'
		}
	}
	return string(clean) + "-" + id.New("", id.Short)[1:9]
}
