package office

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// gatedLedger holds every Append while its gate is closed.
type gatedLedger struct {
	*ledger.Memory
	mu      sync.Mutex
	gate    chan struct{} // nil: open
	waiting chan struct{} // gets a value when an Append starts waiting
}

func (g *gatedLedger) Append(ctx context.Context, m ledger.Message, expect uint64) (uint64, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.waiting <- struct{}{}
		<-gate
	}
	return g.Memory.Append(ctx, m, expect)
}

func (g *gatedLedger) close() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	return g.gate
}

// TestFullQueueSheds: when the box office is busy and its queue is full, a
// caller is told Unavailable at once instead of waiting behind the queue.
func TestFullQueueSheds(t *testing.T) {
	led := &gatedLedger{Memory: ledger.NewMemory(), waiting: make(chan struct{}, 1)}
	m, _ := startManager(t, led, clock.NewFake(t0), Config{QueueDepth: 4, MaxBatch: 1})
	evID, ttID := onSale(t, m, 100)

	open := led.close()
	results := make(chan error, 5)
	go func() { _, err := hold(m, evID, ttID, 1); results <- err }()
	<-led.waiting // the office is stuck appending the first hold
	m.mu.Lock()
	o := m.live[evID].office
	m.mu.Unlock()
	for range 4 {
		go func() { _, err := hold(m, evID, ttID, 1); results <- err }()
	}
	eventually(t, "a full queue", func() bool { return o.queueLen() == 4 })

	if _, err := hold(m, evID, ttID, 1); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("hold with a full queue: %v, want Unavailable at once", err)
	}
	led.mu.Lock()
	led.gate = nil
	led.mu.Unlock()
	close(open)
	for range 5 {
		if err := <-results; err != nil {
			t.Errorf("a queued hold: %v", err)
		}
	}
	if got := held(t, m, evID); got != 5 {
		t.Errorf("held %d, want the 5 queued holds", got)
	}
}

func (o *Office) queueLen() int {
	o.qmu.Lock()
	defer o.qmu.Unlock()
	return len(o.queued)
}

func TestExpiryHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h dueHeap
	var want []time.Time
	for range 2000 {
		if len(h) > 0 && rng.IntN(3) == 0 {
			slices.SortFunc(want, time.Time.Compare)
			if got := h.pop().at; !got.Equal(want[0]) {
				t.Fatalf("pop %v, want %v", got, want[0])
			}
			want = want[1:]
			continue
		}
		at := t0.Add(time.Duration(rng.IntN(1000)) * time.Second)
		h.push(due{at: at})
		want = append(want, at)
	}
	h2 := slices.Clone(h)
	rng.Shuffle(len(h2), func(i, j int) { h2[i], h2[j] = h2[j], h2[i] })
	heap.Init(&h2)
	slices.SortFunc(want, time.Time.Compare)
	for _, w := range want {
		if got := h2.pop().at; !got.Equal(w) {
			t.Fatalf("after init: pop %v, want %v", got, w)
		}
	}
}

// flakyLedger fails every other Append, appending nothing: as a NATS
// server going away can make an append fail without being fenced.
type flakyLedger struct {
	*ledger.Memory
	mu sync.Mutex
	n  int
}

func (f *flakyLedger) Append(ctx context.Context, m ledger.Message, expect uint64) (uint64, error) {
	f.mu.Lock()
	f.n++
	fail := f.n > 4 && f.n%2 == 0 // the event's set-up goes through
	f.mu.Unlock()
	if fail {
		return 0, errors.New("flaky ledger: the connection went away")
	}
	return f.Memory.Append(ctx, m, expect)
}

// TestFailedAppendAnswersOnce: the callers of a batch whose append failed
// are each answered once, Unavailable, and the box office reloads; no
// caller after them gets an answer meant for another call, and every hold
// answered as made is made.
func TestFailedAppendAnswersOnce(t *testing.T) {
	m, _ := startManager(t, &flakyLedger{Memory: ledger.NewMemory()}, clock.NewFake(t0), Config{})
	evID, ttID := onSale(t, m, 1000)
	granted := 0
	for range 200 {
		holdID := id.New("ho", id.Long)
		res, err := m.Do(context.Background(), evID, &boxoffice.CreateHold{HoldID: holdID,
			Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 1}}}, nil)
		switch {
		case err == nil:
			if res.Ref != holdID {
				t.Fatalf("hold %s was answered with %q: an answer meant for another call", holdID, res.Ref)
			}
			granted++
		case !fault.Is(err, fault.Unavailable):
			t.Fatalf("hold: %v", err)
		}
	}
	if got := held(t, m, evID); got != granted {
		t.Errorf("held %d, but %d holds were answered as made", got, granted)
	}
}
