package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/office"
)

// ClusterConfig is one cluster chaos run: three NATS servers and three
// admit serve nodes as child processes on loopback, under on-sale load,
// with faults at random moments.
type ClusterConfig struct {
	Bin      string        // the admit binary: it runs the nodes and, with "bench nats-server", the NATS servers
	Dir      string        // an empty directory for the servers' and nodes' files
	Faults   int           // faults, each a SIGKILL of a node, a SIGTERM of a node or a SIGKILL of a NATS server
	Seats    int           // tickets on sale
	Buyers   int           // concurrent buyers, spread over the three nodes
	Release  float64       // share of granted holds their buyer releases again
	MaxDelay time.Duration // a fault comes up to this long after the last one recovered; a stopped process is restarted up to this long after
	Log      io.Writer     // one line per fault when not nil
	Seed     uint64        // the faults' random choices; 0: from the clock
}

// Fault kinds of a cluster chaos run.
const (
	KillNode = "kill-node" // SIGKILL of an admit node
	StopNode = "stop-node" // SIGTERM of an admit node: a clean stop
	KillNATS = "kill-nats" // SIGKILL of a NATS server
)

// ClusterResult is what a cluster chaos run measured and what its audit
// found. Kills counts the SIGKILLs, of nodes and NATS servers.
type ClusterResult struct {
	ChaosResult
	Seed      uint64 `json:"seed"` // the faults' random choices: --seed runs the same ones again
	NodeKills int    `json:"node_kills"`
	NodeStops int    `json:"node_stops"`
	NATSKills int    `json:"nats_kills"`
	// TakeoverAfterKill: from the SIGKILL of the node holding the event's
	// lease until a hold sent after it died is acknowledged through another
	// node. TakeoverAfterStop: the same from the moment the node stopped
	// by SIGTERM exited; CleanStop is how long that stop took.
	TakeoverAfterKill Spread `json:"takeover_after_kill_ms"`
	TakeoverAfterStop Spread `json:"takeover_after_stop_ms"`
	CleanStop         Spread `json:"clean_stop_ms"`
	// NATSStall: the longest gap between two acknowledged holds from a NATS
	// server's SIGKILL until the next fault (its restart and catch-up
	// included), when it led neither the ledger's stream nor the leases'
	// bucket; NATSLeaderStall when it led one (the others then elect a new
	// leader).
	NATSStall       Spread  `json:"nats_kill_stall_ms"`
	NATSLeaderStall Spread  `json:"nats_leader_kill_stall_ms"`
	Faults          []Fault `json:"faults"`
	// Unexpected is a sample of answers no buyer expects (counted in
	// Unknown) and of nodes' failed starts, for finding out why.
	Unexpected []string `json:"unexpected,omitempty"`
	// FailedStarts: restarts of a node that exited at start and were
	// tried again.
	FailedStarts int `json:"failed_starts"`
}

// Spread is a set of durations in milliseconds.
type Spread struct {
	N     int     `json:"n"`
	P50Ms float64 `json:"p50_ms"`
	MaxMs float64 `json:"max_ms"`
}

func spreadOf(ms []float64) Spread {
	if len(ms) == 0 {
		return Spread{}
	}
	s := slices.Sorted(slices.Values(ms))
	return Spread{N: len(s), P50Ms: s[(len(s)-1)/2], MaxMs: s[len(s)-1]}
}

// Fault is one fault of the run.
type Fault struct {
	Kind   string  `json:"kind"`
	Target string  `json:"target"`          // the node (n1…n3) or NATS server (s1…s3)
	Owner  bool    `json:"owner,omitempty"` // the node held the event's lease; for NATS: it led the ledger stream
	AtS    float64 `json:"at_s"`            // since the load began
	// Ms is the takeover (owner kills and stops) or the stall (NATS kills);
	// 0 otherwise.
	Ms float64 `json:"ms"`
	// Led, for NATS kills: the streams the server led, of LEDGER and
	// KV_ADMIT_LEASES (the leases' bucket).
	Led []string `json:"led,omitempty"`
	// StallFromMs, for NATS kills: when the longest gap began, from the kill.
	StallFromMs float64   `json:"stall_from_ms,omitempty"`
	at          time.Time // when the signal was sent
}

