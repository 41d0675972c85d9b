package boxoffice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// decideCase is one row of a Decide table: a state, a command and either
// the exact entries it decides or the error it is refused with.
type decideCase struct {
	name   string
	state  func(testing.TB) *State
	cmd    Command
	now    time.Time // zero: t0
	kind   fault.Kind
	fields []string // the Invalid error's field pointers, in order
	code   string   // the error's problem code
	want   []Entry  // accepted: the exact entries
	ref    string   // accepted: Decision.Ref
	replay bool     // accepted as an Idempotency-Key replay (no entries)
	same   bool     // accepted as a repeat that changes nothing (no entries)
}

func runDecide(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.state(t)
			now := c.now
			if now.IsZero() {
				now = t0
			}
			before := snap(t, s)
			activeBefore := s.ActiveHolds()
			d, err := Decide(s, c.cmd, now)
			if after := snap(t, s); !bytes.Equal(before, after) || s.ActiveHolds() != activeBefore {
				t.Fatalf("Decide changed the state\nbefore: %s\n after: %s", before, after)
			}
			if c.want == nil && !c.replay && !c.same {
				fe := wantKind(t, err, c.kind)
				if got := fieldNames(fe); !slices.Equal(got, c.fields) {
					t.Errorf("fields = %q, want %q (%v)", got, c.fields, err)
				}
				if fe.Code != c.code {
					t.Errorf("code = %q, want %q", fe.Code, c.code)
				}
				if fe.Message == "" {
					t.Errorf("error has no message")
				}
				if !reflect.DeepEqual(d, Decision{}) {
					t.Errorf("decision = %+v alongside an error, want the zero Decision", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v, want accepted", err)
			}
			if d.Ref != c.ref || d.Replayed != c.replay || d.Unchanged != c.same {
				t.Errorf("Ref, Replayed, Unchanged = %q, %v, %v, want %q, %v, %v", d.Ref, d.Replayed, d.Unchanged,
					c.ref, c.replay, c.same)
			}
			if c.replay || c.same {
				if len(d.Entries) != 0 {
					t.Errorf("replay decided %d entries, want none", len(d.Entries))
				}
				return
			}
			if !reflect.DeepEqual(d.Entries, c.want) {
				t.Errorf("entries:\n got %s\nwant %s", dump(d.Entries), dump(c.want))
			}
			for _, e := range d.Entries {
				if err := Apply(s, e, now); err != nil {
					t.Errorf("Apply(%s) of the decision: %v", e.Type(), err)
				}
			}
		})
	}
}

// dump shows entries with their data as JSON, for messages.
func dump(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		data, err := json.Marshal(e)
		if err != nil {
			data = []byte(err.Error())
		}
		fmt.Fprintf(&b, "%s %s; ", e.Type(), data)
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// with returns a state builder: base, then cmds decided and applied at t0.
func with(base func(testing.TB) *State, cmds ...Command) func(testing.TB) *State {
	return func(tb testing.TB) *State {
		tb.Helper()
		s := base(tb)
		for _, c := range cmds {
			must(tb, s, c, t0)
		}
		return s
	}
}

func noEvent(testing.TB) *State { return NewState() }

func draft(tb testing.TB) *State { return draftEvent(tb) }

func onSale(tb testing.TB) *State { return onSaleEvent(tb) }

// sellableDraft is a draft with ticket type "ga" in quota "total" (100).
func sellableDraft(tb testing.TB) *State {
	tb.Helper()
	s := draftEvent(tb)
	addTicketType(tb, s, "ga", 1, 10, t0)
	addQuota(tb, s, "total", 100, []string{"ga"}, t0)
	return s
}

func cancelled(tb testing.TB) *State {
	tb.Helper()
	s := onSaleEvent(tb)
	setStatus(tb, s, Cancelled, t0)
	return s
}

func closed(tb testing.TB) *State {
	tb.Helper()
	s := onSaleEvent(tb)
	setStatus(tb, s, SalesClosed, t0)
	return s
}

var (
	idemA      = &IdemStamp{Scope: "org-1", Key: "key-a", Hash: "hash-a"}
	idemAOther = &IdemStamp{Scope: "org-1", Key: "key-a", Hash: "hash-other"}
	idemB      = &IdemStamp{Scope: "org-1", Key: "key-b", Hash: "hash-a"}
)

type fakeCommand struct{}

func (fakeCommand) command() {}

func TestDecideUnknownCommand(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "nil", state: onSale, cmd: nil, kind: fault.Internal},
		{name: "foreign type", state: onSale, cmd: fakeCommand{}, kind: fault.Internal},
	})
}

func eventCreated(mod func(*EventCreated)) []Entry {
	e := &EventCreated{EventID: evID, OrganizerID: org, Currency: "EUR", EventDetails: eventDetails()}
	e.HoldTTLSeconds, e.MaxTicketsPerHold = DefaultHoldTTLSeconds, DefaultMaxTicketsPerHold
	e.PaymentSettings = defaultPayments()
	e.BuyerLimits = defaultLimits()
	if mod != nil {
		mod(e)
	}
	return []Entry{e}
}

