package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one on-sale run.
type Config struct {
	Target   string        // engine, hello, admit, postgres or redis
	Seats    int           // tickets on sale, spread over the ticket types
	Buyers   int           // concurrent buyers, each with one request in flight
	Mix      Mix           // how many tickets a buyer asks for at once
	SoldOut  time.Duration // after the sell-out, how long buyers keep asking (measures sold-out answers); 0 skips it
	Timeout  time.Duration // the whole run gives up after this
	Progress io.Writer     // a live progress line goes here when not nil

	// For RunWrk: Buyers are wrk's connections.
	Wrk string // the wrk binary; "" finds it on the PATH
	// Duration, when above 0, runs wrk this long against an event that must
	// not sell out in that time (a steady state), instead of selling out.
	Duration time.Duration
	// ServerAddr is the server's listening address when it is another
	// process than this one (admit at --url): its CPU is read from /proc.
	ServerAddr string
	// StoreAddr is the address of the store's server (PostgreSQL, Redis),
	// whose CPU is read from /proc.
	StoreAddr string
}

// Defaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Seats <= 0 {
		c.Seats = 100_000
	}
	if c.Buyers <= 0 {
		c.Buyers = 2000
	}
	if c.Mix == nil {
		c.Mix = DefaultMix
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	return c
}

// Mix is the weight of asking for 1, 2, 3, … tickets at once.
type Mix []int

// DefaultMix: most buyers want one or two tickets.
var DefaultMix = Mix{40, 35, 15, 10}

// ParseMix reads "40,35,15,10": the weights of asking for 1, 2, 3 and 4 tickets.
func ParseMix(s string) (Mix, error) {
	var m Mix
	total := 0
	for f := range strings.SplitSeq(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("mix %q: each weight must be a whole number ≥ 0, e.g. 40,35,15,10", s)
		}
		m = append(m, w)
		total += w
	}
	if total == 0 || len(m) > 10 {
		return nil, fmt.Errorf("mix %q: give 1 to 10 weights (for 1, 2, … tickets) with at least one above 0", s)
	}
	return m, nil
}

func (m Mix) pick(r *rand.Rand) int {
	total := 0
	for _, w := range m {
		total += w
	}
	n := r.IntN(total)
	for i, w := range m {
		if n < w {
			return i + 1
		}
		n -= w
	}
	return 1
}

// Plan is what goes on sale: ticket types, each counting against its own
// block quota and against the venue's total, as a stadium is set up.
type Plan struct {
	Types  []PlanType
	Quotas []PlanQuota
}

// PlanType is a ticket type; Quotas are indexes into Plan.Quotas.
type PlanType struct {
	Name   string
	ID     string // given by the target at setup
	Quotas []int
}

// PlanQuota is a capacity over ticket types.
type PlanQuota struct {
	Name     string
	ID       string // given by the target at setup
	Capacity int
	Types    []int
}

// NewPlan spreads seats over four blocks (40/30/20/10 %) plus the venue quota.
func NewPlan(seats int) Plan {
	shares := []struct {
		name string
		pct  int
	}{{"Floor", 40}, {"Lower tier", 30}, {"Upper tier", 20}, {"Boxes", 10}}
	var p Plan
	venue := PlanQuota{Name: "Venue", Capacity: seats}
	left := seats
	for i, s := range shares {
		n := seats * s.pct / 100
		if i == len(shares)-1 {
			n = left
		}
		left -= n
		p.Types = append(p.Types, PlanType{Name: s.name, Quotas: []int{i, len(shares)}})
		p.Quotas = append(p.Quotas, PlanQuota{Name: s.name, Capacity: n, Types: []int{i}})
		venue.Types = append(venue.Types, i)
	}
	p.Quotas = append(p.Quotas, venue)
	return p
}

// Outcome is how a target answered one hold.
type Outcome int

// The outcomes.
const (
	Granted Outcome = iota
	SoldOut         // not enough left: the buyer asks for fewer, or gives up on that ticket type
	Shed            // the target said "not now" (503/429); RetryAfter says when to come back
	Failed          // anything else; the hold may or may not have happened
)

// Answer is a target's answer to one hold request.
type Answer struct {
	Outcome    Outcome
	HoldID     string
	RetryAfter time.Duration
	// Left, for SoldOut, is at most how many tickets of the requested type
	// could be held now, as the answer said; -1 when it did not say.
	Left    int
	Err     error // for Failed
	NotSent bool  // for Failed: the request never reached the target (no connection)
	// Transport, for Failed: no HTTP answer came (no connection, or it broke).
	Transport bool
}

