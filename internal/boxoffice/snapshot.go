package boxoffice

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Snapshots. A snapshot is the whole state, for recovery without replaying
// the event's full history; docs/ledger.md ("Snapshots and recovery")
// describes the format. Version 2, written now, is binary:
//
//	magic    "ADMITSNAP" 0x02
//	head     uvarint length, then JSON of snapshotHead: the event, ticket
//	         types, quotas, orders and what hangs off them, which grow far
//	         slower than holds
//	clients  uvarint count, then each client key as a string
//	holds    uvarint count, then each hold (below), ordered by creation
//	         time, then id
//	idem     uvarint count, then each Idempotency-Key record, ordered by
//	         key: key, hash, ref as strings, then its time
//	crc      CRC-32C (Castagnoli) of all of the above, 4 bytes big-endian
//
// A string is its uvarint length and its bytes; a time is a varint of its
// Unix seconds and one of its nanoseconds, each less those of a base: for
// a hold's created time the previous hold's (the Unix epoch for the
// first), for its other times its created time, for an Idempotency-Key
// record's the epoch. A hold is:
//
//	id        string
//	flags     byte: bits 0-1 the status (active, released, expired,
//	          converted), holdInline, holdItems, holdEnded, holdOrder,
//	          holdExtended, holdClient
//	created   time
//	expires   time
//	ended     time, if holdEnded
//	item      if holdInline: uvarint index of its ticket type in the head's
//	          ticket types, uvarint quantity
//	items     if holdItems: uvarint count, then each ticket type id as a
//	          string and its quantity as a varint
//	quantity  varint
//	order     string, if holdOrder
//	extended  uvarint, if holdExtended
//	client    uvarint index into clients, if holdClient
//
// A hold with neither holdInline nor holdItems has no items (null).
// Version 1, which UnmarshalSnapshot still reads, was JSON of the whole
// state. Times come back in UTC.

const snapshotMagic = "ADMITSNAP\x02"

