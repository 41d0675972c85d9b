package boxoffice

import (
	"hash/maphash"
	"math/bits"
)

// holdIndex finds a hold's place in State.holds by its id: an open
// addressing table of 8-byte slots, each the top 32 bits of the id's hash
// and the place plus 1 (0: empty), probed linearly from the slot the hash's
// top bits name. It takes 16 to 32 bytes a hold, against some 40 for a Go
// map of string keys, holds no pointers for the collector to scan, and
// grows without hashing an id again: the slot is named by bits it keeps.
// Holds are never removed.
type holdIndex struct {
	seed  maphash.Seed
	slots []uint64
	shift uint // 64 - log2(len(slots))
	n     int
}

// minIndexSlots is the smallest table, for an event with few holds.
const minIndexSlots = 64

func newHoldIndex(holds int) holdIndex {
	x := holdIndex{seed: maphash.MakeSeed()}
	x.resize(holds)
	return x
}

// resize makes room for holds at a load of at most 3/4, and puts back the
// entries there are.
func (x *holdIndex) resize(holds int) {
	if x.seed == (maphash.Seed{}) { // the zero index of a State not made by NewState
		x.seed = maphash.MakeSeed()
	}
	n := max(minIndexSlots, 1<<bits.Len(uint(holds*4/3)))
	old := x.slots
	x.slots, x.shift = make([]uint64, n), uint(64-bits.TrailingZeros(uint(n)))
	mask := uint64(n - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		j := (v >> 32 << 32) >> x.shift // the top bits of the hash
		for x.slots[j] != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = v
	}
}

// find returns the place of the hold with the id among holds.
func (x *holdIndex) find(holds []holdRec, id string) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	h := maphash.String(x.seed, id)
	tag, mask := h>>32, uint64(len(x.slots)-1)
	for j := h >> x.shift; ; j = (j + 1) & mask {
		v := x.slots[j]
		if v == 0 {
			return 0, false
		}
		if v>>32 == tag && holds[uint32(v)-1].id == id {
			return uint32(v) - 1, true
		}
	}
}

// add adds the hold at place i of holds, and reports false, adding
// nothing, when a hold of its id is there already.
func (x *holdIndex) add(holds []holdRec, i uint32) bool {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.resize(max(x.n+1, 2*x.n))
	}
	id := holds[i].id
	h := maphash.String(x.seed, id)
	tag, mask := h>>32, uint64(len(x.slots)-1)
	j := h >> x.shift
	for ; x.slots[j] != 0; j = (j + 1) & mask {
		if v := x.slots[j]; v>>32 == tag && holds[uint32(v)-1].id == id {
			return false
		}
	}
	x.slots[j] = tag<<32 | uint64(i+1)
	x.n++
	return true
}
