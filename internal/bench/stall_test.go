package bench

import (
	"testing"
	"time"
)

// TestStallsAreCutAtTheNextFault: a NATS kill's stall is the longest time
// without acknowledgements between it and the next fault; a gap that the
// next fault opens belongs to that fault.
func TestStallsAreCutAtTheNextFault(t *testing.T) {
	t0 := time.Unix(1767225600, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var r clusterRun
	for _, n := range []int{0, 10, 20, 300, 310, 4000, 4010, 6000} {
		r.acks = append(r.acks, clusterAck{came: ms(n)})
	}
	res := ClusterResult{Faults: []Fault{
		{Kind: KillNATS, at: ms(15)},  // then 20 → 300: 280 ms
		{Kind: KillNode, at: ms(320)}, // its own gap, 310 → 4000, is not the NATS kill's
		{Kind: KillNATS, at: ms(4100), Led: []string{"LEDGER"}},
	}}
	r.measureStalls(&res, ms(7000))
	if got := res.Faults[0].Ms; got != 280 {
		t.Errorf("the first NATS kill's stall = %v ms, want 280", got)
	}
	if got := res.Faults[2].Ms; got != 1900 {
		t.Errorf("the second NATS kill's stall = %v ms, want 1900 (from the kill at 4100 to the ack at 6000)", got)
	}
	if res.NATSStall.P50Ms != 280 || res.NATSLeaderStall.P50Ms != 1900 {
		t.Errorf("spreads %+v and %+v", res.NATSStall, res.NATSLeaderStall)
	}
}
