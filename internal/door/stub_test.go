package door_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/door"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/shop"
	"github.com/admit-org/admit/internal/ticket"
)

// stub is the door API as the door contract describes it, served with the
// scanner (and the shop, for its stylesheet) by one httptest server: an
// event with a real signing key, its bundle, and the scans that arrive.
// It answers a scan as the server would for the simple cases: the
// device's own offline result, a conflict for an offline admission of a
// ticket that is inside already (admitElsewhere), and replays by nonce.
type stub struct {
	t     *testing.T
	srv   *httptest.Server
	url   string
	key   *ticket.SigningKey
	ev    string
	token string

	mu       sync.Mutex
	bundle   bundle
	scans    []scanRequest
	answers  map[string]scanAnswer // by nonce
	inside   map[string]map[string]previous
	down     bool              // answer every API request 503
	cut      bool              // drop every API request's connection: no network
	fetches  int               // bundle fetches
	attempts []string          // the nonce of every scan posted, answered or not
	override map[string]string // ticket id → the server's result for it
}

type bundle struct {
	Event       bundleEvent         `json:"event"`
	Device      *bundleDevice       `json:"device"`
	GeneratedAt time.Time           `json:"generated_at"`
	Keys        []bundleKey         `json:"keys"`
	Revoked     []string            `json:"revoked"`
	TicketTypes []bundleTicketType  `json:"ticket_types"`
	Lists       []bundleList        `json:"lists"`
	Tickets     []bundleTicket      `json:"tickets"`
	Inside      map[string][]string `json:"inside"`
}

type bundleEvent struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	TimeZone string    `json:"timezone"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

type bundleDevice struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type bundleKey struct {
	ID        string `json:"id"`
	PublicKey string `json:"public_key"`
}

type bundleTicketType struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type bundleList struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	TicketTypeIDs []string   `json:"ticket_type_ids"`
	From          *time.Time `json:"from"`
	Until         *time.Time `json:"until"`
	ReEntry       bool       `json:"re_entry"`
}

type bundleTicket struct {
	ID           string `json:"id"`
	TicketTypeID string `json:"ticket_type_id"`
	Attendee     string `json:"attendee,omitempty"`
}

type scanRequest struct {
	ListID        string     `json:"-"`
	Secret        string     `json:"secret"`
	Nonce         string     `json:"nonce"`
	Direction     string     `json:"direction"`
	ScannedAt     *time.Time `json:"scanned_at"`
	OfflineResult string     `json:"offline_result"`
}

type scanAnswer struct {
	Result    string        `json:"result"`
	ListID    string        `json:"list_id"`
	Direction string        `json:"direction"`
	Nonce     string        `json:"nonce"`
	DeviceID  string        `json:"device_id"`
	ScannedAt time.Time     `json:"scanned_at"`
	Offline   bool          `json:"offline"`
	Ticket    *answerTicket `json:"ticket"`
	Previous  *previous     `json:"previous,omitempty"`
	Conflict  bool          `json:"conflict"`
	Replayed  bool          `json:"replayed"`
}

type answerTicket struct {
	ID             string `json:"id"`
	TicketTypeID   string `json:"ticket_type_id"`
	TicketTypeName string `json:"ticket_type_name"`
	Attendee       string `json:"attendee,omitempty"`
}

type previous struct {
	ScannedAt  time.Time `json:"scanned_at"`
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name"`
}

const (
	deviceID   = "dd_northgatenorthgate22"
	deviceName = "North gate"
)

// The stub's ticket types and lists.
var (
	standing = id.New("tt", id.Short)
	vip      = id.New("tt", id.Short)
)