// Target is a system that sells holds.
type Target interface {
	Name() string
	// Setup puts the plan on sale, filling in the ids.
	Setup(ctx context.Context, p *Plan) error
	// Hold asks for n tickets of ticket type t of the plan.
	Hold(ctx context.Context, t, n int) Answer
	// Audit returns what the target recorded once the load is over: per
	// quota held, and per hold id its tickets. Source names where it came
	// from, e.g. "ledger replay".
	Audit(ctx context.Context) (Recorded, error)
	Close() error
}

// Recorded is what the system of record says was sold.
type Recorded struct {
	Source string
	Held   []int          // per plan quota
	Holds  map[string]int // per hold id: tickets; nil when the target cannot list them
}

// Result is the summary of a run. The JSON names are stable for scripts.
type Result struct {
	Target       string  `json:"target"`
	Seats        int     `json:"seats"`
	Buyers       int     `json:"buyers"`
	Sold         int     `json:"sold"`
	Oversold     int     `json:"oversold"`
	DurationS    float64 `json:"duration_s"` // from the first request to the last ticket granted
	HoldsPerS    float64 `json:"holds_per_s"`
	TicketsPerS  float64 `json:"tickets_per_s"`
	RequestsPerS float64 `json:"requests_per_s"` // every answer while selling
	SoldOutPerS  float64 `json:"soldout_per_s"`  // sold-out answers per second after the sell-out
	P50Ms        float64 `json:"p50_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	Granted      int     `json:"granted"`
	SoldOutN     int     `json:"sold_out"`
	ShedN        int     `json:"shed"`
	Errors       int     `json:"errors"`
	Complete     bool    `json:"complete"` // every ticket was sold before the timeout
	Audit        Audit   `json:"audit"`
	// RateLimits says which per-client rate limits the server ran with
	// (admit only; set by the caller, who started or named the server).
	RateLimits string `json:"rate_limits,omitempty"`

	// LoadGenerator is what sent the holds: "wrk" (another process, one
	// thread), "go" (Go clients in this process, beside the server) or
	// "in-process" (the engine's callers, no HTTP).
	LoadGenerator string `json:"load_generator"`
	// Mode is "sell-out" (the run sells every seat; duration_s is until the
	// sell-out) or "steady" (wrk runs --duration against an event that does
	// not sell out; duration_s is that window, and complete says that it
	// did not sell out within it).
	Mode string `json:"mode"`
	// CPU while selling (or over the steady window), in percent of one core
	// over the phase's wall time: the load generator's (wrk's user+sys, only
	// with wrk), the server's, and the store's server (postgres, redis:
	// other processes) when it could be read. ServerCPU and StoreCPU say
	// whose time it is, or why it is unknown (then the figure is absent).
	LoadgenCPUPct *float64 `json:"loadgen_cpu_pct,omitempty"`
	ServerCPUPct  *float64 `json:"server_cpu_pct,omitempty"`
	ServerCPU     string   `json:"server_cpu,omitempty"`
	StoreCPUPct   *float64 `json:"store_cpu_pct,omitempty"`
	StoreCPU      string   `json:"store_cpu,omitempty"`
	// The same over the sold-out phase.
	SoldOutLoadgenCPUPct *float64 `json:"soldout_loadgen_cpu_pct,omitempty"`
	SoldOutServerCPUPct  *float64 `json:"soldout_server_cpu_pct,omitempty"`
	SoldOutStoreCPUPct   *float64 `json:"soldout_store_cpu_pct,omitempty"`
	// Unanswered (wrk only) are requests sent whose answer wrk never saw:
	// in flight when it stopped, or lost to a socket error. They count
	// among errors, as requests that may have taken effect.
	Unanswered   int           `json:"unanswered,omitempty"`
	SocketErrors *SocketErrors `json:"socket_errors,omitempty"`
	// Notes are what a reader of the figures should know.
	Notes []string `json:"notes,omitempty"`
}

// Audit is the oversell audit.
type Audit struct {
	OK       bool     `json:"ok"`
	Source   string   `json:"source"`
	Problems []string `json:"problems,omitempty"`
}

// grant is a hold a buyer was granted.
type grant struct {
	id string
	n  int
}

// buyer is one client's record.
type buyer struct {
	rng       *rand.Rand
	lat       []time.Duration
	holds     []grant // in the order granted; merged into a map after the run, off the clock
	perQuota  []int
	gone      []bool // ticket types this buyer saw sold out at quantity 1, or with 0 left
	small     []bool // ticket types where asking for more than one failed, and the answer did not say what is left
	left      []int  // per ticket type, at most this many left, as answers said
	soldOut   int
	shed      int
	failed    int
	lastErr   error
	lastGrant time.Time
	// For the progress line, which reads them while the buyer runs: one
	// counter for all buyers would have every hold contend for it.
	sold, granted, errs atomic.Int64
}

// Run sells out the plan on t and audits the result.
func Run(ctx context.Context, cfg Config, t Target) (Result, error) {
	cfg = cfg.withDefaults()
	plan := NewPlan(cfg.Seats)
	if err := t.Setup(ctx, &plan); err != nil {
		return Result{}, fmt.Errorf("%s: set up the on-sale: %w", t.Name(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	buyers := make([]*buyer, cfg.Buyers)
	for i := range buyers {
		b := &buyer{rng: rand.New(rand.NewPCG(uint64(i), 42)),
			perQuota: make([]int, len(plan.Quotas)), gone: make([]bool, len(plan.Types)), small: make([]bool, len(plan.Types)),
			left: make([]int, len(plan.Types))}
		for t := range b.left {
			b.left[t] = cfg.Seats
		}
		buyers[i] = b
	}
	stopProgress := progress(cfg, buyers)
	cpu0, store0 := selfCPU(), cfg.storeCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for _, b := range buyers {
		wg.Go(func() { b.buy(ctx, cfg, &plan, t) })
	}
	wg.Wait()
	sellEnd := time.Now()
	cpu := selfCPU() - cpu0
	stopProgress()

	res := Result{Target: t.Name(), Seats: cfg.Seats, Buyers: cfg.Buyers, Complete: ctx.Err() == nil,
		LoadGenerator: "go", Mode: "sell-out", ServerCPU: "this process: the server and the Go clients together"}
	if _, ok := t.(*Engine); ok {
		res.LoadGenerator, res.ServerCPU = "in-process", "this process: the box office and its callers together"
	}
	res.ServerCPUPct = ptr(pct(cpu, sellEnd.Sub(start)))
	res.StoreCPUPct, res.StoreCPU = cfg.storeShare(cfg.storeCPU().since(store0), sellEnd.Sub(start))
	var lat []time.Duration
	perQuota := make([]int, len(plan.Quotas))
	granted := make(map[string]int)
	dups := 0 // hold ids granted twice: a target's bug
	lastGrant := start
	for _, b := range buyers {
		lat = append(lat, b.lat...)
		for _, g := range b.holds {
			if _, dup := granted[g.id]; dup {
				dups++
			}
			granted[g.id] = g.n
			res.Sold += g.n
		}
		for q, n := range b.perQuota {
			perQuota[q] += n
		}
		res.SoldOutN += b.soldOut
		res.ShedN += b.shed
		res.Errors += b.failed
		if b.lastGrant.After(lastGrant) {
			lastGrant = b.lastGrant
		}
	}
	res.Granted = len(granted) + dups
	d := lastGrant.Sub(start).Seconds()
	res.DurationS = d
	if d > 0 {
		res.HoldsPerS = float64(res.Granted) / d
		res.TicketsPerS = float64(res.Sold) / d
	}
	if all := sellEnd.Sub(start).Seconds(); all > 0 {
		res.RequestsPerS = float64(len(lat)) / all
	}
	slices.Sort(lat)
	res.P50Ms, res.P90Ms, res.P99Ms = ms(quantile(lat, .50)), ms(quantile(lat, .90)), ms(quantile(lat, .99))
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	for q, n := range perQuota {
		res.Oversold += max(0, n-plan.Quotas[q].Capacity)
	}
	if res.Complete && cfg.SoldOut > 0 {
		cpu0, at := selfCPU(), time.Now()
		res.SoldOutPerS = soldOutStorm(ctx, cfg, &plan, t)
		res.SoldOutServerCPUPct = ptr(pct(selfCPU()-cpu0, time.Since(at)))
	}
	res.Audit = audit(ctx, t, &plan, perQuota, granted, res.Errors)
	if dups > 0 {
		res.Audit.OK = false
		res.Audit.Problems = append(res.Audit.Problems, fmt.Sprintf("%d hold ids were granted twice", dups))
	}
	for _, b := range buyers {
		if b.lastErr != nil && res.Errors > 0 {
			res.Audit.Problems = append(res.Audit.Problems, fmt.Sprintf("%d requests failed; one said: %v", res.Errors, b.lastErr))
			break
		}
	}
	return res, nil
}

// buy asks for tickets until every ticket type is sold out for this buyer.
func (b *buyer) buy(ctx context.Context, cfg Config, p *Plan, t Target) {
	// A context of its own, as each request to a server has: thousands of
	// buyers waiting on one shared Done channel would contend for its lock.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	open := make([]int, 0, len(p.Types))
	for ctx.Err() == nil {
		open = open[:0]
		for i, g := range b.gone {
			if !g {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			return
		}
		tt := open[b.rng.IntN(len(open))]
		n := min(cfg.Mix.pick(b.rng), b.left[tt])
		if b.small[tt] {
			n = 1
		}
		began := time.Now()
		a := t.Hold(ctx, tt, n)
		b.lat = append(b.lat, time.Since(began))
		switch a.Outcome {
		case Granted:
			b.holds = append(b.holds, grant{a.HoldID, n})
			for _, q := range p.Types[tt].Quotas {
				b.perQuota[q] += n
			}
			b.lastGrant = time.Now()
			b.sold.Add(int64(n))
			b.granted.Add(1)
		case SoldOut:
			b.soldOut++
			switch {
			case a.Left == 0 || a.Left < 0 && n == 1:
				b.gone[tt] = true
			case a.Left > 0:
				b.left[tt] = min(b.left[tt], a.Left)
			default:
				b.small[tt] = true
			}
		case Shed:
			b.shed++
			wait(ctx, a.RetryAfter)
		default:
			if ctx.Err() != nil {
				return // the timeout, not the target
			}
			b.failed++
			b.lastErr = a.Err
			b.errs.Add(1)
			wait(ctx, 10*time.Millisecond)
		}
	}
}

// soldOutStorm keeps every buyer asking for one ticket after the sell-out
// and returns the sold-out answers per second.
func soldOutStorm(ctx context.Context, cfg Config, p *Plan, t Target) float64 {
	ctx, cancel := context.WithTimeout(ctx, cfg.SoldOut)
	defer cancel()
	var n atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Buyers {
		wg.Go(func() {
			for tt := i; ctx.Err() == nil; tt++ {
				if a := t.Hold(ctx, tt%len(p.Types), 1); a.Outcome == SoldOut {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// audit compares what clients were told with what the target recorded.
// Requests that failed may have taken effect without the client knowing, so
// up to that many unknown holds are allowed; none may be missing.
func audit(ctx context.Context, t Target, p *Plan, perQuota []int, granted map[string]int, failed int) Audit {
	a := Audit{OK: true}
	bad := func(format string, args ...any) {
		a.OK = false
		a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
	}
	for q, n := range perQuota {
		if n > p.Quotas[q].Capacity {
			bad("quota %s: clients were granted %d tickets, capacity %d", p.Quotas[q].Name, n, p.Quotas[q].Capacity)
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	rec, err := t.Audit(actx)
	if err != nil {
		bad("could not read what %s recorded: %v", t.Name(), err)
		return a
	}
	a.Source = rec.Source
	for q, n := range rec.Held {
		if n > p.Quotas[q].Capacity {
			bad("quota %s: %s holds %d tickets, capacity %d", p.Quotas[q].Name, rec.Source, n, p.Quotas[q].Capacity)
		}
		if n < perQuota[q] || (failed == 0 && n != perQuota[q]) {
			bad("quota %s: %s holds %d tickets, clients were granted %d", p.Quotas[q].Name, rec.Source, n, perQuota[q])
		}
	}
	if rec.Holds == nil {
		return a
	}
	missing, wrong := 0, 0
	for id, n := range granted {
		got, ok := rec.Holds[id]
		switch {
		case !ok:
			missing++
		case got != n:
			wrong++
		}
	}
	if missing > 0 {
		bad("%d acknowledged holds are missing from %s", missing, rec.Source)
	}
	if wrong > 0 {
		bad("%d holds have another number of tickets in %s than their client was told", wrong, rec.Source)
	}
	if extra := len(rec.Holds) - (len(granted) - missing); extra > failed {
		bad("%s has %d holds no client was told of, more than the %d requests that failed", rec.Source, extra, failed)
	}
	return a
}

// progress prints a live line until the returned func is called.
func progress(cfg Config, buyers []*buyer) func() {
	if cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		start, last, lastT := time.Now(), int64(0), time.Now()
		for {
			select {
			case <-done:
				fmt.Fprint(cfg.Progress, "\r\033[K")
				return
			case now := <-tick.C:
				var sold, granted, errs int64
				for _, b := range buyers {
					sold, granted, errs = sold+b.sold.Load(), granted+b.granted.Load(), errs+b.errs.Load()
				}
				rate := float64(granted-last) / now.Sub(lastT).Seconds()
				last, lastT = granted, now
				fmt.Fprintf(cfg.Progress, "\r\033[K%s  sold %d / %d  %.0f holds/s  errors %d  %.1fs",
					cfg.Target, sold, cfg.Seats, rate, errs, now.Sub(start).Seconds())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ErrUnknownTarget is returned for a --target that does not exist.
var ErrUnknownTarget = errors.New("unknown target")
