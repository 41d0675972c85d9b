package checkin

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2030, 6, 1, 18, 0, 0, 0, time.UTC)

// at is t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

var (
	doors  = &List{ID: "li_doors", Name: "Doors"}
	vip    = &List{ID: "li_vip", Name: "VIP lounge", TicketTypes: []string{"tt_vip"}, ReEntry: true}
	window = &List{ID: "li_window", Name: "Early entry", From: at(0), Until: at(60)}
)

func ticket(id, typ string) *Ticket {
	return &Ticket{ID: id, TicketTypeID: typ, Attendee: "Ada", ValidFrom: at(-600), ValidUntil: at(600)}
}

// step is one scan and the answer it must get.
type step struct {
	list      *List
	ticket    string // "" for a secret that did not verify
	signature Result
	scan      Scan
	want      Result
	conflict  bool
	replayed  bool
}

func entry(nonce string, m int) Scan {
	return Scan{Nonce: nonce, Device: "door-1", Direction: Entry, At: at(m)}
}
func exit(nonce string, m int) Scan {
	return Scan{Nonce: nonce, Device: "door-1", Direction: Exit, At: at(m)}
}
func offline(s Scan, decided Result) Scan {
	s.Offline, s.Decided, s.Device = true, decided, "door-2"
	return s
}

// TestAnswers: every answer a scan can get, in the order a door meets
// them.
func TestAnswers(t *testing.T) {
	tickets := map[string]*Ticket{
		"tk_a":   ticket("tk_a", "tt_standing"),
		"tk_vip": ticket("tk_vip", "tt_vip"),
		"tk_rev": {ID: "tk_rev", TicketTypeID: "tt_standing", Status: Void},
		"tk_pay": {ID: "tk_pay", TicketTypeID: "tt_standing", Status: Unpaid},
		"tk_old": {ID: "tk_old", TicketTypeID: "tt_standing", ValidUntil: at(-1)},
		"tk_new": {ID: "tk_new", TicketTypeID: "tt_standing", ValidFrom: at(1)},
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"ok, then already checked in", []step{
			{list: doors, ticket: "tk_a", scan: entry("n1", 0), want: OK},
			{list: doors, ticket: "tk_a", scan: entry("n2", 1), want: AlreadyCheckedIn},
		}},
		{"a retry with the same nonce", []step{
			{list: doors, ticket: "tk_a", scan: entry("n1", 0), want: OK},
			{list: doors, ticket: "tk_a", scan: entry("n1", 1), want: OK, replayed: true},
			{list: doors, ticket: "tk_a", scan: entry("n2", 2), want: AlreadyCheckedIn},
		}},
		{"revoked", []step{{list: doors, ticket: "tk_rev", scan: entry("n1", 0), want: Revoked}}},
		{"not paid", []step{{list: doors, ticket: "tk_pay", scan: entry("n1", 0), want: NotPaid}}},
		{"wrong list", []step{{list: vip, ticket: "tk_a", scan: entry("n1", 0), want: WrongList}}},
		{"the ticket's validity", []step{
			{list: doors, ticket: "tk_new", scan: entry("n1", 0), want: NotYetValid},
			{list: doors, ticket: "tk_old", scan: entry("n2", 0), want: Expired},
			{list: doors, ticket: "tk_new", scan: entry("n3", 2), want: OK},
		}},
		{"the list's window", []step{
			{list: window, ticket: "tk_a", scan: entry("n1", -1), want: NotYetValid},
			{list: window, ticket: "tk_a", scan: entry("n2", 61), want: Expired},
			{list: window, ticket: "tk_a", scan: entry("n3", 30), want: OK},
		}},
		{"signatures", []step{
			{list: doors, signature: InvalidSignature, scan: entry("n1", 0), want: InvalidSignature},
			{list: doors, signature: WrongEvent, scan: entry("n2", 0), want: WrongEvent},
			{list: doors, ticket: "tk_nobody", scan: entry("n3", 0), want: UnknownTicket},
			{list: doors, signature: InvalidSignature, scan: entry("n1", 1), want: InvalidSignature, replayed: true},
		}},
		{"exit and re-entry", []step{
			{list: vip, ticket: "tk_vip", scan: exit("n1", 0), want: NotCheckedIn},
			{list: vip, ticket: "tk_vip", scan: entry("n2", 1), want: OK},
			{list: vip, ticket: "tk_vip", scan: entry("n3", 2), want: AlreadyCheckedIn},
			{list: vip, ticket: "tk_vip", scan: exit("n4", 3), want: OK},
			{list: vip, ticket: "tk_vip", scan: exit("n5", 4), want: NotCheckedIn},
			{list: vip, ticket: "tk_vip", scan: entry("n6", 5), want: OK},
		}},
		{"no exit without re-entry", []step{
			{list: doors, ticket: "tk_a", scan: entry("n1", 0), want: OK},
			{list: doors, ticket: "tk_a", scan: exit("n2", 1), want: ExitNotAllowed},
			{list: doors, ticket: "tk_a", scan: entry("n3", 2), want: AlreadyCheckedIn},
		}},
		{"lists are apart", []step{
			{list: doors, ticket: "tk_vip", scan: entry("n1", 0), want: OK},
			{list: vip, ticket: "tk_vip", scan: entry("n2", 1), want: OK},
		}},
		{"offline: the device's refusal stands", []step{
			{list: doors, ticket: "tk_a", scan: offline(entry("n1", 0), Revoked), want: Revoked},
			{list: doors, ticket: "tk_a", scan: entry("n2", 1), want: OK},
		}},
		{"offline: two doors let the same ticket in", []step{
			{list: doors, ticket: "tk_a", scan: entry("n1", 5), want: OK},
			{list: doors, ticket: "tk_a", scan: offline(entry("n2", 3), OK), want: OK, conflict: true},
			{list: doors, ticket: "tk_a", scan: entry("n3", 6), want: AlreadyCheckedIn},
		}},
		{"offline: an exit and an entry uploaded late, in their order", []step{
			{list: vip, ticket: "tk_vip", scan: entry("n1", 0), want: OK},
			{list: vip, ticket: "tk_vip", scan: offline(exit("n2", 2), OK), want: OK},
			{list: vip, ticket: "tk_vip", scan: offline(entry("n3", 4), OK), want: OK},
			{list: vip, ticket: "tk_vip", scan: entry("n4", 5), want: AlreadyCheckedIn},
		}},
		{"offline: an admission before one already recorded", []step{
			{list: vip, ticket: "tk_vip", scan: entry("n1", 10), want: OK},
			{list: vip, ticket: "tk_vip", scan: offline(entry("n2", 5), OK), want: OK, conflict: true},
		}},
		{"offline: a revoked ticket let in", []step{
			{list: doors, ticket: "tk_rev", scan: offline(entry("n1", 0), OK), want: Revoked, conflict: true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b Book
			for i, s := range c.steps {
				a := b.Decide(s.list, s.ticket, tickets[s.ticket], s.signature, s.scan)
				if a.Result != s.want || a.Conflict != s.conflict || a.Replayed != s.replayed {
					t.Fatalf("step %d: %+v, want %s (conflict %v, replayed %v)", i, a, s.want, s.conflict, s.replayed)
				}
				if tk := tickets[s.ticket]; tk != nil && (a.TicketID != tk.ID || a.TicketTypeID != tk.TicketTypeID) {
					t.Errorf("step %d: the answer names %s/%s, want %s/%s", i, a.TicketID, a.TicketTypeID, tk.ID, tk.TicketTypeID)
				}
				if a.Result == AlreadyCheckedIn && (a.Previous == nil || a.Previous.Result != OK || a.Previous.Device == "") {
					t.Errorf("step %d: already checked in, without the admission it was: %+v", i, a.Previous)
				}
				b.Apply(s.list, s.ticket, s.scan, a)
			}
		})
	}
}