// Hold flags in a version 2 snapshot, above the two bits of the status.
const (
	holdInline = 1 << (iota + 2)
	holdItems
	holdEnded
	holdOrder
	holdExtended
	holdClient
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshotHead is the part of a snapshot that does not grow with the holds.
type snapshotHead struct {
	Version     int           `json:"v"`
	Event       *Event        `json:"event"`
	TicketTypes []*TicketType `json:"ticket_types"`
	Quotas      []*Quota      `json:"quotas"`
	// Orders and what hangs off them.
	Orders        []*Order      `json:"orders,omitempty"`
	Tickets       []*Ticket     `json:"tickets,omitempty"` // in their orders' order
	Keys          []*SigningKey `json:"keys,omitempty"`
	Revoked       []string      `json:"revoked,omitempty"`
	PaymentEvents []string      `json:"payment_events,omitempty"` // sorted
	// Check-in: a snapshot from before it had none, and its event the
	// default list.
	CheckinLists []*CheckinList `json:"checkin_lists,omitempty"`
	DoorDevices  []*DoorDevice  `json:"door_devices,omitempty"`
	DoorLog      []doorLogged   `json:"door_log,omitempty"` // the scans and annulments, applied again on loading
}

// snapshotV1 is a version 1 snapshot: JSON of the whole state.
type snapshotV1 struct {
	snapshotHead
	Holds []*Hold               `json:"holds"`
	Idem  map[string]idemRecord `json:"idem"`
}

// head returns the snapshot head of s.
func (s *State) head() *snapshotHead {
	h := &snapshotHead{Version: 2, Event: s.Event, TicketTypes: s.TicketTypes, Quotas: s.Quotas,
		Orders: s.Orders, Keys: s.Keys, Revoked: s.Revoked,
		CheckinLists: s.door.lists, DoorDevices: s.door.devices, DoorLog: s.door.log}
	for _, o := range s.Orders {
		for _, id := range o.TicketIDs {
			h.Tickets = append(h.Tickets, s.tickets[id])
		}
	}
	for ref := range s.paymentEvents {
		h.PaymentEvents = append(h.PaymentEvents, ref)
	}
	slices.Sort(h.PaymentEvents)
	return h
}

// MarshalSnapshot encodes the whole state, for recovery without replaying
// the event's full history.
func (s *State) MarshalSnapshot() ([]byte, error) { return s.AppendSnapshot(nil) }

// AppendSnapshot appends MarshalSnapshot's encoding to prefix, in about one
// allocation: a snapshot can be tens of megabytes. The same state always
// encodes to the same bytes.
func (s *State) AppendSnapshot(prefix []byte) ([]byte, error) {
	head, err := json.Marshal(s.head())
	if err != nil {
		return nil, fmt.Errorf("boxoffice: encode snapshot: %w", err)
	}
	return s.appendSnapshot(prefix, head), nil
}

// Frozen is a state's snapshot not yet encoded: its head already encoded,
// and copies of what grows with the holds. Freezing costs about a copy of
// the hold records, a small part of encoding them, so the box office's
// goroutine freezes and another one encodes, while the state goes on
// changing.
type Frozen struct {
	head  []byte // JSON of the snapshot head
	holds *State // copies of the fields appendSnapshot reads beyond the head
}

// Freeze takes the state's snapshot, to be encoded by Frozen.AppendSnapshot
// on any goroutine: it shares nothing the state changes later.
func (s *State) Freeze() (*Frozen, error) {
	head, err := json.Marshal(s.head())
	if err != nil {
		return nil, fmt.Errorf("boxoffice: encode snapshot: %w", err)
	}
	c := &State{
		holds:     slices.Clone(s.holds),
		holdExtra: make(map[uint32]*holdExtra, len(s.holdExtra)),
		// Client keys are only ever appended: the copy's length hides
		// those added later.
		clientKeys: s.clientKeys[:len(s.clientKeys):len(s.clientKeys)],
		idem:       maps.Clone(s.idem),
	}
	for i, x := range s.holdExtra {
		cx := *x // its items are never changed in place, its times are
		if x.times != nil {
			t := *x.times
			cx.times = &t
		}
		c.holdExtra[i] = &cx
	}
	return &Frozen{head: head, holds: c}, nil
}

// AppendSnapshot appends to prefix the encoding the state had when frozen,
// the same as State.AppendSnapshot gave then.
func (f *Frozen) AppendSnapshot(prefix []byte) []byte { return f.holds.appendSnapshot(prefix, f.head) }

// appendSnapshot is AppendSnapshot with the head already encoded: it reads
// only the holds, their extras, the client keys and the Idempotency-Key
// records (Freeze copies them).
func (s *State) appendSnapshot(prefix, head []byte) []byte {
	const holdSize, idemSize = 48, 128 // typical encoded sizes, to size the buffer
	buf := make([]byte, 0, len(prefix)+len(snapshotMagic)+binary.MaxVarintLen64+len(head)+
		len(s.holds)*holdSize+len(s.idem)*idemSize+64)
	buf = append(buf, prefix...)
	start := len(buf)
	buf = append(buf, snapshotMagic...)
	buf = appendString(buf, head)

	order := s.holdsByCreation()
	// The clients, in order of first use in that order (not the state's
	// own, which depends on the order applied): clients maps the state's
	// index to the snapshot's, plus 1.
	clients := make([]uint32, len(s.clientKeys))
	var clientList []uint32
	for _, i := range order {
		if c := s.holds[i].client; c != 0 && clients[c] == 0 {
			clientList = append(clientList, c)
			clients[c] = uint32(len(clientList))
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(clientList)))
	for _, c := range clientList {
		buf = appendString(buf, s.clientKeys[c])
	}

	buf = binary.AppendUvarint(buf, uint64(len(order)))
	prev := time.Unix(0, 0) // the previous hold's created time
	for _, i := range order {
		r := &s.holds[i]
		buf = appendString(buf, r.id)
		flags := byte(r.status)
		x := s.extra(i)
		created, expires, ended := s.times(i)
		switch {
		case r.flags&inlineItem != 0:
			flags |= holdInline
		case x != nil && x.items != nil:
			flags |= holdItems
		}
		if !ended.IsZero() {
			flags |= holdEnded
		}
		if r.flags&ordered != 0 {
			flags |= holdOrder
		}
		if r.extended != 0 {
			flags |= holdExtended
		}
		if r.client != 0 {
			flags |= holdClient
		}
		buf = append(buf, flags)
		buf = appendTime(buf, created, prev)
		prev = created
		buf = appendTime(buf, expires, created)
		if flags&holdEnded != 0 {
			buf = appendTime(buf, ended, created)
		}
		if flags&holdInline != 0 {
			buf = binary.AppendUvarint(buf, uint64(r.tt))
			buf = binary.AppendUvarint(buf, uint64(r.qty))
		} else if flags&holdItems != 0 {
			buf = binary.AppendUvarint(buf, uint64(len(x.items)))
			for _, it := range x.items {
				buf = appendString(buf, it.TicketTypeID)
				buf = binary.AppendVarint(buf, int64(it.Quantity))
			}
		}
		buf = binary.AppendVarint(buf, r.quantity)
		if flags&holdOrder != 0 {
			buf = appendString(buf, x.orderID)
		}
		if flags&holdExtended != 0 {
			buf = binary.AppendUvarint(buf, uint64(r.extended))
		}
		if flags&holdClient != 0 {
			buf = binary.AppendUvarint(buf, uint64(clients[r.client]-1))
		}
	}

	keys := make([]string, 0, len(s.idem))
	for k := range s.idem {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		rec := s.idem[k]
		buf = appendString(buf, k)
		buf = appendString(buf, rec.Hash)
		buf = appendString(buf, rec.Ref)
		buf = appendTime(buf, rec.At, time.Unix(0, 0))
	}
	return binary.BigEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
}

func appendString[T string | []byte](buf []byte, v T) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	return append(buf, v...)
}

