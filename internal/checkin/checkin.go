// Package checkin decides admissions at the door: which scans of an
// event's tickets let someone in, once each, by the rules of the event's
// check-in lists. It is the pure core the box office runs online and the
// scanner's offline rules mirror: no I/O and no clock (every time is
// given), and deciding is apart from recording, as in the box office:
// Decide answers a scan from the book as it is, Apply records the answer
// (the ledger entry), so replaying the entries rebuilds the book.
//
// A ticket is inside a list from an admitted entry until an exit; a list
// without re-entry records no exits, so it admits each ticket once. Which
// records stand is a fold of a ticket's records in time order, so an
// annulled admission takes the exit that followed it with it. Scans
// decided on a device while offline arrive late, with the time they were
// made: one that let a ticket in while it was already inside (another door
// admitted it meanwhile) is recorded as a conflict for the organizer, and
// does not count as a second admission.
package checkin

import (
	"cmp"
	"slices"
	"time"
)

// Result is the answer to a scan, as the door shows it.
type Result string

// The results.
const (
	OK               Result = "ok"                 // let them in (or out)
	AlreadyCheckedIn Result = "already_checked_in" // inside already: Answer.Previous says since when, at which device
	Revoked          Result = "revoked"            // refunded or cancelled
	NotPaid          Result = "not_paid"           // its order is not paid
	WrongList        Result = "wrong_list"         // the list does not admit its ticket type
	NotYetValid      Result = "not_yet_valid"      // before the ticket's validity or the list's entry window
	Expired          Result = "expired"            // after them
	InvalidSignature Result = "invalid_signature"  // not a secret the event signed: forged, altered, or of a retired key
	UnknownTicket    Result = "unknown_ticket"     // signed, yet the event has no such ticket
	WrongEvent       Result = "wrong_event"        // a ticket of another event
	NotCheckedIn     Result = "not_checked_in"     // an exit of a ticket that is not inside
	ExitNotAllowed   Result = "exit_not_allowed"   // an exit on a list without re-entry
)

// Results lists every result.
var Results = []Result{OK, AlreadyCheckedIn, Revoked, NotPaid, WrongList, NotYetValid, Expired, InvalidSignature,
	UnknownTicket, WrongEvent, NotCheckedIn, ExitNotAllowed}

// Direction is whether a scan lets someone in or out.
type Direction string

// The directions.
const (
	Entry Direction = "entry"
	Exit  Direction = "exit"
)

// List is a check-in list: which tickets it admits, and when.
type List struct {
	ID   string
	Name string
	// TicketTypes are the ticket types it admits; none: every one.
	TicketTypes []string
	// From and Until bound its entry window; the zero time leaves that
	// side open.
	From, Until time.Time
	// ReEntry records exits: a ticket that went out may come in again.
	ReEntry bool
}

// Admits reports whether the list admits tickets of the type.
func (l *List) Admits(ticketType string) bool {
	return len(l.TicketTypes) == 0 || slices.Contains(l.TicketTypes, ticketType)
}

// Status is what became of a ticket.
type Status uint8

// The statuses.
const (
	Valid  Status = iota
	Void          // refunded or cancelled
	Unpaid        // its order awaits payment
)

// Ticket is what the event knows of a ticket.
type Ticket struct {
	ID, TicketTypeID, Attendee string
	Status                     Status
	// ValidFrom and ValidUntil are the ticket's own validity (the
	// event's, as its secret carries it); zero: open on that side.
	ValidFrom, ValidUntil time.Time
}

// Scan is one scan as a door sends it.
type Scan struct {
	// Nonce is the door's own id of the scan: the same nonce again from
	// the same device is the same scan (a retry), answered alike and
	// recorded once.
	Nonce     string
	Device    string
	Direction Direction
	At        time.Time // when it was made: now online; the device's time offline
	// Offline scans were decided on the device and uploaded later:
	// Decided is what the device answered.
	Offline bool
	Decided Result
}

// Answer is what a scan gets.
type Answer struct {
	Result Result
	// The ticket scanned, when the event knows it.
	TicketID, TicketTypeID, Attendee string
	// Previous is the admission that makes it AlreadyCheckedIn.
	Previous *Record
	// Conflict marks an offline admission of a ticket that was inside
	// already: both doors let someone in. It is recorded, not counted.
	Conflict bool
	// Replayed: the nonce was seen before; this is its first answer.
	Replayed bool
}

// Record is a recorded scan of a ticket on a list.
type Record struct {
	Nonce     string    `json:"nonce"`
	Device    string    `json:"device"`
	Direction Direction `json:"direction"`
	At        time.Time `json:"at"`
	Offline   bool      `json:"offline,omitempty"`
	Result    Result    `json:"result"`
	Conflict  bool      `json:"conflict,omitempty"`
	Annulled  bool      `json:"annulled,omitempty"`
}