func TestAnnulAndCounts(t *testing.T) {
	var b Book
	tk := ticket("tk_a", "tt_standing")
	scan := func(l *List, s Scan) Answer {
		a := b.Decide(l, tk.ID, tk, "", s)
		b.Apply(l, tk.ID, s, a)
		return a
	}
	if a := scan(doors, entry("n1", 0)); a.Result != OK {
		t.Fatal(a)
	}
	if c := b.Count(doors.ID); c != (Counts{In: 1, Admitted: 1}) {
		t.Errorf("counts %+v", c)
	}
	if in := b.InsideList(doors.ID); !slices.Equal(in, []string{tk.ID}) {
		t.Errorf("inside %v", in)
	}
	// The door admitted the wrong person: annulled, the ticket may enter.
	if !b.Annul("door-1", "n1") || b.Annul("door-1", "n-none") || b.Annul("door-2", "n1") {
		t.Fatal("Annul")
	}
	if b.Inside(doors.ID, tk.ID) || b.Count(doors.ID) != (Counts{}) || len(b.InsideList(doors.ID)) != 0 {
		t.Errorf("after the annulment: inside %v, counts %+v", b.Inside(doors.ID, tk.ID), b.Count(doors.ID))
	}
	if a := scan(doors, entry("n2", 1)); a.Result != OK {
		t.Fatalf("after the annulment: %+v", a)
	}
	vipTk := ticket("tk_v", "tt_vip")
	for _, s := range []Scan{entry("v1", 0), exit("v2", 1)} {
		b.Apply(vip, vipTk.ID, s, b.Decide(vip, vipTk.ID, vipTk, "", s))
	}
	if c := b.Count(vip.ID); c != (Counts{Admitted: 1, Out: 1}) {
		t.Errorf("vip counts %+v", c)
	}
	s := offline(entry("n3", 0), OK)
	b.Apply(doors, tk.ID, s, b.Decide(doors, tk.ID, tk, "", s))
	if cs := b.Conflicts(); len(cs) != 1 || cs[0].TicketID != tk.ID || cs[0].Record.Nonce != "n3" {
		t.Errorf("conflicts %+v", cs)
	}
}

