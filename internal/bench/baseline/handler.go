package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/web"
)

// Limits of a hold request: admit's.
const (
	maxBodyBytes   = web.MaxBodyBytes
	maxHoldItems   = boxoffice.MaxHoldItems
	maxPerHoldItem = boxoffice.MaxTicketsPerHoldLimit
)

type problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	Code       string       `json:"code"`
	Errors     []fieldError `json:"errors,omitempty"`
	RetryAfter int          `json:"retry_after_seconds,omitempty"`
	Available  []Left       `json:"available,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// holdJSON is admit's hold as the public API answers it (internal/web).
type holdJSON struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	Status    string    `json:"status"`
	Items     []Item    `json:"items"`
	Quantity  int       `json:"quantity"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Extended  int       `json:"extended"`
}

// availabilityJSON is admit's GET …/availability answer (internal/web,
// api/openapi.yaml: Availability).
type availabilityJSON struct {
	EventID     string                  `json:"event_id"`
	Status      string                  `json:"status"`
	TicketTypes []typeAvailabilityJSON  `json:"ticket_types"`
	Quotas      []quotaAvailabilityJSON `json:"quotas"`
}

type typeAvailabilityJSON struct {
	TicketTypeID string `json:"ticket_type_id"`
	Available    int    `json:"available"`
	State        string `json:"state"`
}

type quotaAvailabilityJSON struct {
	QuotaID   string `json:"quota_id"`
	Available int    `json:"available"`
}

// Handler serves POST /api/v1/public/events/{event_id}/holds as admit does,
// in front of s, with holds that last ttl. The event_id is not checked: a
// store sells one event.
//
// The body is {"items":[{"ticket_type_id":"…","quantity":n},…]}, 1 to 20
// distinct ticket types of 1 to 100 tickets each. Answers: 201 with the hold
// as JSON and a Location header; 409 problem "sold-out"; 400
// "malformed-request" or 422 "validation" for a body that is not such a
// request (an unknown ticket type included); 415 and 413 as admit; 503
// "unavailable" with Retry-After: 1 when the store fails; 404 and 405
// problems for any other path or method. Problems are
// application/problem+json. Store errors are not logged: the benchmark
// counts the answers. The sold-out problem carries admit's "available"
// member, [{"ticket_type_id","available"}], as far as the store learnt it
// in the hold's round trip (SoldOutError).
//
// GET /api/v1/public/events/{event_id}/availability answers as admit's
// does: per ticket type what could be held now and its state (on_sale,
// few_left at a tenth of its capacity or less, sold_out), and per quota
// what is left, read from the store (Store.Available); 503 when the store
// fails.
func Handler(s Store, ttl time.Duration) http.Handler {
	h := &handler{store: s, ttl: ttl}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/public/events/{event_id}/holds", h.holds)
	mux.HandleFunc("/api/v1/public/events/{event_id}/availability", h.availability)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, "not-found", "there is nothing at this path", nil)
	})
	return mux
}

type handler struct {
	store Store
	ttl   time.Duration
}

func (h *handler) holds(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, r, "method-not-allowed", "this path accepts POST only", nil)
		return
	}
	items, code, detail, fields := readHold(w, r)
	if code != "" {
		writeProblem(w, r, code, detail, fields)
		return
	}
	holdID, now := id.New("ho", id.Long), time.Now().UTC()
	switch err := h.store.Hold(r.Context(), holdID, items, h.ttl); {
	case errors.Is(err, ErrSoldOut):
		var left []Left
		if so, ok := errors.AsType[*SoldOutError](err); ok {
			left = so.Left
		}
		writeProblemLeft(w, r, "sold-out", "there are not enough tickets left for this hold", left)
		return
	case errors.Is(err, ErrInvalid):
		writeProblem(w, r, "validation", "the hold is not valid for this event",
			[]fieldError{{Field: "/items", Message: "names a ticket type this event does not have"}})
		return
	case err != nil:
		writeProblem(w, r, "unavailable", "the store did not answer; try again", nil)
		return
	}
	n := 0
	for _, it := range items {
		n += it.Quantity
	}
	evID := r.PathValue("event_id")
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Location", "/api/v1/public/events/"+evID+"/holds/"+holdID)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(holdJSON{ID: holdID, EventID: evID, Status: "active", Items: items, Quantity: n,
		CreatedAt: now, ExpiresAt: now.Add(h.ttl)})
}

