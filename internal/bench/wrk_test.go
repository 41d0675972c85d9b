package bench

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/bench/baseline"
)

// TestOnsaleWrkHello sells out a small event on the hello target with wrk
// as the buyers; the audit checks the grants the script wrote against the
// store, and that it wrote as many as it counted.
func TestOnsaleWrkHello(t *testing.T) {
	wrk, err := LookWrk()
	if err != nil {
		t.Skipf("%v (CI installs it)", err)
	}
	b, err := NewBaseline("hello", baseline.NewMemory(), 32)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := RunWrk(context.Background(), Config{Seats: 2000, Buyers: 32, SoldOut: 200 * time.Millisecond, Wrk: wrk}, b)
	if err != nil {
		t.Fatal(err)
	}
	checkSoldOut(t, res, 2000)
	if res.LoadGenerator != "wrk" || res.Mode != "sell-out" || res.Audit.Source != "memory store" {
		t.Errorf("load %q, mode %q, audit source %q", res.LoadGenerator, res.Mode, res.Audit.Source)
	}
	if res.SoldOutPerS <= 0 || res.SoldOutN == 0 {
		t.Errorf("no sold-out answers measured: %+v", res)
	}
	if res.LoadgenCPUPct == nil || *res.LoadgenCPUPct <= 0 || res.ServerCPUPct == nil || *res.ServerCPUPct <= 0 ||
		res.SoldOutLoadgenCPUPct == nil {
		t.Errorf("CPU shares missing: %+v", res)
	}
}

// TestOnsaleWrkSteady runs wrk for a fixed window against an event too big
// to sell out.
func TestOnsaleWrkSteady(t *testing.T) {
	wrk, err := LookWrk()
	if err != nil {
		t.Skipf("%v (CI installs it)", err)
	}
	b, err := NewBaseline("hello", baseline.NewMemory(), 16)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := RunWrk(context.Background(), Config{Seats: 10_000_000, Buyers: 16, Duration: 300 * time.Millisecond, Wrk: wrk}, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "steady" || !res.Complete || !res.Audit.OK || res.Oversold != 0 || res.Granted == 0 || res.HoldsPerS <= 0 {
		t.Fatalf("want a steady window with a clean audit: %+v", res)
	}
	if res.DurationS < 0.1 || res.DurationS > 5 {
		t.Errorf("window %.2f s, want about 0.3 s", res.DurationS)
	}
}

func TestParseWrkOutput(t *testing.T) {
	const out = `Running 5m test @ http://127.0.0.1:44875
  1 threads and 32 connections
admit-bench: all seats granted
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.90ms   10.24ms  49.37ms   85.83%
    Req/Sec     6.16k     4.34k    9.23k   100.00%
  1279 requests in 231.83ms, 576.89KB read
  Socket errors: connect 0, read 2, write 1, timeout 7
  Non-2xx or 3xx responses: 245
Requests/sec:   5517.07
Transfer/sec:      2.43MB
admit-bench-result sent=1312 answered=1279 granted=1034 tickets=2000 sold_out=240 shed=4 other=1 requests=1279 duration_us=231826 connect=0 read=2 write=1 timeout=7 status=245 p50_us=3329 p90_us=24244 p99_us=44503 max_us=49366
admit-bench-other 500 {"code":"internal"}
`
	r, err := parseWrkOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkReport{Sent: 1312, Answered: 1279, Granted: 1034, Tickets: 2000, SoldOut: 240, Shed: 4, Other: 1,
		Requests: 1279, Duration: 231826 * time.Microsecond, Read: 2, Write: 1, Timeout: 7, Status: 245,
		P50: 3329 * time.Microsecond, P90: 24244 * time.Microsecond, P99: 44503 * time.Microsecond, Max: 49366 * time.Microsecond,
		OtherExample: `500 {"code":"internal"}`, SummaryRequests: 1279}
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	// One less than sent-answered: wrk builds one request to check it.
	if r.Unanswered() != 32 || r.Failed() != 4 {
		t.Errorf("unanswered %d, failed %d; want 32 and 4", r.Unanswered(), r.Failed())
	}

	if _, err := parseWrkOutput("Running 1s test @ http://x\nunable to connect to x:80 Connection refused\n"); err == nil ||
		!strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("no result line: %v", err)
	}
	if _, err := parseWrkOutput("admit-bench-result sent=x\n"); err == nil {
		t.Error("a result line with a bad number was accepted")
	}
}

func TestReadHolds(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sale-1.txt"), []byte("ho_a tt_1 2\nho_b tt_2 1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "soldout-1.txt"), []byte("ho_c tt_1 1\n"), 0o644)
	holds, perType, lines, err := readHolds(filepath.Join(dir, "*-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if lines != 3 || len(holds) != 3 || holds["ho_a"] != 2 || perType["tt_1"] != 3 || perType["tt_2"] != 1 {
		t.Errorf("holds %v, per type %v, lines %d", holds, perType, lines)
	}
	os.WriteFile(filepath.Join(dir, "bad-1.txt"), []byte("ho_d tt_1\n"), 0o644)
	if _, _, _, err := readHolds(filepath.Join(dir, "*-*.txt")); err == nil {
		t.Error("a line without a quantity was accepted")
	}
}

func TestParseProcStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	st, ok := parseProcStat("2201 (postgres: a (b)) S 1 2201 2201 0 -1 4194560 2977 0 0 0 150 37 0 0 20 0 1 0 2131 227016704 7446\n")
	if !ok || st.ppid != 1 || st.cpu != 1870*time.Millisecond {
		t.Errorf("got %+v %v; want ppid 1, 1.87 s", st, ok)
	}
	if _, ok := parseProcStat("garbage"); ok {
		t.Error("garbage parsed")
	}
}

func TestCatchesSIGINT(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	signal.Ignore(syscall.SIGINT) // not caught
	if catchesSIGINT(os.Getpid()) {
		t.Error("a process ignoring SIGINT is said to catch it")
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT)
	defer signal.Reset(syscall.SIGINT)
	if !catchesSIGINT(os.Getpid()) {
		t.Error("a process catching SIGINT is said not to")
	}
}

// TestProcessCPU finds this test's own listening socket's process: itself.
func TestProcessCPU(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc here")
	}
	b, err := NewBaseline("hello", baseline.NewMemory(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := processCPU(b.BaseURL())
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, ok := r.per[os.Getpid()]; !ok || !strings.Contains(r.who, "listening on port") {
		t.Errorf("found %+v, want this process %d", r, os.Getpid())
	}
}
