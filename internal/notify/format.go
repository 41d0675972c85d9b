package notify

import (
	"strings"
)

// messageID is the Message-ID of the e-mail with the mark id: the id made
// a dot-atom ("ev_x/12.0" → "ev_x.12.0") at "admit".
func messageID(id string) string { return dotAtom(id) + "@admit" }

// dotAtom turns an id into dot-separated tokens of letters, digits, "_"
// and "-": every other character becomes a dot, and empty tokens are
// dropped. It is both a Message-ID's left part and a NATS KV key. Entry ids
// ("<event id>/<seq>.<index>", ids being letters, digits and "_") map one to
// one.
func dotAtom(id string) string {
	tokens := strings.FieldsFunc(id, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	})
	if len(tokens) == 0 {
		return "_"
	}
	return strings.Join(tokens, ".")
}
