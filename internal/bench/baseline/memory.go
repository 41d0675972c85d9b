package baseline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// memory is the "hello" store: one atomic counter per quota in this
// process, and the holds' ids in a sync.Map. It does no I/O, so a benchmark
// of it measures the HTTP stack alone.
type memory struct {
	x     *index
	sold  []counter   // by position in x.quotas
	holds sync.Map    // hold id → tickets held (int)
	ready atomic.Bool // Setup has run and Close has not
}

// counter is a quota's tickets held, alone on its cache line so that holds
// on different quotas do not contend for one.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

var errNotReady = errors.New("baseline: the store is not set up, or closed")

// NewMemory returns the in-memory store. A hold takes its quotas one by one,
// in quota order, each with a compare-and-swap loop, and gives back what it
// took when a later quota lacks room. It never oversells, but it is not
// isolated: while a hold is giving back, another hold can see those tickets
// taken and be told sold out although, an instant later, there is room.
// Nothing survives the process.
func NewMemory() Store { return new(memory) }

func (m *memory) Name() string { return "memory" }

func (m *memory) Setup(_ context.Context, p Plan) error {
	if m.x != nil {
		return errors.New("baseline: memory: already set up")
	}
	x, err := compile(p)
	if err != nil {
		return err
	}
	m.x, m.sold = x, make([]counter, len(x.quotas))
	m.ready.Store(true)
	return nil
}

func (m *memory) Hold(_ context.Context, holdID string, items []Item, _ time.Duration) error {
	if !m.ready.Load() {
		return errNotReady
	}
	var buf [4]take
	ts, total, err := m.x.takes(buf[:0], items)
	if err != nil {
		return err
	}
	for i, t := range ts {
		c, limit := &m.sold[t.q].n, int64(m.x.quotas[t.q].Capacity-t.n)
		for {
			cur := c.Load()
			if cur > limit {
				m.giveBack(ts[:i])
				return m.soldOut(items)
			}
			if c.CompareAndSwap(cur, cur+int64(t.n)) {
				break
			}
		}
	}
	if _, dup := m.holds.LoadOrStore(holdID, total); dup {
		m.giveBack(ts)
		return fmt.Errorf("%w: hold id %q is already used", ErrInvalid, holdID)
	}
	return nil
}

// soldOut says, for each item's ticket type, the least of what its quotas
// have left now. A hold giving back at this moment may make it less than
// what is left an instant later (see NewMemory).
func (m *memory) soldOut(items []Item) error {
	e := &SoldOutError{}
	for _, it := range items {
		left := -1
		for _, q := range m.x.types[it.TicketTypeID] {
			if n := m.x.quotas[q].Capacity - int(m.sold[q].n.Load()); left < 0 || n < left {
				left = n
			}
		}
		e.Left = append(e.Left, Left{TicketTypeID: it.TicketTypeID, Available: max(left, 0)})
	}
	return e
}

func (m *memory) Available(context.Context) (Availability, error) {
	if !m.ready.Load() {
		return Availability{}, errNotReady
	}
	held := make([]int, len(m.sold))
	for i := range m.sold {
		held[i] = int(m.sold[i].n.Load())
	}
	return m.x.availability(held), nil
}

func (m *memory) giveBack(ts []take) {
	for _, t := range ts {
		m.sold[t.q].n.Add(-int64(t.n))
	}
}

func (m *memory) Audit(context.Context) (Audit, error) {
	if !m.ready.Load() {
		return Audit{}, errNotReady
	}
	a := Audit{Held: make(map[string]int, len(m.sold)), Holds: make(map[string]int)}
	for i := range m.sold {
		a.Held[m.x.quotas[i].ID] = int(m.sold[i].n.Load())
	}
	m.holds.Range(func(k, v any) bool {
		a.Holds[k.(string)] = v.(int)
		return true
	})
	return a, nil
}

func (m *memory) Close() error {
	m.ready.Store(false)
	m.holds.Clear()
	return nil
}
