package web

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/pdf"
	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/sqlite"
	"github.com/admit-org/admit/internal/ticket"
)

// Keyring keeps the private halves of ticket signing keys
// (*keyring.Keyring).
type Keyring interface {
	Create(ctx context.Context, eventID string) (*ticket.SigningKey, error)
	Get(ctx context.Context, eventID, keyID string) (*ticket.SigningKey, error)
}

// TicketGrace is how long after its event ends a ticket still verifies.
const TicketGrace = 6 * time.Hour

// Claims are what a ticket's secret says: valid from its issue (to the
// second) until TicketGrace after the event ends. Derived from the ledger,
// so signing again gives the same secret with the same key.
func Claims(ev *boxoffice.Event, t *boxoffice.Ticket) ticket.Claims {
	return ticket.Claims{EventID: ev.ID, TicketTypeID: t.TicketTypeID, TicketID: t.ID,
		ValidFrom: t.IssuedAt.UTC().Truncate(time.Second), ValidUntil: ev.EndsAt.Add(TicketGrace).UTC().Truncate(time.Second)}
}

// signer returns the key that signs the event's tickets now, making the
// event's first key when it has none.
func (s *Server) signer(ctx context.Context, v *boxoffice.View) (*ticket.SigningKey, error) {
	if s.keys == nil {
		return nil, fault.New(fault.Unavailable, "tickets cannot be signed on this server: it has no keyring")
	}
	if k := v.CurrentKey(); k != nil {
		return s.keys.Get(ctx, v.Event.ID, k.ID)
	}
	key, err := s.keys.Create(ctx, v.Event.ID)
	if err != nil {
		return nil, err
	}
	_, err = s.offices.Do(ctx, v.Event.ID, &boxoffice.AddSigningKey{OrganizerID: v.Event.OrganizerID,
		PublicKey: key.Public()}, nil)
	if err != nil {
		return nil, err
	}
	return key, nil
}

// paidOrder is an order with what its tickets need, read from the box
// office.
type paidOrder struct {
	event   boxoffice.Event
	types   map[string]string // ticket type names
	order   boxoffice.Order
	tickets []boxoffice.Ticket
}

// buyerOrder reads the order of a buyer's secret link.
func (s *Server) buyerOrder(r *http.Request) (*paidOrder, *boxoffice.View, error) {
	evID, token, err := orderToken(r)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		o := st.OrderByToken(token)
		if o == nil {
			return nil
		}
		p := &paidOrder{event: *st.Event, order: *o, types: map[string]string{}}
		p.order.TicketIDs = append([]string(nil), o.TicketIDs...)
		for _, id := range o.TicketIDs {
			p.tickets = append(p.tickets, *st.Ticket(id))
		}
		for _, tt := range st.TicketTypes {
			p.types[tt.ID] = tt.Name
		}
		return p
	})
	if err != nil {
		return nil, nil, err
	}
	p, ok := v.(*paidOrder)
	if !ok {
		return nil, nil, errOrderNotFound
	}
	view, err := s.offices.View(r.Context(), evID)
	if err != nil {
		return nil, nil, err
	}
	return p, view, nil
}

// validTickets returns the order's tickets that admit, or an error saying
// why there are none.
func (p *paidOrder) validTickets() ([]boxoffice.Ticket, error) {
	if p.order.Status == boxoffice.StatusPendingPayment {
		return nil, fault.New(fault.Conflict, "the order is not paid yet: tickets are issued once it is")
	}
	var out []boxoffice.Ticket
	for _, t := range p.tickets {
		if t.Status == boxoffice.TicketValid {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fault.New(fault.Conflict, "the order has no valid tickets (it is %s)", p.order.Status)
	}
	return out, nil
}

func (s *Server) ticketSecret(w http.ResponseWriter, r *http.Request) (string, error) {
	p, v, err := s.buyerOrder(r)
	if err != nil {
		return "", err
	}
	tid := r.PathValue("ticket_id")
	var t *boxoffice.Ticket
	for i := range p.tickets {
		if p.tickets[i].ID == tid {
			t = &p.tickets[i]
		}
	}
	switch {
	case t == nil:
		return "", fault.New(fault.NotFound, "ticket not found")
	case t.Status != boxoffice.TicketValid:
		return "", fault.New(fault.Conflict, "ticket %s was %s", t.ID, t.Status)
	}
	key, err := s.signer(r.Context(), v)
	if err != nil {
		return "", err
	}
	return key.Sign(Claims(&p.event, t))
}

func (s *Server) ticketPNG(w http.ResponseWriter, r *http.Request) error {
	size := 512
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < qr.MinSize || n > qr.MaxSize {
			return badQuery([]fault.FieldError{{Field: "size", Message: "must be an integer between 64 and 2048 (pixels)"}})
		}
		size = n
	}
	secret, err := s.ticketSecret(w, r)
	if err != nil {
		return err
	}
	png, err := qr.PNG(secret, size)
	if err != nil {
		return err
	}
	return writeFile(w, "image/png", "", png)
}

func (s *Server) ticketSVG(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.ticketSecret(w, r)
	if err != nil {
		return err
	}
	svg, err := qr.SVG(secret, "Ticket "+r.PathValue("ticket_id"))
	if err != nil {
		return err
	}
	return writeFile(w, "image/svg+xml", "", svg)
}

