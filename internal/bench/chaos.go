package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/sqlite"
)

// ChaosConfig is one chaos run: admit serve as a child process under
// on-sale load, killed with SIGKILL again and again.
type ChaosConfig struct {
	Bin      string        // the admit binary
	Dir      string        // an empty data directory for the child
	Kills    int           // SIGKILLs; the child is restarted after each
	Seats    int           // large enough not to sell out during the run, or not: both are fine
	Buyers   int           // concurrent buyers
	Release  float64       // share of granted holds their buyer releases again
	MaxDelay time.Duration // a kill comes at a random moment up to this long after the restarted server answered a hold
	Log      io.Writer     // one line per kill when not nil
}

// ChaosResult is what the audit found.
type ChaosResult struct {
	Kills           int      `json:"kills"`
	Acknowledged    int      `json:"acknowledged_holds"`
	Released        int      `json:"acknowledged_releases"`
	Unknown         int      `json:"unknown_outcomes"` // requests whose answer was lost in a kill
	Refused         int      `json:"refused"`          // requests that found the server down
	InLedger        int      `json:"holds_in_ledger"`
	Lost            int      `json:"lost"`
	Oversold        int      `json:"oversold"`
	ReadModelEquals bool     `json:"read_model_equals_rebuild"`
	Problems        []string `json:"problems,omitempty"`
}

// OK is true when nothing acknowledged was lost and nothing oversold.
func (r ChaosResult) OK() bool { return len(r.Problems) == 0 }

type ackedHold struct {
	id string
	n  int
}

// Chaos runs the chaos test and audits the ledger and read model the child
// left behind.
func Chaos(ctx context.Context, cfg ChaosConfig) (ChaosResult, error) {
	if cfg.Kills <= 0 {
		cfg.Kills = 20
	}
	if cfg.Seats <= 0 {
		cfg.Seats = 1_000_000
	}
	if cfg.Buyers <= 0 {
		cfg.Buyers = 200
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Second
	}
	addr, err := freeAddr()
	if err != nil {
		return ChaosResult{}, err
	}
	ch := &child{bin: cfg.Bin, dir: cfg.Dir, addr: addr}
	if err := ch.start(ctx); err != nil {
		return ChaosResult{}, err
	}
	defer ch.kill()
	token, err := os.ReadFile(filepath.Join(cfg.Dir, "token"))
	if err != nil {
		return ChaosResult{}, err
	}
	a := NewAdmit("http://"+addr, strings.TrimSpace(string(token)), cfg.Buyers)
	defer a.c.close()
	plan := NewPlan(cfg.Seats)
	if err := a.Setup(ctx, &plan); err != nil {
		return ChaosResult{}, fmt.Errorf("set up the on-sale: %w", err)
	}

	// Buyers hold and sometimes release until told to stop; every answer
	// they get is noted.
	var (
		mu       sync.Mutex
		holds    []ackedHold
		released = make(map[string]bool) // true: acknowledged; false: outcome unknown
		unknown  int                     // answers lost: the request may or may not have taken effect
		refused  int                     // requests that found no server: they did not
		acks     atomic.Int64
	)
	load, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range cfg.Buyers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var mine []string
			for load.Err() == nil {
				if len(mine) > 0 && rng.Float64() < cfg.Release {
					h := mine[len(mine)-1]
					mine = mine[:len(mine)-1]
					ok, err := a.c.release(load, h)
					if load.Err() != nil && err != nil {
						ok = false // cut short by the end of the run: unknown
					}
					mu.Lock()
					switch {
					case errors.Is(err, errNotSent):
						refused++
						mine = append(mine, h) // still held; try again later
					default:
						released[h] = ok
						if err != nil {
							unknown++
						}
					}
					mu.Unlock()
					if err != nil {
						wait(load, 5*time.Millisecond)
					}
					continue
				}
				n := DefaultMix.pick(rng)
				ans := a.Hold(load, rng.IntN(len(plan.Types)), n)
				switch ans.Outcome {
				case Granted:
					mu.Lock()
					holds = append(holds, ackedHold{ans.HoldID, n})
					mu.Unlock()
					mine = append(mine, ans.HoldID)
					acks.Add(1)
				case Failed:
					mu.Lock()
					if ans.NotSent {
						refused++
					} else {
						unknown++
					}
					mu.Unlock()
					wait(load, 5*time.Millisecond) // the server is down: come back soon
				case Shed:
					wait(load, 5*time.Millisecond)
				}
			}
		})
	}

	res := ChaosResult{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var runErr error
	for res.Kills < cfg.Kills && runErr == nil {
		// Wait for the load to reach the server, then kill it at a random moment.
		if runErr = waitFor(ctx, 30*time.Second, func() bool { return acks.Load() > 0 }); runErr != nil {
			runErr = fmt.Errorf("no hold was acknowledged within 30 s of a start; see %s", ch.logPath())
			break
		}
		wait(ctx, time.Duration(rng.Int64N(int64(cfg.MaxDelay))))
		ch.kill()
		res.Kills++
		if cfg.Log != nil {
			mu.Lock()
			fmt.Fprintf(cfg.Log, "kill %d/%d: %d holds acknowledged so far\n", res.Kills, cfg.Kills, len(holds))
			mu.Unlock()
		}
		acks.Store(0)
		runErr = ch.start(ctx)
	}
	// A little more load on the last start, then a clean stop.
	if runErr == nil {
		runErr = waitFor(ctx, 30*time.Second, func() bool { return acks.Load() > 0 })
	}
	stopLoad()
	wg.Wait()
	if err := ch.stop(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return res, runErr
	}
	res.Acknowledged, res.Unknown, res.Refused = len(holds), unknown, refused
	for _, ok := range released {
		if ok {
			res.Released++
		}
	}
	led, err := ledger.Open(ctx, ledger.Config{DataDir: cfg.Dir, Logger: discard})
	if err != nil {
		return res, err
	}
	defer led.Close()
	return res, chaosAudit(ctx, led, []string{cfg.Dir}, a.c.eventID, holds, released, &res)
}

