package web

import (
	"cmp"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/checkin"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/sqlite"
	"github.com/admit-org/admit/internal/ticket"
)

// The door: check-in lists, door devices, scans, and the bundle a scanner
// decides offline with. The doors' own routes (the bundle, scans,
// annulments) take a door device's token or the organizer's API token.

// DoorTokenPrefix starts every door device token, so secret scanners can
// spot them and the API tells them from organizers' tokens.
const DoorTokenPrefix = boxoffice.DoorTokenPrefix

// looksLikeDoorToken reports whether s has the shape of a door token.
func looksLikeDoorToken(s string) bool {
	rest, ok := strings.CutPrefix(s, DoorTokenPrefix)
	return ok && len(rest) == 32 && strings.Trim(rest, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// doorAuth authenticates a door route: a door device's token (checked by the
// event's box office, which knows its devices) or an organizer's API
// token whose role may scan. Errors: Unauthorized, Forbidden, RateLimited.
func (s *Server) doorAuth(r *http.Request) (boxoffice.Door, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, DoorTokenPrefix) {
		if s.authFailures != nil {
			if err := s.authFailures.check(s.client(r), s.clock.Now()); err != nil {
				return boxoffice.Door{}, err
			}
		}
		if !looksLikeDoorToken(token) {
			return boxoffice.Door{}, s.doorRefused(r, fault.New(fault.Unauthorized, "the door token is malformed"))
		}
		return boxoffice.Door{DeviceTokenHash: organizer.HashToken(token)}, nil
	}
	if r.Header.Get("Authorization") == "" {
		return boxoffice.Door{}, fault.New(fault.Unauthorized,
			"this route needs a door device token (Authorization: Bearer admitdoor_…) or an organizer API token")
	}
	org, actor, err := s.authenticateLimited(r)
	if err != nil {
		return boxoffice.Door{}, err
	}
	if err := access.Allow(actor, org.ID, access.Scan); err != nil {
		return boxoffice.Door{}, err
	}
	return boxoffice.Door{OrganizerID: org.ID, Actor: actor.String()}, nil
}

// doorRefused counts a refused door token against the client's failed
// authentications, and returns err.
func (s *Server) doorRefused(r *http.Request, err error) error {
	if s.authFailures != nil && fault.Is(err, fault.Unauthorized) {
		if lerr := s.authFailures.take(s.client(r), s.clock.Now()); lerr != nil {
			return lerr
		}
	}
	return err
}

// doorDo runs a door's command, counting a refused device token.
func (s *Server) doorDo(r *http.Request, evID string, d boxoffice.Door, cmd boxoffice.Command, render office.Render) (office.Result, error) {
	res, err := s.offices.Do(r.Context(), evID, cmd, render)
	if err != nil && d.DeviceTokenHash != "" {
		err = s.doorRefused(r, err)
	}
	return res, err
}

func listID(r *http.Request) (string, error) {
	l := r.PathValue("list_id")
	if l != boxoffice.DefaultListID && !id.Valid(l, "cl", id.Short) {
		return "", fault.New(fault.NotFound, "check-in list not found")
	}
	return l, nil
}

// Lists.

type countsJSON struct {
	In       int `json:"in"`
	Out      int `json:"out"`
	Admitted int `json:"admitted"`
	Expected int `json:"expected"`
}

type checkinListJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	TicketTypeIDs []string   `json:"ticket_type_ids"`
	From          *time.Time `json:"from"`
	Until         *time.Time `json:"until"`
	ReEntry       bool       `json:"re_entry"`
	Counts        countsJSON `json:"counts"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func checkinListOf(st *boxoffice.State, l *boxoffice.CheckinList) checkinListJSON {
	c := st.Checkins().Count(l.ID)
	return checkinListJSON{ID: l.ID, Name: l.Name, TicketTypeIDs: append([]string{}, l.TicketTypeIDs...),
		From: optTime(l.From), Until: optTime(l.Until), ReEntry: l.ReEntry,
		Counts:    countsJSON{In: c.In, Out: c.Out, Admitted: c.Admitted, Expected: st.Expected(l)},
		CreatedAt: utc(l.CreatedAt), UpdatedAt: utc(l.UpdatedAt)}
}

func renderCheckinList(st *boxoffice.State, d boxoffice.Decision) any {
	return checkinListOf(st, st.CheckinList(d.Ref))
}

type checkinListIn struct {
	Name          opt[string]    `json:"name"`
	TicketTypeIDs opt[[]string]  `json:"ticket_type_ids"`
	From          opt[time.Time] `json:"from"`
	Until         opt[time.Time] `json:"until"`
	ReEntry       opt[bool]      `json:"re_entry"`
}

func (s *Server) createCheckinList(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	var in checkinListIn
	loc := "/api/v1/events/" + r.PathValue("event_id") + "/check-in-lists/"
	return s.organizerCommand(w, r, org, &in, http.StatusCreated, loc, func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		required(&f, "/name", &in.Name)
		notNull(&f, "/ticket_type_ids", &in.TicketTypeIDs)
		notNull(&f, "/re_entry", &in.ReEntry)
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		d := boxoffice.CheckinListDetails{Name: in.Name.V, TicketTypeIDs: in.TicketTypeIDs.V, ReEntry: in.ReEntry.V}
		if b := bound(&in.From); b != nil {
			d.From = *b
		}
		if b := bound(&in.Until); b != nil {
			d.Until = *b
		}
		return &boxoffice.CreateCheckinList{OrganizerID: org.ID, Actor: actorOf(r), ListID: id.New("cl", id.Short), Details: d, Idem: idem},
			renderCheckinList, nil
	})
}

func (s *Server) updateCheckinList(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	lID, err := listID(r)
	if err != nil {
		return err
	}
	var in checkinListIn
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(*boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		notNull(&f, "/name", &in.Name)
		notNull(&f, "/ticket_type_ids", &in.TicketTypeIDs)
		notNull(&f, "/re_entry", &in.ReEntry)
		if !in.Name.Set && !in.TicketTypeIDs.Set && !in.From.Set && !in.Until.Set && !in.ReEntry.Set && len(f) == 0 {
			f = append(f, fault.FieldError{Field: "", Message: "send at least one field to change"})
		}
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		p := boxoffice.CheckinListPatch{Name: in.Name.ptr(), From: bound(&in.From), Until: bound(&in.Until),
			ReEntry: in.ReEntry.ptr()}
		if in.TicketTypeIDs.Set {
			p.TicketTypeIDs = append([]string{}, in.TicketTypeIDs.V...)
		}
		return &boxoffice.UpdateCheckinList{OrganizerID: org.ID, ListID: lID, Patch: p, Actor: actorOf(r)}, renderCheckinList, nil
	})
}

// organizerRead renders from the state of an event of the organizer.
func (s *Server) organizerRead(r *http.Request, org sqlite.Organizer, render func(st *boxoffice.State) (any, error)) (any, error) {
	v, err := s.organizerView(r, org)
	if err != nil {
		return nil, err
	}
	var rerr error
	out, err := s.offices.Read(r.Context(), v.Event.ID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		var out any
		out, rerr = render(st)
		return out
	})
	if err != nil {
		return nil, err
	}
	return out, rerr
}

func (s *Server) listCheckinLists(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	out, err := s.organizerRead(r, org, func(st *boxoffice.State) (any, error) {
		lists := []checkinListJSON{}
		for _, l := range st.CheckinLists() {
			lists = append(lists, checkinListOf(st, l))
		}
		return map[string]any{"event_id": st.Event.ID, "lists": lists}, nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCheckinList(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	lID, err := listID(r)
	if err != nil {
		return err
	}
	out, err := s.organizerRead(r, org, func(st *boxoffice.State) (any, error) {
		l := st.CheckinList(lID)
		if l == nil {
			return nil, fault.New(fault.NotFound, "check-in list not found")
		}
		return checkinListOf(st, l), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// Scans.

type scanTicketJSON struct {
	ID             string `json:"id"`
	TicketTypeID   string `json:"ticket_type_id"`
	TicketTypeName string `json:"ticket_type_name"`
	Attendee       string `json:"attendee,omitempty"`
}

type scanRefJSON struct {
	ScannedAt  time.Time `json:"scanned_at"`
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name"`
}

