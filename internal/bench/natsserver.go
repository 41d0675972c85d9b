package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/admit-org/admit/internal/ledger"
)

// NATSServerConfig is one server of the chaos cluster's NATS cluster.
type NATSServerConfig struct {
	Name        string // the server's name in the cluster, e.g. s1
	Addr        string // client address, 127.0.0.1:PORT
	ClusterAddr string // route address, 127.0.0.1:PORT
	Routes      string // every server's route URL, comma-separated
	StoreDir    string // JetStream's files, kept across restarts
}

// natsClusterName is the name of the chaos cluster's NATS cluster.
const natsClusterName = "admit-chaos"

// RunNATSServer runs a nats-server with JetStream, routed to the others of
// its cluster, fsyncing every write before it is acknowledged
// (`sync_interval: always`), until ctx ends. It writes "nats-server ready
// at nats://…" to out once it takes connections.
func RunNATSServer(ctx context.Context, cfg NATSServerConfig, out io.Writer) error {
	host, port, err := splitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("nats-server: address %q: %w", cfg.Addr, err)
	}
	chost, cport, err := splitHostPort(cfg.ClusterAddr)
	if err != nil {
		return fmt.Errorf("nats-server: cluster address %q: %w", cfg.ClusterAddr, err)
	}
	opts := &server.Options{ServerName: cfg.Name, Host: host, Port: port,
		JetStream: true, StoreDir: cfg.StoreDir, SyncAlways: true, MaxPayload: ledger.MaxMessageSize,
		NoSigs:  true, // ctx carries SIGTERM; SIGKILL needs no handler
		Cluster: server.ClusterOpts{Name: natsClusterName, Host: chost, Port: cport},
		Routes:  server.RoutesFromStr(cfg.Routes)}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	ns.ConfigureLogger() // to stderr
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return errors.New("nats-server: not ready for connections within 30 s")
	}
	fmt.Fprintf(out, "nats-server ready at %s\n", ns.ClientURL())
	<-ctx.Done()
	ns.Shutdown()
	ns.WaitForShutdown()
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number between 1 and 65535", p)
	}
	return host, port, nil
}
