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