// clusterAck is one acknowledged hold: when the attempt that got it was
// sent, when its answer came, and through which node.
type clusterAck struct {
	hold       ackedHold
	sent, came time.Time
	node       int
}

// clusterRun is the state of one run.
type clusterRun struct {
	cfg     ClusterConfig
	nodes   []*child
	servers []*child
	urls    string // the NATS servers' client URLs
	metrics []string
	nc      *nats.Conn
	js      jetstream.JetStream
	eventID string

	mu           sync.Mutex
	acks         []clusterAck
	released     map[string]bool // true: acknowledged; false: outcome unknown
	unknown      int
	refused      int
	odd          []string // a sample of unexpected answers
	failedStarts int
	acked        atomic.Int64
	stopping     atomic.Bool // buyers finish what they asked, then stop
}

const nodeCount = 3

// ChaosCluster runs the cluster chaos test, then stops every node
// cleanly and audits the ledger and every node's read model.
func ChaosCluster(ctx context.Context, cfg ClusterConfig) (ClusterResult, error) {
	if cfg.Faults <= 0 {
		cfg.Faults = 20
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
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	r := &clusterRun{cfg: cfg, released: make(map[string]bool)}
	defer r.killAll()
	if err := r.startServers(ctx); err != nil {
		return ClusterResult{}, err
	}
	defer r.nc.Close()
	token, err := r.startNodes(ctx)
	if err != nil {
		return ClusterResult{}, err
	}

	a := NewAdmit("http://"+r.nodes[0].addr, token, cfg.Buyers)
	plan := NewPlan(cfg.Seats)
	if err := a.Setup(ctx, &plan); err != nil {
		return ClusterResult{}, fmt.Errorf("set up the on-sale: %w", err)
	}
	r.eventID = a.EventID()
	clients := []*client{a.c}
	for _, n := range r.nodes[1:] {
		c := newClient("http://"+n.addr, cfg.Buyers)
		c.prepare(r.eventID, &plan)
		clients = append(clients, c)
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()

	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	for i := range cfg.Buyers {
		wg.Go(func() { r.buyer(load, i, clients, len(plan.Types)) })
	}
	began := time.Now()
	res := ClusterResult{Seed: cfg.Seed}
	runErr := r.faults(ctx, began, &res)
	if runErr == nil {
		// A little more load after the last fault.
		mark := r.acked.Load()
		if err := waitFor(ctx, 60*time.Second, func() bool { return r.acked.Load() > mark }); err != nil {
			runErr = errors.New("no hold was acknowledged within 60 s of the last fault")
		}
	}
	// The buyers finish the request they are on, retries included: an
	// answer cut off would be an outcome unknown. Those still asking after
	// 60 s are cut off.
	r.stopping.Store(true)
	ended := time.Now()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		stopLoad()
		<-finished
	}
	if runErr != nil {
		return res, runErr
	}
	r.measureStalls(&res, ended)

	// Every node's read model catches up with the ledger, then the nodes stop cleanly.
	for i, n := range r.nodes {
		if err := waitFor(ctx, 60*time.Second, func() bool { return r.lag(i) == 0 }); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("node n%d's read model did not catch up with the ledger within 60 s", i+1))
		}
		if err := n.stop(); err != nil {
			return res, fmt.Errorf("node n%d: %w", i+1, err)
		}
	}

	var holds []ackedHold
	for _, ack := range r.acks {
		holds = append(holds, ack.hold)
	}
	res.Acknowledged, res.Unknown, res.Refused, res.Unexpected = len(holds), r.unknown, r.refused, r.odd
	res.FailedStarts = r.failedStarts
	for _, ok := range r.released {
		if ok {
			res.Released++
		}
	}
	led, err := ledger.Open(ctx, ledger.Config{URL: r.urls, Logger: discard})
	if err != nil {
		return res, err
	}
	defer led.Close()
	dirs := make([]string, len(r.nodes))
	for i, n := range r.nodes {
		dirs[i] = n.dir
	}
	return res, chaosAudit(ctx, led, dirs, r.eventID, holds, r.released, &res.ChaosResult)
}

