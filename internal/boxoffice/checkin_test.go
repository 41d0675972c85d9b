package boxoffice

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/checkin"
	"github.com/admit-org/admit/internal/fault"
)

var (
	doorToken  = strings.Repeat("d1", 32) // the hash of the device's token
	doorToken2 = strings.Repeat("d2", 32)
	door1      = Door{DeviceTokenHash: doorToken}
	door2      = Door{DeviceTokenHash: doorToken2}
	atDoor     = startsAt.Add(-30 * time.Minute) // the doors open
)

// paidTickets returns held's event with order o1 paid (tickets 0 and 1 of
// type ga, 2 of type vip), a signing key, and two door devices.
func paidTickets(tb testing.TB) (*State, []string) {
	tb.Helper()
	s := held(tb)
	must(tb, s, &AddSigningKey{OrganizerID: org, PublicKey: make([]byte, 32)}, t0)
	must(tb, s, place(ProviderManual), t0)
	must(tb, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual}, t0)
	must(tb, s, &AddDoorDevice{OrganizerID: org, DeviceID: "dd_1", Name: "North gate", TokenHash: doorToken}, t0)
	must(tb, s, &AddDoorDevice{OrganizerID: org, DeviceID: "dd_2", Name: "South gate", TokenHash: doorToken2}, t0)
	return s, s.Order("o1").TicketIDs
}

// secretOf is what checking ticket id's secret finds: it verified.
func secretOf(s *State, tb testing.TB, ticketID string) SecretCheck {
	tb.Helper()
	t := s.Ticket(ticketID)
	return SecretCheck{KeyID: s.CurrentKey().ID, TicketID: t.ID, TicketTypeID: t.TicketTypeID, ValidFrom: t.IssuedAt,
		ValidUntil: endsAt.Add(TicketGrace)}
}

func scan(s *State, tb testing.TB, d Door, list, nonce, ticketID string, now time.Time) (*TicketScanned, Decision) {
	tb.Helper()
	dec := must(tb, s, &ScanTicket{Door: d, ListID: list, Nonce: nonce, Direction: checkin.Entry,
		Secret: secretOf(s, tb, ticketID)}, now)
	if dec.Replayed {
		return nil, dec
	}
	return dec.Entries[0].(*TicketScanned), dec
}

func TestDefaultList(t *testing.T) {
	s := draftEvent(t)
	l := s.CheckinList(DefaultListID)
	if l == nil || len(s.CheckinLists()) != 1 || !l.Rules().Admits("anything") || l.ReEntry {
		t.Fatalf("lists %+v", s.CheckinLists())
	}
	if c := clone(t, s); c.CheckinList(DefaultListID) == nil {
		t.Fatal("the default list is not in the snapshot")
	}
}

func TestScanOnceEach(t *testing.T) {
	s, tks := paidTickets(t)
	e, _ := scan(s, t, door1, DefaultListID, "n1", tks[0], atDoor)
	if e.Result != checkin.OK || e.DeviceID != "dd_1" || e.TicketTypeID != "ga" {
		t.Fatalf("first scan %+v", e)
	}
	// The other door, a minute later: already in, since when and where.
	e, _ = scan(s, t, door2, DefaultListID, "n1", tks[0], atDoor.Add(time.Minute))
	if e.Result != checkin.AlreadyCheckedIn || e.Previous == nil || e.Previous.DeviceID != "dd_1" ||
		!e.Previous.ScannedAt.Equal(atDoor) {
		t.Fatalf("second door %+v", e)
	}
	// A retry of the first door's scan: the first answer, nothing new.
	if _, d := scan(s, t, door1, DefaultListID, "n1", tks[0], atDoor.Add(2*time.Minute)); !d.Replayed || len(d.Entries) != 0 {
		t.Fatalf("retry %+v", d)
	}
	if c := s.Checkins().Count(DefaultListID); c != (checkin.Counts{In: 1, Admitted: 1}) {
		t.Errorf("counts %+v", c)
	}
	if n := s.Expected(s.CheckinList(DefaultListID)); n != 3 {
		t.Errorf("expected %d, want 3", n)
	}
	// The organizer annuls the mistaken admission; the ticket enters again.
	must(t, s, &AnnulScan{Door: Door{OrganizerID: org}, ListID: DefaultListID, DeviceID: "dd_1", Nonce: "n1"}, atDoor)
	if e, _ := scan(s, t, door2, DefaultListID, "n2", tks[0], atDoor.Add(3*time.Minute)); e.Result != checkin.OK {
		t.Fatalf("after the annulment %+v", e)
	}
	sameState(t, "snapshot", clone(t, s), s)
}

