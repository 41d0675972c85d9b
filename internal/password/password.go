// Package password hashes members' passwords with argon2id and checks them,
// in the PHC string format ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") so
// a hash names its own parameters and old hashes stay checkable when the
// parameters change.
//
// Its functions are safe for concurrent use. Each Hash or Check costs
// about 19 MiB and tens of milliseconds of one core, on purpose: sign-ins
// must be rate limited before they reach it.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/admit-org/admit/internal/fault"
)

// The parameters of new hashes: OWASP's first recommendation for argon2id
// (19 MiB, 2 passes, 1 lane).
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// MinLength and MaxLength bound a new password, in characters. The upper
// bound keeps a hash's input small; it is far above any passphrase.
const (
	MinLength = 10
	MaxLength = 256
)

// Valid reports why p cannot be a new password, or nil. Errors: Invalid.
func Valid(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return fault.New(fault.Invalid, "the password is not valid text")
	case n < MinLength:
		return fault.New(fault.Invalid, "the password must have at least %d characters", MinLength)
	case n > MaxLength:
		return fault.New(fault.Invalid, "the password must have at most %d characters", MaxLength)
	}
	return nil
}

// Hash returns the PHC string of a new argon2id hash of p, with a random
// salt.
func Hash(p string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p), salt, passes, memoryKiB, lanes, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, passes, lanes, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// Check reports whether p is the password hashed in phc. A hash it cannot
// read, or whose parameters are out of bounds, matches nothing.
func Check(phc, p string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t uint32
	var l uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &l); err != nil {
		return false
	}
	// Bounds, so a hash with absurd parameters cannot stall a sign-in.
	if m < 8*1024 || m > 256*1024 || t < 1 || t > 10 || l < 1 || l > 8 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(p), salt, t, m, l, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummy is a hash of nothing anyone types, for CheckNobody.
var dummy = Hash("\x00 no member has this password \x00")

// CheckNobody spends what Check spends, for a sign-in whose e-mail names
// no member: the answer takes as long as for a wrong password, so timing
// does not tell which e-mails have accounts.
func CheckNobody(p string) { Check(dummy, p) }
