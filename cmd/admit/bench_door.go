package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/bench"
	"github.com/mattn/go-isatty"
)

// benchDoor runs the door benchmark against admit serve in this process,
// or against a running server (--url and --token).
func benchDoor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench door", `Sells --tickets free tickets of a new event, makes --devices door devices, and
has them scan the tickets concurrently through the API, each ticket presented
--presented times at random doors and one scan in seven sent twice (a lost
answer, retried with its nonce). Reports scans per second and the latency of
a scan, and audits that every ticket was admitted exactly once: by the answers
and by the list's counts. Runs admit serve in this process unless --url is
given. See docs/bench.md.`, getenv, stderr)
	devices := f.Int("devices", 100, "concurrent door devices")
	tickets := f.Int("tickets", 10_000, "tickets to sell and scan")
	presented := f.Int("presented", 3, "times each ticket is presented")
	url := f.String("url", "", "a running admit server (default: one in this process)")
	token := f.String("token", "", "an organizer API token of the server at --url")
	asJSON := f.Bool("json", false, "print the result as JSON")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the scans (the doors and a server in this process) to this file")
	if err := f.parse(args); err != nil {
		return err
	}
	switch {
	case *devices < 1 || *devices > 500:
		return &usageError{"--devices must be between 1 and 500 (an event has at most 500 door devices)"}
	case *tickets < 1 || *tickets > 1_000_000:
		return &usageError{"--tickets must be between 1 and 1000000"}
	case *presented < 1 || *presented > 10:
		return &usageError{"--presented must be between 1 and 10"}
	case (*url == "") != (*token == ""):
		return &usageError{"--url and --token go together"}
	}
	var progress io.Writer
	if fd, ok := stderr.(*os.File); ok && isatty.IsTerminal(fd.Fd()) {
		progress = stderr
	}
	cfg := bench.DoorConfig{Devices: *devices, Tickets: *tickets, Presented: *presented, Progress: progress}
	base, tok := *url, *token
	if base == "" {
		metricsAddr, err := freeLoopbackAddr()
		if err != nil {
			return err
		}
		srv, err := startInProcess(ctx, "--metrics-addr", metricsAddr)
		if err != nil {
			return err
		}
		defer os.RemoveAll(srv.root)
		defer srv.stop()
		base, tok = srv.url, srv.token
		cfg.Settle = func(ctx context.Context) error { return workersIdle(ctx, "http://"+metricsAddr+"/metrics") }
	}
	if *cpuProfile != "" {
		settle := cfg.Settle
		cfg.Settle = func(ctx context.Context) error {
			if settle != nil {
				if err := settle(ctx); err != nil {
					return err
				}
			}
			pf, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(pf); err != nil {
				pf.Close()
				return err
			}
			return nil
		}
	}
	res, err := bench.Door(ctx, base, tok, cfg)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if *asJSON {
		writeIndentedJSON(stdout, res)
		return nil
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(stdout, "tickets:  %d sold in %s\n", res.Tickets, res.Sell.Round(time.Millisecond))
	fmt.Fprintf(stdout, "scans:    %d (+%d retried) by %d devices in %s: %.0f scans/s\n", res.Scans, res.Retries,
		res.Devices, res.Duration.Round(time.Millisecond), res.PerSecond)
	fmt.Fprintf(stdout, "latency:  p50 %s, p90 %s, p99 %s, max %s\n", ms(res.P50), ms(res.P90), ms(res.P99), ms(res.Max))
	fmt.Fprintf(stdout, "audit:    OK: each of the %d tickets admitted exactly once; the list counts %d in\n",
		res.AdmittedOnce, res.CountedIn)
	return nil
}

// freeLoopbackAddr returns a loopback address with a port free just now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// workersIdle waits until every worker of the server whose metrics are at
// url has caught up with the ledger (the tickets' e-mails rendered), at
// most five minutes.
func workersIdle(ctx context.Context, url string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		busy, err := workerBacklog(ctx, url)
		if err == nil && busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the workers did not catch up in 5 minutes (backlog %d, %v)", busy, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// workerBacklog sums admit_worker_backlog_messages.
func workerBacklog(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	total, seen := 0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "admit_worker_backlog_messages{") {
			continue
		}
		var n float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n); err != nil {
			return 0, err
		}
		total, seen = total+max(int(n), 0), true
		if n < 0 {
			total++ // the ledger did not answer: not idle
		}
	}
	if !seen {
		return 0, fmt.Errorf("%s has no admit_worker_backlog_messages", url)
	}
	return total, sc.Err()
}
