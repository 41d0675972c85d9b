package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/bench"
)

// benchLoad is the bench's load generator for a test: wrk when it is
// installed (CI installs it), else the Go clients.
func benchLoad(t *testing.T) string {
	if _, err := bench.LookWrk(); err != nil {
		t.Logf("%v: this test runs with --load go", err)
		return "go"
	}
	return "wrk"
}

// TestBenchOnsaleAdmit sells out a small event on an in-process server, as
// "admit bench onsale" does by default, and reads its --json summary: with
// wrk as the buyers (the default) and with Go clients.
func TestBenchOnsaleAdmit(t *testing.T) {
	for _, load := range []string{"wrk", "go"} {
		t.Run(load, func(t *testing.T) {
			if _, err := bench.LookWrk(); err != nil && load == "wrk" {
				t.Skipf("%v (CI installs it)", err)
			}
			testBenchOnsaleAdmit(t, load)
		})
	}
}

func testBenchOnsaleAdmit(t *testing.T, load string) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // to see that the bench leaves nothing behind
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "onsale", "--seats", "2000", "--buyers", "64", "--load", load,
		"--soldout-duration", "100ms", "--json"}, noEnv, &out, &errOut)
	if err != nil {
		t.Fatalf("bench onsale: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	for _, k := range []string{"target", "seats", "sold", "oversold", "duration_s", "holds_per_s", "p50_ms", "p99_ms", "errors"} {
		if _, ok := res[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out.String())
		}
	}
	if res["target"] != "admit" || res["sold"] != 2000.0 || res["oversold"] != 0.0 || res["errors"] != 0.0 ||
		res["load_generator"] != load || res["mode"] != "sell-out" || res["complete"] != true {
		t.Errorf("want 2000 sold by admit with %s, none oversold, no errors: %s", load, out.String())
	}
	if _, ok := res["server_cpu_pct"].(float64); !ok {
		t.Errorf("no server_cpu_pct: %s", out.String())
	}
	if _, ok := res["loadgen_cpu_pct"].(float64); ok != (load == "wrk") {
		t.Errorf("loadgen_cpu_pct is wrk's only: %s", out.String())
	}
	if a := res["audit"].(map[string]any); a["ok"] != true || a["source"] != "ledger replay" {
		t.Errorf("audit: %v", a)
	}
	if l, _ := res["rate_limits"].(string); !strings.Contains(l, "--exempt-loopback") || !strings.Contains(l, defaultWriteRate) {
		t.Errorf("the bench must say which rate limits it ran with: %q", l)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the bench left %s in the temporary directory", left[0].Name())
	}
}

// TestBenchCompare runs every target once with a tiny event; the baselines
// need the machine's PostgreSQL and Redis.
func TestBenchCompare(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:5432", "127.0.0.1:6379"} {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Skipf("--compare needs PostgreSQL and Redis on this machine: %v", err)
		}
		c.Close()
	}
	var out, errOut bytes.Buffer
	load := benchLoad(t)
	err := run(context.Background(), []string{"bench", "onsale", "--compare", "--seats", "1000", "--buyers", "32",
		"--load", load, "--soldout-duration", "50ms", "--json"}, noEnv, &out, &errOut)
	if err != nil {
		t.Fatalf("bench onsale --compare: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var rs []bench.Result
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil {
		t.Fatalf("--compare --json output: %v\n%s", err, out.String())
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Target)
		if r.Sold != 1000 || r.Oversold != 0 || !r.Audit.OK {
			t.Errorf("%s: %+v", r.Target, r)
		}
		if want := load; r.Target == "engine" && r.LoadGenerator != "in-process" || r.Target != "engine" && r.LoadGenerator != want {
			t.Errorf("%s: load generator %q", r.Target, r.LoadGenerator)
		}
		if (r.Target == "postgres" || r.Target == "redis") && r.StoreCPUPct == nil {
			t.Errorf("%s: the store's CPU is not known: %s", r.Target, r.StoreCPU)
		}
	}
	if strings.Join(names, ",") != "hello,engine,admit,postgres,redis" {
		t.Errorf("targets %v", names)
	}

	// The table, as the README shows it.
	out.Reset()
	printComparison(&out, rs)
	// The table, and under it which rate limits admit ran with.
	if !strings.Contains(out.String(), "× hello") || !strings.Contains(out.String(), "loadgen cpu") ||
		!strings.Contains(out.String(), "\nadmit: rate limits: serve's defaults") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "nope"},
		{"bench", "onsale", "--target", "mysql"},
		{"bench", "onsale", "--seats", "0"},
		{"bench", "onsale", "--buyers", "-3"},
		{"bench", "onsale", "--mix", "1,x"},
		{"bench", "onsale", "--url", "http://127.0.0.1:1"},
		{"bench", "onsale", "--url", "http://127.0.0.1:1", "--token", "t", "--compare"},
		{"bench", "onsale", "--url", "http://127.0.0.1:1", "--token", "t", "--target", "engine"},
		{"bench", "onsale", "--pool", "-1"},
		{"bench", "onsale", "--load", "ab"},
		{"bench", "onsale", "--load", "go", "--duration", "1s"},
		{"bench", "onsale", "--target", "engine", "--duration", "1s"},
		{"bench", "onsale", "--duration", "-1s"},
		{"bench", "onsale", "--buyers", "3", "--connections", "4"},
		{"bench", "chaos", "--kills", "0"},
		{"bench", "chaos", "--release", "2"},
		{"bench", "chaos", "--cluster", "--data", "/nowhere"},
		{"bench", "chaos", "--seed", "7"},
		{"bench", "nats-server", "--name", "s1"},
		{"bench", "door", "--devices", "0"},
		{"bench", "door", "--devices", "501"},
		{"bench", "door", "--tickets", "0"},
		{"bench", "door", "--presented", "11"},
		{"bench", "door", "--url", "http://127.0.0.1:1"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, noEnv, &out, &errOut)
		if exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
}