// appendTime appends t's Unix seconds less base's, and its nanoseconds
// less base's.
func appendTime(buf []byte, t, base time.Time) []byte {
	buf = binary.AppendVarint(buf, t.Unix()-base.Unix())
	return binary.AppendVarint(buf, int64(t.Nanosecond()-base.Nanosecond()))
}

// UnmarshalSnapshot decodes a state written by MarshalSnapshot, of version
// 2 or 1. It refuses, with an error, data that is not a whole snapshot.
func UnmarshalSnapshot(data []byte) (*State, error) {
	if bytes.HasPrefix(data, []byte(snapshotMagic)) {
		s, err := unmarshalV2(data)
		if err != nil {
			return nil, fmt.Errorf("boxoffice: decode snapshot: %w", err)
		}
		return s, nil
	}
	return unmarshalV1(data)
}

// unmarshalV1 decodes a version 1 snapshot, as the box office wrote it
// before version 2.
func unmarshalV1(data []byte) (*State, error) {
	var snap snapshotV1
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("boxoffice: decode snapshot: %w", err)
	}
	if snap.Version != 1 {
		return nil, fmt.Errorf("boxoffice: snapshot version %d not understood", snap.Version)
	}
	s, err := stateOf(&snap.snapshotHead)
	if err != nil {
		return nil, err
	}
	s.growHolds(len(snap.Holds))
	s.holdIndex = newHoldIndex(len(snap.Holds))
	tts := make([]*TicketType, 0, MaxHoldItems)
	for _, h := range snap.Holds {
		if _, ok := packStatus(h.Status); !ok {
			return nil, fmt.Errorf("boxoffice: decode snapshot: hold %s has status %q", h.ID, h.Status)
		}
		if _, dup := s.holdIndex.find(s.holds, h.ID); dup {
			return nil, fmt.Errorf("boxoffice: decode snapshot: hold %s twice", h.ID)
		}
		tts = tts[:0]
		for _, it := range h.Items {
			tt := s.ticketTypes[it.TicketTypeID]
			if tt == nil {
				return nil, fmt.Errorf("boxoffice: decode snapshot: hold %s: no ticket type %s", h.ID, it.TicketTypeID)
			}
			tts = append(tts, tt)
		}
		s.addHold(h, tts)
		if h.Status == Active {
			s.activeHolds++
		}
	}
	if snap.Idem != nil {
		s.idem = snap.Idem
	}
	s.recount()
	return s, nil
}

// stateOf makes the state a snapshot's head describes, without its holds.
func stateOf(head *snapshotHead) (*State, error) {
	s := NewState()
	s.Event, s.TicketTypes, s.Quotas = head.Event, head.TicketTypes, head.Quotas
	for i, tt := range s.TicketTypes {
		if tt == nil {
			return nil, errors.New("boxoffice: decode snapshot: a ticket type is null")
		}
		tt.index = i
		s.ticketTypes[tt.ID] = tt
	}
	for _, q := range s.Quotas {
		if q == nil {
			return nil, errors.New("boxoffice: decode snapshot: a quota is null")
		}
		s.quotas[q.ID] = q
	}
	s.Orders, s.Keys, s.Revoked = head.Orders, head.Keys, head.Revoked
	for _, o := range s.Orders {
		if o == nil {
			return nil, errors.New("boxoffice: decode snapshot: an order is null")
		}
		s.orders[o.ID] = o
		if o.Token != "" {
			s.tokens[o.Token] = o.ID
		}
	}
	for _, t := range head.Tickets {
		if t == nil {
			return nil, errors.New("boxoffice: decode snapshot: a ticket is null")
		}
		s.tickets[t.ID] = t
	}
	for _, ref := range head.PaymentEvents {
		s.paymentEvents[ref] = true
	}
	s.reindexQuotas()
	if err := s.loadDoor(head); err != nil {
		return nil, fmt.Errorf("boxoffice: decode snapshot: %w", err)
	}
	return s, nil
}

// errTruncated refuses a snapshot that ends early or has a length beyond
// its end.
var errTruncated = errors.New("truncated")

// reader reads a version 2 snapshot. Its first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of things each at least min bytes long.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail(errTruncated)
		return 0
	}
	return int(n)
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(errTruncated)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail(errTruncated)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// time reads a time written by appendTime with base.
func (r *reader) time(base time.Time) time.Time {
	d, dn := r.varint(), r.varint()
	bs := base.Unix()
	sec, nsec := bs+d, int64(base.Nanosecond())+dn
	if nsec < 0 || nsec >= 1e9 || (d > 0 && sec < bs) || (d < 0 && sec > bs) {
		r.fail(errors.New("a time out of range"))
		return time.Time{}
	}
	return time.Unix(sec, nsec).UTC()
}

