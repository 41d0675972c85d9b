package bench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LuaScript is the wrk script of the on-sale's buyers (onsale.lua): what
// `admit bench onsale --print-lua` prints.
//
//go:embed onsale.lua
var LuaScript string

// ErrNoWrk is returned when --load wrk is asked for and wrk is not found.
var ErrNoWrk = errors.New("wrk not found: install it (Debian: apt-get install wrk) or pass --load go")

// HTTPTarget is a target served over HTTP, which wrk can drive.
type HTTPTarget interface {
	Target
	// BaseURL is the server's, such as http://127.0.0.1:8080.
	BaseURL() string
	// EventID is the event Setup put on sale.
	EventID() string
}

// LookWrk finds wrk on the PATH, or returns ErrNoWrk.
func LookWrk() (string, error) {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return "", ErrNoWrk
	}
	return p, nil
}

// wrkReport is what one wrk run printed: the script's result line and
// wrk's own summary.
type wrkReport struct {
	Sent, Answered, Granted, Tickets, SoldOut, Shed, Other int
	// From wrk: answers, its run time, socket errors and answers above 399.
	Requests                              int
	Duration                              time.Duration
	Connect, Read, Write, Timeout, Status int
	P50, P90, P99, Max                    time.Duration
	OtherExample                          string
	// Summary is wrk's own count of answers, from its printed summary.
	SummaryRequests int
}

// Unanswered is how many requests wrk sent and never saw answered: lost to
// a read or write error, or in flight when wrk stopped. They may have taken
// effect. wrk calls request() once more than it sends, before it starts,
// to check the request the script builds (script_verify_request).
func (r wrkReport) Unanswered() int { return max(r.Sent-1-r.Answered, 0) }

// Failed is how many requests went wrong: answers that were neither a hold,
// sold out nor shed, and socket errors (a timeout is a late answer, counted
// as what it said).
func (r wrkReport) Failed() int { return r.Other + r.Connect + r.Read + r.Write }

// parseWrkOutput reads wrk's standard output with the script's lines.
func parseWrkOutput(out string) (wrkReport, error) {
	var r wrkReport
	found := false
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "admit-bench-result "):
			found = true
			for f := range strings.FieldsSeq(strings.TrimPrefix(line, "admit-bench-result ")) {
				k, v, ok := strings.Cut(f, "=")
				n, err := strconv.ParseInt(v, 10, 64)
				if !ok || err != nil {
					return r, fmt.Errorf("wrk's result line: %q is not key=number", f)
				}
				us := time.Duration(n) * time.Microsecond
				switch k {
				case "sent":
					r.Sent = int(n)
				case "answered":
					r.Answered = int(n)
				case "granted":
					r.Granted = int(n)
				case "tickets":
					r.Tickets = int(n)
				case "sold_out":
					r.SoldOut = int(n)
				case "shed":
					r.Shed = int(n)
				case "other":
					r.Other = int(n)
				case "requests":
					r.Requests = int(n)
				case "duration_us":
					r.Duration = us
				case "connect":
					r.Connect = int(n)
				case "read":
					r.Read = int(n)
				case "write":
					r.Write = int(n)
				case "timeout":
					r.Timeout = int(n)
				case "status":
					r.Status = int(n)
				case "p50_us":
					r.P50 = us
				case "p90_us":
					r.P90 = us
				case "p99_us":
					r.P99 = us
				case "max_us":
					r.Max = us
				}
			}
		case strings.HasPrefix(line, "admit-bench-other "):
			r.OtherExample = strings.TrimPrefix(line, "admit-bench-other ")
		case strings.Contains(line, " requests in "):
			// "  12345 requests in 2.00s, 3.21MB read"
			if n, err := strconv.Atoi(strings.Fields(line)[0]); err == nil {
				r.SummaryRequests = n
			}
		case strings.HasPrefix(line, "Socket errors:"):
			// "Socket errors: connect 0, read 3, write 0, timeout 12": the
			// script's line says the same; this one is wrk's own.
			var c, rd, w, t int
			if _, err := fmt.Sscanf(line, "Socket errors: connect %d, read %d, write %d, timeout %d", &c, &rd, &w, &t); err == nil && !found {
				r.Connect, r.Read, r.Write, r.Timeout = c, rd, w, t
			}
		}
	}
	if !found {
		return r, errors.New("wrk printed no admit-bench-result line: did the script run? wrk said: " + lastLines(out, 5))
	}
	return r, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], " | ")
}