// TestBenchDoor: a small door run in this process passes its audit and
// reports what it measured.
func TestBenchDoor(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "door", "--devices", "8", "--tickets", "150", "--json"}, noEnv, &out, &errOut)
	if err != nil {
		t.Fatalf("bench door: %v\n%s", err, errOut.String())
	}
	var res bench.DoorResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Scans != 450 || res.AdmittedOnce != 150 || res.CountedIn != 150 || res.Retries == 0 || res.PerSecond <= 0 ||
		res.P99 <= 0 || res.P99 > res.Max {
		t.Fatalf("result %+v", res)
	}
}

// admitBinary builds the admit binary once for the tests that run it as a
// child process.
var admitBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "admit-test-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "admit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

func mustBinary(t *testing.T) string {
	t.Helper()
	bin, err := admitBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// binDir is where admitBinary built, removed after the tests.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestBenchChaosShort is the short chaos run: a few SIGKILLs of a real
// admit serve under load, then the audit. "admit bench chaos" does 20.
func TestBenchChaosShort(t *testing.T) {
	bin := mustBinary(t)
	var log bytes.Buffer
	res, err := bench.Chaos(context.Background(), bench.ChaosConfig{Bin: bin, Dir: t.TempDir(), Kills: 3,
		Seats: 1_000_000, Buyers: 24, Release: 0.2, MaxDelay: 300 * time.Millisecond, Log: &log})
	if err != nil {
		t.Fatalf("chaos: %v\n%s", err, log.String())
	}
	if !res.OK() || res.Kills != 3 || res.Acknowledged == 0 || !res.ReadModelEquals {
		t.Fatalf("chaos audit: %+v\n%s", res, log.String())
	}
	t.Logf("%+v", res)
}

// TestBenchChaosCluster is the short cluster chaos run: three NATS servers
// and three admit nodes as child processes, one fault of each kind (a
// SIGKILL and a SIGTERM of a node, a SIGKILL of a NATS server) under load,
// then the audit of the ledger and of every node's read model.
func TestBenchChaosCluster(t *testing.T) {
	bin := mustBinary(t)
	var log bytes.Buffer
	res, err := bench.ChaosCluster(context.Background(), bench.ClusterConfig{Bin: bin, Dir: t.TempDir(), Faults: 3,
		Seats: 1_000_000, Buyers: 24, Release: 0.2, MaxDelay: 300 * time.Millisecond, Log: &log})
	if err != nil {
		t.Fatalf("chaos --cluster: %v\n%s", err, log.String())
	}
	if !res.OK() || res.NodeKills != 1 || res.NodeStops != 1 || res.NATSKills != 1 || res.Acknowledged == 0 ||
		!res.ReadModelEquals || res.Lost != 0 || res.Oversold != 0 {
		t.Fatalf("chaos --cluster audit: %+v\n%s", res, log.String())
	}
	t.Logf("%s%+v", log.String(), res)
}

// TestBenchOnsaleURL aims the bench at a running server with --url and
// --token; the audit then reads the quotas through the organizer API.
func TestBenchOnsaleURL(t *testing.T) {
	inst := startAdmit(t, t.TempDir(), "--exempt-loopback") // the bench's buyers are all 127.0.0.1
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "onsale", "--url", inst.url, "--token", inst.token,
		"--seats", "800", "--buyers", "16", "--soldout-duration", "0", "--load", benchLoad(t)}, noEnv, &out, &errOut)
	if err != nil {
		t.Fatalf("bench onsale --url: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"admit: sold out 800 of 800 seats", "audit        OK: oversold 0; checked against organizer API",
		"rate limits  those of the server at " + inst.url} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A wrong token is a clear error, not a hang.
	out.Reset()
	err = run(context.Background(), []string{"bench", "onsale", "--url", inst.url, "--token", "admit_wrong",
		"--seats", "10", "--buyers", "2", "--load", benchLoad(t)}, noEnv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: %v", err)
	}
}

// TestBenchOnsaleNoWrk: without wrk, the HTTP targets say how to get it.
func TestBenchOnsaleNoWrk(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "onsale", "--target", "hello", "--seats", "10"}, noEnv, &out, &errOut)
	if err == nil || err.Error() != "wrk not found: install it (Debian: apt-get install wrk) or pass --load go" {
		t.Errorf("without wrk: %v", err)
	}
}

// TestBenchPrintLua prints the script wrk runs, for running wrk by hand.
func TestBenchPrintLua(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bench", "onsale", "--print-lua"}, noEnv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != bench.LuaScript || !strings.Contains(out.String(), "function response(status, headers, body)") {
		t.Errorf("--print-lua printed %.200s", out.String())
	}
}
