package boxoffice

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// checkInvariants checks what must hold of every state: each quota's Held is
// what the active holds of its ticket types add up to and fits its capacity,
// the active hold count is right, and the indexes agree with the lists.
func checkInvariants(tb testing.TB, s *State) {
	tb.Helper()
	heldByType := make(map[string]int)
	active := 0
	for id, h := range s.Holds() {
		if h.ID != id {
			tb.Fatalf("hold %s stored under %s", h.ID, id)
		}
		n := 0
		for _, it := range h.Items {
			n += it.Quantity
		}
		if h.Quantity != n {
			tb.Fatalf("hold %s Quantity = %d, want the items' %d", id, h.Quantity, n)
		}
		switch h.Status {
		case Active:
			active++
			for _, it := range h.Items {
				heldByType[it.TicketTypeID] += it.Quantity
			}
			if !h.EndedAt.IsZero() {
				tb.Fatalf("active hold %s has EndedAt %s", id, h.EndedAt)
			}
		case Released, Expired, Converted:
			if h.EndedAt.IsZero() {
				tb.Fatalf("%s hold %s has no EndedAt", h.Status, id)
			}
		default:
			tb.Fatalf("hold %s has status %q", id, h.Status)
		}
	}
	if s.ActiveHolds() != active {
		tb.Fatalf("ActiveHolds() = %d, want %d", s.ActiveHolds(), active)
	}
	recounted := &State{holds: s.holds, holdExtra: s.holdExtra, clientKeys: s.clientKeys, Orders: s.Orders}
	recounted.recount()
	if !reflect.DeepEqual(recounted.counts, s.counts) {
		tb.Fatalf("buyer counts = %+v, want %+v as recounted", s.counts, recounted.counts)
	}
	if len(s.quotas) != len(s.Quotas) || len(s.ticketTypes) != len(s.TicketTypes) {
		tb.Fatalf("indexes hold %d quotas, %d ticket types; lists %d, %d",
			len(s.quotas), len(s.ticketTypes), len(s.Quotas), len(s.TicketTypes))
	}
	member := make(map[string][]string) // ticket type -> quota ids, in quota order
	for _, q := range s.Quotas {
		if s.Quota(q.ID) != q {
			tb.Fatalf("Quota(%s) is not the listed quota", q.ID)
		}
		want := 0
		for _, id := range q.TicketTypeIDs {
			want += heldByType[id]
			member[id] = append(member[id], q.ID)
		}
		if q.Held != want {
			tb.Fatalf("quota %s Held = %d, want %d (the active holds of %q)", q.ID, q.Held, want, q.TicketTypeIDs)
		}
		if q.Held < 0 || q.Held+q.Sold > q.Capacity {
			tb.Fatalf("quota %s Held %d + Sold %d over Capacity %d", q.ID, q.Held, q.Sold, q.Capacity)
		}
	}
	for _, tt := range s.TicketTypes {
		if s.TicketType(tt.ID) != tt {
			tb.Fatalf("TicketType(%s) is not the listed ticket type", tt.ID)
		}
		if got := quotaIDs(tt); !slices.Equal(got, member[tt.ID]) {
			tb.Fatalf("ticket type %s quotas = %q, want %q", tt.ID, got, member[tt.ID])
		}
	}
}

// ledgerSim records the entries of each step as one encoded batch, as the
// box office appends them, and folds every batch into a replica decoded
// from the bytes.
type ledgerSim struct {
	tb      testing.TB
	batches [][]byte
	replica *State
}

func (l *ledgerSim) append(now time.Time, entries []Entry) {
	l.tb.Helper()
	if len(entries) == 0 {
		return
	}
	data, err := EncodeBatch(nil, Source(evID), uint64(len(l.batches)), now, entries)
	if err != nil {
		l.tb.Fatalf("EncodeBatch: %v", err)
	}
	l.batches = append(l.batches, data)
	l.fold(l.replica, data)
}

func (l *ledgerSim) fold(s *State, data []byte) {
	l.tb.Helper()
	batch, err := DecodeBatch(data)
	if err != nil {
		l.tb.Fatalf("DecodeBatch: %v", err)
	}
	for _, e := range batch {
		if err := Apply(s, e.Entry, e.At); err != nil {
			l.tb.Fatalf("replay Apply(%s): %v", e.Entry.Type(), err)
		}
	}
}

// replay rebuilds a state from batches.
func (l *ledgerSim) replay(s *State, batches [][]byte) *State {
	l.tb.Helper()
	for _, b := range batches {
		l.fold(s, b)
	}
	return s
}

