package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/natstest"
	"github.com/admit-org/admit/internal/stripe/stripemock"
)

// TestTwoNodesOneOwner runs two `admit serve --nats` nodes on one NATS
// server: the node that holds an event's lease runs its box office, and
// the other forwards the event's requests to it, so either node answers
// them alike (Idempotency-Key replays included); when the owner stops, the
// other takes the event over within a second, with what the owner sold.
func TestTwoNodesOneOwner(t *testing.T) {
	ns := natstest.Start(t)
	key := strings.Repeat("ab", 32)
	flags := []string{"--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", key, "--exempt-loopback"}
	one := startAdmit(t, t.TempDir(), append(flags, "--node", "node-one", "--metrics-addr", "127.0.0.1:0")...)
	two := startAdmit(t, t.TempDir(), append(flags, "--node", "node-two", "--metrics-addr", "127.0.0.1:0")...)
	c1, c2 := newClient(t, one.url, one.token), newClient(t, two.url, one.token)

	evID, ttID := setupEvent(c1, 1000)
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 2}}}
	c1.must(201, "POST", holds, body)
	metricsURL := func(i *instance) string { u, _ := lineAfter(i.out.String(), "metrics at "); return u }
	if got := value(scrape(t, metricsURL(one)), "admit_leases_held"); got != 1 {
		t.Errorf("node one's admit_leases_held = %v, want 1", got)
	}

	// Node two answers through node one.
	h := c2.must(201, "POST", holds, body)
	c2.must(200, "GET", holds+"/"+h["id"].(string), nil)
	for _, c := range []*client{c1, c2} {
		av := c.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
		if got := av["quotas"].([]any)[0].(map[string]any)["available"]; got != float64(996) {
			t.Errorf("available through %s = %v, want 996", c.base, got)
		}
	}
	idem := []string{"Idempotency-Key", "k-0123456789abcdefghijkl"}
	first := c1.must(201, "POST", holds, body, idem...)
	if again := c2.must(201, "POST", holds, body, idem...); again["id"] != first["id"] {
		t.Errorf("the same Idempotency-Key through node two made hold %v, node one made %v", again["id"], first["id"])
	}
	r1, r2 := c1.do("POST", holds, map[string]any{"items": []any{}}), c2.do("POST", holds, map[string]any{"items": []any{}})
	if r1.status != 422 || r2.status != 422 || r1.json(t)["code"] != r2.json(t)["code"] {
		t.Errorf("a bad hold: node one %d %s, node two %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	if got := value(scrape(t, metricsURL(two)), "admit_forwarded_requests_total"); got < 5 {
		t.Errorf("node two's admit_forwarded_requests_total = %v, want at least 5", got)
	}

	// What forwarding costs a hold, one at a time.
	one1 := map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 1}}}
	lat := func(c *client) (p50, p99 time.Duration) {
		var ds []time.Duration
		for range 100 {
			start := time.Now()
			c.must(201, "POST", holds, one1)
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[49], ds[98]
	}
	l50, l99 := lat(c1)
	f50, f99 := lat(c2)
	t.Logf("a hold on the owner: p50 %s, p99 %s; forwarded by the other node: p50 %s, p99 %s",
		l50.Round(10*time.Microsecond), l99.Round(10*time.Microsecond), f50.Round(10*time.Microsecond), f99.Round(10*time.Microsecond))

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
	if got := av["quotas"].([]any)[0].(map[string]any)["available"]; got != float64(792) {
		t.Errorf("available on node two = %v, want 792 (1000 less 4 holds of 2 and 200 of 1)", got)
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
	nc := natstest.Connect(t, ns.ClientURL())
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

// TestThreeNodesSellOneEvent: three `admit serve` nodes on an R3 cluster of
// three NATS servers (`sync_interval: always`) sell one event through all
// three at once, and one NATS server is stopped mid-sale: exactly the
// capacity is granted, nothing more, and every node then answers sold out.
func TestThreeNodesSellOneEvent(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	flags := []string{"--nats", c.URLs(), "--master-key", strings.Repeat("0f", 32), "--exempt-loopback", "--ledger-shards", "3"}
	var nodes []*instance
	for i := range 3 {
		nodes = append(nodes, startAdmit(t, t.TempDir(), append(flags, "--node", "node-"+strconv.Itoa(i))...))
	}
	token := ""
	for _, n := range nodes {
		token = cmp.Or(token, n.token)
	}
	clients := []*client{newClient(t, nodes[0].url, token), newClient(t, nodes[1].url, token), newClient(t, nodes[2].url, token)}
	const capacity = 300
	evID, ttID := setupEvent(clients[1], capacity)
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 1}}}

	var granted, soldOut, refused atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for b := range 30 {
		cl := clients[b%3]
		wg.Go(func() {
			// Each hold has an Idempotency-Key, kept while it is answered
			// 503 (recorded or not): the retry gets the hold if it was.
			for n := 0; ; n++ {
				key := fmt.Sprintf("buyer-%04d-hold-%06d-xyz", b, n)
				for {
					r := cl.do("POST", holds, body, "Idempotency-Key", key)
					if r.status == 503 {
						refused.Add(1)
						continue
					}
					if r.status == 409 && r.json(t)["code"] == "idempotency-in-flight" {
						time.Sleep(10 * time.Millisecond) // the first attempt is still being decided: ask again
						continue
					}
					switch r.status {
					case 201:
						granted.Add(1)
					case 409:
						soldOut.Add(1)
						return
					default:
						t.Errorf("hold through %s: %d %s", cl.base, r.status, r.body)
						return
					}
					break
				}
			}
		})
	}
	for granted.Load() < capacity/3 {
		time.Sleep(5 * time.Millisecond) // polling the sale's progress
	}
	c.Kill(1) // one of the three NATS servers, mid-sale
	wg.Wait()
	// Exactly the capacity: a hold answered 503 but recorded is granted
	// to its buyer's retry.
	if got := granted.Load(); got != capacity {
		t.Fatalf("granted %d holds (%d answers 503 retried), want exactly the capacity, %d", got, refused.Load(), capacity)
	}
	for _, cl := range clients {
		av := cl.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
		if got := av["quotas"].([]any)[0].(map[string]any)["available"]; got != float64(0) {
			t.Errorf("available through %s = %v, want 0", cl.base, got)
		}
	}
	t.Logf("three nodes sold %d of %d through all three, one NATS server stopped mid-sale (%d answers 503); %d buyers then told sold out in %s",
		granted.Load(), capacity, refused.Load(), soldOut.Load(), time.Since(began).Round(time.Millisecond))
	for _, n := range nodes {
		if err := n.stop(); err != nil {
			t.Error(err)
		}
	}
}