func unmarshalV2(data []byte) (*State, error) {
	if len(data) < len(snapshotMagic)+4 {
		return nil, errTruncated
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errors.New("checksum mismatch: the snapshot is corrupt")
	}
	r := &reader{b: body[len(snapshotMagic):]}
	var head snapshotHead
	if hb := r.bytes(); r.err == nil {
		if err := json.Unmarshal(hb, &head); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if head.Version != 2 {
		return nil, fmt.Errorf("head of version %d in a version 2 snapshot", head.Version)
	}
	s, err := stateOf(&head)
	if err != nil {
		return nil, err
	}

	nc := r.count(1)
	s.clientKeys = slices.Grow(s.clientKeys, nc)
	s.clientIndex = make(map[string]uint32, nc)
	for range nc {
		c := r.string()
		if _, dup := s.clientIndex[c]; dup || c == "" {
			r.fail(fmt.Errorf("client %q twice", c))
			break
		}
		s.internClient(c)
	}
	n := r.count(8) // a hold takes 8 bytes at least
	s.holds = make([]holdRec, 0, n)
	s.holdIndex = newHoldIndex(n)
	// The ids go into one string, which the holds' ids are parts of: one
	// allocation rather than one a hold. ends marks where each one ends.
	var ids strings.Builder
	ids.Grow(min(len(r.b), n*32))
	ends := make([]int, 0, n)
	prev := time.Unix(0, 0)
	for range n {
		if r.err != nil {
			break
		}
		i := uint32(len(s.holds))
		ids.Write(r.bytes())
		ends = append(ends, ids.Len())
		s.holds = append(s.holds, holdRec{ended: noTime})
		rec := &s.holds[i]
		flags := r.byte()
		rec.status = holdStatus(flags & 3)
		var ts holdTimes
		ts.created = r.time(prev)
		prev = ts.created
		ts.expires = r.time(prev)
		if flags&holdEnded != 0 {
			ts.ended = r.time(prev)
		}
		var ok1, ok2, ok3 bool
		rec.created, ok1 = packTime(ts.created)
		rec.expires, ok2 = packTime(ts.expires)
		rec.ended, ok3 = packTime(ts.ended)
		if !ok1 || !ok2 || !ok3 {
			odd := ts // only these escape
			s.extraOf(i).times = &odd
		}
		switch {
		case flags&holdInline != 0:
			tt, qty := r.uvarint(), r.uvarint()
			if tt >= uint64(len(s.TicketTypes)) || qty > math.MaxUint16 {
				r.fail(fmt.Errorf("hold %d: item out of range", i))
				break
			}
			rec.tt, rec.qty, rec.flags = uint16(tt), uint16(qty), rec.flags|inlineItem
		case flags&holdItems != 0:
			items := make([]Item, r.count(2))
			for j := range items {
				items[j] = Item{TicketTypeID: r.string(), Quantity: int(r.varint())}
				if r.err == nil && s.ticketTypes[items[j].TicketTypeID] == nil {
					r.fail(fmt.Errorf("hold %d: no ticket type %s", i, items[j].TicketTypeID))
				}
			}
			s.extraOf(i).items = items
		}
		rec.quantity = r.varint()
		if flags&holdOrder != 0 {
			s.extraOf(i).orderID = r.string()
			rec.flags |= ordered
		}
		if flags&holdExtended != 0 {
			e := r.uvarint()
			if e > math.MaxUint32 {
				r.fail(fmt.Errorf("hold %d: extended out of range", i))
			}
			rec.extended = uint32(e)
		}
		if flags&holdClient != 0 {
			c := r.uvarint()
			if c >= uint64(len(s.clientKeys)-1) {
				r.fail(fmt.Errorf("hold %d: client out of range", i))
				break
			}
			rec.client = uint32(c + 1)
		}
		if rec.status == stActive {
			s.activeHolds++
		}
	}
	all, start := ids.String(), 0
	for i, end := range ends {
		s.holds[i].id, start = all[start:end], end
		if !s.holdIndex.add(s.holds, uint32(i)) && r.err == nil {
			r.fail(fmt.Errorf("hold %s twice", s.holds[i].id))
		}
	}

	m := r.count(4)
	s.idem = make(map[string]idemRecord, m)
	for range m {
		k := r.string()
		rec := idemRecord{Hash: r.string(), Ref: r.string()}
		rec.At = r.time(time.Unix(0, 0))
		s.idem[k] = rec
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, errors.New("bytes after the end")
	}
	s.recount()
	return s, nil
}
