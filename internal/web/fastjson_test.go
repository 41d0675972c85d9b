package web

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/admit-org/admit/internal/fault"
	"time"
)

// TestHoldJSONMatchesEncodingJSON: whatever appendJSON writes is what
// encoding/json writes, and what it refuses, writeJSON still answers the
// same way.
func TestHoldJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2030, 5, 1, 20, 0, 0, 123456789, time.UTC)
	round := at.Truncate(time.Second)
	berlin := at.In(time.FixedZone("CEST", 2*3600))
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	base := holdJSON{ID: "ho_ncoipxa5wp4q4aolrjincjaw4w", EventID: "ev_pm243dav4wxdme2z6jod", Status: "active",
		Items: []itemJSON{{TicketTypeID: "tt_jx7oxkf7fqv6wdd573v5", Quantity: 2}}, Quantity: 2,
		CreatedAt: at, ExpiresAt: at.Add(2 * time.Minute)}
	cases := map[string]func(h *holdJSON){
		"plain":            func(h *holdJSON) {},
		"whole seconds":    func(h *holdJSON) { h.CreatedAt, h.ExpiresAt = round, round },
		"no items":         func(h *holdJSON) { h.Items = nil },
		"empty items":      func(h *holdJSON) { h.Items = []itemJSON{} },
		"many items":       func(h *holdJSON) { h.Items = append(h.Items, itemJSON{"tt_b", 100}, itemJSON{"tt_c", 0}) },
		"released":         func(h *holdJSON) { h.Status, h.ReleasedAt = "released", &round },
		"expired":          func(h *holdJSON) { h.Status, h.ExpiredAt = "expired", &at },
		"converted":        func(h *holdJSON) { h.Status, h.ConvertedAt, h.OrderID = "converted", &at, "od_x" },
		"extended":         func(h *holdJSON) { h.Extended = 10 },
		"negative":         func(h *holdJSON) { h.Quantity, h.Extended = -1, -3 },
		"escaped id":       func(h *holdJSON) { h.ID = `ho_"<&>\` },
		"non-ASCII":        func(h *holdJSON) { h.EventID = "ev_ü" },
		"control":          func(h *holdJSON) { h.Status = "a\nb" },
		"escaped item":     func(h *holdJSON) { h.Items[0].TicketTypeID = "tt_<" },
		"escaped order":    func(h *holdJSON) { h.OrderID = "od_&" },
		"zero time":        func(h *holdJSON) { h.CreatedAt = time.Time{} },
		"not UTC":          func(h *holdJSON) { h.ExpiresAt = berlin },
		"not UTC optional": func(h *holdJSON) { h.ReleasedAt = &berlin },
		"year 10000":       func(h *holdJSON) { h.ExpiresAt = far },
		"empty strings":    func(h *holdJSON) { h.ID, h.EventID, h.Status = "", "", "" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			h := base
			h.Items = append([]itemJSON(nil), base.Items...)
			if base.Items == nil {
				h.Items = nil
			}
			change(&h)
			var want bytes.Buffer
			wantErr := json.NewEncoder(&want).Encode(h)
			got, ok := plainHold(&h)
			if ok && (wantErr != nil || !bytes.Equal(got, want.Bytes())) {
				t.Fatalf("appendJSON:\n got %s\nwant %s (err %v)", got, want.Bytes(), wantErr)
			}
			rec := httptest.NewRecorder()
			err := writeJSON(rec, 201, h)
			if (err != nil) != (wantErr != nil) || (err == nil && rec.Body.String() != want.String()) {
				t.Fatalf("writeJSON: %v %s; want %v %s", err, rec.Body.Bytes(), wantErr, want.Bytes())
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("headers %v", rec.Header())
			}
		})
	}
	// And at random, over quantities, times and counts.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		h := base
		h.Items = nil
		for range r.IntN(4) {
			h.Items = append(h.Items, itemJSON{TicketTypeID: "tt_x", Quantity: r.IntN(200) - 50})
		}
		h.Quantity, h.Extended = r.IntN(1000), r.IntN(11)
		h.CreatedAt = time.Unix(r.Int64N(1<<40), r.Int64N(1e9)).UTC()
		h.ExpiresAt = h.CreatedAt.Add(time.Duration(r.Int64N(1e12)))
		if r.IntN(2) == 0 {
			e := h.ExpiresAt
			h.ExpiredAt = &e
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(h); err != nil {
			continue
		}
		if got, ok := plainHold(&h); !ok || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendJSON(%+v) = %s, %v; want %s", h, got, ok, want.Bytes())
		}
	}
}

// plainHold is what appendJSON writes of h, and whether it could.
func plainHold(h *holdJSON) ([]byte, bool) {
	w := plainJSON{ok: true}
	h.appendJSON(&w)
	return w.b, w.ok
}

func BenchmarkWriteHold(b *testing.B) {
	at := time.Date(2030, 5, 1, 20, 0, 0, 123456789, time.UTC)
	h := holdJSON{ID: "ho_ncoipxa5wp4q4aolrjincjaw4w", EventID: "ev_pm243dav4wxdme2z6jod", Status: "active",
		Items: []itemJSON{{TicketTypeID: "tt_jx7oxkf7fqv6wdd573v5", Quantity: 2}}, Quantity: 2,
		CreatedAt: at, ExpiresAt: at.Add(2 * time.Minute)}
	rec := httptest.NewRecorder()
	b.Run("writeJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec.Body.Reset()
			writeJSON(rec, 201, h)
		}
	})
	b.Run("encoding/json", func(b *testing.B) { // what writeJSON did for every hold before
		b.ReportAllocs()
		for b.Loop() {
			rec.Body.Reset()
			json.NewEncoder(rec).Encode(h)
		}
	})
}

// TestProblemJSONMatchesEncodingJSON: a problem's fast encoding is
// encoding/json's, byte for byte, for every problem admit answers with.
func TestProblemJSONMatchesEncodingJSON(t *testing.T) {
	base := Problem{Type: ProblemBase + "sold-out", Title: "Not enough tickets left", Status: 409,
		Detail: "not enough tickets left", Instance: "/api/v1/public/events/ev_x/holds", Code: "sold-out",
		RequestID: "2078e6d41051190d", Available: []fault.Left{{TicketTypeID: "tt_x", Available: 3}}}
	cases := map[string]func(p *Problem){
		"sold out":     func(p *Problem) {},
		"none left":    func(p *Problem) { p.Available = append(p.Available, fault.Left{TicketTypeID: "tt_y"}) },
		"no extras":    func(p *Problem) { p.Available, p.Detail, p.Instance, p.RequestID = nil, "", "", "" },
		"empty slices": func(p *Problem) { p.Available, p.Errors = []fault.Left{}, []fault.FieldError{} },
		"fields": func(p *Problem) {
			p.Errors = []fault.FieldError{{Field: "/items", Message: "must list"}, {Field: "/x", Message: "y"}}
		},
		"retry":          func(p *Problem) { p.RetryAfter = 7 },
		"quoted detail":  func(p *Problem) { p.Detail = `got "text/plain"` },
		"unicode detail": func(p *Problem) { p.Detail = "between 1 and 20 — ü" },
		"html instance":  func(p *Problem) { p.Instance = "/a<b>&c" },
		"escaped field":  func(p *Problem) { p.Errors = []fault.FieldError{{Field: "/a\"", Message: "m"}} },
		"escaped tt":     func(p *Problem) { p.Available[0].TicketTypeID = "\x01" },
		"big numbers":    func(p *Problem) { p.Status, p.Available[0].Available = -1, -1<<62 },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p := base
			p.Available = append([]fault.Left(nil), base.Available...)
			change(&p)
			var want, got bytes.Buffer
			json.NewEncoder(&want).Encode(&p)
			if err := encodeProblem(&got, &p); err != nil || got.String() != want.String() {
				t.Fatalf("encodeProblem: %v\n got %s\nwant %s", err, got.Bytes(), want.Bytes())
			}
		})
	}
	// Every problem type of the catalogue, through problemOf.
	for code := range problemTypes {
		p := problemOf(fault.Coded(fault.Invalid, code, "the detail of %s", code))
		var want, got bytes.Buffer
		json.NewEncoder(&want).Encode(&p)
		if err := encodeProblem(&got, &p); err != nil || got.String() != want.String() {
			t.Fatalf("%s: encodeProblem: %v\n got %s\nwant %s", code, err, got.Bytes(), want.Bytes())
		}
	}
}