func (s *Server) ticketsPDF(w http.ResponseWriter, r *http.Request) error {
	p, v, err := s.buyerOrder(r)
	if err != nil {
		return err
	}
	doc, err := s.renderPDF(r.Context(), p, v)
	if err != nil {
		return err
	}
	return writeFile(w, "application/pdf", "tickets-"+p.order.ID+".pdf", doc)
}

// renderPDF prints the order's valid tickets.
func (s *Server) renderPDF(ctx context.Context, p *paidOrder, v *boxoffice.View) ([]byte, error) {
	valid, err := p.validTickets()
	if err != nil {
		return nil, err
	}
	key, err := s.signer(ctx, v)
	if err != nil {
		return nil, err
	}
	when := EventWhen(&p.event)
	out := make([]pdf.Ticket, len(valid))
	for i := range valid {
		secret, err := key.Sign(Claims(&p.event, &valid[i]))
		if err != nil {
			return nil, err
		}
		out[i] = pdf.Ticket{EventName: p.event.Name, Venue: p.event.Venue, When: when,
			TicketType: p.types[valid[i].TicketTypeID], Attendee: valid[i].Attendee, TicketID: valid[i].ID,
			OrderID: p.order.ID, Secret: secret}
	}
	return pdf.Tickets(out)
}

// EventWhen is the event's start in its own time zone, as printed on
// tickets and in e-mails: "Sat 12 Dec 2026, 20:00 (Europe/Berlin)".
func EventWhen(ev *boxoffice.Event) string {
	loc, err := time.LoadLocation(ev.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return ev.StartsAt.In(loc).Format("Mon 2 Jan 2006, 15:04") + " (" + loc.String() + ")"
}

func writeFile(w http.ResponseWriter, contentType, filename string, data []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	if filename != "" {
		h.Set("Content-Disposition", `inline; filename="`+filename+`"`)
	}
	_, err := w.Write(data)
	return err
}

type signingKeyJSON struct {
	ID           string     `json:"id"`
	PublicKey    string     `json:"public_key"`     // base64
	PublicKeyHex string     `json:"public_key_hex"` // the same, in hex
	Current      bool       `json:"current"`
	AddedAt      time.Time  `json:"added_at"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
}

type signingKeysJSON struct {
	EventID string           `json:"event_id"`
	Keys    []signingKeyJSON `json:"keys"`
}

func signingKeysOf(v *boxoffice.View) signingKeysJSON {
	out := signingKeysJSON{EventID: v.Event.ID, Keys: make([]signingKeyJSON, len(v.Keys))}
	cur := v.CurrentKey()
	for i, k := range v.Keys {
		out.Keys[i] = signingKeyJSON{ID: k.ID, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey),
			PublicKeyHex: hex.EncodeToString(k.PublicKey), Current: cur != nil && cur.ID == k.ID,
			AddedAt: utc(k.AddedAt), RetiredAt: optTime(k.RetiredAt)}
	}
	return out
}

// publicSigningKeys lists the keys a door scanner verifies tickets with.
func (s *Server) publicSigningKeys(w http.ResponseWriter, r *http.Request) error {
	v, err := s.publicView(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, signingKeysOf(v))
}

// rotateSigningKey makes a new key that signs the event's tickets from now
// on; tickets signed with the earlier keys still verify until retired.
func (s *Server) rotateSigningKey(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	v, err := s.organizerView(r, org)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	idem, err := idempotency(r, org.ID, body)
	if err != nil {
		return err
	}
	var in struct{}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if s.keys == nil {
		return fault.New(fault.Unavailable, "tickets cannot be signed on this server: it has no keyring")
	}
	end, err := s.inFlight.begin(idem)
	if err != nil {
		return err
	}
	defer end()
	var pub []byte
	if idem == nil || !s.idemSeen(r.Context(), v.Event.ID, idem) {
		key, err := s.keys.Create(r.Context(), v.Event.ID)
		if err != nil {
			return err
		}
		pub = key.Public()
	}
	res, err := s.offices.Do(r.Context(), v.Event.ID, &boxoffice.AddSigningKey{OrganizerID: org.ID, PublicKey: pub, Idem: idem},
		func(st *boxoffice.State, d boxoffice.Decision) any { return signingKeysOf(st.View()) })
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusCreated, res, "/api/v1/public/events/"+v.Event.ID+"/signing-keys", res.Value)
}

// idemSeen reports whether the event's box office already answered a
// request with this Idempotency-Key, so a retry makes no new key.
func (s *Server) idemSeen(ctx context.Context, eventID string, idem *boxoffice.IdemStamp) bool {
	v, err := s.offices.Read(ctx, eventID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		return st.Remembers(idem, s.clock.Now())
	})
	seen, _ := v.(bool)
	return err == nil && seen
}

func (s *Server) retireSigningKey(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	keyID := r.PathValue("key_id")
	if len(keyID) != 8 {
		return fault.New(fault.NotFound, "signing key not found")
	}
	var in struct{}
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(*boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		return &boxoffice.RetireSigningKey{OrganizerID: org.ID, KeyID: keyID},
			func(st *boxoffice.State, d boxoffice.Decision) any { return signingKeysOf(st.View()) }, nil
	})
}

type revocationsJSON struct {
	EventID   string   `json:"event_id"`
	TicketIDs []string `json:"ticket_ids"`
}

// revocations lists the event's revoked tickets, for scanners that check
// offline.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	v, err := s.organizerView(r, org)
	if err != nil {
		return err
	}
	out, err := s.offices.Read(r.Context(), v.Event.ID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		return revocationsJSON{EventID: st.Event.ID, TicketIDs: append([]string{}, st.Revoked...)}
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
