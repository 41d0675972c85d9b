package main

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestLinksWarning: serve warns when it listens on every interface without
// --public-url, since its links would then name 0.0.0.0 or ::.
func TestLinksWarning(t *testing.T) {
	for _, c := range []struct {
		addr      string
		publicURL string
		warn      bool
	}{
		{"0.0.0.0:8080", "", true},
		{"[::]:8080", "", true},
		{"0.0.0.0:8080", "https://tickets.example.com", false},
		{"127.0.0.1:8080", "", false},
		{"192.0.2.10:8080", "", false},
	} {
		ap := netip.MustParseAddrPort(c.addr)
		got := linksWarning(net.TCPAddrFromAddrPort(ap), c.publicURL)
		if (got != "") != c.warn || (c.warn && !strings.Contains(got, "--public-url")) {
			t.Errorf("linksWarning(%s, %q) = %q, want a warning: %v", c.addr, c.publicURL, got, c.warn)
		}
	}
}
