package organizer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"

	"github.com/admit-org/admit/internal/id"
)

// Secrets makes the secret of a link an e-mail of the team carries, from
// what the ledger records of it: purpose "invitation" and the member's id.
// The ledger keeps only the secret's hash; with the same Secrets, the
// e-mail worker makes the same secret again to send it. Nil Secrets: each
// secret is random, shown once to whoever asked, and never e-mailed.
type Secrets func(purpose, id string) string

var secretB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// KeyedSecrets returns the Secrets made by HMAC-SHA256 under key (a
// server's secret: every node of a cluster needs the same). An invitation's
// is InvitePrefix and 32 base32 characters (160 bits), like a random one.
func KeyedSecrets(key []byte) Secrets {
	return func(purpose, id string) string {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(purpose))
		mac.Write([]byte{0})
		mac.Write([]byte(id))
		return prefixes[purpose] + secretB32.EncodeToString(mac.Sum(nil)[:20])
	}
}

// prefixes start each purpose's secrets.
var prefixes = map[string]string{"invitation": InvitePrefix}

// secret is the desk's secret for purpose and id.
func (d *Desk) secret(purpose, forID string) string {
	if d.Secrets == nil {
		return id.Token(prefixes[purpose])
	}
	return d.Secrets(purpose, forID)
}
