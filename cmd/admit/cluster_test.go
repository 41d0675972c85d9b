package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/natstest"
)

// TestTwoNodesOneOwner runs two `admit serve --nats` nodes on one NATS
// server: the node that holds an event's lease sells it; the other answers
// 503 for it (never a view of its own, which could be stale) until the
// owner stops, and then sells it, with what the owner sold, within a
// second.
func TestTwoNodesOneOwner(t *testing.T) {
	ns := natstest.Start(t)
	key := strings.Repeat("ab", 32)
	flags := []string{"--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", key}
	one := startAdmit(t, t.TempDir(), append(flags, "--node", "node-one", "--metrics-addr", "127.0.0.1:0")...)
	two := startAdmit(t, t.TempDir(), append(flags, "--node", "node-two")...)
	c1, c2 := newClient(t, one.url, one.token), newClient(t, two.url, one.token)

	evID, ttID := setupEvent(c1, 10)
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 2}}}
	c1.must(201, "POST", holds, body)
	metricsURL, _ := lineAfter(one.out.String(), "metrics at ")
	if got := value(scrape(t, metricsURL), "admit_leases_held"); got != 1 {
		t.Errorf("node one's admit_leases_held = %v, want 1", got)
	}

	for _, r := range []response{
		c2.do("POST", holds, body),
		c2.do("GET", "/api/v1/public/events/"+evID+"/availability", nil),
	} {
		if r.status != 503 || !strings.Contains(string(r.body), "another node") || r.header.Get("Retry-After") == "" {
			t.Fatalf("node two, which does not own the event: %d %s (Retry-After %q), want 503 naming another node",
				r.status, r.body, r.header.Get("Retry-After"))
		}
	}

	// The mail worker runs on one node only: the first to take its lease.
	running := func(i *instance) bool {
		return strings.Contains(i.logs.String(), `"msg":"worker: running on this node","worker":"mail"`)
	}
	waitUntil(t, "the mail worker to run on node one", 5*time.Second, func() bool { return running(one) })
	if running(two) {
		t.Fatal("the mail worker runs on both nodes")
	}

	if err := one.stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	deadline := stopped.Add(10 * time.Second)
	for {
		r := c2.do("POST", holds, body)
		if r.status == 201 {
			break
		}
		if r.status != 503 || time.Now().After(deadline) {
			t.Fatalf("node two after node one stopped: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond) // polling for the takeover
	}
	took := time.Since(stopped)
	t.Logf("node two sold the event %s after node one stopped", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("the takeover after a clean stop took %s, want under 1 s", took)
	}
	waitUntil(t, "the mail worker to move to node two", 5*time.Second, func() bool { return running(two) })
	av := c2.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	if got := av["quotas"].([]any)[0].(map[string]any)["available"]; got != float64(6) {
		t.Errorf("available on node two = %v, want 6 (10 less two holds of 2)", got)
	}
}

// waitUntil polls cond until it holds, or fails the test after d.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterBootstrapsOnce: two nodes of a new cluster starting at the
// same moment make one organizer between them, and one token.
func TestClusterBootstrapsOnce(t *testing.T) {
	ns := natstest.Start(t)
	flags := []string{"--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", strings.Repeat("cd", 32)}
	var wg sync.WaitGroup
	nodes := make([]*instance, 2)
	for i := range nodes {
		dir := t.TempDir()
		wg.Go(func() { nodes[i] = startAdmit(t, dir, append(flags, "--node", "node-"+strconv.Itoa(i))...) })
	}
	wg.Wait()
	if nodes[0] == nil || nodes[1] == nil {
		t.FailNow() // startAdmit said why
	}
	tokens := 0
	for _, n := range nodes {
		if n.token != "" {
			tokens++
		}
	}
	if tokens != 1 {
		t.Fatalf("%d nodes printed an organizer token, want 1", tokens)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background(), jetstream.WithSubjectFilter("ledger.org.>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 1 {
		t.Fatalf("the ledger has %d organizers, want 1: %v", len(info.State.Subjects), info.State.Subjects)
	}
}

// TestReadyzFollowsTheLedger: a node whose NATS server is gone answers
// /readyz with 503 saying so, and ready again once it is back.
func TestReadyzFollowsTheLedger(t *testing.T) {
	store := t.TempDir()
	ns := natstest.StartAt(t, store, -1)
	port := ns.Addr().(*net.TCPAddr).Port
	a := startAdmit(t, t.TempDir(), "--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", strings.Repeat("ef", 32))
	readyz := func() (int, string) {
		resp, err := http.Get(a.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitUntil(t, "ready", 10*time.Second, func() bool { code, _ := readyz(); return code == 200 })
	gone := time.Now()
	ns.Shutdown()
	ns.WaitForShutdown()
	waitUntil(t, "not ready without NATS", 10*time.Second, func() bool {
		code, body := readyz()
		return code == 503 && strings.Contains(body, "NATS connection is down")
	})
	t.Logf("not ready %s after NATS went", time.Since(gone).Round(time.Millisecond))
	natstest.StartAt(t, store, port)
	back := time.Now()
	waitUntil(t, "ready again", 20*time.Second, func() bool { code, _ := readyz(); return code == 200 })
	t.Logf("ready again %s after NATS came back", time.Since(back).Round(time.Millisecond))
	stopping := time.Now()
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %s", time.Since(stopping).Round(time.Millisecond))
}
