package office

import (
	"container/heap"
	"math"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
)

// due is what is due at a time: a hold to expire (id is the hold's, in an
// office's heap) or an unloaded event to load for one (the event's, in the
// manager's); dueHeap orders them by time.
type due struct {
	at time.Time
	id string
}

// dueHeap orders them by time, through container/heap: the manager pushes
// one only for each event that unloads with holds to expire, so boxing
// them costs nothing that matters (an office's hold expiries, pushed for
// every hold, have holdHeap).
type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	a := *h
	x := a[len(a)-1]
	*h = a[:len(a)-1]
	return x
}

func (h *dueHeap) push(x due) { heap.Push(h, x) }
func (h *dueHeap) pop() due   { return heap.Pop(h).(due) }

// holdDue is a hold's expiry in an office's heap: its time in Unix
// nanoseconds and its place in the state, 16 bytes a hold.
type holdDue struct {
	at   int64
	hold boxoffice.HoldRef
}

// holdHeap is a binary min-heap of hold expiries by time, typed rather
// than container/heap's so that pushing one, done for every hold of an
// on-sale, does not box it.
type holdHeap []holdDue

// pushHold pushes the expiry of the hold e created, once applied to s.
func (h *holdHeap) pushHold(s *boxoffice.State, e *boxoffice.HoldCreated) {
	h.pushAt(s, e.HoldID, e.ExpiresAt)
}

// pushAt pushes the expiry at of hold id of s; it does nothing for a hold
// s does not have.
func (h *holdHeap) pushAt(s *boxoffice.State, id string, at time.Time) {
	if r, ok := s.HoldRef(id); ok {
		h.push(holdDue{nanos(at), r})
	}
}

func (h *holdHeap) push(x holdDue) {
	*h = append(*h, x)
	a, i := *h, len(*h)-1
	for i > 0 {
		p := (i - 1) / 2
		if a[i].at >= a[p].at {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *holdHeap) pop() holdDue {
	a := *h
	x := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	*h = a
	h.down(0)
	return x
}

func (h holdHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at < h[l].at {
			m = r
		}
		if h[m].at >= h[i].at {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// init orders an unordered slice into a heap.
func (h holdHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// next is the time of the earliest expiry; the heap must not be empty.
func (h holdHeap) next() time.Time { return time.Unix(0, h[0].at) }

// nanos is t in Unix nanoseconds, clamped to int64's range.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
