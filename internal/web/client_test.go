package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote string
		xff          []string
		trusted      bool
		want         string
	}{
		{"no proxies configured: the peer", "203.0.113.5:4000", []string{"198.51.100.1"}, false, "203.0.113.5"},
		{"untrusted peer: its X-Forwarded-For is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, true, "203.0.113.5"},
		{"trusted peer: the first untrusted hop from the right", "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, true, "198.51.100.1"},
		{"several headers are one list", "192.0.2.7:4000", []string{"6.6.6.6", "198.51.100.1"}, true, "198.51.100.1"},
		{"only proxies: the peer", "10.1.2.3:4000", []string{"10.2.2.2"}, true, "10.1.2.3"},
		{"a malformed hop: the peer", "10.1.2.3:4000", []string{"198.51.100.1, junk"}, true, "10.1.2.3"},
		{"IPv4-mapped IPv6 peer", "[::ffff:203.0.113.5]:4000", nil, true, "203.0.113.5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			var tr []netip.Prefix
			if c.trusted {
				tr = trusted
			}
			if got := clientAddr(r, tr).String(); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nope"); err == nil {
		t.Error("a bad entry was accepted")
	}
}
