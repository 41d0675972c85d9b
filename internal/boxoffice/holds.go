package boxoffice

import (
	"iter"
	"math"
	"slices"
	"strings"
	"time"
)

// How the box office keeps its holds. An on-sale makes one for every
// buyer, up to millions for an event, and none is ever forgotten, so a
// hold is kept compact: a holdRec in a slice, in the order applied, found
// by id through an index of its place (holdIndex). A Hold, what the rest
// of admit sees, is made from it on request (State.Hold).
//
// A record keeps its times as Unix nanoseconds, its status as a byte, its
// client key as an index into the state's table of them (the holds of one
// client share it), and its item
// inline when it has one of a known ticket type and a quantity that fits,
// as the holds an on-sale makes do. What is rarer lives in holdExtra,
// beside the records: more items, the order it became, times beyond
// int64 nanoseconds.

// holdRec is a hold as the box office keeps it.
type holdRec struct {
	id       string
	created  int64 // Unix nanoseconds
	expires  int64 // Unix nanoseconds
	ended    int64 // Unix nanoseconds; noTime when not ended
	quantity int64
	extended uint32
	client   uint32 // an index into State.clientKeys; 0 for ""
	tt       uint16 // the inline item's ticket type, an index into State.TicketTypes
	qty      uint16 // the inline item's quantity
	status   holdStatus
	flags    uint8
}

// holdRec flags.
const (
	inlineItem = 1 << iota // the hold has one item, tt and qty
	hasExtra               // the hold has a holdExtra
	ordered                // the hold became an order (its id is in holdExtra)
)

// holdExtra is what a hold rarely has.
type holdExtra struct {
	items   []Item // unless the item is inline
	orderID string
	times   *holdTimes // when one of them is beyond int64 nanoseconds
}

// holdTimes are a hold's times as given.
type holdTimes struct{ created, expires, ended time.Time }

// holdStatus is a HoldStatus in a byte.
type holdStatus uint8

const (
	stActive holdStatus = iota
	stReleased
	stExpired
	stConverted
)

var holdStatuses = [...]HoldStatus{stActive: Active, stReleased: Released, stExpired: Expired, stConverted: Converted}

func (st holdStatus) HoldStatus() HoldStatus { return holdStatuses[st] }

// packStatus returns st's byte, false for a status not known.
func packStatus(st HoldStatus) (holdStatus, bool) {
	for i, s := range holdStatuses {
		if s == st {
			return holdStatus(i), true
		}
	}
	return 0, false
}

// noTime is a zero time in a holdRec.
const noTime = math.MinInt64