type scanJSON struct {
	Result    checkin.Result    `json:"result"`
	ListID    string            `json:"list_id"`
	Direction checkin.Direction `json:"direction"`
	Nonce     string            `json:"nonce"`
	DeviceID  string            `json:"device_id"`
	ScannedAt time.Time         `json:"scanned_at"`
	Offline   bool              `json:"offline"`
	Ticket    *scanTicketJSON   `json:"ticket"`
	Previous  *scanRefJSON      `json:"previous,omitempty"`
	Conflict  bool              `json:"conflict"`
	Replayed  bool              `json:"replayed"`
}

// deviceName is what a scanner is called: a device's name, or Organizer.
func deviceName(st *boxoffice.State, deviceID string) string {
	if d := st.DoorDevice(deviceID); d != nil {
		return d.Name
	}
	return "Organizer"
}

func scanTicketOf(st *boxoffice.State, ticketID string) *scanTicketJSON {
	t := st.Ticket(ticketID)
	if t == nil {
		return nil
	}
	out := &scanTicketJSON{ID: t.ID, TicketTypeID: t.TicketTypeID, Attendee: t.Attendee}
	if tt := st.TicketType(t.TicketTypeID); tt != nil {
		out.TicketTypeName = tt.Name
	}
	return out
}

// scanOf renders the answer of the scan the device made with the nonce.
func scanOf(st *boxoffice.State, deviceID, nonce string, replayed bool) scanJSON {
	f := st.Checkins().Scan(deviceID, nonce)
	r := f.Record
	out := scanJSON{Result: r.Result, ListID: f.ListID, Direction: r.Direction, Nonce: r.Nonce, DeviceID: r.Device,
		ScannedAt: utc(r.At), Offline: r.Offline, Ticket: scanTicketOf(st, f.TicketID), Conflict: r.Conflict,
		Replayed: replayed}
	if p := f.Answer.Previous; p != nil {
		out.Previous = &scanRefJSON{ScannedAt: utc(p.At), DeviceID: p.Device, DeviceName: deviceName(st, p.Device)}
	}
	return out
}