// chaosAudit replays the ledger the children left, checking every quota
// after every entry and every acknowledged hold and release, then compares
// the read model in each of dirs with a rebuild.
func chaosAudit(ctx context.Context, led *ledger.JetStream, dirs []string, eventID string, holds []ackedHold,
	released map[string]bool, res *ChaosResult) error {
	bad := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }

	maxOver := 0
	st, err := Replay(ctx, led, eventID, func(st *boxoffice.State) {
		for _, q := range st.Quotas {
			maxOver = max(maxOver, q.Held+q.Sold-q.Capacity)
		}
	})
	if err != nil {
		return err
	}
	res.Oversold = maxOver
	if maxOver > 0 {
		bad("a quota was exceeded by %d tickets at some point in the ledger", maxOver)
	}
	res.InLedger = st.HoldCount()
	wrong := 0
	for _, h := range holds {
		got := st.Hold(h.id)
		if got == nil {
			res.Lost++
			continue
		}
		rel, tried := released[h.id]
		switch {
		case got.Quantity != h.n:
			wrong++
		case rel && got.Status != boxoffice.Released:
			wrong++ // a release was acknowledged
		case !tried && got.Status == boxoffice.Released:
			wrong++ // nobody asked for it
		case got.Status == boxoffice.Expired && got.EndedAt.Before(got.ExpiresAt):
			wrong++ // expired before its time
		}
	}
	if res.Lost > 0 {
		bad("%d acknowledged holds are missing from the ledger", res.Lost)
	}
	if wrong > 0 {
		bad("%d acknowledged holds are in the ledger with another quantity or status than their client was told", wrong)
	}
	if extra := res.InLedger - (len(holds) - res.Lost); extra > res.Unknown {
		bad("the ledger has %d holds no client was told of, more than the %d answers lost in kills", extra, res.Unknown)
	}

	differ, err := readModelsDiffer(ctx, dirs, led)
	if err != nil {
		return err
	}
	res.ReadModelEquals = len(differ) == 0
	switch {
	case len(dirs) == 1 && len(differ) == 1:
		bad("the read model differs from a rebuild from the ledger")
	case len(differ) > 0:
		bad("the read model in %s differs from a rebuild from the ledger", strings.Join(differ, " and "))
	}
	return nil
}

// readModelsDiffer dumps the read model in each of dirs and one rebuilt
// from the ledger into a temporary file, and lists the dirs whose dump is
// not the rebuild's.
func readModelsDiffer(ctx context.Context, dirs []string, led *ledger.JetStream) ([]string, error) {
	dump := func(path string, rebuild bool) ([]byte, error) {
		db, err := sqlite.Open(path)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if rebuild {
			if err := db.Rebuild(ctx, led); err != nil {
				return nil, err
			}
		}
		var buf bytes.Buffer
		err = db.Dump(ctx, &buf)
		return buf.Bytes(), err
	}
	tmp, err := os.MkdirTemp("", "admit-chaos-rebuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	rebuilt, err := dump(filepath.Join(tmp, "readmodel.db"), true)
	if err != nil {
		return nil, err
	}
	var differ []string
	for _, dir := range dirs {
		live, err := dump(filepath.Join(dir, "readmodel.db"), false)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(live, rebuilt) {
			differ = append(differ, dir)
		}
	}
	return differ, nil
}

// release deletes a hold: true when the server acknowledged it.
func (c *client) release(ctx context.Context, holdID string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.base+"/api/v1/public/events/"+c.eventID+"/holds/"+holdID, nil)
	if err != nil {
		return false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if notSent(err) {
			return false, errNotSent
		}
		return false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusServiceUnavailable:
		return false, errUnavailable // may or may not have happened
	}
	return false, nil
}

