package id

import "testing"

func TestNew(t *testing.T) {
	for _, n := range []int{1, 8, Short, Long, 48, 60} {
		seen := map[string]bool{}
		for range 200 {
			s := New("ho", n)
			if !Valid(s, "ho", n) {
				t.Fatalf("New(ho, %d) = %q is not valid", n, s)
			}
			if seen[s] && n >= 8 {
				t.Fatalf("New(ho, %d) repeated %q", n, s)
			}
			seen[s] = true
		}
	}
	if Valid("ho_abc", "ev", 3) || Valid("ho_ab1", "ho", 3) || Valid("ho_abcd", "ho", 3) || Valid("hoxabc", "ho", 3) {
		t.Error("Valid accepted a bad id")
	}
}

func TestDerived(t *testing.T) {
	a, b := Derived("ev", Short, "org", "key"), Derived("ev", Short, "org", "key")
	if a != b || !Valid(a, "ev", Short) {
		t.Errorf("Derived: %q, %q", a, b)
	}
	if Derived("ev", Short, "orgk", "ey") == a {
		t.Error("Derived does not separate its parts")
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New("ho", Long)
	}
}

func TestInShard(t *testing.T) {
	base := New("ev", Short)
	if InShard(base, 0) != base || InShard(base, 3) != base+"_3" {
		t.Errorf("InShard: %q, %q", InShard(base, 0), InShard(base, 3))
	}
	if !ValidSharded(base, "ev", Short) || !ValidSharded(base+"_3", "ev", Short) || !ValidSharded(base+"_15", "ev", Short) {
		t.Error("ValidSharded refuses an id of InShard")
	}
	for _, bad := range []string{base + "_0", base + "_03", base + "_16", base + "_256", base + "_", base + "x3", base[:10]} {
		if ValidSharded(bad, "ev", Short) {
			t.Errorf("ValidSharded(%q) = true", bad)
		}
	}
	if k := PickShard(base, 3); k < 0 || k > 2 || PickShard(base, 3) != k || PickShard(base, 1) != 0 {
		t.Errorf("PickShard(%q, 3) = %d", base, k)
	}
}
