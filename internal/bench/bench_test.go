package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/bench/baseline"
)

func TestOnsaleEngine(t *testing.T) {
	e, err := NewEngine(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := Run(context.Background(), Config{Seats: 3000, Buyers: 64, SoldOut: 50 * time.Millisecond}, e)
	if err != nil {
		t.Fatal(err)
	}
	checkSoldOut(t, res, 3000)
	if res.Audit.Source != "ledger replay" {
		t.Errorf("audit source %q, want the ledger replay", res.Audit.Source)
	}
	if res.SoldOutPerS <= 0 {
		t.Errorf("no sold-out answers measured after the sell-out: %+v", res)
	}
}

func TestOnsaleHello(t *testing.T) {
	b, err := NewBaseline("hello", baseline.NewMemory(), 32)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := Run(context.Background(), Config{Seats: 1000, Buyers: 32, Mix: Mix{1, 1, 1, 1}}, b)
	if err != nil {
		t.Fatal(err)
	}
	checkSoldOut(t, res, 1000)
	if res.Target != "hello" {
		t.Errorf("target %q", res.Target)
	}
}

func checkSoldOut(t *testing.T, res Result, seats int) {
	t.Helper()
	if !res.Complete || res.Sold != seats || res.Oversold != 0 || !res.Audit.OK || res.Errors != 0 {
		t.Fatalf("want all %d seats sold, nothing oversold, a clean audit: %+v", seats, res)
	}
	if res.Granted == 0 || res.HoldsPerS <= 0 || res.P50Ms <= 0 || res.P99Ms < res.P50Ms || res.MaxMs < res.P99Ms {
		t.Errorf("implausible figures: %+v", res)
	}
}

// liar is a target with planted bugs, to show that the audit catches them.
type liar struct {
	mu       sync.Mutex
	plan     *Plan
	sold     []int // per ticket type
	holds    map[string]int
	overSell int  // grant this many tickets beyond each ticket type's capacity
	forget   bool // leave granted holds out of the audit's records
	sameID   bool // give every hold the same id
}

func (l *liar) Name() string { return "liar" }

func (l *liar) Setup(_ context.Context, p *Plan) error {
	l.plan, l.sold, l.holds = p, make([]int, len(p.Types)), map[string]int{}
	return nil
}

func (l *liar) Hold(_ context.Context, t, n int) Answer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sold[t]+n > l.plan.Quotas[t].Capacity+l.overSell {
		return Answer{Outcome: SoldOut, Left: -1}
	}
	l.sold[t] += n
	id := fmt.Sprint("h", len(l.holds))
	if l.sameID {
		id = "h"
	}
	l.holds[id] = n
	return Answer{Outcome: Granted, HoldID: id}
}

func (l *liar) Audit(context.Context) (Recorded, error) {
	rec := Recorded{Source: "liar", Held: make([]int, len(l.plan.Quotas)), Holds: map[string]int{}}
	for t, n := range l.sold {
		for _, q := range l.plan.Types[t].Quotas {
			rec.Held[q] += n
		}
	}
	if !l.forget {
		rec.Holds = l.holds
	}
	return rec, nil
}

func (l *liar) Close() error { return nil }

func TestAuditCatchesOversellAndLoss(t *testing.T) {
	res, err := Run(context.Background(), Config{Seats: 400, Buyers: 8}, &liar{overSell: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Oversold == 0 || res.Audit.OK {
		t.Fatalf("an oversold run passed the audit: %+v", res)
	}
	if !strings.Contains(strings.Join(res.Audit.Problems, "\n"), "capacity") {
		t.Errorf("problems do not name the capacity: %q", res.Audit.Problems)
	}

	res, err = Run(context.Background(), Config{Seats: 400, Buyers: 8}, &liar{forget: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Audit.OK || !strings.Contains(strings.Join(res.Audit.Problems, "\n"), "missing") {
		t.Fatalf("holds missing from the records passed the audit: %+v", res.Audit)
	}

	res, err = Run(context.Background(), Config{Seats: 400, Buyers: 8}, &liar{sameID: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Audit.OK || !strings.Contains(strings.Join(res.Audit.Problems, "\n"), "granted twice") {
		t.Fatalf("one hold id granted again and again passed the audit: %+v", res.Audit)
	}
}

func TestPlan(t *testing.T) {
	for _, seats := range []int{1, 7, 100_000, 1_000_003} {
		p := NewPlan(seats)
		total := 0
		for _, q := range p.Quotas[:len(p.Quotas)-1] {
			total += q.Capacity
		}
		if total != seats || p.Quotas[len(p.Quotas)-1].Capacity != seats {
			t.Errorf("%d seats: blocks add up to %d, venue %d", seats, total, p.Quotas[len(p.Quotas)-1].Capacity)
		}
		for i, tt := range p.Types {
			if len(tt.Quotas) != 2 || tt.Quotas[0] != i {
				t.Errorf("ticket type %d counts against %v, want its block and the venue", i, tt.Quotas)
			}
		}
	}
}

func TestParseMix(t *testing.T) {
	if m, err := ParseMix("40, 35,15,10"); err != nil || len(m) != 4 || m[1] != 35 {
		t.Errorf("ParseMix: %v, %v", m, err)
	}
	for _, bad := range []string{"", "0,0", "a", "-1,2", "1,,2", "1,1,1,1,1,1,1,1,1,1,1"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}
