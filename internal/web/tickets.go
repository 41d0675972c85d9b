package web

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/printer"
	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/sqlite"
)

// buyerOrder reads the order of a buyer's secret link.
func (s *Server) buyerOrder(r *http.Request) (*printer.Order, error) {
	evID, token, err := orderToken(r)
	if err != nil {
		return nil, err
	}
	return s.printer.Find(r.Context(), evID, func(st *boxoffice.State) *boxoffice.Order { return st.OrderByToken(token) },
		errOrderNotFound)
}

func (s *Server) ticketSecret(r *http.Request) (string, error) {
	o, err := s.buyerOrder(r)
	if err != nil {
		return "", err
	}
	return s.printer.Secret(r.Context(), o, r.PathValue("ticket_id"))
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
	secret, err := s.ticketSecret(r)
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
	secret, err := s.ticketSecret(r)
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
	o, err := s.buyerOrder(r)
	if err != nil {
		return err
	}
	doc, err := s.printer.PDF(r.Context(), o)
	if err != nil {
		return err
	}
	return writeFile(w, "application/pdf", "tickets-"+o.Order.ID+".pdf", doc)
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
	var in struct{}
	idem, err := readCommand(w, r, org.ID, &in)
	if err != nil {
		return err
	}
	if s.printer.Keys == nil {
		return fault.New(fault.Unavailable, "tickets cannot be signed on this server: it has no keyring")
	}
	end, err := s.inFlight.begin(v.Event.ID, idem)
	if err != nil {
		return err
	}
	defer end()
	var pub []byte
	if idem == nil || !s.idemSeen(r.Context(), v.Event.ID, idem) {
		key, err := s.printer.Keys.Create(r.Context(), v.Event.ID)
		if err != nil {
			return err
		}
		pub = key.Public()
	}
	res, err := s.offices.Do(r.Context(), v.Event.ID, &boxoffice.AddSigningKey{OrganizerID: org.ID, PublicKey: pub, Idem: idem, Actor: actorOf(r)},
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
		return &boxoffice.RetireSigningKey{OrganizerID: org.ID, KeyID: keyID, Actor: actorOf(r)},
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

// RotateSigningKey makes a new key that signs the event's tickets from now
// on, as POST …/signing-keys does without an Idempotency-Key, for the
// console. Errors: NotFound (not the organizer's event), Unavailable (no
// keyring on this server), the box office's.
func (s *Server) RotateSigningKey(ctx context.Context, actor access.Actor, organizerID, eventID string) (uint64, error) {
	if s.printer.Keys == nil {
		return 0, fault.New(fault.Unavailable, "tickets cannot be signed on this server: it has no keyring")
	}
	key, err := s.printer.Keys.Create(ctx, eventID)
	if err != nil {
		return 0, err
	}
	res, err := s.offices.Do(ctx, eventID, &boxoffice.AddSigningKey{OrganizerID: organizerID, PublicKey: key.Public(), Actor: actor.String()},
		func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if err != nil {
		return 0, err
	}
	s.noteWrite(res.Seq)
	return res.Seq, nil
}