// readHold reads and checks a hold request. On failure it returns the
// problem's code, detail and field errors.
func readHold(w http.ResponseWriter, r *http.Request) (items []Item, code, detail string, fields []fieldError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, "unsupported-media-type", "send the body as application/json", nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		return nil, "body-too-large", "the body must be at most " + strconv.Itoa(maxBodyBytes) + " bytes", nil
	}
	if err != nil {
		return nil, "malformed-request", "could not read the body", nil
	}
	var in struct {
		Items *[]Item `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, "malformed-request", "the body is not a JSON hold request", nil
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "malformed-request", "the body must hold exactly one JSON object", nil
	}
	if in.Items == nil {
		return nil, "validation", "the request is not valid", []fieldError{{Field: "/items", Message: "is required"}}
	}
	items = *in.Items
	if len(items) == 0 || len(items) > maxHoldItems {
		return nil, "validation", "the request is not valid",
			[]fieldError{{Field: "/items", Message: "must list between 1 and 20 ticket types"}}
	}
	for i, it := range items {
		p := "/items/" + strconv.Itoa(i)
		switch {
		case it.TicketTypeID == "":
			fields = append(fields, fieldError{Field: p + "/ticket_type_id", Message: "is required"})
		case i > 0 && listed(items[:i], it.TicketTypeID):
			fields = append(fields, fieldError{Field: p + "/ticket_type_id", Message: "is listed twice"})
		}
		if it.Quantity < 1 || it.Quantity > maxPerHoldItem {
			fields = append(fields, fieldError{Field: p + "/quantity", Message: "must be between 1 and 100"})
		}
	}
	if fields != nil {
		return nil, "validation", "the request is not valid", fields
	}
	return items, "", "", nil
}

func listed(items []Item, ticketTypeID string) bool {
	for _, it := range items {
		if it.TicketTypeID == ticketTypeID {
			return true
		}
	}
	return false
}

func (h *handler) availability(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeProblem(w, r, "method-not-allowed", "this path accepts GET only", nil)
		return
	}
	a, err := h.store.Available(r.Context())
	if err != nil {
		writeProblem(w, r, "unavailable", "the store did not answer; try again", nil)
		return
	}
	out := availabilityJSON{EventID: r.PathValue("event_id"), Status: "on_sale"}
	out.TicketTypes = make([]typeAvailabilityJSON, len(a.TicketTypes))
	for i, t := range a.TicketTypes {
		state := "on_sale"
		switch {
		case t.Available == 0:
			state = "sold_out"
		case t.Available*10 <= t.Capacity:
			state = "few_left"
		}
		out.TicketTypes[i] = typeAvailabilityJSON{TicketTypeID: t.ID, Available: t.Available, State: state}
	}
	out.Quotas = make([]quotaAvailabilityJSON, len(a.Quotas))
	for i, q := range a.Quotas {
		out.Quotas[i] = quotaAvailabilityJSON{QuotaID: q.ID, Available: q.Available}
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(&out)
}

// writeProblem answers with the problem of code, as admit does.
func writeProblem(w http.ResponseWriter, r *http.Request, code, detail string, fields []fieldError) {
	writeProblemLeft(w, r, code, detail, nil, fields...)
}

// writeProblemLeft is writeProblem with a sold-out problem's "available".
func writeProblemLeft(w http.ResponseWriter, r *http.Request, code, detail string, left []Left, fields ...fieldError) {
	status, title, _ := web.ProblemType(code) // admit's catalogue, admit's words
	p := problem{Type: web.ProblemBase + code, Title: title, Status: status, Detail: detail, Instance: r.URL.Path,
		Code: code, Errors: fields, Available: left}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/problem+json")
	hdr.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		p.RetryAfter = 1
		hdr.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(&p)
}