// readHolds reads the granted holds the script wrote to files matching
// glob: per hold id its tickets, per ticket type id the tickets, and how
// many lines named a hold id already seen in an earlier line of another
// ticket type (one hold of several items; the bench sends one item).
func readHolds(glob string) (holds map[string]int, perType map[string]int, lines int, err error) {
	files, err := filepath.Glob(glob)
	if err != nil {
		return nil, nil, 0, err
	}
	holds, perType = map[string]int{}, map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, 0, err
		}
		for line := range strings.Lines(string(data)) {
			fs := strings.Fields(line)
			if len(fs) != 3 {
				return nil, nil, 0, fmt.Errorf("%s: %q is not \"<hold id> <ticket type id> <quantity>\"", f, line)
			}
			n, err := strconv.Atoi(fs[2])
			if err != nil {
				return nil, nil, 0, fmt.Errorf("%s: %q: %w", f, line, err)
			}
			holds[fs[0]] += n
			perType[fs[1]] += n
			lines++
		}
	}
	return holds, perType, lines, nil
}

// wrkPhase is one run of wrk and what it cost.
type wrkPhase struct {
	report     wrkReport
	start      time.Time
	soldOutAt  time.Time // zero when the poll never saw the event sold out
	exited     bool      // wrk ended by itself (its -d), not by our SIGINT
	wall       time.Duration
	wrkCPU     time.Duration
	selfCPU    time.Duration
	serverCPU  cpuReading
	storeCPU   cpuReading
	allGranted bool
	doneCh     chan struct{} // closed when wrk has exited
}

// wrkArgs is a run's arguments to wrk and to the script.
type wrkArgs struct {
	wrk, script, url string
	conns            int
	maxRun           time.Duration // wrk's -d: a backstop, the bench stops it with SIGINT
	stopAfter        time.Duration // SIGINT after this long; 0: at sell-out, or at maxRun
	untilSoldOut     bool          // poll the availability and stop at the sell-out
	lua              []string
}

// runWrk runs wrk once. With untilSoldOut it polls the target's
// availability every 10 ms, notes the sell-out, waits until the script has
// seen every seat granted (or 2 s), and stops wrk with SIGINT.
func runWrk(ctx context.Context, t HTTPTarget, cfg Config, a wrkArgs) (wrkPhase, error) {
	secs := int(math.Ceil(a.maxRun.Seconds()))
	args := []string{"-t1", "-c" + strconv.Itoa(a.conns), "-d" + strconv.Itoa(max(secs, 1)) + "s", "--timeout", "5s",
		"-s", a.script, a.url, "--"}
	args = append(args, a.lua...)
	cmd := exec.Command(a.wrk, args...)
	// wrk dies with the bench: a bench that crashes or is killed leaves no
	// load running against the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	var outMu sync.Mutex
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	allGranted := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			outMu.Lock()
			out.Write(sc.Bytes())
			out.WriteByte('\n')
			outMu.Unlock()
			if !once && sc.Text() == "admit-bench: all seats granted" {
				once = true
				close(allGranted)
			}
		}
		io.Copy(io.Discard, pr)
	})
	ph := wrkPhase{doneCh: make(chan struct{})}
	server0, store0 := cfg.serverCPU(), cfg.storeCPU()
	self0 := selfCPU()
	ph.start = time.Now()
	if err := cmd.Start(); err != nil {
		pw.Close()
		readers.Wait()
		return ph, fmt.Errorf("start wrk: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var waitErr error
	stopped := false
	// stop sends SIGINT until wrk exits: wrk ignores it until its threads
	// run, and one that comes just before its sleep is not seen by it. Before
	// wrk catches SIGINT (SigCgt in /proc), the signal would kill it.
	stop := func() {
		if !stopped {
			stopped = true
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					if catchesSIGINT(cmd.Process.Pid) && cmd.Process.Signal(os.Interrupt) != nil {
						return
					}
					select {
					case <-tick.C:
					case <-ph.done():
						return
					}
				}
			}()
		}
	}
	var stopAt <-chan time.Time
	if a.stopAfter > 0 {
		tm := time.NewTimer(a.stopAfter)
		defer tm.Stop()
		stopAt = tm.C
	}
	var poll <-chan time.Time
	if a.untilSoldOut {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		poll = tick.C
	}
	var grace <-chan time.Time
	cancelled := ctx.Done()
	pollClient := &http.Client{Timeout: 5 * time.Second}
	availURL := strings.TrimRight(t.BaseURL(), "/") + "/api/v1/public/events/" + t.EventID() + "/availability"
