package boxoffice

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// What a box office encodes in proportion to its holds is written by hand:
// the ledger entries of holds created, released and expired, and the holds
// and Idempotency-Key records of a snapshot. encoding/json costs several
// allocations and microseconds per entry, which an on-sale of hundreds of
// thousands of holds a second cannot afford. The bytes are exactly those
// encoding/json writes (the same field order, string escaping and time
// format), so readers cannot tell which path wrote them;
// TestFastEncodingMatchesGeneric, FuzzEncodeHoldEntries and
// TestSnapshotMatchesJSON hold the two paths to that. Every other entry
// type, and anything encoding/json would refuse, takes the generic path.

// appendEntryJSON appends entry e as the i-th CloudEvent of a batch fenced
// on after, by way of encoding/json. It is the reference for
// appendEntryFast and the path for every other entry.
func appendEntryJSON(buf []byte, source string, after uint64, i int, at time.Time, e Entry) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("boxoffice: encode %s: %w", e.Type(), err)
	}
	ce := CloudEvent{SpecVersion: "1.0", ID: strconv.FormatUint(after, 10) + "." + strconv.Itoa(i), Source: source,
		Type: e.Type(), Time: at, Subject: e.Subject(), DataContentType: "application/json", Data: data}
	b, err := json.Marshal(&ce)
	if err != nil {
		return nil, fmt.Errorf("boxoffice: encode envelope %s: %w", e.Type(), err)
	}
	return append(buf, b...), nil
}

// batchHead is what the entries of one batch share, encoded once.
type batchHead struct {
	after  uint64
	source []byte // the source, as a JSON string
	at     []byte // the time, as a JSON string
	atOK   bool   // whether the time has a JSON encoding

	expires timeCache // the holds of a batch mostly share one expiry
}

// timeCache remembers the time last appended to a buffer with
// appendJSONTime, and where, to copy it rather than format it again when the
// same one comes next. The zero value is empty.
type timeCache struct {
	t        time.Time
	from, to int // t is buf[from:to]
	set      bool
}

// append appends t to buf as appendJSONTime does. buf must be the buffer
// of every earlier call, and must still hold what they appended.
func (c *timeCache) append(buf []byte, t time.Time) ([]byte, bool) {
	// Equal times in different locations or with different monotonic
	// readings may encode differently: only an identical one will do.
	if c.set && t == c.t {
		return append(buf, buf[c.from:c.to]...), true
	}
	from := len(buf)
	buf, ok := appendJSONTime(buf, t)
	if ok {
		*c = timeCache{t: t, from: from, to: len(buf), set: true}
	}
	return buf, ok
}

// newBatchHead returns the head of a batch, encoded into the storage of
// sourceBuf and atBuf.
func newBatchHead(sourceBuf, atBuf []byte, source string, after uint64, at time.Time) batchHead {
	h := batchHead{after: after, source: appendJSONString(sourceBuf, source)}
	h.at, h.atOK = appendJSONTime(atBuf, at)
	return h
}

// appendEntryFast appends entry e as the i-th of the batch, as
// appendEntryJSON would but without allocating beyond growing buf, when e
// is of a type it knows. buf must hold the batch so far, written by h. It
// reports false when it cannot: buf then has unspecified bytes past its
// original length, which the caller drops before taking the generic path.
func (h *batchHead) appendEntryFast(buf []byte, i int, e Entry) ([]byte, bool) {
	if !h.atOK {
		return buf, false
	}
	switch e := e.(type) {
	case *HoldCreated:
		buf = h.appendEnvelope(buf, i, typeHoldCreated, "holds/", e.HoldID)
		buf = append(buf, `{"hold_id":`...)
		buf = appendJSONString(buf, e.HoldID)
		buf = append(buf, `,"items":`...)
		buf = appendItemsJSON(buf, e.Items)
		buf = append(buf, `,"expires_at":`...)
		var ok bool
		if buf, ok = h.expires.append(buf, e.ExpiresAt); !ok {
			return buf, false
		}
		if e.Idem != nil {
			buf = append(buf, `,"idempotency":{"scope":`...)
			buf = appendJSONString(buf, e.Idem.Scope)
			buf = append(buf, `,"key":`...)
			buf = appendJSONString(buf, e.Idem.Key)
			buf = append(buf, `,"hash":`...)
			buf = appendJSONString(buf, e.Idem.Hash)
			buf = append(buf, '}')
		}
		if e.Client != "" {
			buf = append(buf, `,"client":`...)
			buf = appendJSONString(buf, e.Client)
		}
		buf = appendActor(buf, e.Actor)
	case *HoldReleased:
		buf = h.appendEnvelope(buf, i, typeHoldReleased, "holds/", e.HoldID)
		buf = append(buf, `{"hold_id":`...)
		buf = appendJSONString(buf, e.HoldID)
		buf = appendActor(buf, e.Actor)
	case *HoldExpired:
		buf = h.appendEnvelope(buf, i, typeHoldExpired, "holds/", e.HoldID)
		buf = append(buf, `{"hold_id":`...)
		buf = appendJSONString(buf, e.HoldID)
		buf = appendActor(buf, e.Actor)
	default:
		return buf, false
	}
	return append(buf, "}}"...), true // the data's object, then the envelope's
}