// Times between these fit in int64 nanoseconds (years 1678 to 2262).
var (
	minNanoTime = time.Unix(0, math.MinInt64+1)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// packTime returns t in Unix nanoseconds, noTime when zero, false when it
// does not fit.
func packTime(t time.Time) (int64, bool) {
	if t.IsZero() {
		return noTime, true
	}
	if t.Before(minNanoTime) || t.After(maxNanoTime) {
		return 0, false
	}
	return t.UnixNano(), true
}

// unpackTime is the time packTime packed, in UTC.
func unpackTime(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// HoldRef is a hold's place in its State, for the box office to find it
// without its id. It is valid for that State only.
type HoldRef uint32

// HoldCount is the number of holds, of any status.
func (s *State) HoldCount() int { return len(s.holds) }

// Hold returns a copy of the hold with the id, or nil.
func (s *State) Hold(id string) *Hold {
	i, ok := s.holdIndex.find(s.holds, id)
	if !ok {
		return nil
	}
	return s.holdAt(i)
}

// Holds yields every hold by id, a copy of each, in the order applied.
func (s *State) Holds() iter.Seq2[string, *Hold] {
	return func(yield func(string, *Hold) bool) {
		for i := range s.holds {
			if !yield(s.holds[i].id, s.holdAt(uint32(i))) {
				return
			}
		}
	}
}

// HoldRef returns the place of the hold with the id.
func (s *State) HoldRef(id string) (HoldRef, bool) {
	i, ok := s.holdIndex.find(s.holds, id)
	return HoldRef(i), ok
}

// HoldID returns the id of the hold at r.
func (s *State) HoldID(r HoldRef) string { return s.holds[r].id }

// HoldExpiry returns when the hold at r expires, and whether it is active.
func (s *State) HoldExpiry(r HoldRef) (time.Time, bool) {
	return s.expiresAt(uint32(r)), s.holds[r].status == stActive
}

// ActiveHoldExpiries calls fn for every active hold with its expiry time,
// in the order the holds were applied.
func (s *State) ActiveHoldExpiries(fn func(r HoldRef, at time.Time)) {
	for i := range s.holds {
		if s.holds[i].status == stActive {
			fn(HoldRef(i), s.expiresAt(uint32(i)))
		}
	}
}

// holdAt makes the Hold of the record at i.
func (s *State) holdAt(i uint32) *Hold {
	r := &s.holds[i]
	h := &heldHold{hold: Hold{ID: r.id, Quantity: int(r.quantity), Status: r.status.HoldStatus(),
		Extended: int(r.extended)}}
	h.hold.Client = s.clientKeys[r.client]
	h.hold.CreatedAt, h.hold.ExpiresAt, h.hold.EndedAt = s.times(i)
	if r.flags&inlineItem != 0 {
		h.items[0] = Item{TicketTypeID: s.TicketTypes[r.tt].ID, Quantity: int(r.qty)}
		h.hold.Items = h.items[:]
	}
	if x := s.extra(i); x != nil {
		if r.flags&inlineItem == 0 && x.items != nil {
			h.hold.Items = append([]Item{}, x.items...)
		}
		h.hold.OrderID = x.orderID
	}
	return &h.hold
}

// heldHold is a Hold with room for its item, so that making one of one
// item, the most common, takes one allocation.
type heldHold struct {
	hold  Hold
	items [1]Item
}

func (s *State) extra(i uint32) *holdExtra {
	if s.holds[i].flags&hasExtra == 0 {
		return nil
	}
	return s.holdExtra[i]
}

// extraOf returns the hold's holdExtra, made if it has none.
func (s *State) extraOf(i uint32) *holdExtra {
	if x := s.extra(i); x != nil {
		return x
	}
	x := &holdExtra{}
	s.holdExtra[i] = x
	s.holds[i].flags |= hasExtra
	return x
}

// times returns the hold's created, expires and ended times.
func (s *State) times(i uint32) (created, expires, ended time.Time) {
	if x := s.extra(i); x != nil && x.times != nil {
		return x.times.created, x.times.expires, x.times.ended
	}
	r := &s.holds[i]
	return unpackTime(r.created), unpackTime(r.expires), unpackTime(r.ended)
}

func (s *State) expiresAt(i uint32) time.Time {
	if x := s.extra(i); x != nil && x.times != nil {
		return x.times.expires
	}
	return unpackTime(s.holds[i].expires)
}

// setTimes sets the hold's times, changing only those given (non-nil).
func (s *State) setTimes(i uint32, created, expires, ended *time.Time) {
	r := &s.holds[i]
	if x := s.extra(i); x != nil && x.times != nil {
		setIf(&x.times.created, created)
		setIf(&x.times.expires, expires)
		setIf(&x.times.ended, ended)
		return
	}
	c, e, n := r.created, r.expires, r.ended
	ok := true
	for _, p := range []struct {
		dst *int64
		t   *time.Time
	}{{&c, created}, {&e, expires}, {&n, ended}} {
		if p.t != nil {
			v, fits := packTime(*p.t)
			*p.dst, ok = v, ok && fits
		}
	}
	if ok {
		r.created, r.expires, r.ended = c, e, n
		return
	}
	t := &holdTimes{unpackTime(r.created), unpackTime(r.expires), unpackTime(r.ended)}
	setIf(&t.created, created)
	setIf(&t.expires, expires)
	setIf(&t.ended, ended)
	s.extraOf(i).times = t
}

func setIf(dst *time.Time, t *time.Time) {
	if t != nil {
		*dst = *t
	}
}

// eachItem calls fn with each of the hold's items: its ticket type and quantity.
func (s *State) eachItem(i uint32, fn func(tt *TicketType, quantity int)) {
	r := &s.holds[i]
	if r.flags&inlineItem != 0 {
		fn(s.TicketTypes[r.tt], int(r.qty))
		return
	}
	if x := s.extra(i); x != nil {
		for _, it := range x.items {
			fn(s.ticketTypes[it.TicketTypeID], it.Quantity)
		}
	}
}

// orderOf is the id of the order the hold became, "" if none.
func (s *State) orderOf(i uint32) string {
	if s.holds[i].flags&ordered == 0 {
		return ""
	}
	return s.holdExtra[i].orderID
}

func (s *State) clientOf(i uint32) string { return s.clientKeys[s.holds[i].client] }

// internClient returns the index of client key c in s.clientKeys, adding
// it if new.
func (s *State) internClient(c string) uint32 {
	if c == "" {
		return 0
	}
	if i, ok := s.clientIndex[c]; ok {
		return i
	}
	i := uint32(len(s.clientKeys))
	s.clientKeys = append(s.clientKeys, c)
	s.clientIndex[c] = i
	return i
}

// addHold adds h's record, with its items' ticket types tts, and returns
// its place. The caller counts what it holds.
func (s *State) addHold(h *Hold, tts []*TicketType) uint32 {
	if len(s.holds) == cap(s.holds) {
		s.growHolds(1)
	}
	i := uint32(len(s.holds))
	st, _ := packStatus(h.Status)
	s.holds = append(s.holds, holdRec{id: h.ID, quantity: int64(h.Quantity), extended: uint32(h.Extended),
		status: st, created: noTime, expires: noTime, ended: noTime})
	r := &s.holds[i]
	r.client = s.internClient(h.Client)
	if len(h.Items) == 1 && tts[0].index <= math.MaxUint16 && h.Items[0].Quantity >= 0 &&
		h.Items[0].Quantity <= math.MaxUint16 {
		r.tt, r.qty, r.flags = uint16(tts[0].index), uint16(h.Items[0].Quantity), inlineItem
	} else if h.Items != nil {
		s.extraOf(i).items = append([]Item{}, h.Items...)
	}
	if h.OrderID != "" {
		s.extraOf(i).orderID = h.OrderID
		r.flags |= ordered
	}
	s.setTimes(i, &h.CreatedAt, &h.ExpiresAt, &h.EndedAt)
	s.holdIndex.add(s.holds, i) // the caller made sure it is new
	return i
}

// growHolds makes room for at least n more holds: twice as many while
// they are few, an eighth more once they are many, so that the room left
// unused stays small beside what the holds take.
func (s *State) growHolds(n int) {
	c := cap(s.holds)
	grow := max(n, c, 1024)
	if c >= 1<<20 {
		grow = max(n, c/8)
	}
	holds := make([]holdRec, len(s.holds), c+grow)
	copy(holds, s.holds)
	s.holds = holds
}

// holdsByCreation returns the places of every hold ordered by creation
// time, then id. Holds are applied in that order but for the ids within a
// batch, so it sorts each batch's run by id; only when the clock went
// backwards does it sort them all.
func (s *State) holdsByCreation() []uint32 {
	order := make([]uint32, len(s.holds))
	for i := range order {
		order[i] = uint32(i)
	}
	created := func(i uint32) time.Time {
		c, _, _ := s.times(i)
		return c
	}
	byID := func(a, b uint32) int { return strings.Compare(s.holds[a].id, s.holds[b].id) }
	byTime := func(a, b uint32) int {
		if c := created(a).Compare(created(b)); c != 0 {
			return c
		}
		return byID(a, b)
	}
	inOrder := true
	for i := 0; i < len(order) && inOrder; {
		ci := created(order[i])
		j := i + 1
		for j < len(order) && created(order[j]).Equal(ci) {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(order[i:j], byID)
		}
		inOrder = i == 0 || created(order[i-1]).Before(ci)
		i = j
	}
	if !inOrder {
		slices.SortFunc(order, byTime)
	}
	return order
}
