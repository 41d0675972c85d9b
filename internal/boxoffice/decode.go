package boxoffice

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/admit-org/admit/internal/access"
)

// What a box office writes in proportion to its holds is read back in
// proportion too: by the read model's projector, by a box office's
// recovery and by audits. decodeHoldBatch reads a batch of hold entries
// without encoding/json, which costs tens of allocations and several
// microseconds per entry.
//
// The rule: for any input, decodeHoldBatch either returns exactly what
// DecodeBatchWith(data, DecodeEntry) returns (the same entries, strings,
// slices, nil or not, and times, locations included) or reports false,
// and DecodeBatch takes the generic path. It returns no errors of its own:
// whatever it does not take, valid or not, the generic path decodes or
// refuses with its own error. It accepts only what EncodeBatch writes of
// hold entries: the attributes and fields in the encoder's order with no
// others, no whitespace, the same source and sequence in every entry's
// attributes and the hold's id as its subject. Within strings it accepts
// any escape but that of a UTF-16 surrogate, and valid UTF-8 only.
//
// A batch is taken whole by one path or the other. The generic path checks
// the syntax of the whole message before it decodes an entry and reports
// the first entry it cannot decode, so its error depends on the whole
// batch; and batches that mix holds with other entries (an organizer's
// changes) are rare. TestFastDecodingMatchesGeneric,
// TestFastDecodingMutations and FuzzDecodeBatchFast hold the two paths to
// the rule.

// decodeHoldBatch decodes data as DecodeBatchWith(data, DecodeEntry) does,
// when data is a batch of hold entries as EncodeBatch writes them, and
// reports whether it did. It is safe for concurrent use.
func decodeHoldBatch(data []byte) ([]Timed, bool) {
	r := batchReader{data: data}
	if !r.lit("[") {
		return nil, false
	}
	if r.lit("]") {
		return []Timed{}, r.pos == len(data)
	}
	var out []Timed
	for i := 0; ; i++ {
		t, ok := r.entry(i)
		if !ok {
			return nil, false
		}
		if out == nil {
			// The entries of a batch are mostly alike: room for as many
			// as the first one's length suggests.
			out = make([]Timed, 0, 1+(len(data)-r.pos)/r.pos)
		}
		out = append(out, t)
		if r.lit("]") {
			break
		}
		if !r.lit(",") {
			return nil, false
		}
	}
	return out, r.pos == len(data)
}

// batchReader reads one batch for decodeHoldBatch.
type batchReader struct {
	data []byte
	pos  int // data[:pos] is read

	after  []byte // the sequence in the entries' ids, as the first has it
	source []byte // the source, quoted, as the first entry has it

	at, expires parsedTime // the entries of a batch share their time, and mostly their expiry

	// The last ticket type id, Idempotency-Key scope, client key and
	// actor decoded: the next equal one shares its string.
	ticketType, scope, client, actor string

	buf []byte // room to unescape a string
}

// parsedTime remembers the JSON string last parsed as a time, to reuse
// the time when the same string comes next.
type parsedTime struct {
	raw []byte // the string, quoted
	t   time.Time
	set bool
}

// parse parses raw, a quoted JSON string without escapes, as encoding/json
// does into a time.Time: with its UnmarshalJSON. It reports false where
// that fails, and where raw has not the shape appendJSONTime writes.
func (p *parsedTime) parse(raw []byte) (time.Time, bool) {
	var t time.Time
	if !timeShape(raw[1:len(raw)-1]) || t.UnmarshalJSON(raw) != nil {
		return time.Time{}, false
	}
	*p = parsedTime{raw: raw, t: t, set: true}
	return t, true
}