// startServers runs the three NATS servers and waits until their
// JetStream can place three replicas.
func (r *clusterRun) startServers(ctx context.Context) error {
	addrs, err := freeAddrs(2 * nodeCount)
	if err != nil {
		return err
	}
	var routes, urls []string
	for i := range nodeCount {
		routes = append(routes, "nats://"+addrs[nodeCount+i])
		urls = append(urls, "nats://"+addrs[i])
	}
	r.urls = strings.Join(urls, ",")
	for i := range nodeCount {
		dir := filepath.Join(r.cfg.Dir, "s"+strconv.Itoa(i+1))
		addr := addrs[i]
		s := &child{bin: r.cfg.Bin, dir: dir, addr: addr, log: "nats-server.log",
			args: []string{"bench", "nats-server", "--name", "s" + strconv.Itoa(i+1), "--addr", addr,
				"--cluster-addr", addrs[nodeCount+i], "--routes", strings.Join(routes, ","),
				"--store", filepath.Join(dir, "jetstream")},
			ready: func() bool { return dialable(addr) }}
		if err := s.start(ctx); err != nil {
			return err
		}
		r.servers = append(r.servers, s)
	}
	r.nc, err = nats.Connect(r.urls, nats.Name("admit-bench-chaos"), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("connect to the NATS servers: %w", err)
	}
	if r.js, err = jetstream.New(r.nc); err != nil {
		return err
	}
	// A stream with three replicas can be made once the JetStream meta
	// leader knows all three servers; only then do the nodes start, so that
	// the ledger they create has three replicas too.
	probe := jetstream.StreamConfig{Name: "CHAOS_PROBE", Subjects: []string{"chaos.probe"},
		Storage: jetstream.MemoryStorage, Replicas: nodeCount}
	if err := waitFor(ctx, 60*time.Second, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := r.js.CreateStream(cctx, probe)
		return err == nil
	}); err != nil {
		return errors.New("the NATS servers could not place a stream of 3 replicas within 60 s; see their nats-server.log")
	}
	return r.js.DeleteStream(ctx, probe.Name)
}

// startNodes runs the three admit nodes, the first alone, as it makes the
// organizer whose token it returns.
func (r *clusterRun) startNodes(ctx context.Context) (string, error) {
	addrs, err := freeAddrs(2 * nodeCount)
	if err != nil {
		return "", err
	}
	key := make([]byte, 32)
	rand.Read(key)
	tokenFile := filepath.Join(r.cfg.Dir, "token")
	for i := range nodeCount {
		dir := filepath.Join(r.cfg.Dir, "n"+strconv.Itoa(i+1))
		args := []string{"serve", "--addr", addrs[i], "--data", dir, "--nats", r.urls, "--node", "n" + strconv.Itoa(i+1),
			"--master-key", hex.EncodeToString(key), "--metrics-addr", addrs[nodeCount+i],
			"--log-format", "json", "--log-level", "warn",
			"--exempt-loopback"} // the buyers are all 127.0.0.1
		if i == 0 {
			args = append(args, "--bootstrap-token-file", tokenFile)
		}
		n := &child{bin: r.cfg.Bin, dir: dir, addr: addrs[i], args: args}
		if err := n.start(ctx); err != nil {
			return "", err
		}
		r.nodes = append(r.nodes, n)
		r.metrics = append(r.metrics, "http://"+addrs[nodeCount+i]+"/metrics")
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(token)), nil
}