func newStub(t *testing.T, cfg door.Config) *stub {
	t.Helper()
	key, err := ticket.NewSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &stub{t: t, key: key, ev: id.New("ev", id.Short), token: "admitdoor_" + strings.Repeat("a", 16) + strings.Repeat("b", 16),
		answers: map[string]scanAnswer{}, inside: map[string]map[string]previous{}, override: map[string]string{}}
	now := time.Now().UTC().Truncate(time.Second)
	s.bundle = bundle{
		Event: bundleEvent{ID: s.ev, Name: "Open Air Night", Venue: "Riverside Park", TimeZone: "Europe/Vienna",
			StartsAt: now.Add(-time.Hour), EndsAt: now.Add(4 * time.Hour)},
		Device:      &bundleDevice{ID: deviceID, Name: deviceName},
		Keys:        []bundleKey{{ID: key.ID.String(), PublicKey: base64.StdEncoding.EncodeToString(key.Public())}},
		Revoked:     []string{},
		TicketTypes: []bundleTicketType{{ID: standing, Name: "Standing"}, {ID: vip, Name: "VIP"}},
		Lists: []bundleList{
			{ID: "default", Name: "Everyone", TicketTypeIDs: []string{}},
			{ID: "li_vipvipvipvipvipvipvi", Name: "VIP lounge", TicketTypeIDs: []string{vip}, ReEntry: true},
		},
		Tickets: []bundleTicket{},
		Inside:  map[string][]string{"default": {}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events/{event_id}/door-bundle", s.getBundle)
	mux.HandleFunc("POST /api/v1/events/{event_id}/check-in-lists/{list_id}/scans", s.postScan)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "not-found", "Not found", "no such resource: "+r.URL.Path)
	})
	d := door.New(cfg)
	mux.Handle("/door", d) // as web.Server serves it
	mux.Handle("/door/", d)
	mux.Handle("/", shop.New(shop.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		cut := s.cut
		s.mu.Unlock()
		if cut && strings.HasPrefix(r.URL.Path, "/api/") {
			panic(http.ErrAbortHandler) // the connection drops: the page's fetch fails as with no network
		}
		mux.ServeHTTP(w, r)
	}))
	s.url = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// setupURL is the device's setup link, as the organizer shows it.
func (s *stub) setupURL() string { return s.url + "/door/#event=" + s.ev + "&token=" + s.token }

// sell issues a ticket of the type to the attendee, valid from an hour ago
// for the next six, and adds it to the bundle unless hidden (a ticket sold
// after the scanner fetched its bundle). It returns the ticket's id and
// secret.
func (s *stub) sell(ticketType, attendee string, hidden bool) (string, string) {
	s.t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	return s.sellValid(ticketType, attendee, hidden, now.Add(-time.Hour), now.Add(6*time.Hour))
}

func (s *stub) sellValid(ticketType, attendee string, hidden bool, from, until time.Time) (string, string) {
	s.t.Helper()
	tk := id.New("tk", id.Short)
	secret, err := s.key.Sign(ticket.Claims{EventID: s.ev, TicketTypeID: ticketType, TicketID: tk, ValidFrom: from, ValidUntil: until})
	if err != nil {
		s.t.Fatal(err)
	}
	if !hidden {
		s.mu.Lock()
		s.bundle.Tickets = append(s.bundle.Tickets, bundleTicket{ID: tk, TicketTypeID: ticketType, Attendee: attendee})
		s.mu.Unlock()
	}
	return tk, secret
}

// revoke puts the ticket on the bundle's revocation list.
func (s *stub) revoke(tk string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bundle.Revoked = append(s.bundle.Revoked, tk)
}

// admitElsewhere records that another door let the ticket in on the list.
func (s *stub) admitElsewhere(list, tk, door string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inside[list] == nil {
		s.inside[list] = map[string]previous{}
	}
	s.inside[list][tk] = previous{ScannedAt: at, DeviceID: "dd_southgatesouthgate22", DeviceName: door}
}

// answerAs makes the server answer result for the ticket, as it would
// for a ticket refunded or unpaid after the device fetched its bundle.
func (s *stub) answerAs(tk, result string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.override[tk] = result
}

// attempted returns the nonce of every scan posted so far.
func (s *stub) attempted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.attempts...)
}

// setCut drops the connection of every API request, or stops doing so.
func (s *stub) setCut(cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = cut
}

