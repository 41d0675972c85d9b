package ticket

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The examples of RFC 9285, sections 4.3 and 4.4.
func TestBase45RFC9285(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
	} {
		if got := encodeBase45([]byte(c.in)); got != c.out {
			t.Errorf("encode %q = %q, want %q", c.in, got, c.out)
		}
		if got, err := decodeBase45(c.out); err != nil || string(got) != c.in {
			t.Errorf("decode %q = %q, %v; want %q", c.out, got, err, c.in)
		}
	}
	for _, bad := range []string{"GGW", "A", "ABCD", "ab", "BB8\n", "::::"} {
		if got, err := decodeBase45(bad); err == nil {
			t.Errorf("decode %q = %q, want an error", bad, got)
		}
	}
}

func TestBase45RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		got, err := decodeBase45(encodeBase45(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %x: %x, %v", b, got, err)
		}
	}
}