// buyer holds and sometimes releases through node i%3, moving to the next
// node when its node does not answer. Each hold has an Idempotency-Key
// that its retries keep, so a hold whose answer was lost is answered by a
// retry, whichever node it reaches.
func (r *clusterRun) buyer(ctx context.Context, i int, clients []*client, types int) {
	rng := mrand.New(mrand.NewPCG(uint64(i), r.cfg.Seed))
	node := i % len(clients)
	next := func() { node = (node + 1) % len(clients) }
	var mine []string
	for !r.stopping.Load() && ctx.Err() == nil {
		if len(mine) > 0 && rng.Float64() < r.cfg.Release {
			h := mine[len(mine)-1]
			mine = mine[:len(mine)-1]
			// A release is idempotent: asked again until answered.
			for {
				ok, err := clients[node].release(ctx, h)
				if err == nil || ctx.Err() != nil {
					r.mu.Lock()
					r.released[h] = ok
					if err != nil {
						r.unknown++ // cut short by the end of the run
					}
					r.mu.Unlock()
					break
				}
				if errors.Is(err, errNotSent) {
					r.mu.Lock()
					r.refused++
					r.mu.Unlock()
				}
				if !errors.Is(err, errUnavailable) {
					next() // the node is down: another answers for the event
				}
				wait(ctx, 5*time.Millisecond)
			}
			continue
		}
		t, n := rng.IntN(types), DefaultMix.pick(rng)
		key := idempotencyKey(rng)
		sentAny := false
		for {
			sent := time.Now()
			ans := clients[node].holdKey(ctx, t, n, key)
			if ctx.Err() != nil && ans.Outcome != Granted {
				if sentAny || !ans.NotSent {
					r.mu.Lock()
					r.unknown++ // the run ended before the hold was answered
					r.mu.Unlock()
				}
				return
			}
			sentAny = sentAny || !ans.NotSent
			switch {
			case ans.Outcome == Granted:
				r.mu.Lock()
				r.acks = append(r.acks, clusterAck{hold: ackedHold{ans.HoldID, n}, sent: sent, came: time.Now(), node: node})
				r.mu.Unlock()
				r.acked.Add(1)
				mine = append(mine, ans.HoldID)
			case ans.Outcome == Shed:
				wait(ctx, 5*time.Millisecond) // 503, 429 or in flight: ask again with the same key
				continue
			case ans.Outcome == Failed && ans.Transport:
				if ans.NotSent {
					r.mu.Lock()
					r.refused++
					r.mu.Unlock()
				}
				next() // the node is down: another answers for the event
				wait(ctx, 5*time.Millisecond)
				continue
			case ans.Outcome == Failed:
				r.mu.Lock()
				r.unknown++ // an answer no buyer expects: counted, not retried
				if len(r.odd) < 10 {
					r.odd = append(r.odd, fmt.Sprintf("through n%d: %v", node+1, ans.Err))
				}
				r.mu.Unlock()
				wait(ctx, 5*time.Millisecond)
			}
			break
		}
	}
}

