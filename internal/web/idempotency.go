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

// idempotency reads the Idempotency-Key header of a POST. It returns nil
// when there is none, or for other methods, which are idempotent by nature.
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
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	return &boxoffice.IdemStamp{Scope: scope, Key: key, Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// inFlight tracks Idempotency-Keys whose requests are being processed on
// this node, so a concurrent duplicate gets 409 instead of racing.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// begin claims a key; the returned func releases it. ok is false when the
// key is already in flight.
func (f *inFlight) begin(idem *boxoffice.IdemStamp) (end func(), err error) {
	if idem == nil {
		return func() {}, nil
	}
	k := idem.Scope + "\x00" + idem.Key
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