func TestDecideCreateEvent(t *testing.T) {
	create := func(mod func(*CreateEvent)) *CreateEvent {
		c := &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: eventDetails()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	stamped := func(tb testing.TB) *State {
		tb.Helper()
		s := NewState()
		must(tb, s, create(func(c *CreateEvent) { c.Idem = idemA }), t0)
		return s
	}
	long := strings.Repeat("é", 200) // 200 runes, 400 bytes: the limits count characters
	runDecide(t, []decideCase{
		{name: "defaults applied", state: noEvent, cmd: create(nil), want: eventCreated(nil), ref: evID},
		{name: "lowest limits kept", state: noEvent,
			cmd:  create(func(c *CreateEvent) { c.Details.HoldTTLSeconds, c.Details.MaxTicketsPerHold = 60, 1 }),
			want: eventCreated(func(e *EventCreated) { e.HoldTTLSeconds, e.MaxTicketsPerHold = 60, 1 }), ref: evID},
		{name: "highest limits kept", state: noEvent,
			cmd:  create(func(c *CreateEvent) { c.Details.HoldTTLSeconds, c.Details.MaxTicketsPerHold = 3600, 100 }),
			want: eventCreated(func(e *EventCreated) { e.HoldTTLSeconds, e.MaxTicketsPerHold = 3600, 100 }), ref: evID},
		{name: "idempotency stamp carried", state: noEvent, cmd: create(func(c *CreateEvent) { c.Idem = idemA }),
			want: eventCreated(func(e *EventCreated) { e.Idem = idemA }), ref: evID},
		{name: "zero-digit currency", state: noEvent, cmd: create(func(c *CreateEvent) { c.Currency = "JPY" }),
			want: eventCreated(func(e *EventCreated) { e.Currency = "JPY" }), ref: evID},
		{name: "empty venue, long names in characters", state: noEvent,
			cmd:  create(func(c *CreateEvent) { c.Details.Venue, c.Details.Name = "", long }),
			want: eventCreated(func(e *EventCreated) { e.Venue, e.Name = "", long }), ref: evID},

		{name: "exists", state: draft, cmd: create(nil), kind: fault.Conflict},
		{name: "exists, unknown key", state: stamped, cmd: create(func(c *CreateEvent) { c.Idem = idemB }),
			kind: fault.Conflict},
		{name: "exists, replayed", state: stamped, cmd: create(func(c *CreateEvent) { c.Idem = idemA }),
			now: t0.Add(IdemRetention), replay: true, ref: evID},
		{name: "exists, key forgotten", state: stamped, cmd: create(func(c *CreateEvent) { c.Idem = idemA }),
			now: t0.Add(IdemRetention + time.Nanosecond), kind: fault.Conflict},
		{name: "exists, key reused", state: stamped, cmd: create(func(c *CreateEvent) { c.Idem = idemAOther }),
			kind: fault.Invalid, code: "idempotency-key-reused"},

		{name: "empty name", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.Name = "" }),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long name", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.Name = long + "x" }),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "name not UTF-8", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.Name = "a\xffb" }),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long venue", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.Venue = strings.Repeat("v", 201) }),
			kind: fault.Invalid, fields: []string{"/venue"}},
		{name: "empty time zone", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.TimeZone = "" }),
			kind: fault.Invalid, fields: []string{"/timezone"}},
		{name: "long time zone", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.TimeZone = strings.Repeat("z", 65) }),
			kind: fault.Invalid, fields: []string{"/timezone"}},
		{name: "no start", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.StartsAt = time.Time{} }),
			kind: fault.Invalid, fields: []string{"/starts_at"}},
		{name: "no end", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.EndsAt = time.Time{} }),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "ends when it starts", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.EndsAt = startsAt }),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "ends before it starts", state: noEvent,
			cmd:  create(func(c *CreateEvent) { c.Details.EndsAt = startsAt.Add(-time.Second) }),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "hold ttl too short", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.HoldTTLSeconds = 59 }),
			kind: fault.Invalid, fields: []string{"/hold_ttl_seconds"}},
		{name: "hold ttl too long", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.HoldTTLSeconds = 3601 }),
			kind: fault.Invalid, fields: []string{"/hold_ttl_seconds"}},
		{name: "hold ttl negative", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.HoldTTLSeconds = -1 }),
			kind: fault.Invalid, fields: []string{"/hold_ttl_seconds"}},
		{name: "max tickets too high", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.MaxTicketsPerHold = 101 }),
			kind: fault.Invalid, fields: []string{"/max_tickets_per_hold"}},
		{name: "max tickets negative", state: noEvent, cmd: create(func(c *CreateEvent) { c.Details.MaxTicketsPerHold = -1 }),
			kind: fault.Invalid, fields: []string{"/max_tickets_per_hold"}},
		{name: "unknown currency", state: noEvent, cmd: create(func(c *CreateEvent) { c.Currency = "XXX" }),
			kind: fault.Invalid, fields: []string{"/currency"}},
		{name: "lower-case currency", state: noEvent, cmd: create(func(c *CreateEvent) { c.Currency = "eur" }),
			kind: fault.Invalid, fields: []string{"/currency"}},
		{name: "no currency", state: noEvent, cmd: create(func(c *CreateEvent) { c.Currency = "" }),
			kind: fault.Invalid, fields: []string{"/currency"}},
		{name: "everything missing", state: noEvent, cmd: &CreateEvent{OrganizerID: org, EventID: evID},
			kind: fault.Invalid, fields: []string{"/name", "/timezone", "/starts_at", "/ends_at", "/currency"}},
	})
}

func TestDecideUpdateEvent(t *testing.T) {
	update := func(p EventPatch) *UpdateEvent { return &UpdateEvent{OrganizerID: org, Patch: p} }
	updated := func(mod func(*EventDetails)) []Entry {
		d := eventDetails()
		d.HoldTTLSeconds, d.MaxTicketsPerHold = DefaultHoldTTLSeconds, DefaultMaxTicketsPerHold
		d.PaymentSettings = defaultPayments()
		d.BuyerLimits = defaultLimits()
		if mod != nil {
			mod(&d)
		}
		return []Entry{&EventUpdated{EventID: evID, EventDetails: d}}
	}
	later := endsAt.Add(48 * time.Hour)
	runDecide(t, []decideCase{
		{name: "empty patch", state: draft, cmd: update(EventPatch{}), want: updated(nil), ref: evID},
		{name: "every field", state: draft, cmd: update(EventPatch{Name: ptr("Gig"), Venue: ptr(""),
			TimeZone: ptr("UTC"), StartsAt: ptr(later), EndsAt: ptr(later.Add(time.Hour)),
			HoldTTLSeconds: ptr(60), MaxTicketsPerHold: ptr(4)}),
			want: updated(func(d *EventDetails) {
				*d = EventDetails{Name: "Gig", TimeZone: "UTC", StartsAt: later, EndsAt: later.Add(time.Hour),
					HoldTTLSeconds: 60, MaxTicketsPerHold: 4, PaymentSettings: defaultPayments(),
					BuyerLimits: defaultLimits()}
			}), ref: evID},
		{name: "on sale", state: onSale, cmd: update(EventPatch{Name: ptr("Gig")}),
			want: updated(func(d *EventDetails) { d.Name = "Gig" }), ref: evID},
		{name: "sales closed", state: closed, cmd: update(EventPatch{Venue: ptr("Park")}),
			want: updated(func(d *EventDetails) { d.Venue = "Park" }), ref: evID},

		{name: "no event", state: noEvent, cmd: update(EventPatch{}), kind: fault.NotFound},
		{name: "another organizer", state: draft, cmd: &UpdateEvent{OrganizerID: other}, kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: update(EventPatch{Name: ptr("Gig")}), kind: fault.Conflict},
		{name: "empty name", state: draft, cmd: update(EventPatch{Name: ptr("")}),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long venue", state: draft, cmd: update(EventPatch{Venue: ptr(strings.Repeat("v", 201))}),
			kind: fault.Invalid, fields: []string{"/venue"}},
		{name: "empty time zone", state: draft, cmd: update(EventPatch{TimeZone: ptr("")}),
			kind: fault.Invalid, fields: []string{"/timezone"}},
		{name: "start cleared", state: draft, cmd: update(EventPatch{StartsAt: ptr(time.Time{})}),
			kind: fault.Invalid, fields: []string{"/starts_at"}},
		{name: "end cleared", state: draft, cmd: update(EventPatch{EndsAt: ptr(time.Time{})}),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "start moved past the end", state: draft, cmd: update(EventPatch{StartsAt: ptr(endsAt)}),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "end moved before the start", state: draft, cmd: update(EventPatch{EndsAt: ptr(startsAt.Add(-time.Hour))}),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "hold ttl zero", state: draft, cmd: update(EventPatch{HoldTTLSeconds: ptr(0)}),
			kind: fault.Invalid, fields: []string{"/hold_ttl_seconds"}},
		{name: "hold ttl too long", state: draft, cmd: update(EventPatch{HoldTTLSeconds: ptr(3601)}),
			kind: fault.Invalid, fields: []string{"/hold_ttl_seconds"}},
		{name: "max tickets zero", state: draft, cmd: update(EventPatch{MaxTicketsPerHold: ptr(0)}),
			kind: fault.Invalid, fields: []string{"/max_tickets_per_hold"}},
		{name: "max tickets too high", state: draft, cmd: update(EventPatch{MaxTicketsPerHold: ptr(101)}),
			kind: fault.Invalid, fields: []string{"/max_tickets_per_hold"}},
		{name: "several", state: draft, cmd: update(EventPatch{Name: ptr(""), HoldTTLSeconds: ptr(1)}),
			kind: fault.Invalid, fields: []string{"/name", "/hold_ttl_seconds"}},
	})
}

