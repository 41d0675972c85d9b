package boxoffice

import (
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// TestEventTimesTicketsCanCarry: an event must start and end at times a
// ticket secret can carry (1970 to 2106, with TicketGrace after the end),
// on create and on update, and the refusal names the field.
func TestEventTimesTicketsCanCarry(t *testing.T) {
	create := func(mod func(*EventDetails)) *CreateEvent {
		d := eventDetails()
		mod(&d)
		return &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: d}
	}
	update := func(p EventPatch) *UpdateEvent { return &UpdateEvent{OrganizerID: org, Patch: p} }
	y2200 := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	runDecide(t, []decideCase{
		{name: "ends in 2200", state: noEvent, cmd: create(func(d *EventDetails) { d.EndsAt = y2200 }),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "both in 2200", state: noEvent,
			cmd:  create(func(d *EventDetails) { d.StartsAt, d.EndsAt = y2200, y2200.Add(time.Hour) }),
			kind: fault.Invalid, fields: []string{"/starts_at", "/ends_at"}},
		{name: "ends a second after the last time", state: noEvent,
			cmd:  create(func(d *EventDetails) { d.EndsAt = LatestEventTime.Add(time.Second) }),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "starts before 1970", state: noEvent,
			cmd:  create(func(d *EventDetails) { d.StartsAt = EarliestEventTime.Add(-time.Second) }),
			kind: fault.Invalid, fields: []string{"/starts_at"}},
		{name: "patched to end in 2200", state: onSale, cmd: update(EventPatch{EndsAt: ptr(y2200)}),
			kind: fault.Invalid, fields: []string{"/ends_at"}},
		{name: "patched to start in 1969", state: draft,
			cmd:  update(EventPatch{StartsAt: ptr(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC))}),
			kind: fault.Invalid, fields: []string{"/starts_at"}},
	})
	// The last end allowed still gives signable tickets.
	s := NewState()
	must(t, s, create(func(d *EventDetails) { d.EndsAt = LatestEventTime }), t0)
	if u := s.Event.TicketsValidUntil().Unix(); u > maxTicketTime {
		t.Fatalf("tickets of an event ending at %s are valid until %d, past %d", LatestEventTime, u, maxTicketTime)
	}
	_, err := Decide(NewState(), create(func(d *EventDetails) { d.EndsAt = y2200 }), t0)
	if fe := fault.As(err); fe == nil || !strings.Contains(fe.Fields[0].Message, "2106") {
		t.Fatalf("the refusal does not say which times are allowed: %v", err)
	}
}

// TestNoTicketThatCannotAdmit: once an event is over (its end, plus
// TicketGrace), no ticket is issued for it: marking an order paid is
// refused, a card payment is paid back, a free order is not placed. The
// same holds for an event written before its times were checked, whose end
// a ticket cannot carry.
func TestNoTicketThatCannotAdmit(t *testing.T) {
	over := endsAt.Add(TicketGrace)
	pending := func(t *testing.T, provider string) *State {
		s := held(t)
		must(t, s, place(provider), t0)
		return s
	}
	t.Run("moved into the past, then marked paid", func(t *testing.T) {
		s := pending(t, ProviderManual)
		past := t0.Add(-48 * time.Hour)
		must(t, s, &UpdateEvent{OrganizerID: org, Patch: EventPatch{StartsAt: ptr(past), EndsAt: ptr(past.Add(time.Hour))}},
			t0.Add(time.Minute))
		_, err := Decide(s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual}, t0.Add(2*time.Minute))
		if fe := wantKind(t, err, fault.Conflict); !strings.Contains(fe.Message, "could never admit") {
			t.Fatalf("refusal %q does not say why", fe.Message)
		}
	})
	t.Run("marked paid within the grace", func(t *testing.T) {
		s := pending(t, ProviderManual)
		must(t, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual}, over.Add(-time.Second))
		if o := s.Order("o1"); o.Status != StatusPaid {
			t.Fatalf("order %s, want paid", o.Status)
		}
	})
	t.Run("card paid after the event", func(t *testing.T) {
		s := pending(t, ProviderStripe)
		d := must(t, s, stripePayment("pi_1", "evt_1"), over)
		rej, ok := d.Entries[0].(*PaymentRejected)
		if !ok || rej.Refund.Amount != (Money{7500, "EUR"}) || !strings.Contains(rej.Reason, "over") {
			t.Fatalf("entries %s, want the payment rejected and refunded", dump(d.Entries))
		}
		if o := s.Order("o1"); len(o.TicketIDs) != 0 {
			t.Fatalf("tickets %q issued", o.TicketIDs)
		}
	})
	t.Run("placed after the event was moved into the past", func(t *testing.T) {
		s := held(t)
		past := t0.Add(-48 * time.Hour)
		must(t, s, &UpdateEvent{OrganizerID: org, Patch: EventPatch{StartsAt: ptr(past), EndsAt: ptr(past.Add(time.Hour))}}, t0)
		_, err := Decide(s, place(ProviderManual), t0.Add(time.Minute))
		wantKind(t, err, fault.Conflict)
	})
	t.Run("an event ending in 2200 from before the check", func(t *testing.T) {
		s := pending(t, ProviderManual)
		d := eventDetails()
		d.EndsAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		d.HoldTTLSeconds, d.MaxTicketsPerHold, d.PaymentSettings = s.Event.HoldTTLSeconds, s.Event.MaxTicketsPerHold, s.Event.PaymentSettings
		mustApply(t, s, &EventUpdated{EventID: evID, EventDetails: d}, t0)
		_, err := Decide(s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual}, t0.Add(time.Minute))
		if fe := wantKind(t, err, fault.Conflict); !strings.Contains(fe.Message, "ends_at") {
			t.Fatalf("refusal %q does not say what to correct", fe.Message)
		}
	})
}