loop:
	for {
		select {
		case waitErr = <-exited:
			ph.exited = !stopped
			break loop
		case <-cancelled:
			cancelled = nil
			stop()
		case <-stopAt:
			stop()
		case <-poll:
			if soldOut(ctx, pollClient, availURL) {
				ph.soldOutAt = time.Now()
				poll = nil
				g := time.NewTimer(2 * time.Second)
				defer g.Stop()
				grace = g.C
			}
		case <-allGranted:
			ph.allGranted = true
			allGranted = nil
		case <-grace:
			stop()
		}
		if !ph.soldOutAt.IsZero() && ph.allGranted {
			stop()
		}
	}
	close(ph.doneCh)
	ph.wall = time.Since(ph.start)
	ph.selfCPU = selfCPU() - self0
	ph.serverCPU, ph.storeCPU = cfg.serverCPU().since(server0), cfg.storeCPU().since(store0)
	pw.Close()
	readers.Wait()
	if st := cmd.ProcessState; st != nil {
		ph.wrkCPU = st.UserTime() + st.SystemTime()
	}
	outMu.Lock()
	text := out.String()
	outMu.Unlock()
	rep, err := parseWrkOutput(text)
	if err != nil {
		if waitErr != nil {
			return ph, fmt.Errorf("wrk: %v: %s%s", waitErr, stderr.String(), lastLines(text, 5))
		}
		return ph, fmt.Errorf("%w (stderr: %s)", err, strings.TrimSpace(stderr.String()))
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		return ph, fmt.Errorf("wrk: %s", s) // a script error, e.g.
	}
	ph.report = rep
	return ph, nil
}

// catchesSIGINT reports whether process pid has a handler for SIGINT, from
// the SigCgt mask of /proc/<pid>/status; true when that cannot be read.
func catchesSIGINT(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return true
	}
	for line := range strings.Lines(string(data)) {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return err != nil || m&(1<<(int(syscall.SIGINT)-1)) != 0
		}
	}
	return true
}

