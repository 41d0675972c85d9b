package ledger

import (
	"fmt"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/natstest"
)

// TestShardLeadersSpread opens a ledger of 3 shards on a cluster of 3 NATS
// servers (R3): each server leads one shard's stream, so the writes of the
// cluster do not all pass through one server. Then appends go to every
// shard, each through its own stream.
func TestShardLeadersSpread(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx := testContext(t)
	l, err := Open(ctx, Config{URL: c.URLs(), Replicas: 3, Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	names := []string{streamOf(0), streamOf(1), streamOf(2)}
	var leaders []int
	deadline := time.Now().Add(20 * time.Second)
	for {
		leaders = leaders[:0]
		led := make(map[int]bool)
		for _, name := range names {
			i := c.StreamLeader(name)
			leaders = append(leaders, i)
			if i >= 0 {
				led[i] = true
			}
		}
		if len(led) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream leaders %v (server index per shard, -1: none): want each of the 3 servers to lead one shard", leaders)
		}
		time.Sleep(20 * time.Millisecond) // polling the placement, with a deadline
	}
	t.Logf("leaders of %v: servers %v", names, leaders)

	for k := range 3 {
		subj := "ledger.event.ev_x"
		if k > 0 {
			subj = fmt.Sprintf("ledger.event.ev_x_%d", k)
		}
		mustAppend(t, l, subj, []byte("1"), 0, Pos(k, 1))
	}
	v, err := l.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != "1,1,1" {
		t.Errorf("Last = %v, want 1,1,1", v)
	}
}
