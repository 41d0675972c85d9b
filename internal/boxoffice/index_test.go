package boxoffice

import (
	"math/rand/v2"
	"testing"
)

// TestHoldIndex: every hold added is found at its place, through the
// table's growth; an id added twice is refused; ids not added are not found.
func TestHoldIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := newHoldIndex(0)
	var holds []holdRec
	for i := range 20_000 {
		holds = append(holds, holdRec{id: randString(r) + itoa(i)})
		if !x.add(holds, uint32(i)) {
			t.Fatalf("add %q refused", holds[i].id)
		}
		if i%997 == 0 {
			for j := range holds {
				if got, ok := x.find(holds, holds[j].id); !ok || got != uint32(j) {
					t.Fatalf("after %d: find %q = %d, %v; want %d", i, holds[j].id, got, ok, j)
				}
			}
		}
	}
	holds = append(holds, holdRec{id: holds[123].id})
	if x.add(holds, uint32(len(holds)-1)) {
		t.Error("an id added twice was not refused")
	}
	for i := range 1000 {
		if _, ok := x.find(holds, "absent"+itoa(i)); ok {
			t.Fatalf("found absent%d", i)
		}
	}
	if x.n != 20_000 || x.n*4 > len(x.slots)*3 {
		t.Errorf("%d entries in %d slots", x.n, len(x.slots))
	}
}

// TestZeroHoldIndex: the zero index, of a State not made by NewState,
// finds nothing and takes holds.
func TestZeroHoldIndex(t *testing.T) {
	var x holdIndex
	holds := []holdRec{{id: "h1"}}
	if _, ok := x.find(holds, "h1"); ok {
		t.Fatal("the zero index found a hold")
	}
	if !x.add(holds, 0) {
		t.Fatal("the zero index refused a hold")
	}
	if i, ok := x.find(holds, "h1"); !ok || i != 0 {
		t.Fatalf("find = %d, %v", i, ok)
	}
}
