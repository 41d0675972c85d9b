package password

import (
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

func TestHashCheck(t *testing.T) {
	h := Hash("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: not the PHC string of argon2id with the parameters", h)
	}
	if !Check(h, "correct horse battery staple") {
		t.Error("the right password does not match")
	}
	for _, p := range []string{"", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "} {
		if Check(h, p) {
			t.Errorf("%q matches", p)
		}
	}
	if h2 := Hash("correct horse battery staple"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestCheckRefusesBadHashes(t *testing.T) {
	good := Hash("a password of some length")
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=2,p=1$" + parts[4] + "$" + parts[5], // would take 100 GB
		"$argon2id$v=19$m=19456,t=1000,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$",
	} {
		if Check(bad, "a password of some length") {
			t.Errorf("hash %q matches", bad)
		}
	}
}

func TestValid(t *testing.T) {
	for _, c := range []struct {
		p  string
		ok bool
	}{
		{"", false}, {"short", false}, {"123456789", false}, {"1234567890", true},
		{"ééééééééééé", true}, {strings.Repeat("x", 256), true}, {strings.Repeat("x", 257), false},
		{"\xff\xfe invalid utf8", false},
	} {
		err := Valid(c.p)
		if (err == nil) != c.ok || err != nil && !fault.Is(err, fault.Invalid) {
			t.Errorf("Valid(%q) = %v, want ok=%v", c.p, err, c.ok)
		}
	}
}