func (s *stub) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// received returns the scans that arrived, in order.
func (s *stub) received() []scanRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]scanRequest(nil), s.scans...)
}

func (s *stub) bundleFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func problem(w http.ResponseWriter, status int, code, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "https://admit.dev/problems/" + code, "title": title, "status": status, "detail": detail})
}

// authorized checks the device's token and the event, as the server does.
func (s *stub) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.down {
		problem(w, http.StatusServiceUnavailable, "unavailable", "Unavailable", "try again")
		return false
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "unknown or revoked token")
		return false
	}
	if r.PathValue("event_id") != s.ev {
		problem(w, http.StatusNotFound, "not-found", "Not found", "no such event")
		return false
	}
	return true
}

func (s *stub) getBundle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.authorized(w, r) {
		return
	}
	s.fetches++
	b := s.bundle
	b.GeneratedAt = time.Now().UTC()
	b.Inside = map[string][]string{}
	for _, l := range b.Lists {
		b.Inside[l.ID] = []string{}
		for tk := range s.inside[l.ID] {
			b.Inside[l.ID] = append(b.Inside[l.ID], tk)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(b)
}

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (s *stub) postScan(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var req scanRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	s.attempts = append(s.attempts, req.Nonce)
	if !s.authorized(w, r) {
		return
	}
	if err != nil {
		problem(w, http.StatusBadRequest, "validation", "Invalid request", err.Error())
		return
	}
	req.ListID = r.PathValue("list_id")
	switch {
	case !nonceRE.MatchString(req.Nonce):
		problem(w, http.StatusBadRequest, "validation", "Invalid request", "nonce")
		return
	case req.Direction != "entry" && req.Direction != "exit":
		problem(w, http.StatusBadRequest, "validation", "Invalid request", "direction")
		return
	case (req.ScannedAt == nil) != (req.OfflineResult == ""):
		problem(w, http.StatusBadRequest, "validation", "Invalid request", "scanned_at and offline_result: both or neither")
		return
	}
	s.scans = append(s.scans, req)
	if a, ok := s.answers[req.Nonce]; ok {
		a.Replayed = true
		writeJSON(w, a)
		return
	}
	a := scanAnswer{Result: req.OfflineResult, ListID: req.ListID, Direction: req.Direction, Nonce: req.Nonce,
		DeviceID: deviceID, ScannedAt: time.Now().UTC(), Offline: req.ScannedAt != nil}
	if req.ScannedAt != nil {
		a.ScannedAt = *req.ScannedAt
	}
	c, err := ticket.Verify(req.Secret, func(k ticket.KeyID) (ed25519.PublicKey, bool) { return s.key.Public(), k == s.key.ID }, time.Now())
	if err == nil || c.TicketID != "" {
		at := &answerTicket{ID: c.TicketID, TicketTypeID: c.TicketTypeID}
		for _, tt := range s.bundle.TicketTypes {
			if tt.ID == c.TicketTypeID {
				at.TicketTypeName = tt.Name
			}
		}
		for _, tk := range s.bundle.Tickets {
			if tk.ID == c.TicketID {
				at.Attendee = tk.Attendee
			}
		}
		a.Ticket = at
		in := s.inside[req.ListID]
		if in == nil {
			in = map[string]previous{}
			s.inside[req.ListID] = in
		}
		prev, inside := in[c.TicketID]
		override, refuse := s.override[c.TicketID]
		switch {
		case a.Result != "ok":
		case refuse:
			a.Result, a.Conflict = override, a.Offline // the device let them in: the event would not have
		case req.Direction == "exit":
			delete(in, c.TicketID)
		case inside:
			a.Conflict, a.Previous = true, &prev // the device let them in: two admissions
		default:
			in[c.TicketID] = previous{ScannedAt: a.ScannedAt, DeviceID: deviceID, DeviceName: deviceName}
		}
	}
	s.answers[req.Nonce] = a
	writeJSON(w, a)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprint("stub: ", err))
	}
}