// eligible reports whether the record may stand: accepted, not a
// conflict, not annulled.
func (r *Record) eligible() bool { return r.Result == OK && !r.Conflict && !r.Annulled }

// walk folds a ticket's records in time order from outside: an eligible
// entry stands while the ticket is outside, and takes it in; an eligible
// exit stands while it is inside, and takes it out; nothing else stands
// (an exit whose admission was annulled, say). fn gets every record with
// whether it stands, and whether the ticket is inside after it; it returns
// false to stop.
func walk(recs []*Record, fn func(r *Record, stands, inside bool) bool) {
	inside := false
	for _, r := range recs {
		stands := r.eligible() && (r.Direction == Entry) != inside
		if stands {
			inside = !inside
		}
		if !fn(r, stands, inside) {
			return
		}
	}
}

// Book is what a list's doors recorded, for every list of an event. The
// zero value is empty and ready.
type Book struct {
	scans  map[key][]*Record   // per list and ticket, in time order
	nonces map[nonceKey]nonced // every scan by its device and nonce, with its answer
}

type key struct{ list, ticket string }

// nonceKey names a scan: nonces are the devices' own, so one device cannot
// replay another's scan.
type nonceKey struct{ device, nonce string }

// nonced is a recorded scan found by its nonce.
type nonced struct {
	key    key
	record *Record
	answer Answer
}

// Decide answers scan s of ticket t (nil: the event has none with the
// secret's ticket id, ticketID) on list l. signature is what checking the
// secret found: "" when it is the event's, InvalidSignature or WrongEvent
// otherwise. It changes nothing: Apply records the answer.
func (b *Book) Decide(l *List, ticketID string, t *Ticket, signature Result, s Scan) Answer {
	if n, ok := b.nonces[nonceKey{s.Device, s.Nonce}]; ok && s.Nonce != "" {
		a := n.answer
		a.Replayed = true
		return a
	}
	if signature != "" {
		return Answer{Result: signature}
	}
	if t == nil {
		return Answer{Result: UnknownTicket, TicketID: ticketID}
	}
	a := Answer{TicketID: t.ID, TicketTypeID: t.TicketTypeID, Attendee: t.Attendee}
	a.Result = refusal(l, t, s.At)
	if s.Offline && s.Decided != OK {
		a.Result = s.Decided // the device refused: so be it
		return a
	}
	if a.Result != "" {
		if s.Offline {
			// The device let in a ticket the event would not have (revoked
			// before the scan, of another type): recorded, not counted.
			a.Conflict = true
		}
		return a
	}
	recs := b.scans[key{l.ID, t.ID}]
	switch s.Direction {
	case Exit:
		switch {
		case !l.ReEntry:
			a.Result = ExitNotAllowed
		case insideAt(recs, s.At) == nil:
			a.Result = NotCheckedIn
		default:
			a.Result = OK
		}
	default:
		if prev := admittedAt(l, recs, s.At); prev != nil {
			a.Result, a.Previous = AlreadyCheckedIn, prev
			if s.Offline {
				a.Result, a.Conflict = OK, true // the device let them in: two admissions
			}
			return a
		}
		a.Result = OK
	}
	return a
}

// refusal is why the ticket may not pass the list at at, "" when it may.
func refusal(l *List, t *Ticket, at time.Time) Result {
	switch {
	case t.Status == Void:
		return Revoked
	case t.Status == Unpaid:
		return NotPaid
	case !l.Admits(t.TicketTypeID):
		return WrongList
	case !t.ValidFrom.IsZero() && at.Before(t.ValidFrom), !l.From.IsZero() && at.Before(l.From):
		return NotYetValid
	case !t.ValidUntil.IsZero() && at.After(t.ValidUntil), !l.Until.IsZero() && at.After(l.Until):
		return Expired
	}
	return ""
}

// admittedAt is the admission that keeps a ticket from entering at at:
// the one it is inside by at at; on a list without re-entry, any; and for
// a scan made before others (offline), an admission that follows it before
// any exit would overlap it too.
func admittedAt(l *List, recs []*Record, at time.Time) *Record {
	var found *Record
	if !l.ReEntry {
		walk(recs, func(r *Record, stands, _ bool) bool {
			if stands && r.Direction == Entry {
				found = r
				return false
			}
			return true
		})
		return found
	}
	if r := insideAt(recs, at); r != nil {
		return r
	}
	walk(recs, func(r *Record, stands, _ bool) bool {
		if !stands || !r.At.After(at) {
			return true
		}
		if r.Direction == Entry {
			found = r // the next thing after it is an admission: no exit between
		}
		return false
	})
	return found
}

// insideAt is the admission a ticket is inside by at at, nil when it is
// outside then.
func insideAt(recs []*Record, at time.Time) *Record {
	var in *Record
	walk(recs, func(r *Record, stands, inside bool) bool {
		if r.At.After(at) {
			return false
		}
		if stands {
			in = nil
			if inside {
				in = r
			}
		}
		return true
	})
	return in
}