func TestScanRefusals(t *testing.T) {
	s, tks := paidTickets(t)
	must(t, s, &CreateCheckinList{OrganizerID: org, ListID: "vip", Details: CheckinListDetails{Name: "VIP",
		TicketTypeIDs: []string{"vip"}, From: atDoor, Until: endsAt, ReEntry: true}}, t0)
	must(t, s, &RefundOrder{OrganizerID: org, OrderID: "o1", TicketIDs: []string{tks[1]}, RefundID: "rf_1"}, t0)
	forged := SecretCheck{Refused: checkin.InvalidSignature}
	retiredKey := secretOf(s, t, tks[0])
	retiredKey.KeyID = "00000000"
	notOurs := secretOf(s, t, tks[0])
	notOurs.TicketID = "tk_unknown"
	for i, c := range []struct {
		name   string
		cmd    *ScanTicket
		now    time.Time
		result checkin.Result
	}{
		{"ga on the vip list", &ScanTicket{ListID: "vip", Secret: secretOf(s, t, tks[0])}, atDoor, checkin.WrongList},
		{"refunded", &ScanTicket{ListID: DefaultListID, Secret: secretOf(s, t, tks[1])}, atDoor, checkin.Revoked},
		{"before the window", &ScanTicket{ListID: "vip", Secret: secretOf(s, t, tks[2])}, atDoor.Add(-time.Minute), checkin.NotYetValid},
		{"after the window", &ScanTicket{ListID: "vip", Secret: secretOf(s, t, tks[2])}, endsAt.Add(time.Minute), checkin.Expired},
		{"forged", &ScanTicket{ListID: DefaultListID, Secret: forged}, atDoor, checkin.InvalidSignature},
		{"a key the event does not have", &ScanTicket{ListID: DefaultListID, Secret: retiredKey}, atDoor, checkin.InvalidSignature},
		{"another event's", &ScanTicket{ListID: DefaultListID, Secret: SecretCheck{Refused: checkin.WrongEvent}}, atDoor, checkin.WrongEvent},
		{"signed, unknown", &ScanTicket{ListID: DefaultListID, Secret: notOurs}, atDoor, checkin.UnknownTicket},
		{"exit, not inside", &ScanTicket{ListID: "vip", Direction: checkin.Exit, Secret: secretOf(s, t, tks[2])}, atDoor, checkin.NotCheckedIn},
		{"exit without re-entry", &ScanTicket{ListID: DefaultListID, Direction: checkin.Exit, Secret: secretOf(s, t, tks[0])}, atDoor, checkin.ExitNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cmd.Door, c.cmd.Nonce = door1, "n"+strconv.Itoa(i)
			if c.cmd.Direction == "" {
				c.cmd.Direction = checkin.Entry
			}
			d := must(t, s, c.cmd, c.now)
			if e := d.Entries[0].(*TicketScanned); e.Result != c.result {
				t.Fatalf("result %s, want %s (%+v)", e.Result, c.result, e)
			}
		})
	}
	if c := s.Checkins().Count("vip"); c != (checkin.Counts{}) {
		t.Errorf("counts after refusals %+v", c)
	}
}

