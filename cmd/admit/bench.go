package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/admit-org/admit/internal/bench"
	"github.com/admit-org/admit/internal/bench/baseline"
	"github.com/mattn/go-isatty"
)

const benchUsage = `Usage:
  admit bench onsale [flags]   sell out an event as fast as buyers can, then audit it
  admit bench chaos [flags]    kill admit serve with SIGKILL under load, again and again, then audit
                               (--cluster: 3 NATS servers and 3 nodes, SIGKILLs and SIGTERMs of both)
  admit bench events [flags]   create many events, read each once, and measure the memory they take
  admit bench door [flags]     door devices scanning tickets concurrently: scans/s, latency, and an audit

Run "admit bench <subcommand> --help" for its flags.
`

func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return &usageError{`"admit bench" needs a subcommand: onsale, chaos, events or door`}
	}
	switch args[0] {
	case "onsale":
		return benchOnsale(ctx, args[1:], getenv, stdout, stderr)
	case "chaos":
		return benchChaos(ctx, args[1:], getenv, stdout, stderr)
	case "events":
		return benchEvents(ctx, args[1:], getenv, stdout, stderr)
	case "door":
		return benchDoor(ctx, args[1:], getenv, stdout, stderr)
	case "nats-server":
		// Not listed: what "bench chaos --cluster" runs as its NATS servers.
		return benchNATSServer(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, benchUsage)
		return errHelp
	}
	fmt.Fprint(stderr, benchUsage)
	return &usageError{fmt.Sprintf("unknown bench subcommand %q: want onsale, chaos, events or door", args[0])}
}

// compareOrder is the order of --compare: the HTTP ceiling first, so the
// others read as a fraction of it.
var compareOrder = []string{"hello", "engine", "admit", "postgres", "redis"}

