package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// publicScope is the Idempotency-Key scope of the buyers' routes: every
// anonymous caller of an event shares it, so only a key nobody can guess
// keeps one buyer's hold and order from another (publicKeyOK).
const publicScope = "public"

// idempotency reads the Idempotency-Key header of a POST. It returns nil
// when there is none, or for other methods, which are idempotent by nature.
// In publicScope the key must also be random (publicKeyOK). Errors:
// Invalid, code idempotency-key-invalid.
func idempotency(r *http.Request, scope string, body []byte) (*boxoffice.IdemStamp, error) {
	if r.Method != http.MethodPost {
		return nil, nil
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		if _, present := r.Header["Idempotency-Key"]; present {
			return nil, fault.Coded(fault.Invalid, "idempotency-key-invalid", "the Idempotency-Key header is empty")
		}
		return nil, nil
	}
	if len(key) > 255 {
		return nil, fault.Coded(fault.Invalid, "idempotency-key-invalid", "the Idempotency-Key must be at most 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return nil, fault.Coded(fault.Invalid, "idempotency-key-invalid",
				"the Idempotency-Key must be printable ASCII without spaces")
		}
	}
	if scope == publicScope && !publicKeyOK(key) {
		return nil, fault.Coded(fault.Invalid, "idempotency-key-invalid",
			"on public routes the Idempotency-Key must be random, so nobody else can guess it: send a version-4 UUID (uuidgen) or at least 22 base64url characters (16 random bytes, e.g. openssl rand -hex 16)")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	return &boxoffice.IdemStamp{Scope: scope, Key: key, Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// publicKeyOK reports whether key is random enough for publicScope: a
// version-4 UUID in canonical form (8-4-4-4-12 hex digits, either case:
// 122 random bits), or, not shaped like a UUID, 22 or more base64url
// characters (A-Z a-z 0-9 - _; 22 of them carry 132 bits, and 32 hex digits
// qualify). A UUID of another version is refused: most of it is a
// timestamp or a machine's address. The server cannot measure randomness;
// the shape only rules out the keys people type by hand. docs/problems.md
// (idempotency-key-invalid) says the same.
func publicKeyOK(key string) bool {
	if len(key) == 36 && key[8] == '-' && key[13] == '-' && key[18] == '-' && key[23] == '-' {
		hex := true
		for i := 0; i < len(key); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				continue
			}
			c := key[i] | 0x20 // lower case for letters
			hex = hex && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f')
		}
		if hex {
			variant := key[19] | 0x20
			return key[14] == '4' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b')
		}
	}
	if len(key) < 22 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// inFlight tracks Idempotency-Keys whose requests are being processed on
// this node, so a concurrent duplicate gets 409 instead of racing. A key is
// claimed per event, scope and key, exactly as the box office of the event
// records it: the same key sent to two events is two requests.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// begin claims a key of the event evID; the returned func releases it.
// Errors: Conflict, code idempotency-in-flight, when the same key of the
// same event and scope is already in flight.
func (f *inFlight) begin(evID string, idem *boxoffice.IdemStamp) (end func(), err error) {
	if idem == nil {
		return func() {}, nil
	}
	k := evID + "\x00" + idem.Scope + "\x00" + idem.Key
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.keys[k]; busy {
		return nil, fault.Coded(fault.Conflict, "idempotency-in-flight",
			"a request with this Idempotency-Key is still in progress; retry when it has finished")
	}
	if f.keys == nil {
		f.keys = make(map[string]struct{})
	}
	f.keys[k] = struct{}{}
	return func() {
		f.mu.Lock()
		delete(f.keys, k)
		f.mu.Unlock()
	}, nil
}