// idempotencyKey is 22 base64url characters of rng's.
func idempotencyKey(rng *mrand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// faults runs cfg.Faults faults, one after another: the first three are
// one of each kind, in a random order, the others of a random kind.
func (r *clusterRun) faults(ctx context.Context, began time.Time, res *ClusterResult) error {
	rng := mrand.New(mrand.NewPCG(r.cfg.Seed, 2))
	kinds := []string{KillNode, StopNode, KillNATS}
	rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	var kill, stop, stopTook []float64
	for i := range r.cfg.Faults {
		kind := kinds[rng.IntN(len(kinds))]
		if i < len(kinds) {
			kind = kinds[i]
		}
		mark := r.acked.Load()
		if err := waitFor(ctx, 60*time.Second, func() bool { return r.acked.Load() > mark }); err != nil {
			return errors.New("no hold was acknowledged within 60 s after the last fault recovered")
		}
		wait(ctx, time.Duration(rng.Int64N(int64(r.cfg.MaxDelay))))
		var f Fault
		var err error
		if kind == KillNATS {
			f, err = r.killServer(ctx, rng)
			res.NATSKills++
			res.Kills++
		} else {
			var took time.Duration
			f, took, err = r.faultNode(ctx, rng, kind, i < len(kinds))
			switch {
			case kind == KillNode:
				res.NodeKills++
				res.Kills++
				if f.Owner {
					kill = append(kill, f.Ms)
				}
			case f.Owner:
				stop = append(stop, f.Ms)
				fallthrough
			default:
				res.NodeStops++
				stopTook = append(stopTook, ms(took))
			}
		}
		f.AtS = f.at.Sub(began).Seconds()
		res.Faults = append(res.Faults, f)
		if err != nil {
			return err
		}
		if r.cfg.Log != nil {
			what := ""
			switch {
			case f.Kind != KillNATS && f.Owner:
				what = fmt.Sprintf(", the lease holder: sold again through another node after %.0f ms", f.Ms)
			case f.Kind == KillNATS && len(f.Led) > 0:
				what = ", the leader of " + strings.Join(f.Led, " and ")
			}
			fmt.Fprintf(r.cfg.Log, "fault %d/%d at %.1f s: %s %s%s; %d holds acknowledged so far\n",
				i+1, r.cfg.Faults, f.AtS, f.Kind, f.Target, what, r.acked.Load())
		}
	}
	res.TakeoverAfterKill, res.TakeoverAfterStop, res.CleanStop = spreadOf(kill), spreadOf(stop), spreadOf(stopTook)
	return nil
}

// faultNode kills or stops a node, the event's lease holder three times
// in four (always in a run's first faults, one of each kind), waits for the event to sell again through another node, and
// restarts it. It returns the fault and, for a stop, how long it took.
func (r *clusterRun) faultNode(ctx context.Context, rng *mrand.Rand, kind string, first bool) (Fault, time.Duration, error) {
	owner := r.holder(ctx)
	target := owner
	if owner < 0 || !first && rng.Float64() < 0.25 {
		target = rng.IntN(len(r.nodes))
	}
	n := r.nodes[target]
	f := Fault{Kind: kind, Target: "n" + strconv.Itoa(target+1), Owner: target == owner}
	sent := time.Now()
	f.at = sent
	if kind == KillNode {
		n.kill()
	} else if err := n.stop(); err != nil {
		return f, 0, fmt.Errorf("node %s: %w", f.Target, err)
	}
	gone := time.Now()
	took := gone.Sub(sent)
	if f.Owner {
		var first time.Time
		if err := waitFor(ctx, 60*time.Second, func() bool {
			first = r.firstAckAfter(gone, target)
			return !first.IsZero()
		}); err != nil {
			return f, took, fmt.Errorf("the event sold nothing through another node within 60 s after %s (its lease holder) was %s",
				f.Target, map[string]string{KillNode: "killed", StopNode: "stopped"}[kind])
		}
		from := sent // a SIGKILL ends the process at once
		if kind == StopNode {
			from = gone
		}
		f.Ms = ms(first.Sub(from))
	}
	wait(ctx, time.Duration(rng.Int64N(int64(r.cfg.MaxDelay))))
	// A node that exits at start (NATS still electing a leader of a stream
	// it opens) is started again, as a supervisor would, up to 5 times.
	for try := 1; ; try++ {
		err := n.start(ctx)
		if err == nil || try == 5 || ctx.Err() != nil || n.cmd != nil { // still running: not ready, not retried
			return f, took, err
		}
		r.mu.Lock()
		r.failedStarts++
		if len(r.odd) < 10 {
			r.odd = append(r.odd, fmt.Sprintf("%s started again: %v", f.Target, err))
		}
		r.mu.Unlock()
		wait(ctx, time.Second)
	}
}

// watchedStreams are the streams whose leaders a NATS kill may hit: the
// ledger and the leases' bucket.
var watchedStreams = []string{"LEDGER", "KV_" + lease.Bucket}

// killServer kills a NATS server, the ledger stream's leader half of the
// time, restarts it on its files, and waits until it caught up.
func (r *clusterRun) killServer(ctx context.Context, rng *mrand.Rand) (Fault, error) {
	leaders := map[string]int{}
	for _, name := range watchedStreams {
		leaders[name] = -1
		if info, err := r.streamInfo(ctx, name); err == nil && info.Cluster != nil {
			for i := range r.servers {
				if info.Cluster.Leader == "s"+strconv.Itoa(i+1) {
					leaders[name] = i
				}
			}
		}
	}
	target := leaders["LEDGER"]
	if target < 0 || rng.Float64() < 0.5 {
		target = rng.IntN(len(r.servers))
	}
	s := r.servers[target]
	f := Fault{Kind: KillNATS, Target: "s" + strconv.Itoa(target+1), Owner: target == leaders["LEDGER"], at: time.Now()}
	for _, name := range watchedStreams {
		if leaders[name] == target {
			f.Led = append(f.Led, name)
		}
	}
	s.kill()
	wait(ctx, time.Duration(rng.Int64N(int64(r.cfg.MaxDelay))))
	if err := s.start(ctx); err != nil {
		return f, err
	}
	// Never more than one server down or behind: the next NATS kill comes
	// only once every replica of the ledger and of the leases is current
	// again.
	current := func(name string) bool {
		info, err := r.streamInfo(ctx, name)
		if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != len(r.servers)-1 {
			return false
		}
		for _, p := range info.Cluster.Replicas {
			if !p.Current || p.Offline {
				return false
			}
		}
		return true
	}
	if err := waitFor(ctx, 60*time.Second, func() bool { return current(watchedStreams[0]) && current(watchedStreams[1]) }); err != nil {
		return f, fmt.Errorf("NATS server %s did not catch up with the ledger and the leases within 60 s of its restart", f.Target)
	}
	return f, nil
}

func (r *clusterRun) streamInfo(ctx context.Context, name string) (*jetstream.StreamInfo, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := r.js.Stream(cctx, name)
	if err != nil {
		return nil, err
	}
	return s.Info(cctx)
}

// holder is the index of the node holding the event's lease, -1 when none
// or it cannot be read.
func (r *clusterRun) holder(ctx context.Context) int {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(cctx, lease.Bucket)
	if err != nil {
		return -1
	}
	e, err := kv.Get(cctx, office.LeaseName(r.eventID))
	if err != nil {
		return -1
	}
	for i := range r.nodes {
		if string(e.Value()) == "n"+strconv.Itoa(i+1) {
			return i
		}
	}
	return -1
}

// firstAckAfter is when the first hold sent after t through a node other
// than not was acknowledged; zero when none yet.
func (r *clusterRun) firstAckAfter(t time.Time, not int) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first time.Time
	for i := len(r.acks) - 1; i >= 0 && r.acks[i].came.After(t); i-- {
		a := r.acks[i]
		if a.node != not && !a.sent.Before(t) && (first.IsZero() || a.came.Before(first)) {
			first = a.came
		}
	}
	return first
}

