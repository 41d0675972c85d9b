package boxoffice

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/checkin"
	"github.com/admit-org/admit/internal/fault"
)

// Check-in: the event's check-in lists, its door devices, and every scan
// of a ticket at a door. The rules of admitting are internal/checkin's;
// this family of facts keeps them in the event's one state, next to the
// tickets they admit.

// DefaultListID is the check-in list every event has from its creation:
// every ticket type, no window, no re-entry.
const DefaultListID = "default"

// Limits of check-in.
const (
	MaxCheckinLists = 50
	MaxDoorDevices  = 500
	// MaxScanSkew is how far in the future an offline scan's time may be
	// (a device's clock running fast); later ones are refused.
	MaxScanSkew = 10 * time.Minute
)

// CheckinList is a door's rules: which ticket types it admits, when, and
// whether people may go out and in again.
type CheckinList struct {
	ID string `json:"id"`
	CheckinListDetails
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CheckinListDetails are a check-in list's editable details.
type CheckinListDetails struct {
	Name string `json:"name"`
	// TicketTypeIDs are the ticket types it admits; none: every one.
	TicketTypeIDs []string `json:"ticket_type_ids"`
	// From and Until bound its entry window; zero: open on that side.
	From    time.Time `json:"from,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	ReEntry bool      `json:"re_entry,omitempty"`
}

// Rules returns the list as the check-in core decides by it.
func (l *CheckinList) Rules() *checkin.List {
	return &checkin.List{ID: l.ID, Name: l.Name, TicketTypes: l.TicketTypeIDs, From: l.From, Until: l.Until,
		ReEntry: l.ReEntry}
}

// DoorDevice is a credential for the doors of one event: it scans the
// event's lists and fetches its offline bundle, nothing else.
// DoorTokenPrefix starts every door device's token, so secret scanners can
// spot them and the API tells them from organizers' tokens.
const DoorTokenPrefix = "admitdoor_"

type DoorDevice struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	TokenHash string    `json:"token_hash"` // hex SHA-256 of its token; the token itself is never stored
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Commands about check-in.

// CreateCheckinList adds a check-in list. ListID is chosen by the caller.
type CreateCheckinList struct {
	OrganizerID string
	ListID      string
	Details     CheckinListDetails
	Idem        *IdemStamp
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// CheckinListPatch holds the list details to change; nil fields stay.
type CheckinListPatch struct {
	Name          *string
	TicketTypeIDs []string // nil: unchanged
	From, Until   *time.Time
	ReEntry       *bool
}

// UpdateCheckinList changes some of a list's details.
type UpdateCheckinList struct {
	OrganizerID string
	ListID      string
	Patch       CheckinListPatch
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// AddDoorDevice makes a door credential. DeviceID and the hash of its
// token are chosen by the caller, who shows the token once.
type AddDoorDevice struct {
	OrganizerID string
	DeviceID    string
	Name        string
	TokenHash   string
	Idem        *IdemStamp
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// RevokeDoorDevice ends a door credential. Its scans stay recorded.
type RevokeDoorDevice struct {
	OrganizerID string
	DeviceID    string
	Actor       string // who asks ("member:…", "token:…", "system"), recorded in the entry
}

// Door is who scans: a door device by its token's hash, or the event's
// organizer. Exactly one is set.
type Door struct {
	DeviceTokenHash string
	OrganizerID     string
	Actor           string // with OrganizerID: the organizer's token or member, as the ledger names it
}

// SecretCheck is what checking a ticket's secret found, done by the caller
// (off the box office's goroutine: an Ed25519 verification is the costly
// part of a scan) with the event's keys.
type SecretCheck struct {
	// Refused is checkin.InvalidSignature or checkin.WrongEvent when the
	// secret is not one of this event's; "" when it verified.
	Refused checkin.Result
	// What the secret says, when it verified.
	KeyID, TicketID, TicketTypeID string
	ValidFrom, ValidUntil         time.Time
}

// ScanTicket records a scan of a ticket at a door and answers it.
// Online scans are decided now; an offline one (Offline) was decided on the
// device at At, which answered Decided, and is recorded late.
type ScanTicket struct {
	Door      Door
	ListID    string
	Nonce     string
	Direction checkin.Direction
	Secret    SecretCheck
	Offline   bool
	At        time.Time // offline only
	Decided   checkin.Result
}

// AnnulScan takes back a mistaken scan: a device its own, the organizer any
// device's (DeviceID).
type AnnulScan struct {
	Door     Door
	ListID   string
	DeviceID string // the organizer's choice; a device annuls its own
	Nonce    string
}

func (*CreateCheckinList) command() {}
func (*UpdateCheckinList) command() {}
func (*AddDoorDevice) command()     {}
func (*RevokeDoorDevice) command()  {}
func (*ScanTicket) command()        {}
func (*AnnulScan) command()         {}

// Entries about check-in.

// CheckinListCreated: a new check-in list.
type CheckinListCreated struct {
	ListID string `json:"list_id"`
	CheckinListDetails
	Idem  *IdemStamp `json:"idempotency,omitempty"`
	Actor string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// CheckinListUpdated: a list's details changed; it carries all of them.
type CheckinListUpdated struct {
	ListID string `json:"list_id"`
	CheckinListDetails
	Actor string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// DoorDeviceAdded: a door credential exists.
type DoorDeviceAdded struct {
	DeviceID  string     `json:"device_id"`
	Name      string     `json:"name"`
	TokenHash string     `json:"token_hash"`
	Idem      *IdemStamp `json:"idempotency,omitempty"`
	Actor     string     `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// DoorDeviceRevoked: the credential no longer scans.
type DoorDeviceRevoked struct {
	DeviceID string `json:"device_id"`
	Actor    string `json:"actor,omitempty"` // who made the change ("member:…", "token:…", "system"); "" before actors were recorded
}

// ScanRef names an earlier scan.
type ScanRef struct {
	DeviceID  string    `json:"device_id"`
	ScannedAt time.Time `json:"scanned_at"`
}

// TicketScanned: a door scanned a ticket (or something that was not one)
// and got Result. A scan decided on a device offline carries what the
// device answered; Conflict marks one the doors should not have let in.
type TicketScanned struct {
	ListID        string            `json:"list_id"`
	DeviceID      string            `json:"device_id"`
	Nonce         string            `json:"nonce"`
	Direction     checkin.Direction `json:"direction"`
	ScannedAt     time.Time         `json:"scanned_at"`
	Offline       bool              `json:"offline,omitempty"`
	OfflineResult checkin.Result    `json:"offline_result,omitempty"`
	Result        checkin.Result    `json:"result"`
	TicketID      string            `json:"ticket_id,omitempty"`
	TicketTypeID  string            `json:"ticket_type_id,omitempty"`
	Conflict      bool              `json:"conflict,omitempty"`
	Previous      *ScanRef          `json:"previous,omitempty"` // the admission that made it already_checked_in
	Actor         string            `json:"actor,omitempty"`    // who scanned ("device:…", "token:…", "member:…"); "" before actors were recorded
}

// ScanAnnulled: a scan no longer counts.
type ScanAnnulled struct {
	ListID   string `json:"list_id"`
	DeviceID string `json:"device_id"`
	Nonce    string `json:"nonce"`
	TicketID string `json:"ticket_id,omitempty"`
	By       string `json:"by"`              // the device or organizer that annulled it
	Actor    string `json:"actor,omitempty"` // who annulled it ("device:…", "token:…", "member:…"); "" before actors were recorded
}

func (*CheckinListCreated) Type() string { return "admit.checkin.list_created.v1" }
func (*CheckinListUpdated) Type() string { return "admit.checkin.list_updated.v1" }
func (*DoorDeviceAdded) Type() string    { return "admit.checkin.device_added.v1" }
func (*DoorDeviceRevoked) Type() string  { return "admit.checkin.device_revoked.v1" }
func (*TicketScanned) Type() string      { return "admit.checkin.scanned.v1" }
func (*ScanAnnulled) Type() string       { return "admit.checkin.annulled.v1" }

func (e *CheckinListCreated) Subject() string { return "check-in-lists/" + e.ListID }
func (e *CheckinListUpdated) Subject() string { return "check-in-lists/" + e.ListID }
func (e *DoorDeviceAdded) Subject() string    { return "door-devices/" + e.DeviceID }
func (e *DoorDeviceRevoked) Subject() string  { return "door-devices/" + e.DeviceID }
func (e *TicketScanned) Subject() string      { return scanSubject(e.ListID, e.TicketID) }
func (e *ScanAnnulled) Subject() string       { return scanSubject(e.ListID, e.TicketID) }

// scanSubject: a scan is about its ticket; one of no ticket, its list.
func scanSubject(listID, ticketID string) string {
	if ticketID != "" {
		return "tickets/" + ticketID
	}
	return "check-in-lists/" + listID
}

// doorState is what the state keeps of check-in.
type doorState struct {
	lists   []*CheckinList // in creation order, the default list first
	byID    map[string]*CheckinList
	devices []*DoorDevice // in creation order
	device  map[string]*DoorDevice
	byToken map[string]*DoorDevice // by token hash
	book    checkin.Book
	// log is every scan and annulment in the order applied: a snapshot
	// carries it, and loading one applies it again to rebuild the book.
	log []doorLogged
}

type doorLogged struct {
	Scan  *TicketScanned `json:"scan,omitempty"`
	Annul *ScanAnnulled  `json:"annul,omitempty"`
}

func newDoorState() doorState {
	return doorState{byID: make(map[string]*CheckinList), device: make(map[string]*DoorDevice),
		byToken: make(map[string]*DoorDevice)}
}

// CheckinLists returns the event's check-in lists, in creation order.
func (s *State) CheckinLists() []*CheckinList { return s.door.lists }

// CheckinList returns the list with the id, or nil.
func (s *State) CheckinList(id string) *CheckinList { return s.door.byID[id] }

// DoorDevices returns the event's door devices, in creation order.
func (s *State) DoorDevices() []*DoorDevice { return s.door.devices }

// DoorDevice returns the device with the id, or nil.
func (s *State) DoorDevice(id string) *DoorDevice { return s.door.device[id] }

// DeviceByToken returns the device whose token hashes to hash if it is not
// revoked, or nil.
func (s *State) DeviceByToken(hash string) *DoorDevice {
	if d := s.door.byToken[hash]; d != nil && d.RevokedAt.IsZero() {
		return d
	}
	return nil
}

// Checkins is the record of the doors: counts, scans, conflicts. It
// belongs to the state; read it on the box office's goroutine.
func (s *State) Checkins() *checkin.Book { return &s.door.book }

// Expected counts the valid tickets the list admits.
func (s *State) Expected(l *CheckinList) int {
	n := 0
	for _, t := range s.tickets {
		if t.Status == TicketValid && l.Rules().Admits(t.TicketTypeID) {
			n++
		}
	}
	return n
}

// DoorOf checks who is scanning: the device (nil for the organizer) and
// the id its scans are recorded under. Errors: Unauthorized for a device
// token that is unknown or revoked; NotFound for another organizer's
// event.
func (s *State) DoorOf(d Door) (*DoorDevice, string, error) {
	if d.OrganizerID != "" {
		if err := s.organizerEvent(d.OrganizerID); err != nil {
			return nil, "", err
		}
		return nil, d.OrganizerID, nil
	}
	dev := s.DeviceByToken(d.DeviceTokenHash)
	if dev == nil || s.Event == nil {
		return nil, "", fault.New(fault.Unauthorized, "the door token is not valid for this event (unknown or revoked)")
	}
	return dev, dev.ID, nil
}

// doorActor is who the entries of door d's scan record as its actor.
func doorActor(dev *DoorDevice, d Door) string {
	if dev != nil {
		return access.DeviceActor(dev.ID)
	}
	return cmp.Or(d.Actor, access.SystemActor)
}

func (f *fieldErrs) checkinList(s *State, d *CheckinListDetails) {
	f.text("/name", d.Name, 1, 200)
	if len(d.TicketTypeIDs) > MaxTicketTypes {
		f.add("/ticket_type_ids", "must list at most "+strconv.Itoa(MaxTicketTypes)+" ticket types")
	}
	for i, id := range d.TicketTypeIDs {
		field := "/ticket_type_ids/" + strconv.Itoa(i)
		if s.ticketTypes[id] == nil {
			f.add(field, "no such ticket type in this event")
		}
		if slices.Contains(d.TicketTypeIDs[:i], id) {
			f.add(field, "is listed twice")
		}
	}
	if !d.From.IsZero() {
		f.eventTime("/from", d.From)
	}
	if !d.Until.IsZero() {
		f.eventTime("/until", d.Until)
		if !d.From.IsZero() && !d.Until.After(d.From) {
			f.add("/until", "must be after from")
		}
	}
}

func (s *State) changeable(organizerID string) error {
	if err := s.organizerEvent(organizerID); err != nil {
		return err
	}
	if s.Event.Status == Cancelled {
		return fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	return nil
}

func (s *State) decideCreateCheckinList(c *CreateCheckinList, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if err := s.changeable(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if s.door.byID[c.ListID] != nil {
		return Decision{}, fault.New(fault.Conflict, "check-in list %s already exists", c.ListID)
	}
	if len(s.door.lists) >= MaxCheckinLists {
		return Decision{}, fault.New(fault.Conflict, "an event can have at most %d check-in lists", MaxCheckinLists)
	}
	d := c.Details
	d.TicketTypeIDs = append([]string{}, d.TicketTypeIDs...)
	var f fieldErrs
	f.checkinList(s, &d)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&CheckinListCreated{Actor: c.Actor, ListID: c.ListID, CheckinListDetails: d, Idem: c.Idem}, c.ListID)
}

func (s *State) decideUpdateCheckinList(c *UpdateCheckinList) (Decision, error) {
	if err := s.changeable(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	l := s.door.byID[c.ListID]
	if l == nil {
		return Decision{}, fault.New(fault.NotFound, "check-in list not found")
	}
	d := l.CheckinListDetails
	set(&d.Name, c.Patch.Name)
	set(&d.From, c.Patch.From)
	set(&d.Until, c.Patch.Until)
	set(&d.ReEntry, c.Patch.ReEntry)
	d.TicketTypeIDs = append([]string{}, d.TicketTypeIDs...)
	if c.Patch.TicketTypeIDs != nil {
		d.TicketTypeIDs = append([]string{}, c.Patch.TicketTypeIDs...)
	}
	var f fieldErrs
	f.checkinList(s, &d)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&CheckinListUpdated{Actor: c.Actor, ListID: l.ID, CheckinListDetails: d}, l.ID)
}

func (s *State) decideAddDoorDevice(c *AddDoorDevice, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if err := s.changeable(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	var f fieldErrs
	f.text("/name", c.Name, 1, 100)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	switch {
	case len(c.TokenHash) != 64:
		return Decision{}, fault.New(fault.Internal, "boxoffice: a door token's hash is 64 hex digits")
	case s.door.device[c.DeviceID] != nil || s.door.byToken[c.TokenHash] != nil:
		return Decision{}, fault.New(fault.Conflict, "door device %s already exists", c.DeviceID)
	case len(s.door.devices) >= MaxDoorDevices:
		return Decision{}, fault.New(fault.Conflict, "an event can have at most %d door devices", MaxDoorDevices)
	}
	return one(&DoorDeviceAdded{Actor: c.Actor, DeviceID: c.DeviceID, Name: c.Name, TokenHash: c.TokenHash, Idem: c.Idem}, c.DeviceID)
}

func (s *State) decideRevokeDoorDevice(c *RevokeDoorDevice) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	d := s.door.device[c.DeviceID]
	switch {
	case d == nil:
		return Decision{}, fault.New(fault.NotFound, "door device not found")
	case !d.RevokedAt.IsZero():
		return Decision{Ref: d.ID, Unchanged: true}, nil
	}
	return one(&DoorDeviceRevoked{Actor: c.Actor, DeviceID: d.ID}, d.ID)
}

// checkinTicket is the ticket as the check-in core sees it, nil when the
// event has none with the id.
func (s *State) checkinTicket(sc *SecretCheck) *checkin.Ticket {
	t := s.tickets[sc.TicketID]
	if t == nil {
		return nil
	}
	ct := &checkin.Ticket{ID: t.ID, TicketTypeID: t.TicketTypeID, Attendee: t.Attendee, ValidFrom: sc.ValidFrom,
		ValidUntil: sc.ValidUntil}
	if t.Status != TicketValid {
		ct.Status = checkin.Void
	}
	return ct
}

func (s *State) decideScanTicket(c *ScanTicket, now time.Time) (Decision, error) {
	dev, by, err := s.DoorOf(c.Door)
	if err != nil {
		return Decision{}, err
	}
	l := s.door.byID[c.ListID]
	if l == nil {
		return Decision{}, fault.New(fault.NotFound, "check-in list not found")
	}
	var f fieldErrs
	if !validNonce(c.Nonce) {
		f.add("/nonce", "must be 1 to 64 characters of A–Z, a–z, 0–9, _ and -")
	}
	if c.Direction != checkin.Entry && c.Direction != checkin.Exit {
		f.add("/direction", "must be entry or exit")
	}
	at := now
	if c.Offline {
		at = c.At
		if at.After(now.Add(MaxScanSkew)) {
			f.add("/scanned_at", "is in the future: check the device's clock")
		}
		if !knownResult(c.Decided) {
			f.add("/offline_result", "is not a scan result")
		}
	}
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	sc := c.Secret
	if sc.Refused == "" {
		// The secret verified with a key the caller had; retired since, it
		// no longer admits.
		if k := s.Key(sc.KeyID); k == nil || !k.RetiredAt.IsZero() {
			sc = SecretCheck{Refused: checkin.InvalidSignature}
		}
	}
	scan := checkin.Scan{Nonce: c.Nonce, Device: by, Direction: c.Direction, At: at.UTC(), Offline: c.Offline,
		Decided: c.Decided}
	a := s.door.book.Decide(l.Rules(), sc.TicketID, s.checkinTicket(&sc), sc.Refused, scan)
	if a.Replayed {
		return Decision{Ref: c.Nonce, Replayed: true}, nil
	}
	e := &TicketScanned{ListID: l.ID, DeviceID: by, Nonce: c.Nonce, Direction: c.Direction, ScannedAt: scan.At,
		Offline: c.Offline, Result: a.Result, TicketID: a.TicketID, TicketTypeID: a.TicketTypeID, Conflict: a.Conflict,
		Actor: doorActor(dev, c.Door)}
	if c.Offline {
		e.OfflineResult = c.Decided
	}
	if a.Previous != nil {
		e.Previous = &ScanRef{DeviceID: a.Previous.Device, ScannedAt: a.Previous.At}
	}
	return one(e, c.Nonce)
}

func (s *State) decideAnnulScan(c *AnnulScan) (Decision, error) {
	dev, by, err := s.DoorOf(c.Door)
	if err != nil {
		return Decision{}, err
	}
	deviceID := c.DeviceID
	if dev != nil {
		deviceID = dev.ID // a device annuls only its own scans
	}
	r := s.door.book.Scan(deviceID, c.Nonce)
	if r == nil || r.ListID != c.ListID {
		return Decision{}, fault.New(fault.NotFound, "no scan with this nonce from this device on this list")
	}
	if r.Record.Annulled {
		return Decision{Ref: c.Nonce, Unchanged: true}, nil
	}
	return one(&ScanAnnulled{ListID: c.ListID, DeviceID: deviceID, Nonce: c.Nonce, TicketID: r.TicketID, By: by,
		Actor: doorActor(dev, c.Door)}, c.Nonce)
}

// validNonce: 1–64 of A–Z a–z 0–9 _ -.
func validNonce(n string) bool {
	if len(n) == 0 || len(n) > 64 {
		return false
	}
	for _, c := range []byte(n) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// knownResult reports whether r is one of the scan results.
func knownResult(r checkin.Result) bool { return slices.Contains(checkin.Results, r) }

// Applying check-in entries.

func (s *State) applyCheckinEntry(e Entry, at time.Time) error {
	switch e := e.(type) {
	case *CheckinListCreated:
		if s.Event == nil || s.door.byID[e.ListID] != nil {
			return errApply(e, "cannot create list %s", e.ListID)
		}
		s.addList(&CheckinList{ID: e.ListID, CheckinListDetails: e.CheckinListDetails, CreatedAt: at, UpdatedAt: at})
		s.remember(e.Idem, e.ListID, at)
	case *CheckinListUpdated:
		l := s.door.byID[e.ListID]
		if l == nil {
			return errApply(e, "no list %s", e.ListID)
		}
		l.CheckinListDetails, l.UpdatedAt = e.CheckinListDetails, at
	case *DoorDeviceAdded:
		if s.Event == nil || s.door.device[e.DeviceID] != nil || s.door.byToken[e.TokenHash] != nil {
			return errApply(e, "cannot add device %s", e.DeviceID)
		}
		s.addDevice(&DoorDevice{ID: e.DeviceID, Name: e.Name, TokenHash: e.TokenHash, CreatedAt: at})
		s.remember(e.Idem, e.DeviceID, at)
	case *DoorDeviceRevoked:
		d := s.door.device[e.DeviceID]
		if d == nil || !d.RevokedAt.IsZero() {
			return errApply(e, "device %s cannot be revoked", e.DeviceID)
		}
		d.RevokedAt = at
	case *TicketScanned:
		return s.applyScan(e)
	case *ScanAnnulled:
		return s.applyAnnul(e)
	default:
		return fmt.Errorf("boxoffice: apply: unknown entry %T", e)
	}
	return nil
}

func (s *State) applyScan(e *TicketScanned) error {
	l := s.door.byID[e.ListID]
	if l == nil {
		return errApply(e, "no list %s", e.ListID)
	}
	scan := checkin.Scan{Nonce: e.Nonce, Device: e.DeviceID, Direction: e.Direction, At: e.ScannedAt,
		Offline: e.Offline, Decided: e.OfflineResult}
	a := checkin.Answer{Result: e.Result, TicketID: e.TicketID, TicketTypeID: e.TicketTypeID, Conflict: e.Conflict}
	if t := s.tickets[e.TicketID]; t != nil {
		a.Attendee = t.Attendee
	}
	if e.Previous != nil {
		a.Previous = &checkin.Record{Device: e.Previous.DeviceID, At: e.Previous.ScannedAt, Direction: checkin.Entry,
			Result: checkin.OK}
	}
	s.door.book.Apply(l.Rules(), e.TicketID, scan, a)
	s.door.log = append(s.door.log, doorLogged{Scan: e})
	return nil
}

func (s *State) applyAnnul(e *ScanAnnulled) error {
	if !s.door.book.Annul(e.DeviceID, e.Nonce) {
		return errApply(e, "no scan %s of device %s", e.Nonce, e.DeviceID)
	}
	s.door.log = append(s.door.log, doorLogged{Annul: e})
	return nil
}

func (s *State) addList(l *CheckinList) {
	s.door.lists = append(s.door.lists, l)
	s.door.byID[l.ID] = l
}

func (s *State) addDevice(d *DoorDevice) {
	s.door.devices = append(s.door.devices, d)
	s.door.device[d.ID] = d
	s.door.byToken[d.TokenHash] = d
}

// addDefaultList gives a new event its default list.
func (s *State) addDefaultList(at time.Time) {
	s.addList(&CheckinList{ID: DefaultListID, CheckinListDetails: CheckinListDetails{Name: "Everyone",
		TicketTypeIDs: []string{}}, CreatedAt: at, UpdatedAt: at})
}

// loadDoor restores what a snapshot head keeps of check-in: its lists and
// devices, and the book rebuilt from the scans and annulments.
func (s *State) loadDoor(head *snapshotHead) error {
	for _, l := range head.CheckinLists {
		if l == nil || s.door.byID[l.ID] != nil {
			return errors.New("a check-in list is null or twice")
		}
		s.addList(l)
	}
	if s.Event != nil && s.door.byID[DefaultListID] == nil {
		s.addDefaultList(s.Event.CreatedAt) // a snapshot from before check-in
	}
	for _, d := range head.DoorDevices {
		if d == nil || s.door.device[d.ID] != nil {
			return errors.New("a door device is null or twice")
		}
		s.addDevice(d)
	}
	for _, e := range head.DoorLog {
		var err error
		switch {
		case e.Scan != nil:
			err = s.applyScan(e.Scan)
		case e.Annul != nil:
			err = s.applyAnnul(e.Annul)
		default:
			err = errors.New("an empty door log entry")
		}
		if err != nil {
			return err
		}
	}
	return nil
}