// Apply records scan s of the ticket ticketID on list l with the answer
// Decide gave it. A replayed answer records nothing. A scan of no ticket
// id (a secret that did not verify) is recorded by its nonce only, so its
// retry is answered alike.
func (b *Book) Apply(l *List, ticketID string, s Scan, a Answer) {
	if a.Replayed {
		return
	}
	if b.scans == nil {
		b.scans, b.nonces = make(map[key][]*Record), make(map[nonceKey]nonced)
	}
	k := key{l.ID, ticketID}
	rec := &Record{Nonce: s.Nonce, Device: s.Device, Direction: s.Direction, At: s.At, Offline: s.Offline,
		Result: a.Result, Conflict: a.Conflict}
	if s.Nonce != "" {
		b.nonces[nonceKey{s.Device, s.Nonce}] = nonced{key: k, record: rec, answer: a}
	}
	if ticketID == "" {
		return
	}
	recs := b.scans[k]
	i := len(recs)
	for i > 0 && recs[i-1].At.After(s.At) {
		i--
	}
	b.scans[k] = slices.Insert(recs, i, rec)
}

// Annul takes back the scan the device made with the nonce (a mistaken
// admission or exit): it no longer counts. An admission that stood only
// because of an exit so taken back let a second person in on the ticket:
// it is flagged as a conflict. Annul reports whether there was such a
// scan.
func (b *Book) Annul(device, nonce string) bool {
	n, ok := b.nonces[nonceKey{device, nonce}]
	if !ok || n.record.Annulled {
		return ok
	}
	n.record.Annulled = true
	walk(b.scans[n.key], func(r *Record, stands, _ bool) bool {
		if r.eligible() && !stands && r.Direction == Entry {
			r.Conflict = true
		}
		return true
	})
	return true
}

// Found is a recorded scan found by its device and nonce.
type Found struct {
	ListID, TicketID string // TicketID "" for a secret that did not verify
	Record           *Record
	Answer           Answer // what the scan was answered
}

// Scan returns the scan the device made with the nonce, or nil.
func (b *Book) Scan(device, nonce string) *Found {
	n, ok := b.nonces[nonceKey{device, nonce}]
	if !ok {
		return nil
	}
	return &Found{ListID: n.key.list, TicketID: n.key.ticket, Record: n.record, Answer: n.answer}
}

// Scans returns what was recorded of the ticket on the list, in time
// order. The records belong to the book.
func (b *Book) Scans(listID, ticketID string) []*Record { return b.scans[key{listID, ticketID}] }

// Inside reports whether the ticket is inside the list now (after every
// scan recorded).
func (b *Book) Inside(listID, ticketID string) bool {
	in := false
	walk(b.scans[key{listID, ticketID}], func(_ *Record, _, inside bool) bool { in = inside; return true })
	return in
}

// Standing returns the ticket's records on the list that stand (the
// admissions and exits that count), in time order.
func (b *Book) Standing(listID, ticketID string) []*Record {
	var out []*Record
	walk(b.scans[key{listID, ticketID}], func(r *Record, stands, _ bool) bool {
		if stands {
			out = append(out, r)
		}
		return true
	})
	return out
}

// Counts are a list's numbers.
type Counts struct {
	In       int // tickets inside now
	Admitted int // tickets admitted at least once
	Out      int // tickets admitted that went out again and are not inside
}

// Count returns the list's counts.
func (b *Book) Count(listID string) Counts {
	var c Counts
	for k, recs := range b.scans {
		if k.list != listID {
			continue
		}
		admitted, in := false, false
		walk(recs, func(r *Record, stands, inside bool) bool {
			admitted = admitted || stands && r.Direction == Entry
			in = inside
			return true
		})
		switch {
		case !admitted:
		case in:
			c.Admitted++
			c.In++
		default:
			c.Admitted++
			c.Out++
		}
	}
	return c
}

// Conflict is an offline admission the organizer should look at.
type Conflict struct {
	ListID, TicketID string
	Record           *Record
}

// Conflicts returns the conflicts recorded, by list, ticket and time.
func (b *Book) Conflicts() []Conflict {
	var out []Conflict
	for k, recs := range b.scans {
		for _, r := range recs {
			if r.Conflict {
				out = append(out, Conflict{ListID: k.list, TicketID: k.ticket, Record: r})
			}
		}
	}
	slices.SortFunc(out, func(a, b Conflict) int {
		return cmp.Or(cmp.Compare(a.ListID, b.ListID), cmp.Compare(a.TicketID, b.TicketID), a.Record.At.Compare(b.Record.At))
	})
	return out
}

// InsideList returns the tickets inside the list now, sorted: what a scanner
// that decides offline must know of the doors before it.
func (b *Book) InsideList(listID string) []string {
	var out []string
	for k := range b.scans {
		if k.list == listID && b.Inside(k.list, k.ticket) {
			out = append(out, k.ticket)
		}
	}
	slices.Sort(out)
	return out
}
