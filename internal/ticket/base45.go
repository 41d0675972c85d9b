package ticket

import (
	"errors"
	"strings"
)

// base45 is RFC 9285's alphabet: the characters of a QR code's
// alphanumeric mode, so a secret fills a QR code densely.
const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var errBase45 = errors.New("not base45")

// encodeBase45 encodes b as RFC 9285 describes: each two bytes as three
// characters, a last single byte as two.
func encodeBase45(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45[n%45])
		sb.WriteByte(base45[n/45%45])
		sb.WriteByte(base45[n/45/45])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45[n%45])
		sb.WriteByte(base45[n/45])
	}
	return sb.String()
}

// decodeBase45 reverses encodeBase45, refusing any text it would not have
// written (a length of 1 mod 3, a character outside the alphabet, a group
// worth more than its bytes hold).
func decodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		n, k := 0, 1
		end := min(i+3, len(s))
		for j := i; j < end; j++ {
			v := strings.IndexByte(base45, s[j])
			if v < 0 {
				return nil, errBase45
			}
			n += v * k
			k *= 45
		}
		if end-i == 3 {
			if n > 0xffff {
				return nil, errBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, errBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