// TestWorkersReachTheOwner: the workers run on one node, while an event's
// box office runs on another. The payments worker still records the card
// order's PaymentIntent, Stripe's webhook reaching the other node still
// pays the order, and the mail worker still has its tickets sent: each
// made where the event runs.
func TestWorkersReachTheOwner(t *testing.T) {
	ns := natstest.Start(t)
	shim := stripemock.NewStateful(t, stripemock.Start(t))
	const secret = "whsec_admit_cluster"
	flags := []string{"--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", strings.Repeat("cd", 32),
		"--exempt-loopback", "--stripe-secret-key", "sk_test_admit", "--stripe-webhook-secret", secret,
		"--stripe-api-base", shim.URL, "--ledger-shards", "3"}
	// Node two starts first, so its workers take their leases.
	two := startAdmit(t, t.TempDir(), append(flags, "--node", "node-two")...)
	running := func(i *instance, w string) bool {
		return strings.Contains(i.logs.String(), `"msg":"worker: running on this node","worker":"`+w+`"`)
	}
	waitUntil(t, "the workers to run on node two", 10*time.Second, func() bool {
		return running(two, "mail") && running(two, "payments")
	})
	one := startAdmit(t, t.TempDir(), append(flags, "--node", "node-one")...)
	c1, pub := newClient(t, one.url, two.token), newClient(t, one.url, "")

	// The event's box office runs on node one, which sold it first; it is
	// in a shard of its own (ev_…_<k>).
	evID, ttID := setupEvent(c1, 10)
	for strings.Count(evID, "_") < 2 {
		evID, ttID = setupEvent(c1, 10)
	}
	c1.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"payment_providers": []string{"stripe", "manual"}})
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}})
	o := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"], "payment_provider": "stripe",
		"buyer": map[string]any{"name": "Ada", "email": "ada-cluster@example.com"}})
	link := o["order_url"].(string)
	var pi string
	waitUntil(t, "the PaymentIntent made by node two's worker", 20*time.Second, func() bool {
		o = pub.must(200, "GET", link, nil)
		pi, _ = o["payment_intent_id"].(string)
		return pi != ""
	})
	if running(one, "payments") || running(one, "mail") {
		t.Fatal("a worker runs on node one too")
	}
	// Stripe's webhook reaches node two, which does not run the event.
	paySandbox(t, shim, pi, two.url, secret)
	if o = pub.must(200, "GET", link, nil); o["status"] != "paid" {
		t.Fatalf("order after the webhook to node two: %v", o)
	}
	// Node two's mail worker hands the entry to node one, which renders the
	// tickets with the event's box office and sends them: once.
	sent := func(i *instance) int {
		return strings.Count(i.logs.String(), `"to":"ada-cluster@example.com","subject":"Your tickets`)
	}
	waitUntil(t, "the tickets e-mail", 20*time.Second, func() bool { return sent(one)+sent(two) > 0 })
	if sent(one) != 1 || sent(two) != 0 {
		t.Errorf("the tickets were sent %d times by node one and %d by node two, want once by node one", sent(one), sent(two))
	}
}