// measureStalls sets each NATS kill's stall: the longest time without an
// acknowledged hold between the kill and the next fault (or the end), the
// gaps cut at both: the next fault's own stall is not this one's.
func (r *clusterRun) measureStalls(res *ClusterResult, ended time.Time) {
	times := make([]time.Time, len(r.acks))
	for i, a := range r.acks {
		times[i] = a.came
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var stalls, leader []float64
	for i := range res.Faults {
		f := &res.Faults[i]
		if f.Kind != KillNATS {
			continue
		}
		from := f.at
		until := ended
		if i+1 < len(res.Faults) {
			until = res.Faults[i+1].at
		}
		var longest time.Duration
		var start time.Time
		for j := 1; j < len(times); j++ {
			if !times[j].After(from) || !times[j-1].Before(until) {
				continue
			}
			began, ended := maxTime(times[j-1], from), minTime(times[j], until)
			if gap := ended.Sub(began); gap > longest {
				longest, start = gap, began
			}
		}
		f.Ms, f.StallFromMs = ms(longest), ms(start.Sub(from))
		if len(f.Led) > 0 {
			leader = append(leader, f.Ms)
		} else {
			stalls = append(stalls, f.Ms)
		}
	}
	res.NATSStall, res.NATSLeaderStall = spreadOf(stalls), spreadOf(leader)
}

// lag is node i's read-model lag in ledger messages, -1 when unknown.
func (r *clusterRun) lag(i int) float64 {
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get(r.metrics[i])
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "admit_readmodel_lag_entries "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// killAll kills every child still running.
func (r *clusterRun) killAll() {
	for _, c := range slices.Concat(r.nodes, r.servers) {
		c.kill()
	}
}

// dialable reports whether a TCP connection to addr can be made.
func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// freeAddrs finds n free ports on 127.0.0.1, all at once, so that they
// differ.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