// TestProperty: whatever the interleaving of online scans, offline scans
// uploaded late and out of order, retries, annulments and revocations,
// the standing records of a ticket on a list alternate entry, exit,
// entry… from an entry (a list without re-entry has at most one), and
// every offline admission of a ticket that was inside already, or
// refused, is flagged as a conflict.
func TestProperty(t *testing.T) {
	lists := []*List{doors, vip}
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var b Book
		tickets := map[string]*Ticket{}
		for i := range 3 {
			id := fmt.Sprintf("tk_%d", i)
			tickets[id] = ticket(id, []string{"tt_vip", "tt_standing"}[i%2])
		}
		var nonces []Scan // the scans made, for retries and annulments
		now := 0
		for step := range 60 {
			l := lists[rng.IntN(len(lists))]
			id := fmt.Sprintf("tk_%d", rng.IntN(3))
			tk := tickets[id]
			switch rng.IntN(10) {
			case 0: // revoked (refunded)
				tk.Status = Void
				continue
			case 1: // an annulment
				if len(nonces) > 0 {
					n := nonces[rng.IntN(len(nonces))]
					b.Annul(n.Device, n.Nonce)
				}
				continue
			}
			s := Scan{Nonce: fmt.Sprintf("n%d", step), Device: fmt.Sprintf("door-%d", rng.IntN(3)), Direction: Entry}
			if rng.IntN(3) == 0 {
				s.Direction = Exit
			}
			switch rng.IntN(4) {
			case 0: // a retry of an earlier scan
				if len(nonces) > 0 {
					n := nonces[rng.IntN(len(nonces))]
					s.Device, s.Nonce = n.Device, n.Nonce
				}
				now++
				s.At = at(now)
			case 1: // offline, made some time ago, the device let them pass
				s.Offline, s.Decided, s.At = true, OK, at(now-rng.IntN(10))
			default:
				now++
				s.At = at(now)
			}
			a := b.Decide(l, id, tk, "", s)
			if s.Offline && !a.Replayed && a.Result == OK && !a.Conflict && s.Direction == Entry && admittedAt(l, b.Scans(l.ID, id), s.At) != nil {
				t.Fatalf("seed %d: an offline admission over another was not flagged", seed)
			}
			b.Apply(l, id, s, a)
			nonces = append(nonces, s)
		}
		for _, l := range lists {
			for id := range tickets {
				// People let in: every entry a door passed (online or
				// offline, flagged or not) but those annulled; two of them
				// with no standing exit between are a double admission,
				// which must be flagged.
				var last *Record
				standingExit := map[*Record]bool{}
				for _, r := range b.Standing(l.ID, id) {
					standingExit[r] = r.Direction == Exit
				}
				for _, r := range b.Scans(l.ID, id) {
					switch {
					case standingExit[r]:
						last = nil
					case r.Direction == Entry && r.Result == OK && !r.Annulled:
						if last != nil && !last.Conflict && !r.Conflict {
							t.Fatalf("seed %d: %s on %s: let in twice, unflagged:\n%s", seed, id, l.ID, dump(b.Scans(l.ID, id)))
						}
						last = r
					}
				}
				standing := b.Standing(l.ID, id)
				for _, r := range b.Scans(l.ID, id) {
					if r.Offline && r.Result != OK && r.Result != NotCheckedIn && r.Result != ExitNotAllowed && !r.Conflict {
						t.Fatalf("seed %d: an offline pass the event refuses (%s) is not flagged", seed, r.Result)
					}
				}
				entries := 0
				for i, r := range standing {
					want := Entry
					if i%2 == 1 {
						want = Exit
					}
					if r.Direction != want {
						t.Fatalf("seed %d: %s on %s: standing records %s at %d, want %s:\n%s", seed, id, l.ID, r.Direction, i, want, dump(standing))
					}
					if r.Direction == Entry {
						entries++
					}
				}
				if !l.ReEntry && entries > 1 {
					t.Fatalf("seed %d: %s admitted %d times on a list without re-entry", seed, id, entries)
				}
			}
		}
	}
}

func dump(recs []*Record) string {
	s := ""
	for _, r := range recs {
		s += fmt.Sprintf("  %s %s %s %s offline=%v conflict=%v annulled=%v\n", r.At.Format("15:04"), r.Direction, r.Nonce, r.Result, r.Offline, r.Conflict, r.Annulled)
	}
	return s
}