func TestDecideChangeStatus(t *testing.T) {
	change := func(st Status, idem *IdemStamp) *ChangeStatus {
		return &ChangeStatus{OrganizerID: org, Status: st, Idem: idem}
	}
	stamped := with(sellableDraft, change(OnSale, idemA))
	typeOnly := func(tb testing.TB) *State {
		tb.Helper()
		s := draftEvent(tb)
		addTicketType(tb, s, "ga", 1, 10, t0)
		return s
	}
	runDecide(t, []decideCase{
		{name: "on sale", state: sellableDraft, cmd: change(OnSale, nil),
			want: []Entry{&EventStatusChanged{EventID: evID, From: Draft, Status: OnSale}}, ref: evID},
		{name: "on sale just before the end", state: sellableDraft, cmd: change(OnSale, idemA), now: endsAt.Add(-time.Nanosecond),
			want: []Entry{&EventStatusChanged{EventID: evID, From: Draft, Status: OnSale, Idem: idemA}}, ref: evID},
		{name: "replayed", state: stamped, cmd: change(OnSale, idemA), replay: true, ref: evID},
		{name: "replayed even though no longer allowed", state: with(stamped, change(Cancelled, nil)),
			cmd: change(OnSale, idemA), replay: true, ref: evID},
		{name: "key reused", state: stamped, cmd: change(SalesClosed, idemAOther),
			kind: fault.Invalid, code: "idempotency-key-reused"},
		{name: "key forgotten", state: stamped, cmd: change(SalesClosed, idemA), now: t0.Add(25 * time.Hour),
			want: []Entry{&EventStatusChanged{EventID: evID, From: OnSale, Status: SalesClosed, Idem: idemA}}, ref: evID},

		{name: "no event", state: noEvent, cmd: change(OnSale, nil), kind: fault.NotFound},
		{name: "another organizer", state: sellableDraft, cmd: &ChangeStatus{OrganizerID: other, Status: OnSale},
			kind: fault.NotFound},
		{name: "another organizer's key", state: stamped, cmd: &ChangeStatus{OrganizerID: other, Status: OnSale, Idem: idemA},
			kind: fault.NotFound},
		{name: "unknown status", state: sellableDraft, cmd: change("sold_out", nil),
			kind: fault.Invalid, fields: []string{"/status"}},
		{name: "empty status", state: sellableDraft, cmd: change("", nil),
			kind: fault.Invalid, fields: []string{"/status"}},
		{name: "not allowed", state: sellableDraft, cmd: change(SalesClosed, nil), kind: fault.Conflict},
		{name: "no ticket types", state: draft, cmd: change(OnSale, nil), kind: fault.Conflict},
		{name: "ticket type in no quota", state: typeOnly, cmd: change(OnSale, nil), kind: fault.Conflict},
		{name: "at the end", state: sellableDraft, cmd: change(OnSale, nil), now: endsAt, kind: fault.Conflict},
		{name: "after the end", state: sellableDraft, cmd: change(OnSale, nil), now: endsAt.Add(time.Hour),
			kind: fault.Conflict},
		{name: "reopen after the end", state: closed, cmd: change(OnSale, nil), now: endsAt, kind: fault.Conflict},
		{name: "close after the end", state: onSale, cmd: change(SalesClosed, nil), now: endsAt.Add(time.Hour),
			want: []Entry{&EventStatusChanged{EventID: evID, From: OnSale, Status: SalesClosed}}, ref: evID},
	})
}

