package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// plainJSON appends JSON as encoding/json's Encoder writes it, without
// reflection, for the answers an on-sale gives most: holds and problems.
// It handles only what needs no escaping; anything else (a string with a
// control, a quote, a backslash, an HTML character <, > or &, or a byte
// beyond ASCII; a time outside MarshalJSON's years 0–9999 or not in UTC)
// makes ok false, and the caller then uses encoding/json, so the bytes are
// the same either way. Once false, ok stays false.
type plainJSON struct {
	b  []byte
	ok bool
}

func (w *plainJSON) raw(s string) { w.b = append(w.b, s...) }

func (w *plainJSON) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

// str appends s quoted.
func (w *plainJSON) str(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			w.ok = false
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// optStr appends the member name and s when s is not empty, as omitempty
// does.
func (w *plainJSON) optStr(name, s string) {
	if s != "" {
		w.raw(name)
		w.str(s)
	}
}

// time appends t as time.Time's MarshalJSON does: RFC 3339 with
// nanoseconds.
func (w *plainJSON) time(t time.Time) {
	if y := t.Year(); y < 0 || y > 9999 {
		w.ok = false
		return
	}
	if _, off := t.Zone(); off != 0 {
		w.ok = false
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

// optTime appends the member name and t when t is not nil, as omitempty
// does.
func (w *plainJSON) optTime(name string, t *time.Time) {
	if t != nil {
		w.raw(name)
		w.time(*t)
	}
}

// appendJSON appends h, newline included, as encoding/json's Encoder
// writes it (see plainJSON).
func (h *holdJSON) appendJSON(w *plainJSON) {
	w.raw(`{"id":`)
	w.str(h.ID)
	w.raw(`,"event_id":`)
	w.str(h.EventID)
	w.raw(`,"status":`)
	w.str(h.Status)
	w.raw(`,"items":`)
	if h.Items == nil {
		w.raw("null")
	} else {
		w.raw("[")
		for i, it := range h.Items {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"ticket_type_id":`)
			w.str(it.TicketTypeID)
			w.raw(`,"quantity":`)
			w.int(int64(it.Quantity))
			w.raw("}")
		}
		w.raw("]")
	}
	w.raw(`,"quantity":`)
	w.int(int64(h.Quantity))
	w.raw(`,"created_at":`)
	w.time(h.CreatedAt)
	w.raw(`,"expires_at":`)
	w.time(h.ExpiresAt)
	w.optTime(`,"released_at":`, h.ReleasedAt)
	w.optTime(`,"expired_at":`, h.ExpiredAt)
	w.optTime(`,"converted_at":`, h.ConvertedAt)
	w.optStr(`,"order_id":`, h.OrderID)
	w.raw(`,"extended":`)
	w.int(int64(h.Extended))
	w.raw("}\n")
}

// appendJSON appends p, newline included, as encoding/json's Encoder
// writes it (see plainJSON).
func (p *Problem) appendJSON(w *plainJSON) {
	w.raw(`{"type":`)
	w.str(p.Type)
	w.raw(`,"title":`)
	w.str(p.Title)
	w.raw(`,"status":`)
	w.int(int64(p.Status))
	w.optStr(`,"detail":`, p.Detail)
	w.optStr(`,"instance":`, p.Instance)
	w.raw(`,"code":`)
	w.str(p.Code)
	w.optStr(`,"request_id":`, p.RequestID)
	if len(p.Errors) > 0 {
		w.raw(`,"errors":[`)
		for i, e := range p.Errors {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"field":`)
			w.str(e.Field)
			w.raw(`,"message":`)
			w.str(e.Message)
			w.raw("}")
		}
		w.raw("]")
	}
	if len(p.Available) > 0 {
		w.raw(`,"available":[`)
		for i, l := range p.Available {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"ticket_type_id":`)
			w.str(l.TicketTypeID)
			w.raw(`,"available":`)
			w.int(l.Available)
			w.raw("}")
		}
		w.raw("]")
	}
	if p.RetryAfter != 0 {
		w.raw(`,"retry_after_seconds":`)
		w.int(int64(p.RetryAfter))
	}
	w.raw("}\n")
}

// plainBuffers keeps the writers fast answers are written with.
var plainBuffers = sync.Pool{New: func() any { return &plainJSON{b: make([]byte, 0, 512)} }}

// newPlain returns a writer from the pool, empty; release gives it back.
func newPlain() *plainJSON {
	w := plainBuffers.Get().(*plainJSON)
	w.b, w.ok = w.b[:0], true
	return w
}

func (w *plainJSON) release() { plainBuffers.Put(w) }

// writeHoldFast writes h as writeJSON would and reports true, or writes
// nothing and reports false when h needs encoding/json.
func writeHoldFast(w http.ResponseWriter, status int, h *holdJSON) (bool, error) {
	pw := newPlain()
	defer pw.release()
	if h.appendJSON(pw); !pw.ok {
		return false, nil
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, err := w.Write(pw.b)
	return true, err
}

// encodeProblem writes p's body as encoding/json would.
func encodeProblem(w io.Writer, p *Problem) error {
	pw := newPlain()
	defer pw.release()
	if p.appendJSON(pw); !pw.ok {
		return json.NewEncoder(w).Encode(p)
	}
	_, err := w.Write(pw.b)
	return err
}
