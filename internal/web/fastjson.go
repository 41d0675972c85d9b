package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// appendJSON appends h as encoding/json's Encoder writes it (newline
// included), without reflection: a hold is the answer to every request of
// an on-sale. It reports false when a string would need escaping or a time
// is outside the years 0–9999 (MarshalJSON's range); the caller then uses
// encoding/json, so the bytes are the same either way.
func (h *holdJSON) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"id":`...)
	b, ok := appendPlainString(b, h.ID)
	b = append(b, `,"event_id":`...)
	b, ok2 := appendPlainString(b, h.EventID)
	b = append(b, `,"status":`...)
	b, ok3 := appendPlainString(b, h.Status)
	if !ok || !ok2 || !ok3 {
		return b, false
	}
	b = append(b, `,"items":`...)
	if h.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, it := range h.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ticket_type_id":`...)
			if b, ok = appendPlainString(b, it.TicketTypeID); !ok {
				return b, false
			}
			b = append(b, `,"quantity":`...)
			b = strconv.AppendInt(b, int64(it.Quantity), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"quantity":`...)
	b = strconv.AppendInt(b, int64(h.Quantity), 10)
	b = append(b, `,"created_at":`...)
	if b, ok = appendTime(b, h.CreatedAt); !ok {
		return b, false
	}
	b = append(b, `,"expires_at":`...)
	if b, ok = appendTime(b, h.ExpiresAt); !ok {
		return b, false
	}
	if b, ok = appendOptTime(b, `,"released_at":`, h.ReleasedAt); !ok {
		return b, false
	}
	if b, ok = appendOptTime(b, `,"expired_at":`, h.ExpiredAt); !ok {
		return b, false
	}
	if b, ok = appendOptTime(b, `,"converted_at":`, h.ConvertedAt); !ok {
		return b, false
	}
	if h.OrderID != "" {
		b = append(b, `,"order_id":`...)
		if b, ok = appendPlainString(b, h.OrderID); !ok {
			return b, false
		}
	}
	b = append(b, `,"extended":`...)
	b = strconv.AppendInt(b, int64(h.Extended), 10)
	return append(b, "}\n"...), true
}

// appendPlainString appends s quoted, and reports false when encoding/json
// would escape any of its bytes (controls, quotes, backslashes, the HTML
// characters <, > and &, and anything beyond ASCII).
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendOptTime appends the member name and t when t is not nil, as
// omitempty does.
func appendOptTime(b []byte, name string, t *time.Time) ([]byte, bool) {
	if t == nil {
		return b, true
	}
	return appendTime(append(b, name...), *t)
}

// appendTime appends t as time.Time's MarshalJSON does, RFC 3339 with
// nanoseconds, and reports false outside the years it accepts or for a
// time not in UTC (every time admit answers with is).
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off != 0 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

// jsonBuffers keeps the buffers hold answers are written from.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeHoldFast writes h as writeJSON would and reports true, or writes
// nothing and reports false when h needs encoding/json (appendJSON).
func writeHoldFast(w http.ResponseWriter, status int, h *holdJSON) (bool, error) {
	bp := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(bp)
	b, ok := h.appendJSON((*bp)[:0])
	*bp = b[:0]
	if !ok {
		return false, nil
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, err := w.Write(b)
	return true, err
}

// appendJSON appends p as encoding/json's Encoder writes it (newline
// included), without reflection: the sold-out answer is the one an on-sale
// gives most. It reports false when a string would need escaping; the
// caller then uses encoding/json, so the bytes are the same either way.
func (p *Problem) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"type":`...)
	b, ok := appendPlainString(b, p.Type)
	if !ok {
		return b, false
	}
	b = append(b, `,"title":`...)
	if b, ok = appendPlainString(b, p.Title); !ok {
		return b, false
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if b, ok = appendOptString(b, `,"detail":`, p.Detail); !ok {
		return b, false
	}
	if b, ok = appendOptString(b, `,"instance":`, p.Instance); !ok {
		return b, false
	}
	b = append(b, `,"code":`...)
	if b, ok = appendPlainString(b, p.Code); !ok {
		return b, false
	}
	if b, ok = appendOptString(b, `,"request_id":`, p.RequestID); !ok {
		return b, false
	}
	if len(p.Errors) > 0 {
		b = append(b, `,"errors":[`...)
		for i, e := range p.Errors {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"field":`...)
			if b, ok = appendPlainString(b, e.Field); !ok {
				return b, false
			}
			b = append(b, `,"message":`...)
			if b, ok = appendPlainString(b, e.Message); !ok {
				return b, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(p.Available) > 0 {
		b = append(b, `,"available":[`...)
		for i, l := range p.Available {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ticket_type_id":`...)
			if b, ok = appendPlainString(b, l.TicketTypeID); !ok {
				return b, false
			}
			b = append(b, `,"available":`...)
			b = strconv.AppendInt(b, l.Available, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if p.RetryAfter != 0 {
		b = append(b, `,"retry_after_seconds":`...)
		b = strconv.AppendInt(b, int64(p.RetryAfter), 10)
	}
	return append(b, "}\n"...), true
}

// appendOptString appends the member name and s when s is not empty, as
// omitempty does.
func appendOptString(b []byte, name, s string) ([]byte, bool) {
	if s == "" {
		return b, true
	}
	return appendPlainString(append(b, name...), s)
}

// encodeProblem writes p's body as encoding/json would.
func encodeProblem(w io.Writer, p *Problem) error {
	bp := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(bp)
	b, ok := p.appendJSON((*bp)[:0])
	*bp = b[:0]
	if !ok {
		return json.NewEncoder(w).Encode(p)
	}
	_, err := w.Write(b)
	return err
}