// TestStatusMatrix checks every from/to pair of statuses.
func TestStatusMatrix(t *testing.T) {
	from := map[Status]func(testing.TB) *State{
		Draft:       sellableDraft,
		OnSale:      with(sellableDraft, &ChangeStatus{OrganizerID: org, Status: OnSale}),
		SalesClosed: with(sellableDraft, &ChangeStatus{OrganizerID: org, Status: OnSale}, &ChangeStatus{OrganizerID: org, Status: SalesClosed}),
		Cancelled:   with(sellableDraft, &ChangeStatus{OrganizerID: org, Status: Cancelled}),
	}
	allowed := map[[2]Status]bool{
		{Draft, OnSale}: true, {Draft, Cancelled}: true,
		{OnSale, SalesClosed}: true, {OnSale, Cancelled}: true,
		{SalesClosed, OnSale}: true, {SalesClosed, Cancelled}: true,
	}
	all := []Status{Draft, OnSale, SalesClosed, Cancelled}
	for _, f := range all {
		for _, to := range all {
			t.Run(string(f)+"->"+string(to), func(t *testing.T) {
				s := from[f](t)
				if s.Event.Status != f {
					t.Fatalf("setup: status %s, want %s", s.Event.Status, f)
				}
				at := t0.Add(time.Minute)
				d, err := decideApply(t, s, &ChangeStatus{OrganizerID: org, Status: to}, at)
				if !allowed[[2]Status{f, to}] {
					wantKind(t, err, fault.Conflict)
					if s.Event.Status != f {
						t.Errorf("status = %s after a refusal, want %s", s.Event.Status, f)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s -> %s: %v", f, to, err)
				}
				want := []Entry{&EventStatusChanged{EventID: evID, From: f, Status: to}}
				if !reflect.DeepEqual(d.Entries, want) {
					t.Errorf("entries = %s, want %s", dump(d.Entries), dump(want))
				}
				if s.Event.Status != to || !s.Event.UpdatedAt.Equal(at) {
					t.Errorf("status, updated = %s, %s, want %s, %s", s.Event.Status, s.Event.UpdatedAt, to, at)
				}
			})
		}
	}
}

func TestDecideCreateTicketType(t *testing.T) {
	create := func(id string, mod func(*TicketTypeDetails)) *CreateTicketType {
		d := ttDetails("Standing")
		if mod != nil {
			mod(&d)
		}
		return &CreateTicketType{OrganizerID: org, TicketTypeID: id, Details: d}
	}
	created := func(id string, minPer, maxPer int, mod func(*TicketTypeDetails)) []Entry {
		d := ttDetails("Standing")
		d.MinPerHold, d.MaxPerHold = minPer, maxPer
		if mod != nil {
			mod(&d)
		}
		return []Entry{&TicketTypeCreated{TicketTypeID: id, TicketTypeDetails: d}}
	}
	limits := func(minPer, maxPer int) func(*TicketTypeDetails) {
		return func(d *TicketTypeDetails) { d.MinPerHold, d.MaxPerHold = minPer, maxPer }
	}
	eventMax := func(n int) func(testing.TB) *State {
		return with(draft, &UpdateEvent{OrganizerID: org, Patch: EventPatch{MaxTicketsPerHold: ptr(n)}})
	}
	stamped := with(draft, &CreateTicketType{OrganizerID: org, TicketTypeID: "ga", Details: ttDetails("Standing"), Idem: idemA})
	full := func(tb testing.TB) *State {
		tb.Helper()
		s := draftEvent(tb)
		for i := range MaxTicketTypes {
			mustApply(tb, s, &TicketTypeCreated{TicketTypeID: "tt" + itoa(i), TicketTypeDetails: ttDetails("T")}, t0)
		}
		return s
	}
	window := func(start, end time.Time) func(*TicketTypeDetails) {
		return func(d *TicketTypeDetails) { d.SalesStart, d.SalesEnd = start, end }
	}
	runDecide(t, []decideCase{
		{name: "defaults", state: draft, cmd: create("ga", nil), want: created("ga", 1, 10, nil), ref: "ga"},
		{name: "default max follows a lower event max", state: eventMax(4), cmd: create("ga", nil),
			want: created("ga", 1, 4, nil), ref: "ga"},
		{name: "default max capped at 10", state: eventMax(50), cmd: create("ga", nil),
			want: created("ga", 1, 10, nil), ref: "ga"},
		{name: "default max is at least min", state: draft, cmd: create("ga", limits(20, 0)),
			want: created("ga", 20, 20, nil), ref: "ga"},
		{name: "default max with a min", state: draft, cmd: create("ga", limits(5, 0)),
			want: created("ga", 5, 10, nil), ref: "ga"},
		{name: "default min with a max", state: draft, cmd: create("ga", limits(0, 3)),
			want: created("ga", 1, 3, nil), ref: "ga"},
		{name: "explicit limits", state: draft, cmd: create("ga", limits(100, 100)),
			want: created("ga", 100, 100, nil), ref: "ga"},
		{name: "free, with a window and a stamp", state: onSale,
			cmd: &CreateTicketType{OrganizerID: org, TicketTypeID: "free", Idem: idemA, Details: TicketTypeDetails{
				Name: "Free", Description: strings.Repeat("d", 2000), Price: Money{Currency: "EUR"},
				SalesStart: t0, SalesEnd: t0.Add(time.Second)}},
			want: []Entry{&TicketTypeCreated{TicketTypeID: "free", Idem: idemA, TicketTypeDetails: TicketTypeDetails{
				Name: "Free", Description: strings.Repeat("d", 2000), Price: Money{Currency: "EUR"},
				MinPerHold: 1, MaxPerHold: 10, SalesStart: t0, SalesEnd: t0.Add(time.Second)}}}, ref: "free"},
		{name: "highest price", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Price.Amount = MaxPriceAmount }),
			want: created("ga", 1, 10, func(d *TicketTypeDetails) { d.Price.Amount = MaxPriceAmount }), ref: "ga"},
		{name: "only a start", state: draft, cmd: create("ga", window(t0, time.Time{})),
			want: created("ga", 1, 10, window(t0, time.Time{})), ref: "ga"},
		{name: "only an end", state: draft, cmd: create("ga", window(time.Time{}, t0)),
			want: created("ga", 1, 10, window(time.Time{}, t0)), ref: "ga"},
		{name: "sales closed", state: closed, cmd: create("late", nil), want: created("late", 1, 10, nil), ref: "late"},
		{name: "replayed", state: stamped, cmd: &CreateTicketType{OrganizerID: org, TicketTypeID: "other", Idem: idemA},
			replay: true, ref: "ga"},
		{name: "key reused", state: stamped, cmd: &CreateTicketType{OrganizerID: org, TicketTypeID: "other", Idem: idemAOther},
			kind: fault.Invalid, code: "idempotency-key-reused"},

		{name: "no event", state: noEvent, cmd: create("ga", nil), kind: fault.NotFound},
		{name: "another organizer", state: draft, cmd: &CreateTicketType{OrganizerID: other, TicketTypeID: "ga",
			Details: ttDetails("x")}, kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: create("new", nil), kind: fault.Conflict},
		{name: "exists", state: onSale, cmd: create("ga", nil), kind: fault.Conflict},
		{name: "too many", state: full, cmd: create("one-more", nil), kind: fault.Conflict},
		{name: "empty name", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Name = "" }),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long name", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Name = strings.Repeat("n", 201) }),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long description", state: draft,
			cmd:  create("ga", func(d *TicketTypeDetails) { d.Description = strings.Repeat("d", 2001) }),
			kind: fault.Invalid, fields: []string{"/description"}},
		{name: "description not UTF-8", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Description = "\xc3" }),
			kind: fault.Invalid, fields: []string{"/description"}},
		{name: "negative price", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Price.Amount = -1 }),
			kind: fault.Invalid, fields: []string{"/price/amount"}},
		{name: "price too high", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Price.Amount = MaxPriceAmount + 1 }),
			kind: fault.Invalid, fields: []string{"/price/amount"}},
		{name: "other currency", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Price.Currency = "USD" }),
			kind: fault.Invalid, fields: []string{"/price/currency"}},
		{name: "no currency", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Price.Currency = "" }),
			kind: fault.Invalid, fields: []string{"/price/currency"}},
		{name: "negative min", state: draft, cmd: create("ga", limits(-1, 5)),
			kind: fault.Invalid, fields: []string{"/min_per_hold"}},
		{name: "min too high", state: draft, cmd: create("ga", limits(101, 0)),
			kind: fault.Invalid, fields: []string{"/min_per_hold", "/max_per_hold"}},
		{name: "max too high", state: draft, cmd: create("ga", limits(1, 101)),
			kind: fault.Invalid, fields: []string{"/max_per_hold"}},
		{name: "negative max", state: draft, cmd: create("ga", limits(1, -1)),
			kind: fault.Invalid, fields: []string{"/max_per_hold", "/max_per_hold"}},
		{name: "max below min", state: draft, cmd: create("ga", limits(3, 2)),
			kind: fault.Invalid, fields: []string{"/max_per_hold"}},
		{name: "window empty", state: draft, cmd: create("ga", window(t0, t0)),
			kind: fault.Invalid, fields: []string{"/sales_end"}},
		{name: "window reversed", state: draft, cmd: create("ga", window(t0, t0.Add(-time.Second))),
			kind: fault.Invalid, fields: []string{"/sales_end"}},
		{name: "several", state: draft, cmd: create("ga", func(d *TicketTypeDetails) { d.Name, d.Price.Amount = "", -5 }),
			kind: fault.Invalid, fields: []string{"/name", "/price/amount"}},
	})
}

