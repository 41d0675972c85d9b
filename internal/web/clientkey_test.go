package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/clock"
)

// TestClientKey: a client's key is opaque and stable, IPv6 clients count by
// their /64, events do not share keys, and loopback clients are exempt
// only when the server says so.
func TestClientKey(t *testing.T) {
	secret := bytes.Repeat([]byte{3}, 32)
	newServer := func(exempt bool, secret []byte) *Server {
		return New(Config{Clock: clock.NewFake(time.Now()), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			ClientSecret: secret, ExemptLoopback: exempt})
	}
	limited, exempt := newServer(false, secret), newServer(true, secret)
	key := func(s *Server, remote, eventID string) string {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = remote
		return s.ClientKey(r, eventID)
	}
	const ev, ev2 = "ev_aaaaaaaaaaaaaaaaaaaa", "ev_bbbbbbbbbbbbbbbbbbbb"
	shape := regexp.MustCompile(`^[A-Za-z0-9_-]{16}$`) // as schemas/common.json's client_key
	for _, remote := range []string{"203.0.113.7:1", "[2001:db8:1:2::1]:1", "127.0.0.1:1", "[::1]:1", "@"} {
		k := key(limited, remote, ev)
		if !shape.MatchString(k) {
			t.Errorf("key of %s = %q, want 16 base64url characters", remote, k)
		}
		host := strings.Trim(remote[:strings.LastIndexByte(remote+":", ':')], "[]")
		if host != "" && strings.Contains(k, host) {
			t.Errorf("key of %s = %q shows the address", remote, k)
		}
	}
	for _, c := range []struct {
		name string
		a, b string // remote addresses
		same bool
	}{
		{"one address", "203.0.113.7:1000", "203.0.113.7:2000", true},
		{"two IPv4 addresses", "203.0.113.7:1", "203.0.113.8:1", false},
		{"one IPv6 /64", "[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:1", true},
		{"two IPv6 /64s", "[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1", false},
		{"an IPv4-mapped address is the IPv4 one", "[::ffff:203.0.113.7]:1", "203.0.113.7:1", true},
	} {
		if got := key(limited, c.a, ev) == key(limited, c.b, ev); got != c.same {
			t.Errorf("%s: keys of %s and %s equal: %v, want %v", c.name, c.a, c.b, got, c.same)
		}
	}
	if key(limited, "203.0.113.7:1", ev) == key(limited, "203.0.113.7:1", ev2) {
		t.Error("one client has the same key for two events")
	}
	if key(limited, "203.0.113.7:1", ev) == key(newServer(false, bytes.Repeat([]byte{4}, 32)), "203.0.113.7:1", ev) {
		t.Error("the key does not depend on the secret")
	}
	for _, remote := range []string{"127.0.0.1:1", "127.9.9.9:1", "[::1]:1"} {
		if k := key(exempt, remote, ev); k != "" {
			t.Errorf("ExemptLoopback: key of %s = %q, want none", remote, k)
		}
		if key(limited, remote, ev) == "" {
			t.Errorf("without ExemptLoopback, %s has no key", remote)
		}
	}
	if key(exempt, "203.0.113.7:1", ev) == "" {
		t.Error("ExemptLoopback exempts a client that is not on loopback")
	}
}