func TestScanInputs(t *testing.T) {
	s, tks := paidTickets(t)
	ok := func() *ScanTicket {
		return &ScanTicket{Door: door1, ListID: DefaultListID, Nonce: "n", Direction: checkin.Entry, Secret: secretOf(s, t, tks[0])}
	}
	c := ok()
	c.Nonce = "no spaces"
	_, err := Decide(s, c, atDoor)
	wantFields(t, err, "/nonce")
	c = ok()
	c.Direction = "sideways"
	_, err = Decide(s, c, atDoor)
	wantFields(t, err, "/direction")
	c = ok()
	c.Offline, c.At, c.Decided = true, atDoor.Add(time.Hour), "maybe"
	_, err = Decide(s, c, atDoor)
	wantFields(t, err, "/scanned_at", "/offline_result")
	c = ok()
	c.ListID = "cl_none"
	_, err = Decide(s, c, atDoor)
	wantKind(t, err, fault.NotFound)
	c = ok()
	c.Door = Door{DeviceTokenHash: strings.Repeat("00", 32)}
	_, err = Decide(s, c, atDoor)
	wantKind(t, err, fault.Unauthorized)
	c.Door = Door{OrganizerID: other}
	_, err = Decide(s, c, atDoor)
	wantKind(t, err, fault.NotFound)
	// A revoked device no longer scans; the organizer still does.
	must(t, s, &RevokeDoorDevice{OrganizerID: org, DeviceID: "dd_1"}, t0)
	_, err = Decide(s, ok(), atDoor)
	wantKind(t, err, fault.Unauthorized)
	c = ok()
	c.Door = Door{OrganizerID: org}
	if d := must(t, s, c, atDoor); d.Entries[0].(*TicketScanned).DeviceID != org {
		t.Fatalf("organizer scan %+v", d.Entries[0])
	}
	// A device annuls only its own scans.
	_, err = Decide(s, &AnnulScan{Door: door2, ListID: DefaultListID, DeviceID: org, Nonce: "n"}, atDoor)
	wantKind(t, err, fault.NotFound)
}

// TestOfflineConflict: two devices admit the same ticket while offline;
// the second upload is recorded as a conflict, and counts once.
func TestOfflineConflict(t *testing.T) {
	s, tks := paidTickets(t)
	up := func(d Door, nonce string, at time.Time) *TicketScanned {
		dec := must(t, s, &ScanTicket{Door: d, ListID: DefaultListID, Nonce: nonce, Direction: checkin.Entry,
			Secret: secretOf(s, t, tks[0]), Offline: true, At: at, Decided: checkin.OK}, atDoor.Add(time.Hour))
		return dec.Entries[0].(*TicketScanned)
	}
	if e := up(door2, "b", atDoor.Add(time.Minute)); e.Result != checkin.OK || e.Conflict {
		t.Fatalf("first upload %+v", e)
	}
	if e := up(door1, "a", atDoor); e.Result != checkin.OK || !e.Conflict || !e.Offline {
		t.Fatalf("second upload %+v", e)
	}
	if cs := s.Checkins().Conflicts(); len(cs) != 1 || cs[0].Record.Device != "dd_1" {
		t.Fatalf("conflicts %+v", cs)
	}
	if c := s.Checkins().Count(DefaultListID); c.Admitted != 1 {
		t.Errorf("counts %+v", c)
	}
	c := clone(t, s)
	sameState(t, "snapshot", c, s)
	if len(c.Checkins().Conflicts()) != 1 {
		t.Fatal("the conflict is not rebuilt from the snapshot")
	}
}

func TestCheckinLists(t *testing.T) {
	s := onSaleEvent(t)
	_, err := Decide(s, &CreateCheckinList{OrganizerID: org, ListID: "l1", Details: CheckinListDetails{Name: "",
		TicketTypeIDs: []string{"ga", "ga", "nope"}, From: endsAt, Until: startsAt}}, t0)
	wantFields(t, err, "/name", "/ticket_type_ids/1", "/ticket_type_ids/2", "/until")
	must(t, s, &CreateCheckinList{OrganizerID: org, ListID: "l1", Details: CheckinListDetails{Name: "Side door"}}, t0)
	_, err = Decide(s, &CreateCheckinList{OrganizerID: org, ListID: "l1", Details: CheckinListDetails{Name: "Again"}}, t0)
	wantKind(t, err, fault.Conflict)
	must(t, s, &UpdateCheckinList{OrganizerID: org, ListID: "l1", Patch: CheckinListPatch{ReEntry: ptr(true),
		TicketTypeIDs: []string{"vip"}}}, t0.Add(time.Hour))
	l := s.CheckinList("l1")
	if !l.ReEntry || l.Name != "Side door" || len(l.TicketTypeIDs) != 1 || !l.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("updated %+v", l)
	}
	_, err = Decide(s, &UpdateCheckinList{OrganizerID: other, ListID: "l1"}, t0)
	wantKind(t, err, fault.NotFound)
	sameState(t, "snapshot", clone(t, s), s)
}
