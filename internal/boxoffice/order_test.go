package boxoffice

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHoldsByCreation: the holds a snapshot lists are in creation order,
// then by id, whether the clock ran forwards (runs sorted by id) or
// backwards (everything sorted).
func TestHoldsByCreation(t *testing.T) {
	fullSort := func(s *State) []string {
		var hs []*Hold
		for _, h := range s.Holds() {
			hs = append(hs, h)
		}
		slices.SortFunc(hs, func(a, b *Hold) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		ids := make([]string, len(hs))
		for i, h := range hs {
			ids[i] = h.ID
		}
		return ids
	}
	byCreation := func(s *State) []string {
		var ids []string
		for _, i := range s.holdsByCreation() {
			ids = append(ids, s.HoldID(HoldRef(i)))
		}
		return ids
	}
	for _, backwards := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(7, 8))
		s := onSaleEvent(t)
		now := t0.Add(time.Hour)
		n := 0
		for batch := range 60 {
			if backwards && batch%17 == 16 {
				now = now.Add(-3 * time.Second) // the wall clock stepped back
			}
			now = now.Add(time.Duration(rng.IntN(3)) * time.Second) // some batches share a time
			for range 1 + rng.IntN(8) {
				n++
				mustApply(t, s, &HoldCreated{HoldID: fmt.Sprintf("ho_%03d_%d", rng.IntN(1000), n),
					Items: []Item{{TicketTypeID: "ga", Quantity: 1}}, ExpiresAt: now.Add(time.Minute)}, now)
			}
		}
		if got, want := byCreation(s), fullSort(s); !slices.Equal(got, want) {
			t.Fatalf("backwards=%v: holds out of order", backwards)
		}
		// A snapshot round trip keeps the order too.
		back, err := UnmarshalSnapshot(snap(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if string(snap(t, back)) != string(snap(t, s)) {
			t.Fatalf("backwards=%v: the snapshot of a loaded snapshot differs", backwards)
		}
	}
}