// TestNoStaleViews: a node that does not run an event answers its reads
// and sold-outs as the owner does at that moment, never from a view of its
// own: seats freed on the owner sell at once through the other node.
func TestNoStaleViews(t *testing.T) {
	ns := natstest.Start(t)
	flags := []string{"--nats", ns.ClientURL(), "--unsafe-lazy-fsync", "--master-key", strings.Repeat("ef", 32), "--exempt-loopback"}
	one := startAdmit(t, t.TempDir(), append(flags, "--node", "node-one")...)
	two := startAdmit(t, t.TempDir(), append(flags, "--node", "node-two")...)
	c1, c2 := newClient(t, one.url, one.token), newClient(t, two.url, one.token)
	evID, ttID := setupEvent(c1, 2)
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []map[string]any{{"ticket_type_id": ttID, "quantity": 2}}}
	available := func(c *client) any {
		av := c.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
		return av["quotas"].([]any)[0].(map[string]any)["available"]
	}
	for range 20 {
		h := c1.must(201, "POST", holds, body)
		if r := c2.do("POST", holds, body); r.status != 409 || r.json(t)["code"] != "sold-out" {
			t.Fatalf("a hold through node two with none left: %d %s", r.status, r.body)
		}
		if got := available(c2); got != float64(0) {
			t.Fatalf("available through node two while held: %v", got)
		}
		c1.must(200, "DELETE", holds+"/"+h["id"].(string), nil)
		if got := available(c2); got != float64(2) {
			t.Fatalf("available through node two right after the release on node one: %v, want 2", got)
		}
		h2 := c2.must(201, "POST", holds, body) // at once: no view to catch up
		c1.must(200, "DELETE", holds+"/"+h2["id"].(string), nil)
	}
}

// TestLeadersSpreadAgain: a NATS server that died and came back leads no
// shard of the ledger; the node holding the lease to spread the leaders
// moves one back to it.
func TestLeadersSpreadAgain(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	led, err := ledger.Open(ctx, ledger.Config{URL: c.URLs(), Replicas: 3, Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	streams := []string{"LEDGER", "LEDGER_1", "LEDGER_2"}
	leaders := func() (byServer map[int]int, of []int) {
		byServer = map[int]int{}
		for _, s := range streams {
			i := c.StreamLeader(s)
			of = append(of, i)
			if i >= 0 {
				byServer[i]++
			}
		}
		return byServer, of
	}
	spread := func() bool { by, _ := leaders(); return len(by) == 3 }
	waitUntil(t, "each server to lead one shard after the ledger opened", 20*time.Second, spread)

	leases, err := lease.Open(ctx, led.Conn(), "node-a", time.Second, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, of := leaders()
	victim := of[1]
	c.Kill(victim)
	c.Restart(victim)
	waitUntil(t, "every shard to have a leader again", 20*time.Second, func() bool {
		_, of := leaders()
		return !slices.Contains(of, -1)
	})
	by, of := leaders()
	t.Logf("after server %d came back: leaders %v", victim, of)
	if by[victim] != 0 {
		t.Logf("server %d leads again by itself; the balancing has nothing to do", victim)
	}

	bctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		balanceLeaders(bctx, led, leases, 100*time.Millisecond, slog.New(slog.NewTextHandler(&logTo{t}, nil)))
	}()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for !spread() {
		if time.Now().After(deadline) {
			// What the balancing saw: a server it counts offline makes
			// two leaders on one server its share.
			js, _ := jetstream.New(led.Conn())
			var seen []string
			for _, name := range streams {
				if s, err := js.Stream(ctx, name); err == nil && s.CachedInfo().Cluster != nil {
					var rs []string
					for _, p := range s.CachedInfo().Cluster.Replicas {
						rs = append(rs, fmt.Sprintf("%s (current %v, offline %v, lag %d, active %v)", p.Name, p.Current, p.Offline, p.Lag, p.Active))
					}
					seen = append(seen, fmt.Sprintf("%s led by %s, replicas %s", name, s.CachedInfo().Cluster.Leader, strings.Join(rs, ", ")))
				}
			}
			_, of := leaders()
			t.Fatalf("after 30s the leaders are %v, not one per server:\n%s", of, strings.Join(seen, "\n"))
		}
		time.Sleep(20 * time.Millisecond) // polling the placement
	}
	// The balancing holds its lease (already spread, it may not have
	// taken it yet: poll).
	waitUntil(t, "node-a to hold the lease "+leadersLease, 10*time.Second, func() bool {
		holder, err := leases.Holder(ctx, leadersLease)
		return err == nil && holder == "node-a"
	})
}

// logTo writes a test's log lines.
type logTo struct{ t *testing.T }

func (l *logTo) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