// errNotSent: the request never reached the server.
var errNotSent = errors.New("no connection")

// errUnavailable: the answer was 503; the request may or may not have taken effect.
var errUnavailable = errors.New("503 Service Unavailable")

// child is admit serve, or another command of the binary, as a child
// process on a fixed address.
type child struct {
	bin, dir, addr string
	// args is the command line after bin; nil: serve on addr with dir as its
	// data directory, as the single-node chaos runs it.
	args []string
	// log is the log file's name in dir; "": chaos-serve.log.
	log string
	// ready says the child is ready; nil: its /readyz on addr answers 200.
	ready   func() bool
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd is reaped
	logFile *os.File
}

func (c *child) logPath() string {
	if c.log != "" {
		return filepath.Join(c.dir, c.log)
	}
	return filepath.Join(c.dir, "chaos-serve.log")
}

// start runs the child and waits until it is ready.
func (c *child) start(ctx context.Context) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	c.logFile = f
	args := c.args
	if args == nil {
		args = []string{"serve", "--addr", c.addr, "--data", c.dir,
			"--bootstrap-token-file", filepath.Join(c.dir, "token"), "--log-format", "json", "--log-level", "warn",
			"--exempt-loopback"} // its buyers are all 127.0.0.1
	}
	c.cmd = exec.Command(c.bin, args...)
	c.cmd.Stdout, c.cmd.Stderr = f, f
	if err := c.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s serve: %w", c.bin, err)
	}
	exited := make(chan struct{})
	c.exited = exited
	go func() { c.cmd.Wait(); close(exited) }()
	hc := &http.Client{Timeout: time.Second}
	ready := c.ready
	if ready == nil {
		ready = func() bool {
			resp, err := hc.Get("http://" + c.addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}
	}
	err = waitFor(ctx, 60*time.Second, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		return ready()
	})
	select {
	case <-exited:
		c.logFile.Close()
		c.cmd = nil
		return fmt.Errorf("admit %s exited at start; the end of %s:\n%s", args[0], c.logPath(), logTail(c.logPath(), 2000))
	default:
	}
	if err != nil {
		return fmt.Errorf("admit %s was not ready within 60 s; see %s", args[0], c.logPath())
	}
	return nil
}

// kill sends SIGKILL and reaps the child.
func (c *child) kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
	c.logFile.Close()
	c.cmd = nil
}

// stop asks the child to shut down cleanly and waits for it.
func (c *child) stop() error {
	if c.cmd == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(60 * time.Second)
	defer t.Stop()
	select {
	case <-c.exited:
	case <-t.C:
		// Its goroutines, in its log, say where it hung.
		c.cmd.Process.Signal(syscall.SIGQUIT)
		q := time.NewTimer(5 * time.Second)
		defer q.Stop()
		select {
		case <-c.exited:
		case <-q.C:
		}
		what := c.cmd.Args[1]
		c.kill()
		return fmt.Errorf("admit %s did not stop within 60 s of SIGTERM; its goroutines are at the end of %s; admit's own:\n%s",
			what, c.logPath(), ownGoroutines(logTail(c.logPath(), 4<<20), 12000))
	}
	if !c.cmd.ProcessState.Success() {
		err := fmt.Errorf("admit serve stopped with %s; see %s", c.cmd.ProcessState, c.logPath())
		c.logFile.Close()
		c.cmd = nil
		return err
	}
	c.logFile.Close()
	c.cmd = nil
	return nil
}

// waitFor polls cond until it is true, ctx ends or the time is up.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait(ctx, 10*time.Millisecond)
	}
	return nil
}

// freeAddr finds a free port on 127.0.0.1 for the child to keep across restarts.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// logTail is the last n bytes of a log file, for an error message.
// ownGoroutines picks, from a Go goroutine dump (the end of a log after
// SIGQUIT), the goroutines whose stacks pass through admit's own packages,
// at most n bytes of them: where a process that hangs waits, readable in a
// test's failure after its directory is gone.
func ownGoroutines(dump string, n int) string {
	var b strings.Builder
	i := strings.Index(dump, "goroutine ")
	if i < 0 {
		return ""
	}
	for _, g := range strings.Split(strings.TrimPrefix(dump[i:], "goroutine "), "\ngoroutine ") {
		if strings.Contains(g, "admit-org/admit/internal/") || strings.Contains(g, "admit-org/admit/cmd/") {
			if b.Len()+len(g) > n {
				b.WriteString("…\n")
				break
			}
			b.WriteString("goroutine " + g + "\n")
		}
	}
	return b.String()
}

func logTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
