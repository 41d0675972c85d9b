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
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type holdJSON struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	Status    string    `json:"status"`
	Items     []Item    `json:"items"`
	Quantity  int       `json:"quantity"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
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
// counts the answers.
func Handler(s Store, ttl time.Duration) http.Handler {
	h := &handler{store: s, ttl: ttl}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/public/events/{event_id}/holds", h.holds)
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
		writeProblem(w, r, "sold-out", "there are not enough tickets left for this hold", nil)
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
	json.NewEncoder(w).Encode(holdJSON{ID: holdID, EventID: evID, Status: "held", Items: items, Quantity: n,
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

// writeProblem answers with the problem of code, as admit does.
func writeProblem(w http.ResponseWriter, r *http.Request, code, detail string, fields []fieldError) {
	status, title, _ := web.ProblemType(code) // admit's catalogue, admit's words
	p := problem{Type: web.ProblemBase + code, Title: title, Status: status, Detail: detail, Instance: r.URL.Path,
		Code: code, Errors: fields}
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
