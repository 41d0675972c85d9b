// Package natstest runs nats-servers for tests: separate servers with a
// loopback TCP listener and JetStream, as a cluster's are, never the
// machine's own.
package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Connect is a client of the server (or servers) at url, closed when the
// test ends.
func Connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to NATS at %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Start runs a nats-server with JetStream in a temporary directory on a
// free loopback port, until the test ends.
func Start(t testing.TB) *server.Server { return StartAt(t, t.TempDir(), -1) }

// StartAt runs a nats-server with JetStream in storeDir on the loopback
// port (-1: a free one), default (lazy) fsync, until the test ends.
func StartAt(t testing.TB, storeDir string, port int) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true,
		StoreDir: storeDir, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// Cluster is n nats-servers routed to each other on loopback, each with
// JetStream in a directory of its own and every write fsynced before it
// is acknowledged (`sync_interval: always`), as a production cluster must
// run.
type Cluster struct {
	t       testing.TB
	Servers []*server.Server
	opts    []*server.Options
}

// StartCluster runs a cluster of n servers until the test ends, and waits
// until its JetStream has a meta leader with every server as a peer.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	c := &Cluster{t: t}
	for i := range n {
		c.opts = append(c.opts, &server.Options{ServerName: fmt.Sprintf("s%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), SyncAlways: true, NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "admit-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ","))})
	}
	for i := range n {
		c.Servers = append(c.Servers, c.start(i))
	}
	t.Cleanup(func() {
		for _, ns := range c.Servers {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !c.hasMetaLeader() {
		if time.Now().After(deadline) {
			t.Fatal("the nats cluster elected no JetStream meta leader in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

func (c *Cluster) start(i int) *server.Server {
	c.t.Helper()
	o := *c.opts[i] // a server changes its options as it runs
	ns, err := server.NewServer(&o)
	if err != nil {
		c.t.Fatalf("nats server %d: %v", i+1, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		c.t.Fatalf("nats server %d not ready", i+1)
	}
	return ns
}

// URLs lists every server's client URL, for a client that fails over
// between them.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.Servers))
	for i, ns := range c.Servers {
		urls[i] = ns.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Kill stops server i at once, as a crash would (its files stay).
func (c *Cluster) Kill(i int) {
	c.opts[i].Port = c.Servers[i].Addr().(*net.TCPAddr).Port // for Restart: a stopped server has no address
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// Restart starts server i, killed before, again on its files and its
// ports.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Servers[i] = c.start(i)
}

// StreamLeader is the index of the server leading the stream, -1 if none.
func (c *Cluster) StreamLeader(stream string) int {
	for i, ns := range c.Servers {
		if ns.Running() && ns.JetStreamIsStreamLeader("$G", stream) {
			return i
		}
	}
	return -1
}

// hasMetaLeader reports whether JetStream has a meta leader that knows
// every server as a peer: only then can it place a stream's replicas.
func (c *Cluster) hasMetaLeader() bool {
	for _, ns := range c.Servers {
		if ns.JetStreamIsLeader() {
			return len(ns.JetStreamClusterPeers()) == len(c.Servers)
		}
	}
	return false
}

// freePorts finds n loopback ports free now.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}