// timeShape reports whether s has the shape of what appendJSONTime writes
// between the quotes: "2006-01-02T15:04:05", a fraction of up to nine
// digits not ending in 0, and "Z" or a zone "+07:00" or "-07:00" of less
// than 24 hours. (A zone of 0 hours and 0 minutes is not always written
// "Z": one less than a minute east or west of UTC is written "+00:00" or
// "-00:00".)
func timeShape(s []byte) bool {
	const layout = "0000-00-00T00:00:00"
	if len(s) < len(layout) {
		return false
	}
	for i, c := range s[:len(layout)] {
		if layout[i] == '0' && !isDigit(c) || layout[i] != '0' && c != layout[i] {
			return false
		}
	}
	s = s[len(layout):]
	if len(s) > 0 && s[0] == '.' {
		n := 1
		for n < len(s) && isDigit(s[n]) {
			n++
		}
		if n == 1 || n > 1+9 || s[n-1] == '0' {
			return false
		}
		s = s[n:]
	}
	if len(s) == 1 {
		return s[0] == 'Z'
	}
	return len(s) == len("+07:00") && (s[0] == '+' || s[0] == '-') &&
		isDigit(s[1]) && isDigit(s[2]) && (s[1]-'0')*10+(s[2]-'0') < 24 &&
		s[3] == ':' && '0' <= s[4] && s[4] <= '5' && isDigit(s[5])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// holdCreatedBlock is a hold entry with room for its Idempotency-Key stamp
// and one item, to allocate them at once: the entry's Idem and Items point
// into it.
type holdCreatedBlock struct {
	HoldCreated
	idem IdemStamp
	item [1]Item
}

// lit reads s, reporting whether it comes next.
func (r *batchReader) lit(s string) bool {
	end := r.pos + len(s)
	if end > len(r.data) || string(r.data[r.pos:end]) != s {
		return false
	}
	r.pos = end
	return true
}

// litBytes is lit of b.
func (r *batchReader) litBytes(b []byte) bool {
	if !bytes.HasPrefix(r.data[r.pos:], b) {
		return false
	}
	r.pos += len(b)
	return true
}

// entry reads the i-th CloudEvent of the batch.
func (r *batchReader) entry(i int) (Timed, bool) {
	if !r.lit(`{"specversion":"1.0","id":"`) || !r.id(i) || !r.lit(`","source":`) || !r.sourceString() ||
		!r.lit(`,"type":"admit.hold.`) {
		return Timed{}, false
	}
	var typ string
	switch {
	case r.lit(`created.v1"`):
		typ = typeHoldCreated
	case r.lit(`released.v1"`):
		typ = typeHoldReleased
	case r.lit(`expired.v1"`):
		typ = typeHoldExpired
	default:
		return Timed{}, false
	}
	if !r.lit(`,"time":`) {
		return Timed{}, false
	}
	at, ok := r.readTime(&r.at)
	if !ok || !r.lit(`,"subject":"holds/`) {
		return Timed{}, false
	}
	subjectID, _, ok := r.stringBody()
	if !ok || !r.lit(`,"datacontenttype":"application/json","data":{"hold_id":"`) {
		return Timed{}, false
	}
	holdID, escaped, ok := r.stringBody()
	if !ok || !bytes.Equal(subjectID, holdID) {
		return Timed{}, false
	}
	var e Entry
	switch typ {
	case typeHoldCreated:
		b := new(holdCreatedBlock)
		b.HoldID = r.text(holdID, escaped)
		if !r.holdCreated(b) {
			return Timed{}, false
		}
		e = &b.HoldCreated
	case typeHoldReleased:
		released := &HoldReleased{HoldID: r.text(holdID, escaped)}
		if released.Actor, ok = r.actorField(); !ok {
			return Timed{}, false
		}
		e = released
	case typeHoldExpired:
		expired := &HoldExpired{HoldID: r.text(holdID, escaped)}
		if expired.Actor, ok = r.actorField(); !ok {
			return Timed{}, false
		}
		e = expired
	}
	if !r.lit("}}") { // the data's object, then the envelope's
		return Timed{}, false
	}
	return Timed{Entry: e, At: at}, true
}

// holdCreated reads the fields of a hold entry after its id into b.
func (r *batchReader) holdCreated(b *holdCreatedBlock) bool {
	if !r.lit(`,"items":`) {
		return false
	}
	switch {
	case r.lit("null"):
	case r.lit("[]"):
		b.Items = []Item{}
	case r.lit("["):
		for {
			if !r.lit(`{"ticket_type_id":"`) {
				return false
			}
			body, escaped, ok := r.stringBody()
			if !ok || !r.lit(`,"quantity":`) {
				return false
			}
			it := Item{TicketTypeID: r.sharedText(&r.ticketType, body, escaped)}
			if it.Quantity, ok = r.readInt(); !ok || !r.lit("}") {
				return false
			}
			if b.Items == nil {
				b.item[0] = it
				b.Items = b.item[:] // more items move to a slice of their own
			} else {
				b.Items = append(b.Items, it)
			}
			if r.lit("]") {
				break
			}
			if !r.lit(",") {
				return false
			}
		}
	default:
		return false
	}
	var ok bool
	if !r.lit(`,"expires_at":`) {
		return false
	}
	if b.ExpiresAt, ok = r.readTime(&r.expires); !ok {
		return false
	}
	if r.lit(`,"idempotency":{"scope":"`) && !r.idemStamp(b) {
		return false
	}
	if r.lit(`,"client":"`) {
		body, escaped, ok := r.stringBody()
		if !ok {
			return false
		}
		b.Client = r.sharedText(&r.client, body, escaped)
	}
	b.Actor, ok = r.actorField()
	return ok // the data's object ends
}

// actorField reads an entry's last field, its actor, if it comes next:
// "" when it does not.
func (r *batchReader) actorField() (string, bool) {
	if !r.lit(`,"actor":"`) {
		return "", true
	}
	// A hold's actors are the buyer's and admit's clock: the same strings
	// for every entry, whichever order they come in.
	switch {
	case r.lit(access.BuyerActor + `"`):
		return access.BuyerActor, true
	case r.lit(access.SystemActor + `"`):
		return access.SystemActor, true
	}
	body, escaped, ok := r.stringBody()
	if !ok {
		return "", false
	}
	return r.sharedText(&r.actor, body, escaped), true
}

// idemStamp reads a hold entry's Idempotency-Key stamp after its scope's
// opening quote into b.
func (r *batchReader) idemStamp(b *holdCreatedBlock) bool {
	body, escaped, ok := r.stringBody()
	if !ok || !r.lit(`,"key":"`) {
		return false
	}
	b.idem.Scope = r.sharedText(&r.scope, body, escaped)
	if body, escaped, ok = r.stringBody(); !ok || !r.lit(`,"hash":"`) {
		return false
	}
	b.idem.Key = r.text(body, escaped)
	if body, escaped, ok = r.stringBody(); !ok || !r.lit("}") {
		return false
	}
	b.idem.Hash = r.text(body, escaped)
	b.Idem = &b.idem
	return true
}

// id reads the i-th entry's id, "<after>.<i>", with the same after as the
// first entry's, between its quotes.
func (r *batchReader) id(i int) bool {
	if i > 0 {
		if !r.litBytes(r.after) {
			return false
		}
	} else {
		start := r.pos
		for r.pos < len(r.data) && isDigit(r.data[r.pos]) {
			r.pos++
		}
		// As strconv.FormatUint writes a uint64.
		const maxUint64 = "18446744073709551615"
		after := r.data[start:r.pos]
		if len(after) == 0 || len(after) > 1 && after[0] == '0' ||
			len(after) > len(maxUint64) || len(after) == len(maxUint64) && string(after) > maxUint64 {
			return false
		}
		r.after = after
	}
	// The dot ends the digits of after: more of them do not match.
	var idx [20]byte
	return r.lit(".") && r.litBytes(strconv.AppendInt(idx[:0], int64(i), 10))
}

// sourceString reads the quoted source, the same as the first entry's.
func (r *batchReader) sourceString() bool {
	if r.source != nil {
		return r.litBytes(r.source)
	}
	start := r.pos
	if !r.lit(`"`) {
		return false
	}
	if _, _, ok := r.stringBody(); !ok {
		return false
	}
	r.source = r.data[start:r.pos]
	return true
}

// readTime reads a JSON string as a time, remembering it in p.
func (r *batchReader) readTime(p *parsedTime) (time.Time, bool) {
	// The same string as the last: p.raw is a whole string token, so the
	// same bytes from here are one too.
	if p.set && r.litBytes(p.raw) {
		return p.t, true
	}
	start := r.pos
	if !r.lit(`"`) {
		return time.Time{}, false
	}
	if _, escaped, ok := r.stringBody(); !ok || escaped {
		return time.Time{}, false
	}
	return p.parse(r.data[start:r.pos])
}

// readInt reads an integer as encoding/json decodes it into an int, written
// as strconv writes it: no leading zeros, no "-0", no fraction or exponent.
func (r *batchReader) readInt() (int, bool) {
	neg := r.lit("-")
	start := r.pos
	for r.pos < len(r.data) && isDigit(r.data[r.pos]) {
		r.pos++
	}
	digits := r.data[start:r.pos]
	// Nineteen digits do not overflow a uint64.
	if len(digits) == 0 || len(digits) > 19 || digits[0] == '0' && (len(digits) > 1 || neg) {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		n = n*10 + uint64(c-'0')
	}
	var v int64
	switch {
	case !neg && n <= 1<<63-1:
		v = int64(n)
	case neg && n <= 1<<63:
		v = int64(-n) // -(1<<63) too, in two's complement
	default:
		return 0, false
	}
	if int64(int(v)) != v {
		return 0, false // a 32-bit int
	}
	return int(v), true
}

// stringBody reads the rest of a JSON string after its opening quote, and
// its closing quote. It returns the string's body as written and whether
// it has escapes. It reports false where encoding/json would refuse the
// string or decode it other than as written (bytes that are not UTF-8, and
// control characters), and for an escaped UTF-16 surrogate, which the
// encoder never writes.
func (r *batchReader) stringBody() (body []byte, escaped, ok bool) {
	data := r.data
	for i := r.pos; i < len(data); {
		// Eight bytes at a time while they stand for themselves.
		for i+8 <= len(data) && plain8(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		if i == len(data) {
			break
		}
		c := data[i]
		if jsonPlain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			body = data[r.pos:i]
			r.pos = i + 1
			return body, escaped, true
		case c == '\\':
			n := escapeLen(data[i:])
			if n == 0 {
				return nil, false, false
			}
			escaped = true
			i += n
		case c < utf8.RuneSelf: // a control character
			return nil, false, false
		default:
			rn, size := utf8.DecodeRune(data[i:])
			if rn == utf8.RuneError && size == 1 {
				return nil, false, false
			}
			i += size
		}
	}
	return nil, false, false
}

// jsonPlain marks the bytes that stand for themselves in a JSON string:
// ASCII other than control characters, the quote and the backslash. It is
// read-only.
var jsonPlain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plain8 reports whether the eight bytes of x all stand for themselves in
// a JSON string, as jsonPlain marks them: none is a control character, the
// quote or the backslash, or has its high bit set.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A byte's high bit is set in x-0x20*ones where the byte is below
	// 0x20 (or from 0xa0), in x where it is from 0x80, and in zero(x^c*ones)
	// where it is c. A subtraction borrows from a byte only below one that
	// is below 0x20, or is c: one that is set already. So some high bit
	// is set exactly where some byte is not plain.
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	bad := x - 0x20*ones | zero(x^'"'*ones) | zero(x^'\\'*ones) | x
	return bad&highs == 0
}

