package boxoffice

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// Fixed times: the tests never read a clock.
var (
	t0       = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC) // "now" for most tests
	startsAt = time.Date(2030, 6, 1, 19, 0, 0, 0, time.UTC)
	endsAt   = time.Date(2030, 6, 1, 23, 0, 0, 0, time.UTC)
)

const (
	org   = "org-1"
	other = "org-2"
	evID  = "ev-1"
)

func ptr[T any](v T) *T { return &v }

func eventDetails() EventDetails {
	return EventDetails{Name: "Concert", Venue: "Hall", TimeZone: "Europe/Berlin", StartsAt: startsAt, EndsAt: endsAt}
}

// defaultPayments is what an event's payment settings are when left out.
// legacyPayments is what the payment settings of an event entry written
// before they existed mean: the defaults of that time, a 3-day manual window.
func legacyPayments() PaymentSettings {
	p := defaultPayments()
	p.ManualPaymentWindowSeconds = 3 * 24 * 3600
	return p
}

// defaultPayments is what a new event's payment settings are when left out.
func defaultPayments() PaymentSettings {
	return PaymentSettings{PaymentProviders: []string{ProviderManual}, PaymentWindowSeconds: DefaultPaymentWindowSeconds,
		ManualPaymentWindowSeconds: DefaultManualPaymentWindowSeconds}
}

// defaultLimits is what an event's buyer limits are when left out.
func defaultLimits() BuyerLimits {
	return BuyerLimits{MaxHoldsPerClient: DefaultMaxHoldsPerClient, MaxUnpaidOrdersPerClient: DefaultMaxUnpaidOrdersPerClient,
		MaxUnpaidOrdersPerEmail: DefaultMaxUnpaidOrdersPerEmail}
}

func ttDetails(name string) TicketTypeDetails {
	return TicketTypeDetails{Name: name, Price: Money{Amount: 2500, Currency: "EUR"}}
}

// decideApply decides cmd at now and, when accepted, applies its entries at
// now, as the box office does.
func decideApply(tb testing.TB, s *State, cmd Command, now time.Time) (Decision, error) {
	tb.Helper()
	d, err := Decide(s, cmd, now)
	if err != nil {
		return d, err
	}
	for _, e := range d.Entries {
		if err := Apply(s, e, now); err != nil {
			tb.Fatalf("Apply(%s) of own decision: %v", e.Type(), err)
		}
	}
	return d, nil
}

// must is decideApply failing the test on a refusal.
func must(tb testing.TB, s *State, cmd Command, now time.Time) Decision {
	tb.Helper()
	d, err := decideApply(tb, s, cmd, now)
	if err != nil {
		tb.Fatalf("Decide(%T) at %s: %v", cmd, now.Format(time.RFC3339), err)
	}
	return d
}

func mustApply(tb testing.TB, s *State, e Entry, at time.Time) {
	tb.Helper()
	if err := Apply(s, e, at); err != nil {
		tb.Fatalf("Apply(%s): %v", e.Type(), err)
	}
}

// draftEvent returns a draft event of org in EUR with the default settings.
func draftEvent(tb testing.TB) *State {
	tb.Helper()
	s := NewState()
	must(tb, s, &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: eventDetails()}, t0)
	return s
}

// addTicketType creates a ticket type with the given per-hold limits.
func addTicketType(tb testing.TB, s *State, id string, minPer, maxPer int, now time.Time) {
	tb.Helper()
	d := ttDetails("Type " + id)
	d.MinPerHold, d.MaxPerHold = minPer, maxPer
	must(tb, s, &CreateTicketType{OrganizerID: org, TicketTypeID: id, Details: d}, now)
}

func addQuota(tb testing.TB, s *State, id string, capacity int, ticketTypeIDs []string, now time.Time) {
	tb.Helper()
	must(tb, s, &CreateQuota{OrganizerID: org, QuotaID: id, Details: QuotaDetails{Name: "Quota " + id,
		Capacity: capacity, TicketTypeIDs: ticketTypeIDs}}, now)
}

func setStatus(tb testing.TB, s *State, st Status, now time.Time) {
	tb.Helper()
	must(tb, s, &ChangeStatus{OrganizerID: org, Status: st}, now)
}

// onSaleEvent returns an event on sale with ticket types "ga" (1..10) and
// "vip" (1..4), a quota "total" of 100 over both and a quota "vipq" of 10
// over vip only.
func onSaleEvent(tb testing.TB) *State {
	tb.Helper()
	s := draftEvent(tb)
	addTicketType(tb, s, "ga", 1, 10, t0)
	addTicketType(tb, s, "vip", 1, 4, t0)
	addQuota(tb, s, "total", 100, []string{"ga", "vip"}, t0)
	addQuota(tb, s, "vipq", 10, []string{"vip"}, t0)
	setStatus(tb, s, OnSale, t0)
	return s
}

func hold(id string, items ...Item) *CreateHold { return &CreateHold{HoldID: id, Items: items} }

func item(tt string, n int) Item { return Item{TicketTypeID: tt, Quantity: n} }

// snap is the state's snapshot, used to compare whole states.
func snap(tb testing.TB, s *State) []byte {
	tb.Helper()
	b, err := s.MarshalSnapshot()
	if err != nil {
		tb.Fatalf("MarshalSnapshot: %v", err)
	}
	return b
}

func sameState(tb testing.TB, what string, got, want *State) {
	tb.Helper()
	g, w := snap(tb, got), snap(tb, want)
	if !bytes.Equal(g, w) {
		tb.Fatalf("%s: states differ\n got: %s\nwant: %s", what, g, w)
	}
	if got.ActiveHolds() != want.ActiveHolds() {
		tb.Fatalf("%s: ActiveHolds() = %d, want %d", what, got.ActiveHolds(), want.ActiveHolds())
	}
	if !reflect.DeepEqual(got.counts, want.counts) {
		tb.Fatalf("%s: buyer counts = %+v, want %+v", what, got.counts, want.counts)
	}
}

// clone copies a state through a snapshot.
func clone(tb testing.TB, s *State) *State {
	tb.Helper()
	c, err := UnmarshalSnapshot(snap(tb, s))
	if err != nil {
		tb.Fatalf("UnmarshalSnapshot: %v", err)
	}
	return c
}

// wantKind checks that err is an admit error of kind k and returns it.
func wantKind(tb testing.TB, err error, k fault.Kind) *fault.Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err = nil, want kind %q", k)
	}
	fe := fault.As(err)
	if fe == nil {
		tb.Fatalf("err = %v (%T), want a *fault.Error of kind %q", err, err, k)
	}
	if got := fault.KindOf(err); got != k {
		tb.Fatalf("kind = %q (%v), want %q", got, err, k)
	}
	return fe
}

// fieldNames lists the JSON pointers of an Invalid error's fields.
func fieldNames(fe *fault.Error) []string {
	var names []string
	for _, f := range fe.Fields {
		names = append(names, f.Field)
	}
	return names
}

func wantFields(tb testing.TB, err error, fields ...string) {
	tb.Helper()
	fe := wantKind(tb, err, fault.Invalid)
	if got := fieldNames(fe); !slices.Equal(got, fields) {
		tb.Fatalf("fields = %q, want %q (%v)", got, fields, err)
	}
	for _, f := range fe.Fields {
		if f.Message == "" {
			tb.Errorf("field %s has no message", f.Field)
		}
	}
}