func benchOnsale(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench onsale", `Sells out an event: --buyers concurrent buyers each hold 1–4 tickets at a time
(--mix) until all --seats are gone, then audits that nothing was oversold.
By default admit runs in-process on a temporary data directory; --url and
--token aim it at a running server instead. --compare runs hello, engine,
admit, postgres and redis one after another and prints them side by side.

The HTTP targets (hello, admit, postgres, redis) are driven by wrk (--load
wrk, the default: another process, one thread, --buyers connections, 256
unless given; Debian: apt-get install wrk), so that the load generator is
not what saturates first; --load go uses Go clients in this process (2000
buyers unless given). The engine target is always in-process. --duration
10s measures a steady state instead: wrk runs that long against an event
too big to sell out. --print-lua prints wrk's script (docs/bench.md).`, getenv, stderr)
	target := f.String("target", "admit", "what to sell from: engine, hello, admit, postgres or redis")
	compare := f.Bool("compare", false, "run every target one after another and compare them")
	url := f.String("url", "", "a running admit server to sell from (target admit), e.g. http://127.0.0.1:8080, started with --exempt-loopback")
	token := f.string("token", "ADMIT_TOKEN", "", "an organizer API token of the server at --url")
	seats := f.Int("seats", 100_000, "tickets on sale")
	buyers := f.Int("buyers", 0, "concurrent buyers: with --load wrk wrk's connections (default 256), with --load go Go clients (default 2000)")
	connections := f.Int("connections", 0, "the same as --buyers: wrk's connections (default 256)")
	load := f.String("load", "wrk", "what sends the HTTP targets' holds: wrk (needs wrk on the PATH) or go (clients in this process)")
	duration := f.Duration("duration", 0, "0: sell out the event; above 0: run wrk this long against an event that does not sell out and report the steady rate (--seats defaults to 10000000 then)")
	printLua := f.Bool("print-lua", false, "print the Lua script wrk runs as the buyers, and exit")
	mixFlag := f.String("mix", "40,35,15,10", "weights of asking for 1, 2, 3, 4 … tickets at once")
	soldOut := f.Duration("soldout-duration", 2*time.Second, "after the sell-out, keep asking this long to measure sold-out answers (0 skips)")
	timeout := f.Duration("timeout", 5*time.Minute, "give up after this long")
	pg := f.string("pg", "ADMIT_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL for the postgres target")
	redisAddr := f.string("redis", "ADMIT_BENCH_REDIS", "127.0.0.1:6379", "Redis for the redis target")
	pool := f.Int("pool", 0, "connections of the postgres and redis targets' pools (0: their defaults, 4×cores and 10×cores)")
	asJSON := f.Bool("json", false, "print the result as JSON (an array with --compare)")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the whole run (clients and servers) to this file")
	if err := f.parse(args); err != nil {
		return err
	}
	if *printLua {
		fmt.Fprint(stdout, bench.LuaScript)
		return nil
	}
	seatsSet := false
	f.Visit(func(fl *flag.Flag) { seatsSet = seatsSet || fl.Name == "seats" })
	switch {
	case *buyers > 0 && *connections > 0 && *buyers != *connections:
		return &usageError{"--buyers and --connections are the same: give one"}
	case *connections > 0:
		*buyers = *connections
	case *buyers == 0 && *load == "go":
		*buyers = 2000
	case *buyers == 0:
		*buyers = 256
	}
	switch {
	case *load != "wrk" && *load != "go":
		return &usageError{fmt.Sprintf("unknown --load %q: want wrk or go", *load)}
	case *duration < 0:
		return &usageError{"--duration must be 0 (sell out) or above"}
	case *duration > 0 && *load != "wrk":
		return &usageError{"--duration needs --load wrk"}
	case *duration > 0 && !*compare && *target == "engine":
		return &usageError{"--duration needs an HTTP target (hello, admit, postgres or redis): the engine target sells out"}
	case *duration > 0 && !seatsSet:
		*seats = 10_000_000 // the most a quota holds: more than 2 cores sell in a few minutes
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mix, err := bench.ParseMix(*mixFlag)
	if err != nil {
		return &usageError{err.Error()}
	}
	switch {
	case *seats < 1 || *seats > 10_000_000:
		return &usageError{"--seats must be between 1 and 10000000"}
	case *buyers < 1 || *buyers > 10_000:
		return &usageError{"--buyers must be between 1 and 10000"}
	case *url != "" && *token == "":
		return &usageError{"--url needs --token (an organizer API token of that server)"}
	case *url != "" && *compare:
		return &usageError{"--compare starts its own servers; leave out --url"}
	case *url != "" && *target != "admit":
		return &usageError{"--url works with --target admit only"}
	case *pool < 0 || *pool > 1000:
		return &usageError{"--pool must be between 0 and 1000"}
	}
	targets := []string{*target}
	if *compare {
		targets = compareOrder
		if *duration > 0 {
			targets = slices.DeleteFunc(slices.Clone(targets), func(t string) bool { return t == "engine" })
		}
	} else if !slices.Contains(compareOrder, *target) {
		return &usageError{fmt.Sprintf("unknown --target %q: want engine, hello, admit, postgres or redis", *target)}
	}
	var wrk string
	if *load == "wrk" && slices.ContainsFunc(targets, func(t string) bool { return t != "engine" }) {
		p, err := bench.LookWrk()
		if err != nil {
			return err
		}
		wrk = p
	}
	var progress io.Writer
	if fd, ok := stderr.(*os.File); ok && isatty.IsTerminal(fd.Fd()) {
		progress = stderr
	}
	var results []bench.Result
	var skipped []string
	failed := false
	for _, name := range targets {
		cfg := bench.Config{Target: name, Seats: *seats, Buyers: *buyers, Mix: mix, SoldOut: *soldOut,
			Timeout: *timeout, Progress: progress, Wrk: wrk, Duration: *duration}
		res, err := onsaleTarget(ctx, cfg, *url, *token, *pg, *redisAddr, *pool)
		var unreachable *storeError
		if *compare && errors.As(err, &unreachable) {
			// The others still run; the comparison says what is missing.
			fmt.Fprintf(stderr, "admit bench: %s skipped: %v\n", name, err)
			skipped = append(skipped, name)
			continue
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !res.Audit.OK || res.Oversold > 0 || !res.Complete {
			failed = true
		}
		results = append(results, res)
		if !*asJSON && !*compare {
			printResult(stdout, res)
		}
	}
	switch {
	case *asJSON && *compare:
		writeIndentedJSON(stdout, results)
	case *asJSON:
		writeIndentedJSON(stdout, results[0])
	case *compare:
		printComparison(stdout, results)
	}
	if failed && *duration > 0 {
		return errors.New("the audit failed or the event sold out within --duration (not a steady state): see above")
	}
	if failed {
		return errors.New("the audit failed or the run did not sell out: see above")
	}
	if len(skipped) > 0 {
		return fmt.Errorf("skipped %s: the server could not be reached (see above)", strings.Join(skipped, " and "))
	}
	return nil
}

// storeError: a baseline's server could not be reached.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// onsaleTarget sets up one target, runs the on-sale on it and tears it down.
func onsaleTarget(ctx context.Context, cfg bench.Config, url, token, pg, redisAddr string, pool int) (bench.Result, error) {
	var t bench.Target
	var cleanup func()
	switch cfg.Target {
	case "engine":
		dir, err := os.MkdirTemp("", "admit-bench-")
		if err != nil {
			return bench.Result{}, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		e, err := bench.NewEngine(ctx, dir)
		if err != nil {
			cleanup()
			return bench.Result{}, err
		}
		t = e
	case "admit":
		if url != "" {
			t = bench.NewAdmit(url, token, cfg.Buyers)
			break
		}
		srv, err := startInProcess(ctx)
		if err != nil {
			return bench.Result{}, err
		}
		cleanup = func() { os.RemoveAll(srv.root) }
		a := bench.NewAdmit(srv.url, srv.token, cfg.Buyers)
		a.DataDir, a.Stop = srv.data, srv.stop
		t = a
	default:
		store, err := newStore(ctx, cfg.Target, pg, redisAddr, pool)
		if err != nil {
			return bench.Result{}, err
		}
		b, err := bench.NewBaseline(cfg.Target, store, cfg.Buyers)
		if err != nil {
			store.Close()
			return bench.Result{}, err
		}
		t = b
	}
	defer func() {
		t.Close()
		if cleanup != nil {
			cleanup()
		}
	}()
	var res bench.Result
	var err error
	if ht, ok := t.(bench.HTTPTarget); ok && cfg.Wrk != "" {
		switch cfg.Target {
		case "admit":
			if url != "" {
				cfg.ServerAddr = url // another process: its CPU is read from /proc
			}
		case "postgres":
			cfg.StoreAddr = pgAddr(pg)
		case "redis":
			cfg.StoreAddr = redisAddr
		}
		res, err = bench.RunWrk(ctx, cfg, ht)
	} else {
		switch cfg.Target {
		case "postgres":
			cfg.StoreAddr = pgAddr(pg)
		case "redis":
			cfg.StoreAddr = redisAddr
		}
		res, err = bench.Run(ctx, cfg, t)
	}
	if cfg.Target == "admit" {
		res.RateLimits = inProcessLimits
		if url != "" {
			res.RateLimits = "those of the server at " + url + " (not known here: answers 429 count as shed; for the box office's own figures, run it with --exempt-loopback)"
		}
	}
	return res, err
}

// inProcessLimits are the rate limits of the server the bench starts: all
// its buyers come from 127.0.0.1, one client, so serve's defaults would
// measure the limit, not the box office.
var inProcessLimits = "serve's defaults (writes " + defaultWriteRate + " burst " + strconv.Itoa(defaultWriteBurst) +
	", failed authentications " + defaultAuthRate + " burst " + strconv.Itoa(defaultAuthBurst) +
	" per client) with --exempt-loopback: the buyers, all on 127.0.0.1, are not limited"

// pgAddr is the host:port of a PostgreSQL URL, for reading the server's
// CPU time; "" when it names none.
func pgAddr(dsn string) string {
	u, err := neturl.Parse(dsn)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() == "" {
		return u.Host + ":5432"
	}
	return u.Host
}

func newStore(ctx context.Context, target, pg, redisAddr string, pool int) (baseline.Store, error) {
	switch target {
	case "hello":
		return baseline.NewMemory(), nil
	case "postgres":
		s, err := baseline.NewPostgres(ctx, pg, pool)
		if err != nil {
			return nil, &storeError{fmt.Errorf("the postgres target needs PostgreSQL at --pg %s: %w", pg, err)}
		}
		return s, nil
	case "redis":
		s, err := baseline.NewRedis(ctx, redisAddr, pool)
		if err != nil {
			return nil, &storeError{fmt.Errorf("the redis target needs Redis at --redis %s: %w", redisAddr, err)}
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w %q", bench.ErrUnknownTarget, target)
}

// inProcess is an admit server started by the bench on a temporary data
// directory, exactly as "admit serve" runs.
type inProcess struct {
	url, token string
	root, data string // the temporary directory, and the data directory in it
	stop       func() error
}

// startInProcess runs serve in this process on 127.0.0.1:0 and waits until
// it listens.
func startInProcess(ctx context.Context, extra ...string) (*inProcess, error) {
	dir, err := os.MkdirTemp("", "admit-bench-")
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(dir, "token")
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	out := newLineWatch("admit is running at ")
	done := make(chan error, 1)
	args := []string{"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--bootstrap-token-file", tokenFile,
		"--log-format", "text", "--log-level", "error",
		"--exempt-loopback"} // its thousands of buyers are all 127.0.0.1
	args = append(args, extra...)
	go func() { done <- serve(sctx, args, func(string) string { return "" }, out, os.Stderr) }()
	var url string
	select {
	case url = <-out.found:
	case err := <-done:
		cancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start admit: %w", err)
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		cancel()
		<-done
		os.RemoveAll(dir)
		return nil, err
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	return &inProcess{url: url, token: strings.TrimSpace(string(token)), root: dir, data: filepath.Join(dir, "data"), stop: stop}, nil
}

// lineWatch is a writer that reports the rest of the first line starting
// with prefix.
type lineWatch struct {
	prefix string
	found  chan string
	mu     sync.Mutex
	buf    []byte
	done   bool
}

func newLineWatch(prefix string) *lineWatch {
	return &lineWatch{prefix: prefix, found: make(chan string, 1)}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if url, ok := lineAfter(string(w.buf), w.prefix); ok {
		w.done = true
		w.found <- strings.TrimSpace(url)
	}
	return len(p), nil
}

// lineAfter returns the rest of the complete line that follows prefix in s.
func lineAfter(s, prefix string) (string, bool) {
	_, rest, ok := strings.Cut(s, prefix)
	if !ok {
		return "", false
	}
	line, _, ok := strings.Cut(rest, "\n")
	return line, ok
}

func writeIndentedJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func printResult(w io.Writer, r bench.Result) {
	status := "sold out"
	if !r.Complete {
		status = "DID NOT SELL OUT before the timeout"
	}
	if r.Mode == "steady" {
		status = "steady state"
		if !r.Complete {
			status = "SOLD OUT within the window (not a steady state)"
		}
		fmt.Fprintf(w, "%s: %s, %d of %d seats sold in a %.2f s window (%s)\n", r.Target, status, r.Sold, r.Seats, r.DurationS, loadOf(r))
	} else {
		fmt.Fprintf(w, "%s: %s %d of %d seats in %.2f s (%s)\n", r.Target, status, r.Sold, r.Seats, r.DurationS, loadOf(r))
	}
	fmt.Fprintf(w, "  holds/s      %.0f   tickets/s %.0f   answers/s while selling %.0f\n", r.HoldsPerS, r.TicketsPerS, r.RequestsPerS)
	if r.SoldOutPerS > 0 {
		fmt.Fprintf(w, "  sold-out answers/s after the sell-out %.0f\n", r.SoldOutPerS)
	}
	fmt.Fprintf(w, "  latency      p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms\n", r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs)
	fmt.Fprintf(w, "  answers      granted %d   sold out %d   shed %d   failed %d", r.Granted, r.SoldOutN, r.ShedN, r.Errors)
	if r.LoadGenerator == "wrk" {
		fmt.Fprintf(w, "   unanswered when wrk stopped %d", r.Unanswered)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  cpu          %s while selling", cpuShares(r.LoadgenCPUPct, r.ServerCPUPct, r.StoreCPUPct))
	if r.SoldOutServerCPUPct != nil {
		fmt.Fprintf(w, "; %s after the sell-out", cpuShares(r.SoldOutLoadgenCPUPct, r.SoldOutServerCPUPct, r.SoldOutStoreCPUPct))
	}
	fmt.Fprintln(w, " (% of one core)")
	fmt.Fprintf(w, "    server: %s\n", r.ServerCPU)
	if r.StoreCPU != "" {
		fmt.Fprintf(w, "    store: %s\n", r.StoreCPU)
	}
	verdict := "OK"
	if !r.Audit.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "  audit        %s: oversold %d; checked against %s\n", verdict, r.Oversold, r.Audit.Source)
	for _, p := range r.Audit.Problems {
		fmt.Fprintf(w, "    - %s\n", p)
	}
	if r.RateLimits != "" {
		fmt.Fprintf(w, "  rate limits  %s\n", r.RateLimits)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note         %s\n", n)
	}
}

// loadOf says what sent the holds.
func loadOf(r bench.Result) string {
	switch r.LoadGenerator {
	case "wrk":
		return fmt.Sprintf("wrk, 1 thread, %d connections", r.Buyers)
	case "go":
		return fmt.Sprintf("%d Go clients in this process", r.Buyers)
	}
	return fmt.Sprintf("%d callers in this process", r.Buyers)
}

// cpuShares prints the CPU percentages that are known.
func cpuShares(loadgen, server, store *float64) string {
	var parts []string
	if loadgen != nil {
		parts = append(parts, fmt.Sprintf("wrk %.0f%%", *loadgen))
	}
	if server != nil {
		parts = append(parts, fmt.Sprintf("server %.0f%%", *server))
	}
	if store != nil {
		parts = append(parts, fmt.Sprintf("store %.0f%%", *store))
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, ", ")
}

// pctCell is a table cell of a CPU share, "-" when unknown.
func pctCell(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *p)
}

// printComparison prints the --compare table, with ratios to hello.
func printComparison(w io.Writer, rs []bench.Result) {
	var hello *bench.Result
	for i := range rs {
		if rs[i].Target == "hello" {
			hello = &rs[i]
		}
	}
	ratio := func(v, base float64) string {
		if base <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", v/base)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	steady := len(rs) > 0 && rs[0].Mode == "steady"
	secs := "sell-out s"
	if steady {
		secs = "window s"
	}
	fmt.Fprintln(tw, "target\tload\tsold\toversold\t"+secs+"\tholds/s\t× hello\tsold-out/s\t× hello\tp50 ms\tp99 ms\terrors\taudit\t"+
		"loadgen cpu\tserver cpu\tstore cpu\t")
	for _, r := range rs {
		audit := "ok"
		if !r.Audit.OK {
			audit = "FAILED"
		}
		var hh, hs float64
		if hello != nil {
			hh, hs = hello.HoldsPerS, hello.SoldOutPerS
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%.0f\t%s\t%.0f\t%s\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t\n", r.Target, r.LoadGenerator,
			r.Sold, r.Oversold, r.DurationS, r.HoldsPerS, ratio(r.HoldsPerS, hh), r.SoldOutPerS, ratio(r.SoldOutPerS, hs),
			r.P50Ms, r.P99Ms, r.Errors, audit, pctCell(r.LoadgenCPUPct), pctCell(r.ServerCPUPct), pctCell(r.StoreCPUPct))
	}
	tw.Flush()
	fmt.Fprintln(w, "cpu: percent of one core over the sale's wall time (2 cores = 200%); loadgen is wrk, server this process")
	fmt.Fprintln(w, "(the HTTP server, or the engine and its callers, or with --load go the server and its Go clients),")
	fmt.Fprintln(w, "store the PostgreSQL or Redis server's processes.")
	for _, r := range rs {
		for _, p := range r.Audit.Problems {
			fmt.Fprintf(w, "%s: %s\n", r.Target, p)
		}
		if r.RateLimits != "" {
			fmt.Fprintf(w, "%s: rate limits: %s\n", r.Target, r.RateLimits)
		}
		if r.StoreCPU != "" {
			fmt.Fprintf(w, "%s: store cpu: %s\n", r.Target, r.StoreCPU)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "%s: %s\n", r.Target, n)
		}
	}
}

func benchChaos(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench chaos", `Runs "admit serve" as a child process under on-sale load (holds and
releases), kills it with SIGKILL at random moments --kills times, restarting
it each time, then stops it cleanly and audits: every acknowledged hold and
release is in the ledger, no quota was ever exceeded, and the read model
equals a rebuild from the ledger. Exits non-zero on any loss.

--cluster runs three NATS servers (R3, every write fsynced) and three
"admit serve --nats" nodes as child processes on loopback instead; the
buyers, spread over the nodes, retry with the same Idempotency-Key and move
to another node when theirs is down. Each of the --kills faults is a SIGKILL
of a node (the event's lease holder three times in four), a SIGTERM of one,
or a SIGKILL of a NATS server (never two down at once); each is restarted.
It measures how long the event takes to sell again after its lease holder
is killed or stopped, and the stall of acknowledgements after a NATS
server's kill, then audits the ledger and every node's read model.`, getenv, stderr)
	cluster := f.Bool("cluster", false, "three NATS servers and three admit nodes instead of one admit serve")
	kills := f.Int("kills", 20, "how many times to kill the server (--cluster: how many faults)")
	seats := f.Int("seats", 1_000_000, "tickets on sale")
	buyers := f.Int("buyers", 200, "concurrent buyers")
	release := f.Float64("release", 0.2, "share of their holds buyers release again (0 to 1)")
	maxDelay := f.Duration("max-delay", time.Second, "a kill comes at a random moment up to this long after a restart took load")
	data := f.String("data", "", "data directory for the child (default: a new temporary directory, removed when the audit passes)")
	bin := f.String("bin", "", "the admit binary to run (default: this one)")
	seed := f.Uint64("seed", 0, "with --cluster: the faults' random choices, to run the same faults again (default: from the clock; the run prints it)")
	asJSON := f.Bool("json", false, "print the result as JSON")
	if err := f.parse(args); err != nil {
		return err
	}
	switch {
	case *seed != 0 && !*cluster:
		return &usageError{"--seed is for --cluster"}
	case *kills < 1 || *kills > 10_000:
		return &usageError{"--kills must be between 1 and 10000"}
	case *seats < 1 || *seats > 10_000_000:
		return &usageError{"--seats must be between 1 and 10000000"}
	case *buyers < 1 || *buyers > 10_000:
		return &usageError{"--buyers must be between 1 and 10000"}
	case *release < 0 || *release > 1:
		return &usageError{"--release must be between 0 and 1"}
	case *maxDelay <= 0:
		return &usageError{"--max-delay must be above 0"}
	}
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this binary (give --bin): %w", err)
		}
		*bin = exe
	}
	if *cluster && *data != "" {
		return &usageError{"--cluster makes its own directories; leave out --data"}
	}
	dir, temp := *data, *data == ""
	if temp {
		d, err := os.MkdirTemp("", "admit-chaos-")
		if err != nil {
			return err
		}
		dir = d
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return &usageError{fmt.Sprintf("--data %s is not empty: chaos needs a fresh data directory", dir)}
	}
	var log io.Writer
	if !*asJSON {
		log = stdout
	}
	if *cluster {
		return chaosCluster(ctx, bench.ClusterConfig{Bin: *bin, Dir: dir, Faults: *kills, Seats: *seats, Buyers: *buyers,
			Release: *release, MaxDelay: *maxDelay, Seed: *seed, Log: log}, *asJSON, stdout)
	}
	res, err := bench.Chaos(ctx, bench.ChaosConfig{Bin: *bin, Dir: dir, Kills: *kills, Seats: *seats, Buyers: *buyers,
		Release: *release, MaxDelay: *maxDelay, Log: log})
	if err != nil {
		return fmt.Errorf("chaos (data kept in %s): %w", dir, err)
	}
	if *asJSON {
		writeIndentedJSON(stdout, res)
	} else {
		fmt.Fprintf(stdout, "kills %d; holds acknowledged %d, releases acknowledged %d, answers lost in kills %d, refused while down %d\n",
			res.Kills, res.Acknowledged, res.Released, res.Unknown, res.Refused)
		fmt.Fprintf(stdout, "ledger: %d holds; lost %d; oversold %d; read model equals rebuild: %t\n",
			res.InLedger, res.Lost, res.Oversold, res.ReadModelEquals)
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
	}
	if !res.OK() {
		return fmt.Errorf("chaos audit FAILED (data kept in %s)", dir)
	}
	if temp {
		os.RemoveAll(dir)
	}
	if !*asJSON {
		fmt.Fprintln(stdout, "audit OK: nothing acknowledged was lost, nothing oversold")
	}
	return nil
}

func chaosCluster(ctx context.Context, cfg bench.ClusterConfig, asJSON bool, stdout io.Writer) error {
	res, err := bench.ChaosCluster(ctx, cfg)
	if err != nil {
		return fmt.Errorf("chaos --cluster (files kept in %s): %w", cfg.Dir, err)
	}
	if asJSON {
		writeIndentedJSON(stdout, res)
	} else {
		fmt.Fprintf(stdout, "faults %d: %d SIGKILLs of a node, %d SIGTERMs of a node, %d SIGKILLs of a NATS server (--seed %d runs the same choices again)\n",
			len(res.Faults), res.NodeKills, res.NodeStops, res.NATSKills, res.Seed)
		fmt.Fprintf(stdout, "holds acknowledged %d, releases acknowledged %d, outcomes unknown %d, refused while down %d\n",
			res.Acknowledged, res.Released, res.Unknown, res.Refused)
		spread := func(what string, s bench.Spread) {
			if s.N > 0 {
				fmt.Fprintf(stdout, "%s: p50 %.0f ms, max %.0f ms (%d)\n", what, s.P50Ms, s.MaxMs, s.N)
			}
		}
		spread("sold again after the lease holder's SIGKILL", res.TakeoverAfterKill)
		spread("sold again after the lease holder's SIGTERM (once it exited)", res.TakeoverAfterStop)
		spread("a SIGTERM's clean stop took", res.CleanStop)
		spread("longest gap between acknowledged holds after a NATS server's SIGKILL", res.NATSStall)
		spread("the same when it led the ledger's stream or the leases' bucket", res.NATSLeaderStall)
		if res.FailedStarts > 0 {
			fmt.Fprintf(stdout, "node restarts that exited at start and were tried again: %d\n", res.FailedStarts)
		}
		for _, u := range res.Unexpected {
			fmt.Fprintf(stdout, "  unexpected: %s\n", u)
		}
		fmt.Fprintf(stdout, "ledger: %d holds; lost %d; oversold %d; every node's read model equals a rebuild: %t\n",
			res.InLedger, res.Lost, res.Oversold, res.ReadModelEquals)
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
	}
	if !res.OK() {
		return fmt.Errorf("chaos --cluster audit FAILED (files kept in %s)", cfg.Dir)
	}
	os.RemoveAll(cfg.Dir)
	if !asJSON {
		fmt.Fprintln(stdout, "audit OK: nothing acknowledged was lost, nothing oversold")
	}
	return nil
}

// benchNATSServer runs one NATS server of "bench chaos --cluster" until
// SIGTERM.
func benchNATSServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench nats-server", `Runs one nats-server of "admit bench chaos --cluster": JetStream in --store,
routed to the others of its cluster, every write fsynced before it is
acknowledged. The chaos run starts three; it is not meant to be run by hand.`, getenv, stderr)
	name := f.String("name", "", "the server's name in its cluster, e.g. s1")
	addr := f.String("addr", "", "client address, e.g. 127.0.0.1:4222")
	clusterAddr := f.String("cluster-addr", "", "route address, e.g. 127.0.0.1:6222")
	routes := f.String("routes", "", "every server's route URL, comma-separated, e.g. nats://127.0.0.1:6222,nats://127.0.0.1:6223")
	store := f.String("store", "", "JetStream's directory")
	if err := f.parse(args); err != nil {
		return err
	}
	for _, req := range []struct{ flag, v string }{{"--name", *name}, {"--addr", *addr}, {"--cluster-addr", *clusterAddr},
		{"--routes", *routes}, {"--store", *store}} {
		if req.v == "" {
			return &usageError{"bench nats-server needs " + req.flag}
		}
	}
	return bench.RunNATSServer(ctx, bench.NATSServerConfig{Name: *name, Addr: *addr, ClusterAddr: *clusterAddr,
		Routes: *routes, StoreDir: *store}, stdout)
}