// escapeLen returns the length of the escape at the start of s, which
// starts with a backslash, or 0 where it is not one stringBody accepts.
func escapeLen(s []byte) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		r, ok := hex4(s[2:])
		if !ok || 0xd800 <= r && r < 0xe000 {
			return 0
		}
		return 6
	}
	return 0
}

// hex4 decodes the four hexadecimal digits at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape returns the string whose body stringBody read: as written, or
// with its escapes replaced by the characters they stand for. The result
// may be in r.buf, valid until the next call.
func (r *batchReader) unescape(body []byte, escaped bool) []byte {
	if !escaped {
		return body
	}
	buf := r.buf[:0]
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			j := i + 1
			for j < len(body) && body[j] != '\\' {
				j++
			}
			buf = append(buf, body[i:j]...)
			i = j
			continue
		}
		switch c = body[i+1]; c {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			rn, _ := hex4(body[i+2:])
			buf = utf8.AppendRune(buf, rn)
			i += 6
			continue
		default: // the quote, backslash and slash
			buf = append(buf, c)
		}
		i += 2
	}
	r.buf = buf
	return buf
}

// text returns the string whose body stringBody read.
func (r *batchReader) text(body []byte, escaped bool) string {
	return string(r.unescape(body, escaped))
}

// sharedText is text sharing the string in *last when equal, and
// remembering the string in *last when not.
func (r *batchReader) sharedText(last *string, body []byte, escaped bool) string {
	if s := r.unescape(body, escaped); string(s) != *last {
		*last = string(s)
	}
	return *last
}