func TestDecideUpdateTicketType(t *testing.T) {
	update := func(id string, p TicketTypePatch) *UpdateTicketType {
		return &UpdateTicketType{OrganizerID: org, TicketTypeID: id, Patch: p}
	}
	// onSale's "vip": 1..4, 2500 EUR, no window.
	updated := func(mod func(*TicketTypeDetails)) []Entry {
		d := ttDetails("Type vip")
		d.MinPerHold, d.MaxPerHold = 1, 4
		if mod != nil {
			mod(&d)
		}
		return []Entry{&TicketTypeUpdated{TicketTypeID: "vip", TicketTypeDetails: d}}
	}
	windowed := with(onSale, update("vip", TicketTypePatch{SalesStart: ptr(t0), SalesEnd: ptr(endsAt)}))
	runDecide(t, []decideCase{
		{name: "empty patch", state: onSale, cmd: update("vip", TicketTypePatch{}), want: updated(nil), ref: "vip"},
		{name: "every field", state: onSale, cmd: update("vip", TicketTypePatch{Name: ptr("VIP"),
			Description: ptr("Balcony"), Price: &Money{Amount: 0, Currency: "EUR"}, MinPerHold: ptr(2),
			MaxPerHold: ptr(2), SalesStart: ptr(t0), SalesEnd: ptr(endsAt)}),
			want: updated(func(d *TicketTypeDetails) {
				*d = TicketTypeDetails{Name: "VIP", Description: "Balcony", Price: Money{Currency: "EUR"},
					MinPerHold: 2, MaxPerHold: 2, SalesStart: t0, SalesEnd: endsAt}
			}), ref: "vip"},
		{name: "window kept", state: windowed, cmd: update("vip", TicketTypePatch{Name: ptr("VIP")}),
			want: updated(func(d *TicketTypeDetails) { d.Name, d.SalesStart, d.SalesEnd = "VIP", t0, endsAt }), ref: "vip"},
		{name: "window cleared", state: windowed,
			cmd:  update("vip", TicketTypePatch{SalesStart: ptr(time.Time{}), SalesEnd: ptr(time.Time{})}),
			want: updated(nil), ref: "vip"},
		{name: "sales closed", state: closed, cmd: update("vip", TicketTypePatch{Name: ptr("VIP")}),
			want: updated(func(d *TicketTypeDetails) { d.Name = "VIP" }), ref: "vip"},

		{name: "no event", state: noEvent, cmd: update("vip", TicketTypePatch{}), kind: fault.NotFound},
		{name: "another organizer", state: onSale, cmd: &UpdateTicketType{OrganizerID: other, TicketTypeID: "vip"},
			kind: fault.NotFound},
		{name: "no ticket type", state: onSale, cmd: update("nope", TicketTypePatch{}), kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: update("vip", TicketTypePatch{}), kind: fault.Conflict},
		{name: "empty name", state: onSale, cmd: update("vip", TicketTypePatch{Name: ptr("")}),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "long description", state: onSale, cmd: update("vip", TicketTypePatch{Description: ptr(strings.Repeat("d", 2001))}),
			kind: fault.Invalid, fields: []string{"/description"}},
		{name: "negative price", state: onSale, cmd: update("vip", TicketTypePatch{Price: &Money{Amount: -1, Currency: "EUR"}}),
			kind: fault.Invalid, fields: []string{"/price/amount"}},
		{name: "other currency", state: onSale, cmd: update("vip", TicketTypePatch{Price: &Money{Amount: 1, Currency: "GBP"}}),
			kind: fault.Invalid, fields: []string{"/price/currency"}},
		{name: "min zero (no default on update)", state: onSale, cmd: update("vip", TicketTypePatch{MinPerHold: ptr(0)}),
			kind: fault.Invalid, fields: []string{"/min_per_hold"}},
		{name: "min above max", state: onSale, cmd: update("vip", TicketTypePatch{MinPerHold: ptr(5)}),
			kind: fault.Invalid, fields: []string{"/max_per_hold"}},
		{name: "max too high", state: onSale, cmd: update("vip", TicketTypePatch{MaxPerHold: ptr(101)}),
			kind: fault.Invalid, fields: []string{"/max_per_hold"}},
		{name: "end before the kept start", state: windowed, cmd: update("vip", TicketTypePatch{SalesEnd: ptr(t0)}),
			kind: fault.Invalid, fields: []string{"/sales_end"}},
	})
}

