package office

import "time"

// due is what is due at a time: a hold to expire (id is the hold's, in an
// office's heap) or an unloaded event to load for one (the event's, in the
// manager's); dueHeap orders them by time.
type due struct {
	at time.Time
	id string
}

// dueHeap is a binary min-heap by time. It is typed rather than
// container/heap's, so that pushing a hold, done for every hold of an
// on-sale, does not box it.
type dueHeap []due

func (h *dueHeap) push(x due) {
	*h = append(*h, x)
	a, i := *h, len(*h)-1
	for i > 0 {
		p := (i - 1) / 2
		if !a[i].at.Before(a[p].at) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *dueHeap) pop() due {
	a := *h
	x := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	*h = a
	h.down(0)
	return x
}

func (h dueHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at.Before(h[l].at) {
			m = r
		}
		if !h[m].at.Before(h[i].at) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// init orders an unordered slice into a heap.
func (h dueHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}