// soldOut reports whether the event's availability (admit's answer, or the
// baseline handler's) says that every quota is full.
func soldOut(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var a struct {
		Quotas []struct {
			Available int `json:"available"`
		} `json:"quotas"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || len(a.Quotas) == 0 {
		return false
	}
	for _, q := range a.Quotas {
		if q.Available > 0 {
			return false
		}
	}
	return true
}

// RunWrk sells out the plan on t with wrk as the buyers, or with
// cfg.Duration runs wrk that long against an event that does not sell out,
// and audits the result.
func RunWrk(ctx context.Context, cfg Config, t HTTPTarget) (Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Wrk == "" {
		p, err := LookWrk()
		if err != nil {
			return Result{}, err
		}
		cfg.Wrk = p
	}
	plan := NewPlan(cfg.Seats)
	if err := t.Setup(ctx, &plan); err != nil {
		return Result{}, fmt.Errorf("%s: set up the on-sale: %w", t.Name(), err)
	}
	dir, err := os.MkdirTemp("", "admit-bench-wrk-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "onsale.lua")
	if err := os.WriteFile(script, []byte(LuaScript), 0o644); err != nil {
		return Result{}, err
	}
	var types []string
	for i, pt := range plan.Types {
		capacity := math.MaxInt
		for _, q := range pt.Quotas {
			capacity = min(capacity, plan.Quotas[q].Capacity)
		}
		types = append(types, plan.Types[i].ID+":"+strconv.Itoa(capacity))
	}
	mix := make([]string, len(cfg.Mix))
	for i, w := range cfg.Mix {
		mix[i] = strconv.Itoa(w)
	}
	lua := func(mode, holds string, seats int) []string {
		return []string{"event=/api/v1/public/events/" + t.EventID(), "types=" + strings.Join(types, ","),
			"mix=" + strings.Join(mix, ","), "mode=" + mode, "holds=" + filepath.Join(dir, holds), "seats=" + strconv.Itoa(seats)}
	}
	base := wrkArgs{wrk: cfg.Wrk, script: script, url: strings.TrimRight(t.BaseURL(), "/"), conns: cfg.Buyers}

	stopProgress := progressWrk(cfg)
	sale := base
	steady := cfg.Duration > 0
	if steady {
		sale.maxRun, sale.stopAfter, sale.untilSoldOut = cfg.Duration+2*time.Second, cfg.Duration, false
		sale.lua = lua("sale", "sale", 0)
	} else {
		sale.maxRun, sale.untilSoldOut = cfg.Timeout, true
		sale.lua = lua("sale", "sale", cfg.Seats)
	}
	ph, err := runWrk(ctx, t, cfg, sale)
	stopProgress()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", t.Name(), err)
	}
	if steady {
		// Sold out within the window? One look at the end says.
		if soldOut(ctx, &http.Client{Timeout: 5 * time.Second},
			strings.TrimRight(t.BaseURL(), "/")+"/api/v1/public/events/"+t.EventID()+"/availability") {
			ph.soldOutAt = time.Now()
		}
	}
	rep := ph.report
	res := Result{Target: t.Name(), Seats: cfg.Seats, Buyers: cfg.Buyers, LoadGenerator: "wrk", Mode: "sell-out"}
	res.Granted, res.SoldOutN, res.ShedN = rep.Granted, rep.SoldOut, rep.Shed
	res.Errors = rep.Failed()
	res.Unanswered = rep.Unanswered()
	res.SocketErrors = &SocketErrors{Connect: rep.Connect, Read: rep.Read, Write: rep.Write, Timeout: rep.Timeout}
	res.P50Ms, res.P90Ms, res.P99Ms, res.MaxMs = ms(rep.P50), ms(rep.P90), ms(rep.P99), ms(rep.Max)
	if rep.Duration > 0 {
		res.RequestsPerS = float64(rep.Requests) / rep.Duration.Seconds()
	}
	var window time.Duration
	if steady {
		res.Mode = "steady"
		window = rep.Duration
		res.Complete = ph.soldOutAt.IsZero() // the window was steady: it never sold out
		if !res.Complete {
			res.Notes = append(res.Notes, fmt.Sprintf("the event sold out within the %s window: not a steady state; raise --seats or leave it out", cfg.Duration))
		}
	} else {
		res.Complete = !ph.soldOutAt.IsZero()
		window = ph.soldOutAt.Sub(ph.start)
		if !res.Complete {
			window = ph.wall
		}
	}
	res.DurationS = window.Seconds()
	res.setCPU(ph, cfg)

	// Requests that may have taken effect unknown to the buyers.
	failed := rep.Unanswered() + rep.Other
	if res.Complete && !steady && cfg.SoldOut > 0 {
		so := base
		so.maxRun, so.stopAfter = cfg.SoldOut+2*time.Second, cfg.SoldOut
		so.lua = lua("soldout", "soldout", 0)
		sph, err := runWrk(ctx, t, cfg, so)
		if err != nil {
			return Result{}, fmt.Errorf("%s: the sold-out phase: %w", t.Name(), err)
		}
		if d := sph.report.Duration; d > 0 {
			res.SoldOutPerS = float64(sph.report.SoldOut) / d.Seconds()
		}
		res.setSoldOutCPU(sph, cfg)
		// A hold granted now would be a seat sold twice: it goes into the audit.
		res.Granted += sph.report.Granted
		failed += sph.report.Unanswered() + sph.report.Other
		res.Errors += sph.report.Failed()
		rep.Granted += sph.report.Granted
		if sph.report.Other > 0 && sph.report.OtherExample != "" {
			rep.OtherExample = sph.report.OtherExample
		}
	}

	granted, perType, _, err := readHolds(filepath.Join(dir, "*-*.txt"))
	if err != nil {
		return Result{}, fmt.Errorf("%s: read the granted holds: %w", t.Name(), err)
	}
	perQuota := make([]int, len(plan.Quotas))
	for _, pt := range plan.Types {
		n := perType[pt.ID]
		res.Sold += n
		for _, q := range pt.Quotas {
			perQuota[q] += n
		}
	}
	if d := res.DurationS; d > 0 {
		res.HoldsPerS = float64(ph.report.Granted) / d
		res.TicketsPerS = float64(ph.report.Tickets) / d
	}
	for q, n := range perQuota {
		res.Oversold += max(0, n-plan.Quotas[q].Capacity)
	}
	res.Audit = audit(ctx, t, &plan, perQuota, granted, failed)
	if len(granted) != res.Granted {
		res.Audit.OK = false
		res.Audit.Problems = append(res.Audit.Problems, fmt.Sprintf("the script counted %d granted holds but wrote %d to its files", res.Granted, len(granted)))
	}
	if res.Errors > 0 {
		msg := fmt.Sprintf("%d requests failed: %d answers neither a hold, sold out nor shed; socket errors connect %d, read %d, write %d",
			res.Errors, rep.Other, rep.Connect, rep.Read, rep.Write)
		if rep.OtherExample != "" {
			msg += "; one said: " + rep.OtherExample
		}
		res.Notes = append(res.Notes, msg)
	}
	return res, nil
}

// progressWrk prints that wrk runs; wrk itself prints nothing until it ends.
func progressWrk(cfg Config) func() {
	if cfg.Progress == nil {
		return func() {}
	}
	fmt.Fprintf(cfg.Progress, "\r\033[K%s  wrk running with %d connections…", cfg.Target, cfg.Buyers)
	return func() { fmt.Fprint(cfg.Progress, "\r\033[K") }
}

func (p *wrkPhase) done() <-chan struct{} { return p.doneCh }

// SocketErrors are wrk's: connect errors sent nothing; a read or write
// error lost the request in flight (it is among the unanswered); a timeout
// is an answer that came after 5 s (it was still counted).
type SocketErrors struct {
	Connect int `json:"connect"`
	Read    int `json:"read"`
	Write   int `json:"write"`
	Timeout int `json:"timeout"`
}

// selfCPU is this process's CPU time so far, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return math.Round(1000*cpu.Seconds()/wall.Seconds()) / 10
}

func (r *Result) setCPU(ph wrkPhase, cfg Config) {
	r.LoadgenCPUPct = ptr(pct(ph.wrkCPU, ph.wall))
	r.ServerCPUPct, r.ServerCPU = cfg.serverShare(ph.selfCPU, ph.serverCPU, ph.wall)
	r.StoreCPUPct, r.StoreCPU = cfg.storeShare(ph.storeCPU, ph.wall)
}

func (r *Result) setSoldOutCPU(ph wrkPhase, cfg Config) {
	r.SoldOutLoadgenCPUPct = ptr(pct(ph.wrkCPU, ph.wall))
	r.SoldOutServerCPUPct, _ = cfg.serverShare(ph.selfCPU, ph.serverCPU, ph.wall)
	r.SoldOutStoreCPUPct, _ = cfg.storeShare(ph.storeCPU, ph.wall)
}

func ptr[T any](v T) *T { return &v }

// serverShare is the server's CPU over wall: this process's when the
// server runs in it, else the process listening at cfg.ServerAddr.
func (c Config) serverShare(self time.Duration, other cpuReading, wall time.Duration) (*float64, string) {
	if c.ServerAddr == "" {
		return ptr(pct(self, wall)), "this process: the server and the bench's sell-out poll (wrk is another process)"
	}
	if other.err != nil {
		return nil, "unknown: " + other.err.Error()
	}
	return ptr(pct(other.cpu, wall)), other.who
}

func (c Config) storeShare(r cpuReading, wall time.Duration) (*float64, string) {
	if c.StoreAddr == "" {
		return nil, ""
	}
	if r.err != nil {
		return nil, "unknown: " + r.err.Error()
	}
	return ptr(pct(r.cpu, wall)), r.who
}

func (c Config) serverCPU() cpuReading {
	if c.ServerAddr == "" {
		return cpuReading{}
	}
	return processCPU(c.ServerAddr)
}

func (c Config) storeCPU() cpuReading {
	if c.StoreAddr == "" {
		return cpuReading{}
	}
	return processCPU(c.StoreAddr)
}

// cpuReading is the CPU time of the processes serving an address: the one
// listening and its children (PostgreSQL's backends).
type cpuReading struct {
	per map[int]time.Duration
	cpu time.Duration
	who string
	err error
}

// since is the CPU the processes used since r0; a process that started
// since counts whole, one that ended is lost.
func (r cpuReading) since(r0 cpuReading) cpuReading {
	if r.err != nil {
		return r
	}
	if r0.err != nil {
		return cpuReading{err: r0.err}
	}
	out := cpuReading{who: r.who}
	for pid, t := range r.per {
		out.cpu += t - r0.per[pid]
	}
	return out
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
const clockTicks = 100

// processCPU reads, from /proc, the CPU time of the process listening on
// addr's port and of its children.
func processCPU(addr string) cpuReading {
	_, port, err := splitPort(addr)
	if err != nil {
		return cpuReading{err: err}
	}
	pid, err := listenerPID(port)
	if err != nil {
		return cpuReading{err: err}
	}
	stats, err := procStats()
	if err != nil {
		return cpuReading{err: err}
	}
	r := cpuReading{per: map[int]time.Duration{}}
	kids := 0
	for p, st := range stats {
		if p == pid || st.ppid == pid {
			r.per[p] = st.cpu
			if p != pid {
				kids++
			}
		}
	}
	if _, ok := r.per[pid]; !ok {
		return cpuReading{err: fmt.Errorf("process %d is gone", pid)}
	}
	r.who = fmt.Sprintf("process %d listening on port %d", pid, port)
	if kids > 0 {
		r.who += fmt.Sprintf(" and its %d children", kids)
	}
	return r
}

func splitPort(addr string) (string, int, error) {
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	addr, _, _ = strings.Cut(addr, "/")
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("%q has no port", addr)
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("%q: port: %w", addr, err)
	}
	return addr[:i], p, nil
}

// listenerPID finds the process with a socket listening on port, through
// /proc/net/tcp{,6} and the processes' file descriptors.
func listenerPID(port int) (int, error) {
	var inodes []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
				inodes = append(inodes, "socket:["+fs[9]+"]")
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process listens on port %d here", port)
	}
	pids, err := processes()
	if err != nil {
		return 0, err
	}
	for _, pid := range pids {
		dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && slices.Contains(inodes, l) {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the process listening on port %d is not visible here (another user's?)", port)
}

// processes lists the ids of the processes in /proc.
func processes() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

type procStat struct {
	ppid int
	cpu  time.Duration
}

// procStats reads every process's parent and CPU time from /proc/<pid>/stat.
func procStats() (map[int]procStat, error) {
	pids, err := processes()
	if err != nil {
		return nil, err
	}
	out := map[int]procStat{}
	for _, pid := range pids {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		if st, ok := parseProcStat(string(data)); ok {
			out[pid] = st
		}
	}
	return out, nil
}

// parseProcStat reads fields 4 (ppid), 14 (utime) and 15 (stime) of a
// /proc/<pid>/stat line; the command name in parentheses may hold spaces.
func parseProcStat(s string) (procStat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	fs := strings.Fields(s[i+1:]) // fs[0] is field 3, the state
	if len(fs) < 13 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(fs[1])
	ut, err2 := strconv.ParseInt(fs[11], 10, 64)
	st, err3 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, false
	}
	return procStat{ppid: ppid, cpu: time.Duration(ut+st) * time.Second / clockTicks}, true
}