// appendActor appends an entry's last field, its actor, unless it is "".
func appendActor(buf []byte, actor string) []byte {
	if actor == "" {
		return buf
	}
	buf = append(buf, `,"actor":`...)
	return appendJSONString(buf, actor)
}

// appendItemsJSON appends items as encoding/json does.
func appendItemsJSON(buf []byte, items []Item) []byte {
	if items == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '[')
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"ticket_type_id":`...)
		buf = appendJSONString(buf, it.TicketTypeID)
		buf = append(buf, `,"quantity":`...)
		buf = strconv.AppendInt(buf, int64(it.Quantity), 10)
		buf = append(buf, '}')
	}
	return append(buf, ']')
}

// appendEnvelope appends the i-th CloudEvent's attributes in CloudEvent's
// field order, up to and including the name of its data. The type and
// subjectPrefix must need no escaping; the subject is subjectPrefix
// followed by subjectID.
func (h *batchHead) appendEnvelope(buf []byte, i int, typ, subjectPrefix, subjectID string) []byte {
	buf = append(buf, `{"specversion":"1.0","id":"`...)
	buf = strconv.AppendUint(buf, h.after, 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(i), 10)
	buf = append(buf, `","source":`...)
	buf = append(buf, h.source...)
	buf = append(buf, `,"type":"`...)
	buf = append(buf, typ...)
	buf = append(buf, `","time":`...)
	buf = append(buf, h.at...)
	buf = append(buf, `,"subject":"`...)
	buf = append(buf, subjectPrefix...)
	buf = appendJSONStringBody(buf, subjectID)
	return append(buf, `","datacontenttype":"application/json","data":`...)
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it: an
// RFC 3339 timestamp with as many fractional digits as needed, quoted. It
// reports false where MarshalJSON fails: for a year outside 0..9999 or a
// zone offset of 24 hours or more, which RFC 3339 cannot express.
func appendJSONTime(buf []byte, t time.Time) ([]byte, bool) {
	buf = append(buf, '"')
	start := len(buf)
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	ts := buf[start:]
	// A year of four digits (and no sign) is followed by its dash.
	if len(ts) < len("2006-") || ts[len("2006")] != '-' {
		return buf, false
	}
	// A zone other than Z ends in "±hh:mm"; a wider hour pushes a digit
	// where the sign should be.
	if ts[len(ts)-1] != 'Z' {
		zone := ts[len(ts)-len("-07:00"):]
		if zone[0] != '+' && zone[0] != '-' || (zone[1]-'0')*10+(zone[2]-'0') >= 24 {
			return buf, false
		}
	}
	return append(buf, '"'), true
}

// jsonVerbatim marks the bytes encoding/json copies into a string as they
// are: printable ASCII other than the quote and backslash and, since it
// escapes HTML by default, <, > and &. Bytes of multi-byte UTF-8 are not
// marked: they are checked rune by rune. It is read-only.
var jsonVerbatim = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it by default.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = appendJSONStringBody(buf, s)
	return append(buf, '"')
}

// appendJSONStringBody appends s escaped as encoding/json does by default,
// without the quotes: the quote and backslash with a backslash, control
// characters with their short escape or \u00XX, the HTML-sensitive <, > and
// &, and U+2028 and U+2029 (line breaks to JavaScript) as \uXXXX, and every
// byte that is not part of valid UTF-8 as \ufffd.
func appendJSONStringBody(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	done := 0 // s[:done] is in buf
	for i := 0; i < len(s); {
		c := s[i]
		if jsonVerbatim[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[done:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, `\b`...)
			case '\f':
				buf = append(buf, `\f`...)
			case '\n':
				buf = append(buf, `\n`...)
			case '\r':
				buf = append(buf, `\r`...)
			case '\t':
				buf = append(buf, `\t`...)
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[done:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[done:i]...)
			buf = append(buf, `\u202`...)
			buf = append(buf, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	return append(buf, s[done:]...)
}
