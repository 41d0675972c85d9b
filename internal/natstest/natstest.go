// Package natstest runs nats-servers for tests: separate servers with a
// loopback TCP listener and JetStream, as a cluster's are, never the
// machine's own.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

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