type scanIn struct {
	Secret        opt[string]    `json:"secret"`
	Nonce         opt[string]    `json:"nonce"`
	Direction     opt[string]    `json:"direction"`
	ScannedAt     opt[time.Time] `json:"scanned_at"`
	OfflineResult opt[string]    `json:"offline_result"`
}

// MaxSecretBytes bounds what a door may send as a scanned code: a ticket
// secret is 178 characters; anything much longer is not one.
const MaxSecretBytes = 1024

// checkSecret checks a scanned code against the event's keys, off the box
// office's goroutine.
func checkSecret(v *boxoffice.View, secret string, now time.Time) boxoffice.SecretCheck {
	var used ticket.KeyID // the key the secret names
	keys := func(kid ticket.KeyID) (ed25519.PublicKey, bool) {
		used = kid
		for _, k := range v.Keys {
			if k.ID == kid.String() && k.RetiredAt.IsZero() {
				return ed25519.PublicKey(k.PublicKey), true
			}
		}
		return nil, false
	}
	c, err := ticket.Verify(secret, keys, now)
	switch {
	case err == nil, errors.Is(err, ticket.ErrNotYetValid), errors.Is(err, ticket.ErrExpired):
		// The validity is the check-in rules' to judge, with the list's.
	default:
		if ev, perr := ticket.EventOf(secret); perr == nil && ev != v.Event.ID {
			return boxoffice.SecretCheck{Refused: checkin.WrongEvent}
		}
		return boxoffice.SecretCheck{Refused: checkin.InvalidSignature}
	}
	if c.EventID != v.Event.ID {
		return boxoffice.SecretCheck{Refused: checkin.WrongEvent}
	}
	return boxoffice.SecretCheck{KeyID: used.String(), TicketID: c.TicketID, TicketTypeID: c.TicketTypeID,
		ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil}
}

// doorCommand reads what the doors' POSTs share: the event and list of
// the path, the door's credentials, and the body into in.
func (s *Server) doorCommand(w http.ResponseWriter, r *http.Request, in any) (evID, lID string, d boxoffice.Door, err error) {
	if evID, err = eventID(r); err != nil {
		return
	}
	if lID, err = listID(r); err != nil {
		return
	}
	if d, err = s.doorAuth(r); err != nil {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		return
	}
	err = decodeJSON(body, in)
	return
}

