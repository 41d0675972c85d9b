package office

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/natstest"

	"github.com/nats-io/nats.go"
)

// TestClusterLosesANATSServer sells holds through a box office on an R3
// NATS JetStream cluster of three servers (sync_interval: always) and
// kills the server leading the ledger's stream mid-sale: acknowledgements
// stop only while the stream elects a new leader and the connection fails
// over, and every hold acknowledged is in the ledger afterwards.
func TestClusterLosesANATSServer(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx := context.Background()
	led, err := ledger.Open(ctx, ledger.Config{URL: c.URLs(), Replicas: 3, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	nc := natstest.Connect(t, c.URLs(), nats.MaxReconnects(-1))
	leases, err := lease.Open(ctx, nc, "node-a", 0, 3, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(led, clock.Real{}, NewLeased(leases), quietLog(), Config{})
	mctx, stopManager := context.WithCancel(ctx)
	started, done := make(chan struct{}), make(chan struct{})
	go func() { m.Run(mctx, started); close(done) }()
	<-started
	defer func() { stopManager(); <-done }()
	evID, ttID := onSale(t, m, 1_000_000)

	var mu sync.Mutex
	var acked []string
	var ackTimes []time.Time
	failed := 0
	sellCtx, stopSelling := context.WithCancel(ctx)
	var sellers sync.WaitGroup
	for range 16 {
		sellers.Go(func() {
			for sellCtx.Err() == nil {
				res, err := hold(m, evID, ttID, 1)
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, res.Ref)
					ackTimes = append(ackTimes, time.Now())
				case fault.Is(err, fault.Unavailable):
					failed++ // not acknowledged: the buyer retries
				default:
					t.Errorf("hold: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	eventually(t, "holds before the kill", func() bool { return count() >= 200 })
	leader := c.StreamLeader("LEDGER")
	if leader < 0 {
		t.Fatal("the ledger's stream has no leader")
	}
	killed := time.Now()
	c.Kill(leader)
	before := count()
	deadline := time.Now().Add(20 * time.Second)
	for count() < before+200 {
		if time.Now().After(deadline) {
			t.Fatalf("no more than %d holds acknowledged in 20 s after the stream leader's kill", count()-before)
		}
		time.Sleep(10 * time.Millisecond) // polling the sellers' progress
	}
	stopSelling()
	sellers.Wait()

	// The longest wait between two acknowledgements after the kill.
	mu.Lock()
	var stall time.Duration
	prev := killed
	for _, at := range ackTimes {
		if at.After(killed) {
			stall = max(stall, at.Sub(prev))
			prev = at
		}
	}
	n, nfailed := len(acked), failed
	mu.Unlock()
	t.Logf("killed the stream leader (server %d) after %d holds; acknowledgements stalled %s at most; %d answered Unavailable; %d acknowledged in all",
		leader+1, before, stall.Round(time.Millisecond), nfailed, n)
	if stall > 5*time.Second {
		t.Errorf("acknowledgements stalled %s after the kill, want under 5 s", stall)
	}

	// Every acknowledged hold is in the ledger, once.
	recorded := map[string]int{}
	if _, err := led.Read(ctx, Subject(evID), 1, func(r ledger.Record) error {
		batch, err := boxoffice.DecodeBatch(r.Data)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if h, ok := e.Entry.(*boxoffice.HoldCreated); ok {
				recorded[h.HoldID]++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if recorded[id] != 1 {
			t.Fatalf("acknowledged hold %s is in the ledger %d times", id, recorded[id])
		}
	}
}