func TestDecideCreateQuota(t *testing.T) {
	create := func(id string, capacity int, ids ...string) *CreateQuota {
		return &CreateQuota{OrganizerID: org, QuotaID: id, Details: QuotaDetails{Name: "Q", Capacity: capacity,
			TicketTypeIDs: ids}}
	}
	created := func(id string, capacity int, ids ...string) []Entry {
		return []Entry{&QuotaCreated{QuotaID: id, QuotaDetails: QuotaDetails{Name: "Q", Capacity: capacity,
			TicketTypeIDs: ids}}}
	}
	// holding: onSale with 3 ga and 2 vip held.
	holding := with(onSale, hold("h1", item("ga", 3)), hold("h2", item("vip", 2)))
	stamped := with(onSale, &CreateQuota{OrganizerID: org, QuotaID: "q", Idem: idemA,
		Details: QuotaDetails{Name: "Q", Capacity: 5, TicketTypeIDs: []string{"ga"}}})
	many := func(tb testing.TB) *State {
		tb.Helper()
		s := draftEvent(tb)
		for i := range MaxQuotaTicketTypes + 1 {
			mustApply(tb, s, &TicketTypeCreated{TicketTypeID: "tt" + itoa(i), TicketTypeDetails: ttDetails("T")}, t0)
		}
		return s
	}
	manyIDs := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "tt" + itoa(i)
		}
		return ids
	}
	full := func(tb testing.TB) *State {
		tb.Helper()
		s := sellableDraft(tb)
		for i := len(s.Quotas); i < MaxQuotas; i++ {
			mustApply(tb, s, &QuotaCreated{QuotaID: "q" + itoa(i), QuotaDetails: QuotaDetails{Name: "Q",
				Capacity: 1, TicketTypeIDs: []string{"ga"}}}, t0)
		}
		return s
	}
	runDecide(t, []decideCase{
		{name: "one type", state: onSale, cmd: create("q", 5, "ga"), want: created("q", 5, "ga"), ref: "q"},
		{name: "two types", state: onSale, cmd: create("q", 5, "vip", "ga"), want: created("q", 5, "vip", "ga"), ref: "q"},
		{name: "zero capacity", state: onSale, cmd: create("q", 0, "ga"), want: created("q", 0, "ga"), ref: "q"},
		{name: "largest capacity", state: onSale, cmd: create("q", MaxQuotaCapacity, "ga"),
			want: created("q", MaxQuotaCapacity, "ga"), ref: "q"},
		{name: "most ticket types", state: many, cmd: create("q", 1, manyIDs(MaxQuotaTicketTypes)...),
			want: created("q", 1, manyIDs(MaxQuotaTicketTypes)...), ref: "q"},
		{name: "capacity exactly what is held", state: holding, cmd: create("q", 5, "ga", "vip"),
			want: created("q", 5, "ga", "vip"), ref: "q"},
		{name: "stamped", state: onSale, cmd: &CreateQuota{OrganizerID: org, QuotaID: "q", Idem: idemB,
			Details: QuotaDetails{Name: "Q", Capacity: 1, TicketTypeIDs: []string{"ga"}}},
			want: []Entry{&QuotaCreated{QuotaID: "q", Idem: idemB, QuotaDetails: QuotaDetails{Name: "Q", Capacity: 1,
				TicketTypeIDs: []string{"ga"}}}}, ref: "q"},
		{name: "replayed", state: stamped, cmd: &CreateQuota{OrganizerID: org, QuotaID: "q2", Idem: idemA},
			replay: true, ref: "q"},
		{name: "key reused", state: stamped, cmd: &CreateQuota{OrganizerID: org, QuotaID: "q2", Idem: idemAOther},
			kind: fault.Invalid, code: "idempotency-key-reused"},

		{name: "no event", state: noEvent, cmd: create("q", 5, "ga"), kind: fault.NotFound},
		{name: "another organizer", state: onSale, cmd: &CreateQuota{OrganizerID: other, QuotaID: "q"},
			kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: create("q", 5, "ga"), kind: fault.Conflict},
		{name: "exists", state: onSale, cmd: create("total", 5, "ga"), kind: fault.Conflict},
		{name: "too many", state: full, cmd: create("one-more", 5, "ga"), kind: fault.Conflict},
		{name: "capacity below what is held", state: holding, cmd: create("q", 4, "ga", "vip"), kind: fault.Conflict},
		{name: "empty name", state: onSale, cmd: &CreateQuota{OrganizerID: org, QuotaID: "q",
			Details: QuotaDetails{Capacity: 1, TicketTypeIDs: []string{"ga"}}},
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "negative capacity", state: onSale, cmd: create("q", -1, "ga"),
			kind: fault.Invalid, fields: []string{"/capacity"}},
		{name: "capacity too high", state: onSale, cmd: create("q", MaxQuotaCapacity+1, "ga"),
			kind: fault.Invalid, fields: []string{"/capacity"}},
		{name: "no ticket types", state: onSale, cmd: create("q", 5),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids"}},
		{name: "too many ticket types", state: many, cmd: create("q", 5, manyIDs(MaxQuotaTicketTypes+1)...),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids"}},
		{name: "unknown ticket type", state: onSale, cmd: create("q", 5, "ga", "nope"),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids/1"}},
		{name: "listed twice", state: onSale, cmd: create("q", 5, "ga", "vip", "ga"),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids/2"}},
		{name: "listed three times", state: onSale, cmd: create("q", 5, "ga", "ga", "ga"),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids/1", "/ticket_type_ids/2"}},
		{name: "several", state: onSale, cmd: &CreateQuota{OrganizerID: org, QuotaID: "q",
			Details: QuotaDetails{Capacity: -1, TicketTypeIDs: []string{"x"}}},
			kind: fault.Invalid, fields: []string{"/name", "/capacity", "/ticket_type_ids/0"}},
	})
}

func TestDecideCreateQuotaCopiesIDs(t *testing.T) {
	s := onSaleEvent(t)
	ids := []string{"ga"}
	d, err := Decide(s, &CreateQuota{OrganizerID: org, QuotaID: "q", Details: QuotaDetails{Name: "Q", Capacity: 5,
		TicketTypeIDs: ids}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ids[0] = "vip"
	if got := d.Entries[0].(*QuotaCreated).TicketTypeIDs; !slices.Equal(got, []string{"ga"}) {
		t.Errorf("entry ticket types = %q after the caller changed its slice, want [ga]", got)
	}
	mustApply(t, s, d.Entries[0], t0)
	d.Entries[0].(*QuotaCreated).TicketTypeIDs[0] = "vip"
	if got := s.Quota("q").TicketTypeIDs; !slices.Equal(got, []string{"ga"}) {
		t.Errorf("quota ticket types = %q after the entry changed, want [ga]", got)
	}
}

func TestDecideUpdateQuota(t *testing.T) {
	update := func(id string, p QuotaPatch) *UpdateQuota {
		return &UpdateQuota{OrganizerID: org, QuotaID: id, Patch: p}
	}
	updated := func(id, name string, capacity int, ids ...string) []Entry {
		return []Entry{&QuotaUpdated{QuotaID: id, QuotaDetails: QuotaDetails{Name: name, Capacity: capacity,
			TicketTypeIDs: ids}}}
	}
	// holding: 3 ga and 2 vip held; total holds 5, vipq holds 2.
	holding := with(onSale, hold("h1", item("ga", 3)), hold("h2", item("vip", 2)))
	runDecide(t, []decideCase{
		{name: "empty patch", state: onSale, cmd: update("total", QuotaPatch{}),
			want: updated("total", "Quota total", 100, "ga", "vip"), ref: "total"},
		{name: "every field", state: onSale, cmd: update("vipq", QuotaPatch{Name: ptr("Front"), Capacity: ptr(7),
			TicketTypeIDs: []string{"ga", "vip"}}), want: updated("vipq", "Front", 7, "ga", "vip"), ref: "vipq"},
		{name: "capacity down to what is held", state: holding, cmd: update("total", QuotaPatch{Capacity: ptr(5)}),
			want: updated("total", "Quota total", 5, "ga", "vip"), ref: "total"},
		{name: "members that fit", state: holding, cmd: update("vipq", QuotaPatch{TicketTypeIDs: []string{"vip", "ga"}}),
			want: updated("vipq", "Quota vipq", 10, "vip", "ga"), ref: "vipq"},
		{name: "fewer members", state: holding, cmd: update("total", QuotaPatch{TicketTypeIDs: []string{"vip"},
			Capacity: ptr(2)}), want: updated("total", "Quota total", 2, "vip"), ref: "total"},
		{name: "sales closed", state: closed, cmd: update("total", QuotaPatch{Capacity: ptr(1)}),
			want: updated("total", "Quota total", 1, "ga", "vip"), ref: "total"},

		{name: "no event", state: noEvent, cmd: update("total", QuotaPatch{}), kind: fault.NotFound},
		{name: "another organizer", state: onSale, cmd: &UpdateQuota{OrganizerID: other, QuotaID: "total"},
			kind: fault.NotFound},
		{name: "no quota", state: onSale, cmd: update("nope", QuotaPatch{}), kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: update("total", QuotaPatch{}), kind: fault.Conflict},
		{name: "capacity below what is held", state: holding, cmd: update("total", QuotaPatch{Capacity: ptr(4)}),
			kind: fault.Conflict},
		{name: "members over capacity", state: holding, cmd: update("vipq", QuotaPatch{Capacity: ptr(4),
			TicketTypeIDs: []string{"ga", "vip"}}), kind: fault.Conflict},
		{name: "empty name", state: onSale, cmd: update("total", QuotaPatch{Name: ptr("")}),
			kind: fault.Invalid, fields: []string{"/name"}},
		{name: "negative capacity", state: onSale, cmd: update("total", QuotaPatch{Capacity: ptr(-1)}),
			kind: fault.Invalid, fields: []string{"/capacity"}},
		{name: "capacity too high", state: onSale, cmd: update("total", QuotaPatch{Capacity: ptr(MaxQuotaCapacity + 1)}),
			kind: fault.Invalid, fields: []string{"/capacity"}},
		{name: "no members", state: onSale, cmd: update("total", QuotaPatch{TicketTypeIDs: []string{}}),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids"}},
		{name: "unknown member", state: onSale, cmd: update("total", QuotaPatch{TicketTypeIDs: []string{"nope"}}),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids/0"}},
		{name: "member twice", state: onSale, cmd: update("total", QuotaPatch{TicketTypeIDs: []string{"ga", "ga"}}),
			kind: fault.Invalid, fields: []string{"/ticket_type_ids/1"}},
	})
}

func TestDecideCreateHold(t *testing.T) {
	heldCreated := func(id string, expires time.Time, idem *IdemStamp, items ...Item) []Entry {
		return []Entry{&HoldCreated{HoldID: id, Items: items, ExpiresAt: expires, Idem: idem, Actor: "buyer"}}
	}
	expires := t0.Add(DefaultHoldTTLSeconds * time.Second)
	shortTTL := with(onSale, &UpdateEvent{OrganizerID: org, Patch: EventPatch{HoldTTLSeconds: ptr(60)}})
	stamped := with(onSale, &CreateHold{HoldID: "h1", Items: []Item{item("ga", 2)}, Idem: idemA})
	h1 := with(onSale, hold("h1", item("vip", 1)))
	// vipq (10) has 8 held: 2 vip left; total has 92 left.
	vipTight := with(onSale, hold("a", item("vip", 4)), hold("b", item("vip", 4)))
	early := with(onSale, &CreateTicketType{OrganizerID: org, TicketTypeID: "early", Details: TicketTypeDetails{
		Name: "Early", Price: Money{Currency: "EUR"}, SalesStart: t0.Add(time.Hour)}},
		&UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"ga", "vip", "early"}}})
	bird := with(onSale, &CreateTicketType{OrganizerID: org, TicketTypeID: "bird", Details: TicketTypeDetails{
		Name: "Bird", Price: Money{Currency: "EUR"}, SalesEnd: t0.Add(time.Hour)}},
		&UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{TicketTypeIDs: []string{"ga", "vip", "bird"}}})
	orphan := with(onSale, &CreateTicketType{OrganizerID: org, TicketTypeID: "orphan", Details: ttDetails("Orphan")})
	many := make([]Item, MaxHoldItems+1)
	for i := range many {
		many[i] = item("t"+itoa(i), 1)
	}
	runDecide(t, []decideCase{
		{name: "one item", state: onSale, cmd: hold("h1", item("ga", 2)),
			want: heldCreated("h1", expires, nil, item("ga", 2)), ref: "h1"},
		{name: "two items, stamped", state: onSale, cmd: &CreateHold{HoldID: "h1", Idem: idemA,
			Items: []Item{item("vip", 4), item("ga", 3)}},
			want: heldCreated("h1", expires, idemA, item("vip", 4), item("ga", 3)), ref: "h1"},
		{name: "exactly the most tickets per hold", state: onSale, cmd: hold("h1", item("ga", 6), item("vip", 4)),
			want: heldCreated("h1", expires, nil, item("ga", 6), item("vip", 4)), ref: "h1"},
		{name: "event's hold ttl", state: shortTTL, cmd: hold("h1", item("ga", 1)),
			want: heldCreated("h1", t0.Add(time.Minute), nil, item("ga", 1)), ref: "h1"},
		{name: "exactly what is left", state: vipTight, cmd: hold("h", item("vip", 2)),
			want: heldCreated("h", expires, nil, item("vip", 2)), ref: "h"},
		{name: "just before the end", state: onSale, cmd: hold("h1", item("ga", 1)), now: endsAt.Add(-time.Second),
			want: heldCreated("h1", endsAt.Add(599*time.Second), nil, item("ga", 1)), ref: "h1"},
		{name: "when sales start", state: early, cmd: hold("h", item("early", 1)), now: t0.Add(time.Hour),
			want: heldCreated("h", expires.Add(time.Hour), nil, item("early", 1)), ref: "h"},
		{name: "just before sales end", state: bird, cmd: hold("h", item("bird", 1)), now: t0.Add(time.Hour - 1),
			want: heldCreated("h", expires.Add(time.Hour-1), nil, item("bird", 1)), ref: "h"},
		{name: "replayed", state: stamped, cmd: &CreateHold{HoldID: "h2", Items: []Item{item("ga", 2)}, Idem: idemA},
			replay: true, ref: "h1"},
		{name: "replayed after sales closed", state: with(stamped, &ChangeStatus{OrganizerID: org, Status: SalesClosed}),
			cmd: &CreateHold{HoldID: "h2", Items: []Item{item("ga", 2)}, Idem: idemA}, replay: true, ref: "h1"},
		{name: "key reused", state: stamped, cmd: &CreateHold{HoldID: "h2", Items: []Item{item("ga", 1)}, Idem: idemAOther},
			kind: fault.Invalid, code: "idempotency-key-reused"},

		{name: "no event", state: noEvent, cmd: hold("h1", item("ga", 1)), kind: fault.NotFound},
		{name: "draft", state: sellableDraft, cmd: hold("h1", item("ga", 1)), kind: fault.NotFound},
		{name: "cancelled", state: cancelled, cmd: hold("h1", item("ga", 1)), kind: fault.Conflict},
		{name: "sales closed", state: closed, cmd: hold("h1", item("ga", 1)), kind: fault.Conflict},
		{name: "at the end", state: onSale, cmd: hold("h1", item("ga", 1)), now: endsAt, kind: fault.Conflict},
		{name: "after the end", state: onSale, cmd: hold("h1", item("ga", 1)), now: endsAt.Add(time.Hour),
			kind: fault.Conflict},
		{name: "no items", state: onSale, cmd: hold("h1"), kind: fault.Invalid, fields: []string{"/items"}},
		{name: "too many items", state: onSale, cmd: hold("h1", many...), kind: fault.Invalid, fields: []string{"/items"}},
		{name: "hold exists", state: h1, cmd: hold("h1", item("ga", 1)), kind: fault.Conflict},
		{name: "unknown ticket type", state: onSale, cmd: hold("h1", item("nope", 1)),
			kind: fault.Invalid, fields: []string{"/items/0/ticket_type_id"}},
		{name: "listed twice", state: onSale, cmd: hold("h1", item("ga", 1), item("ga", 1)),
			kind: fault.Invalid, fields: []string{"/items/1/ticket_type_id"}},
		{name: "listed three times", state: onSale, cmd: hold("h1", item("ga", 1), item("ga", 1), item("ga", 1)),
			kind: fault.Invalid, fields: []string{"/items/1/ticket_type_id", "/items/2/ticket_type_id"}},
		{name: "zero", state: onSale, cmd: hold("h1", item("ga", 0)),
			kind: fault.Invalid, fields: []string{"/items/0/quantity"}},
		{name: "negative", state: onSale, cmd: hold("h1", item("ga", -1)),
			kind: fault.Invalid, fields: []string{"/items/0/quantity"}},
		{name: "above the ticket type's max", state: onSale, cmd: hold("h1", item("ga", 1), item("vip", 5)),
			kind: fault.Invalid, fields: []string{"/items/1/quantity"}},
		{name: "below the ticket type's min", state: with(onSale, &UpdateTicketType{OrganizerID: org, TicketTypeID: "vip",
			Patch: TicketTypePatch{MinPerHold: ptr(2)}}), cmd: hold("h1", item("vip", 1)),
			kind: fault.Invalid, fields: []string{"/items/0/quantity"}},
		{name: "more than the event allows", state: onSale, cmd: hold("h1", item("ga", 7), item("vip", 4)),
			kind: fault.Invalid, fields: []string{"/items"}},
		{name: "several", state: onSale, cmd: hold("h1", item("nope", 1), item("ga", 11), item("vip", 1)),
			kind: fault.Invalid, fields: []string{"/items/0/ticket_type_id", "/items/1/quantity"}},
		{name: "before sales start", state: early, cmd: hold("h", item("early", 1)), now: t0.Add(time.Hour - 1),
			kind: fault.Conflict},
		{name: "when sales end", state: bird, cmd: hold("h", item("bird", 1)), now: t0.Add(time.Hour),
			kind: fault.Conflict},
		{name: "in no quota", state: orphan, cmd: hold("h", item("ga", 1), item("orphan", 1)), kind: fault.Conflict},
		{name: "sold out", state: vipTight, cmd: hold("h", item("vip", 3)), kind: fault.SoldOut},
	})
}

// TestDecideSoldOutAvailable checks the figures a SoldOut error carries: per
// requested ticket type, the least of what its quotas have left.
func TestDecideSoldOutAvailable(t *testing.T) {
	// a is in qa (5) and qab (8); b is in qab only. 3 a held: qa 2 left, qab 5.
	tight := func(tb testing.TB) *State {
		tb.Helper()
		s := draftEvent(tb)
		addTicketType(tb, s, "a", 1, 10, t0)
		addTicketType(tb, s, "b", 1, 10, t0)
		addQuota(tb, s, "qa", 5, []string{"a"}, t0)
		addQuota(tb, s, "qab", 8, []string{"a", "b"}, t0)
		setStatus(tb, s, OnSale, t0)
		must(tb, s, hold("first", item("a", 3)), t0)
		return s
	}
	tests := []struct {
		name  string
		items []Item
		want  []fault.Left // nil: accepted
	}{
		{"a fits", []Item{item("a", 2)}, nil},
		{"a over its own quota", []Item{item("a", 3)}, []fault.Left{{TicketTypeID: "a", Available: 2}}},
		{"b fits", []Item{item("b", 5)}, nil},
		{"b over the shared quota", []Item{item("b", 6)}, []fault.Left{{TicketTypeID: "b", Available: 5}}},
		{"a and b fit together", []Item{item("a", 2), item("b", 3)}, nil},
		{"a and b each fit but not together", []Item{item("b", 4), item("a", 2)},
			[]fault.Left{{TicketTypeID: "b", Available: 5}, {TicketTypeID: "a", Available: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tight(t)
			_, err := decideApply(t, s, hold("h", tc.items...), t0)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Decide: %v, want accepted", err)
				}
				return
			}
			fe := wantKind(t, err, fault.SoldOut)
			if !slices.Equal(fe.Available, tc.want) {
				t.Errorf("Available = %+v, want %+v", fe.Available, tc.want)
			}
		})
	}
}

func TestDecideReleaseHold(t *testing.T) {
	expires := t0.Add(DefaultHoldTTLSeconds * time.Second)
	h1 := with(onSale, hold("h1", item("ga", 2)))
	released := with(h1, &ReleaseHold{HoldID: "h1"})
	expired := func(tb testing.TB) *State {
		tb.Helper()
		s := h1(tb)
		mustApply(tb, s, &HoldExpired{HoldID: "h1"}, t0.Add(time.Second)) // an early sweep
		return s
	}
	runDecide(t, []decideCase{
		{name: "active", state: h1, cmd: &ReleaseHold{HoldID: "h1"}, now: t0.Add(time.Second),
			want: []Entry{&HoldReleased{HoldID: "h1", Actor: "buyer"}}, ref: "h1"},
		{name: "just before it expires", state: h1, cmd: &ReleaseHold{HoldID: "h1"}, now: expires.Add(-time.Nanosecond),
			want: []Entry{&HoldReleased{HoldID: "h1", Actor: "buyer"}}, ref: "h1"},
		{name: "after sales closed", state: with(h1, &ChangeStatus{OrganizerID: org, Status: SalesClosed}),
			cmd: &ReleaseHold{HoldID: "h1"}, want: []Entry{&HoldReleased{HoldID: "h1", Actor: "buyer"}}, ref: "h1"},
		{name: "released twice", state: released, cmd: &ReleaseHold{HoldID: "h1"}, now: expires.Add(time.Hour),
			same: true, ref: "h1"},

		{name: "unknown", state: h1, cmd: &ReleaseHold{HoldID: "nope"}, kind: fault.NotFound},
		{name: "no event", state: noEvent, cmd: &ReleaseHold{HoldID: "h1"}, kind: fault.NotFound},
		{name: "when it expires", state: h1, cmd: &ReleaseHold{HoldID: "h1"}, now: expires, kind: fault.HoldExpired},
		{name: "after it expired, not yet swept", state: h1, cmd: &ReleaseHold{HoldID: "h1"}, now: expires.Add(time.Hour),
			kind: fault.HoldExpired},
		{name: "expired", state: expired, cmd: &ReleaseHold{HoldID: "h1"}, now: t0.Add(2 * time.Second),
			kind: fault.HoldExpired},
	})
}