func (s *Server) scanTicket(w http.ResponseWriter, r *http.Request) error {
	var in scanIn
	evID, lID, d, err := s.doorCommand(w, r, &in)
	if err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/secret", &in.Secret)
	required(&f, "/nonce", &in.Nonce)
	notNull(&f, "/direction", &in.Direction)
	if len(in.Secret.V) > MaxSecretBytes {
		f = append(f, fault.FieldError{Field: "/secret", Message: "is far longer than a ticket's code"})
	}
	if in.ScannedAt.Set != in.OfflineResult.Set || in.ScannedAt.Null || in.OfflineResult.Null {
		f = append(f, fault.FieldError{Field: "/offline_result",
			Message: "scanned_at and offline_result go together: both for a scan decided offline, neither online"})
	}
	if err := fieldsErr(f); err != nil {
		return err
	}
	v, err := s.offices.View(r.Context(), evID)
	if err != nil {
		return err
	}
	if v == nil {
		return fault.New(fault.NotFound, "event not found")
	}
	now := s.clock.Now()
	cmd := &boxoffice.ScanTicket{Door: d, ListID: lID, Nonce: in.Nonce.V,
		Direction: checkin.Direction(cmp.Or(in.Direction.V, string(checkin.Entry))),
		Secret:    checkSecret(v, strings.TrimSpace(in.Secret.V), now)}
	if in.ScannedAt.Set {
		cmd.Offline, cmd.At, cmd.Decided = true, in.ScannedAt.V.UTC(), checkin.Result(in.OfflineResult.V)
	}
	res, err := s.doorDo(r, evID, d, cmd, func(st *boxoffice.State, dec boxoffice.Decision) any {
		_, by, _ := st.DoorOf(d) // it passed: the command was decided
		return scanOf(st, by, cmd.Nonce, dec.Replayed)
	})
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, res, "", res.Value)
}

func (s *Server) annulScan(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Nonce    opt[string] `json:"nonce"`
		DeviceID opt[string] `json:"device_id"`
	}
	evID, lID, d, err := s.doorCommand(w, r, &in)
	if err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/nonce", &in.Nonce)
	notNull(&f, "/device_id", &in.DeviceID)
	if d.DeviceTokenHash != "" && in.DeviceID.Set {
		f = append(f, fault.FieldError{Field: "/device_id", Message: "a door device annuls only its own scans: leave it out"})
	}
	if err := fieldsErr(f); err != nil {
		return err
	}
	cmd := &boxoffice.AnnulScan{Door: d, ListID: lID, DeviceID: cmp.Or(in.DeviceID.V, d.OrganizerID), Nonce: in.Nonce.V}
	res, err := s.doorDo(r, evID, d, cmd, func(st *boxoffice.State, dec boxoffice.Decision) any {
		_, by, _ := st.DoorOf(d)
		if d.OrganizerID != "" {
			by = cmd.DeviceID
		}
		return map[string]any{"annulled": true, "list_id": lID, "device_id": by, "nonce": cmd.Nonce}
	})
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, res, "", res.Value)
}

// The bundle.

type bundleJSON struct {
	Event       bundleEventJSON     `json:"event"`
	Device      *doorDeviceJSON     `json:"device"`
	GeneratedAt time.Time           `json:"generated_at"`
	Keys        []bundleKeyJSON     `json:"keys"`
	Revoked     []string            `json:"revoked"`
	TicketTypes []bundleTypeJSON    `json:"ticket_types"`
	Lists       []bundleListJSON    `json:"lists"`
	Tickets     []bundleTicketJSON  `json:"tickets"`
	Inside      map[string][]string `json:"inside"`
}

type bundleEventJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	TimeZone string    `json:"timezone"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

type bundleKeyJSON struct {
	ID        string `json:"id"`
	PublicKey string `json:"public_key"`
}

type bundleTypeJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type bundleListJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	TicketTypeIDs []string   `json:"ticket_type_ids"`
	From          *time.Time `json:"from"`
	Until         *time.Time `json:"until"`
	ReEntry       bool       `json:"re_entry"`
}

type bundleTicketJSON struct {
	ID           string `json:"id"`
	TicketTypeID string `json:"ticket_type_id"`
	Attendee     string `json:"attendee,omitempty"`
}

func bundleOf(st *boxoffice.State, dev *boxoffice.DoorDevice, now time.Time) bundleJSON {
	ev := st.Event
	b := bundleJSON{Event: bundleEventJSON{ID: ev.ID, Name: ev.Name, Venue: ev.Venue, TimeZone: ev.TimeZone,
		StartsAt: utc(ev.StartsAt), EndsAt: utc(ev.EndsAt)}, GeneratedAt: utc(now), Keys: []bundleKeyJSON{},
		Revoked: append([]string{}, st.Revoked...), TicketTypes: []bundleTypeJSON{}, Lists: []bundleListJSON{},
		Tickets: []bundleTicketJSON{}, Inside: map[string][]string{}}
	if dev != nil {
		d := doorDeviceOf(dev)
		b.Device = &d
	}
	for _, k := range st.Keys {
		if k.RetiredAt.IsZero() {
			b.Keys = append(b.Keys, bundleKeyJSON{ID: k.ID, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey)})
		}
	}
	for _, tt := range st.TicketTypes {
		b.TicketTypes = append(b.TicketTypes, bundleTypeJSON{ID: tt.ID, Name: tt.Name})
	}
	for _, l := range st.CheckinLists() {
		b.Lists = append(b.Lists, bundleListJSON{ID: l.ID, Name: l.Name, TicketTypeIDs: append([]string{}, l.TicketTypeIDs...),
			From: optTime(l.From), Until: optTime(l.Until), ReEntry: l.ReEntry})
		b.Inside[l.ID] = append([]string{}, st.Checkins().InsideList(l.ID)...)
	}
	for _, o := range st.Orders {
		for _, tid := range o.TicketIDs {
			if t := st.Ticket(tid); t != nil && t.Status == boxoffice.TicketValid {
				b.Tickets = append(b.Tickets, bundleTicketJSON{ID: t.ID, TicketTypeID: t.TicketTypeID, Attendee: t.Attendee})
			}
		}
	}
	return b
}

// doorBundle is what a scanner needs to decide offline.
func (s *Server) doorBundle(w http.ResponseWriter, r *http.Request) error {
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	d, err := s.doorAuth(r)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	out, err := s.offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if st.Event == nil {
			return fault.New(fault.NotFound, "event not found")
		}
		dev, _, err := st.DoorOf(d)
		if err != nil {
			return err
		}
		return bundleOf(st, dev, now)
	})
	if err == nil {
		err, _ = out.(error)
	}
	if err != nil {
		if d.DeviceTokenHash != "" {
			return s.doorRefused(r, err)
		}
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// For the organizer: conflicts and the scans of a ticket.

type scanRecordJSON struct {
	ListID     string            `json:"list_id"`
	DeviceID   string            `json:"device_id"`
	DeviceName string            `json:"device_name"`
	Nonce      string            `json:"nonce"`
	Direction  checkin.Direction `json:"direction"`
	ScannedAt  time.Time         `json:"scanned_at"`
	Offline    bool              `json:"offline"`
	Result     checkin.Result    `json:"result"`
	Conflict   bool              `json:"conflict"`
	Annulled   bool              `json:"annulled"`
}

func scanRecordOf(st *boxoffice.State, listID string, r *checkin.Record) scanRecordJSON {
	return scanRecordJSON{ListID: listID, DeviceID: r.Device, DeviceName: deviceName(st, r.Device), Nonce: r.Nonce,
		Direction: r.Direction, ScannedAt: utc(r.At), Offline: r.Offline, Result: r.Result, Conflict: r.Conflict,
		Annulled: r.Annulled}
}

func (s *Server) checkinConflicts(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	out, err := s.organizerRead(r, org, func(st *boxoffice.State) (any, error) {
		type conflictJSON struct {
			Ticket *scanTicketJSON `json:"ticket"`
			Scan   scanRecordJSON  `json:"scan"`
		}
		cs := []conflictJSON{}
		for _, c := range st.Checkins().Conflicts() {
			cs = append(cs, conflictJSON{Ticket: scanTicketOf(st, c.TicketID), Scan: scanRecordOf(st, c.ListID, c.Record)})
		}
		return map[string]any{"event_id": st.Event.ID, "conflicts": cs}, nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) ticketScans(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	tkID := r.PathValue("ticket_id")
	if !id.Valid(tkID, "tk", id.Short) {
		return fault.New(fault.NotFound, "ticket not found")
	}
	out, err := s.organizerRead(r, org, func(st *boxoffice.State) (any, error) {
		t := st.Ticket(tkID)
		if t == nil {
			return nil, fault.New(fault.NotFound, "ticket not found")
		}
		scans := []scanRecordJSON{}
		for _, l := range st.CheckinLists() {
			for _, rec := range st.Checkins().Scans(l.ID, tkID) {
				scans = append(scans, scanRecordOf(st, l.ID, rec))
			}
		}
		slices.SortStableFunc(scans, func(a, b scanRecordJSON) int { return a.ScannedAt.Compare(b.ScannedAt) })
		inside := []string{}
		for _, l := range st.CheckinLists() {
			if st.Checkins().Inside(l.ID, tkID) {
				inside = append(inside, l.ID)
			}
		}
		return map[string]any{"ticket": scanTicketOf(st, tkID), "status": t.Status, "inside": inside, "scans": scans}, nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// Door devices.

type doorDeviceJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func doorDeviceOf(d *boxoffice.DoorDevice) doorDeviceJSON {
	return doorDeviceJSON{ID: d.ID, Name: d.Name, CreatedAt: utc(d.CreatedAt), RevokedAt: optTime(d.RevokedAt)}
}

type newDoorDeviceJSON struct {
	doorDeviceJSON
	Token      string `json:"token"`
	SetupURL   string `json:"setup_url"`
	SetupQRSVG string `json:"setup_qr_svg"`
}

func (s *Server) createDoorDevice(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if _, present := r.Header["Idempotency-Key"]; present {
		return fault.Coded(fault.Invalid, "idempotency-key-invalid",
			"creating a door device takes no Idempotency-Key: its token is shown once and never stored, so it cannot be replayed; "+
				"if an answer is lost, list the devices and revoke the one you did not get")
	}
	var in struct {
		Name opt[string] `json:"name"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/name", &in.Name)
	if err := fieldsErr(f); err != nil {
		return err
	}
	token := id.Token(DoorTokenPrefix)
	cmd := &boxoffice.AddDoorDevice{OrganizerID: org.ID, Actor: actorOf(r), DeviceID: id.New("dd", id.Short), Name: in.Name.V,
		TokenHash: organizer.HashToken(token)}
	res, err := s.offices.Do(r.Context(), evID, cmd, func(st *boxoffice.State, d boxoffice.Decision) any {
		return doorDeviceOf(st.DoorDevice(d.Ref))
	})
	if err != nil {
		return err
	}
	setup := s.links.URL(links.DoorSetup(evID, token))
	svg, err := qr.SVG(setup, "Set up door device "+in.Name.V)
	if err != nil {
		return err
	}
	out := newDoorDeviceJSON{doorDeviceJSON: res.Value.(doorDeviceJSON), Token: token, SetupURL: setup,
		SetupQRSVG: string(svg)}
	return s.writeResult(w, http.StatusCreated, res, "/api/v1/events/"+evID+"/door-devices/"+cmd.DeviceID, out)
}

func (s *Server) listDoorDevices(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	out, err := s.organizerRead(r, org, func(st *boxoffice.State) (any, error) {
		ds := []doorDeviceJSON{}
		for _, d := range st.DoorDevices() {
			ds = append(ds, doorDeviceOf(d))
		}
		return map[string]any{"event_id": st.Event.ID, "devices": ds}, nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeDoorDevice(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	ddID := r.PathValue("device_id")
	if !id.Valid(ddID, "dd", id.Short) {
		return fault.New(fault.NotFound, "door device not found")
	}
	var in struct{}
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(*boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		return &boxoffice.RevokeDoorDevice{OrganizerID: org.ID, DeviceID: ddID, Actor: actorOf(r)},
			func(st *boxoffice.State, d boxoffice.Decision) any { return doorDeviceOf(st.DoorDevice(d.Ref)) }, nil
	})
}