// TestRandomized drives the box office with thousands of random commands and
// expiries, checking the invariants after every step, that the ledger
// rebuilds the same state, and that a state restored from a snapshot goes on
// deciding exactly like the live one.
func TestRandomized(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 500
	}
	rng := rand.New(rand.NewPCG(20300101, 42))
	led := &ledgerSim{tb: t, replica: NewState()}
	live := NewState()
	var restored *State // from a snapshot of live, once taken
	var snapData []byte
	var snapBatches int
	now := t0

	stats := map[string]int{}
	var holdIDs []string // every hold id tried
	var open []string    // holds that may still be active, in creation order
	var created []string // holds created
	// step decides cmds and due expiries at now as one batch.
	step := func(cmds []Command) {
		t.Helper()
		var entries []Entry
		// Holds ended earlier must not expire again.
		if len(holdIDs) > 0 {
			id := holdIDs[rng.IntN(len(holdIDs))]
			if h := live.Hold(id); h != nil && h.Status != Active {
				if e := Expire(live, id, now); e != nil {
					t.Fatalf("Expire(%s) = %#v for a %s hold", id, e, h.Status)
				}
			}
		}
		still := open[:0]
		for _, id := range open {
			h := live.Hold(id)
			if h.Status != Active {
				continue
			}
			e := Expire(live, id, now)
			if now.Before(h.ExpiresAt) {
				if e != nil {
					t.Fatalf("Expire(%s) = %#v before %s at %s", id, e, h.ExpiresAt, now)
				}
				still = append(still, id)
				continue
			}
			if !reflect.DeepEqual(e, &HoldExpired{HoldID: id, Actor: "system"}) {
				t.Fatalf("Expire(%s) = %#v, want HoldExpired", id, e)
			}
			mustApply(t, live, e, now)
			if restored != nil {
				if e2 := Expire(restored, id, now); !reflect.DeepEqual(e2, e) {
					t.Fatalf("restored Expire(%s) = %#v, want %#v", id, e2, e)
				}
				mustApply(t, restored, e, now)
			}
			entries = append(entries, e)
			stats["expired"]++
		}
		open = still
		for _, cmd := range cmds {
			d, err := Decide(live, cmd, now)
			if restored != nil {
				d2, err2 := Decide(restored, cmd, now)
				if !reflect.DeepEqual(d2, d) || !reflect.DeepEqual(err2, err) {
					t.Fatalf("restored state decided %T differently:\n got %+v, %v\nwant %+v, %v", cmd, d2, err2, d, err)
				}
			}
			if err != nil {
				switch k := fault.KindOf(err); k {
				case fault.Invalid, fault.NotFound, fault.Conflict, fault.SoldOut, fault.HoldExpired:
					stats[k.String()]++
				default:
					t.Fatalf("Decide(%T): %v, of kind %q", cmd, err, k)
				}
				continue
			}
			if d.Replayed || d.Unchanged {
				stats["replayed"]++
			}
			for _, e := range d.Entries {
				mustApply(t, live, e, now)
				if restored != nil {
					mustApply(t, restored, e, now)
				}
				stats[e.Type()]++
				if h, ok := e.(*HoldCreated); ok {
					open = append(open, h.HoldID)
					created = append(created, h.HoldID)
				}
			}
			entries = append(entries, d.Entries...)
		}
		led.append(now, entries)
		checkInvariants(t, live)
	}

	// The event: five ticket types over four overlapping quotas.
	step([]Command{
		&CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: EventDetails{Name: "Fuzz",
			TimeZone: "UTC", StartsAt: startsAt, EndsAt: endsAt, HoldTTLSeconds: 60, MaxTicketsPerHold: 10}},
	})
	types := []string{"t0", "t1", "t2", "t3", "t4"}
	limits := [][2]int{{1, 10}, {1, 4}, {2, 6}, {1, 10}, {1, 3}}
	var cmds []Command
	for i, id := range types {
		d := ttDetails("Type " + id)
		d.MinPerHold, d.MaxPerHold = limits[i][0], limits[i][1]
		cmds = append(cmds, &CreateTicketType{OrganizerID: org, TicketTypeID: id, Details: d})
	}
	quotaNames := []string{"total", "qa", "qb", "qc"}
	members := [][]string{types, {"t0", "t1"}, {"t1", "t2", "t3"}, {"t4"}}
	for i, id := range quotaNames {
		cmds = append(cmds, &CreateQuota{OrganizerID: org, QuotaID: id, Details: QuotaDetails{Name: id,
			Capacity: []int{60, 20, 15, 8}[i], TicketTypeIDs: members[i]}})
	}
	cmds = append(cmds, &ChangeStatus{OrganizerID: org, Status: OnSale})
	step(cmds)
	if live.Event == nil || live.Event.Status != OnSale || len(live.Quotas) != 4 {
		t.Fatalf("setup failed: %+v", live.Event)
	}

	randomTypes := func() []string {
		var ids []string
		for _, id := range types {
			if rng.IntN(2) == 0 {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			ids = append(ids, types[rng.IntN(len(types))])
		}
		return ids
	}
	randomCommand := func() Command {
		switch r := rng.IntN(100); {
		case r < 50:
			n := 1 + rng.IntN(3)
			items := make([]Item, n)
			perm := rng.Perm(len(types))
			for i := range items {
				tt := types[perm[i]]
				if rng.IntN(20) == 0 {
					tt = types[rng.IntN(len(types))] // perhaps listed twice
				}
				if rng.IntN(50) == 0 {
					tt = "nope"
				}
				n := 1 + rng.IntN(4)
				if rng.IntN(15) == 0 {
					n = rng.IntN(13) - 1 // often outside the ticket type's limits
				}
				items[i] = item(tt, n)
			}
			id := "h" + itoa(len(holdIDs))
			if rng.IntN(20) == 0 && len(holdIDs) > 0 {
				id = holdIDs[rng.IntN(len(holdIDs))] // an id already taken
			} else {
				holdIDs = append(holdIDs, id)
			}
			c := &CreateHold{HoldID: id, Items: items}
			if rng.IntN(5) == 0 {
				c.Idem = &IdemStamp{Scope: "s" + itoa(rng.IntN(2)), Key: "k" + itoa(rng.IntN(8)),
					Hash: "x" + itoa(rng.IntN(2))}
			}
			return c
		case r < 72:
			id := "nope"
			if len(created) > 0 && rng.IntN(30) != 0 {
				id = created[max(0, len(created)-1-rng.IntN(20))] // mostly recent ones
			}
			return &ReleaseHold{HoldID: id}
		case r < 84:
			return &UpdateQuota{OrganizerID: org, QuotaID: quotaNames[rng.IntN(len(quotaNames))],
				Patch: QuotaPatch{Capacity: ptr(rng.IntN(70))}}
		case r < 90:
			return &UpdateQuota{OrganizerID: org, QuotaID: quotaNames[rng.IntN(len(quotaNames))],
				Patch: QuotaPatch{TicketTypeIDs: randomTypes()}}
		case r < 92:
			id := "q" + itoa(len(quotaNames))
			if len(quotaNames) < 8 {
				quotaNames = append(quotaNames, id)
			}
			return &CreateQuota{OrganizerID: org, QuotaID: id, Details: QuotaDetails{Name: id,
				Capacity: rng.IntN(70), TicketTypeIDs: randomTypes()}}
		case r < 97:
			lo := 1 + rng.IntN(3)
			return &UpdateTicketType{OrganizerID: org, TicketTypeID: types[rng.IntN(len(types))],
				Patch: TicketTypePatch{MinPerHold: ptr(lo), MaxPerHold: ptr(lo + rng.IntN(8))}}
		default:
			return &ChangeStatus{OrganizerID: org, Status: []Status{OnSale, OnSale, OnSale, SalesClosed}[rng.IntN(4)]}
		}
	}

	for i := range steps {
		switch r := rng.IntN(100); {
		case r < 25: // same time as the last batch
		case r < 99:
			now = now.Add(time.Duration(rng.IntN(15_000)) * time.Millisecond)
		default: // long enough for idempotency keys to be forgotten
			now = now.Add(IdemRetention/2 + time.Duration(rng.IntN(3600))*time.Second)
		}
		cmds := make([]Command, rng.IntN(5))
		for j := range cmds {
			cmds[j] = randomCommand()
		}
		step(cmds)

		if i == steps/3 || i == 2*steps/3 {
			snapData, snapBatches = snap(t, live), len(led.batches)
			var err error
			if restored, err = UnmarshalSnapshot(snapData); err != nil {
				t.Fatalf("UnmarshalSnapshot: %v", err)
			}
			sameState(t, "restored at step "+itoa(i), restored, live)
			checkInvariants(t, restored)
		}
		if i%200 == 0 {
			sameState(t, "ledger replica at step "+itoa(i), led.replica, live)
		}
	}

	sameState(t, "ledger replica", led.replica, live)
	checkInvariants(t, led.replica)
	sameState(t, "restored from a snapshot", restored, live)
	checkInvariants(t, restored)
	sameState(t, "full replay", led.replay(NewState(), led.batches), live)
	fromSnap, err := UnmarshalSnapshot(snapData)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, "snapshot plus tail", led.replay(fromSnap, led.batches[snapBatches:]), live)

	// The run must have gone through every interesting path, or it proves little.
	for _, k := range []string{"admit.hold.created.v1", "admit.hold.released.v1", "expired", "replayed",
		"admit.quota.updated.v1", "admit.ticket_type.updated.v1", "admit.event.status_changed.v1",
		fault.SoldOut.String(), fault.Conflict.String(), fault.Invalid.String(), fault.HoldExpired.String(),
		fault.NotFound.String()} {
		if stats[k] < 10 && !testing.Short() {
			t.Errorf("only %d %q in the run; the generator needs tuning (%v)", stats[k], k, stats)
		}
	}
	t.Logf("%d batches, %d holds, %d active; %v", len(led.batches), live.HoldCount(), live.ActiveHolds(), stats)
}
