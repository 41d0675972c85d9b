package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"net/netip"
	"sync"
)

// The buyer limits (boxoffice.BuyerLimits) count holds and unpaid orders by
// client. The box office records who asked in the ledger, which is never
// edited or deleted, so it gets an opaque key, not the address: a keyed hash
// (HMAC-SHA256 under a secret derived from the master key) of the event and
// the client's network — an IPv4 address, or the /64 prefix of an IPv6
// address, which is what one household or device gets — truncated to 96
// bits. Without the secret a key cannot be traced back to an address, even
// by trying all 2^32 IPv4 addresses; keys of one client differ between
// events, so the ledger does not link a buyer's visits to different events;
// 96 bits make two clients of one event sharing a key (and so a limit)
// vanishingly rare. docs/limits.md says more.

// clientKeyLen is the length of a client key: 12 bytes in base64url.
const clientKeyLen = 16

// newClientSecret returns a random secret for client keys, for a server
// configured without one: keys then differ after a restart, so the limits
// count afresh.
func newClientSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// ClientKey returns the opaque key of the client of r for the buyer limits
// of event eventID, or "" when the client is exempt from them: a loopback
// client when the server's Config.ExemptLoopback says so. Safe for
// concurrent use.
func (s *Server) ClientKey(r *http.Request, eventID string) string {
	a := s.client(r)
	if s.exemptLoopback && a.IsLoopback() {
		return ""
	}
	mac := s.clientMACs.Get().(hash.Hash)
	defer s.clientMACs.Put(mac)
	return clientKey(mac, eventID, a)
}

// newClientMACs returns a pool of HMAC-SHA256 hashes keyed with secret
// (nil: newClientSecret): every hold and order asks for a client key, and a
// hash made anew for each would cost a dozen allocations on the hold path.
func newClientMACs(secret []byte) *sync.Pool {
	if secret == nil {
		secret = newClientSecret()
	}
	return &sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}
}

// clientKey is the key of the client at address a for the event, with mac
// keyed by the server's client secret.
func clientKey(mac hash.Hash, eventID string, a netip.Addr) string {
	a = clientGroup(a)
	mac.Reset()
	mac.Write([]byte("admit client key\x00"))
	mac.Write([]byte(eventID))
	mac.Write([]byte{0})
	b, _ := a.MarshalBinary() // never fails; the zero Addr (no address) is empty
	mac.Write(b)
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0])[:clientKeyLen*3/4])
}
