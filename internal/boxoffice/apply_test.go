package boxoffice

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// at returns t0 plus n minutes: distinct, ordered times for Apply.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func plainTicketType(tt *TicketType) TicketType {
	c := *tt
	c.quotas = nil
	return c
}

func quotaIDs(tt *TicketType) []string {
	var ids []string
	for _, q := range tt.quotas {
		ids = append(ids, q.ID)
	}
	return ids
}

// TestApplyEachEntry folds one entry of every type in turn and checks the
// whole resulting state, timestamps included.
func TestApplyEachEntry(t *testing.T) {
	s := NewState()
	details := eventDetails()
	details.HoldTTLSeconds, details.MaxTicketsPerHold = 600, 10

	mustApply(t, s, &EventCreated{EventID: evID, OrganizerID: org, Currency: "EUR", EventDetails: details}, at(1))
	want := Event{ID: evID, OrganizerID: org, Name: "Concert", Venue: "Hall", TimeZone: "Europe/Berlin",
		StartsAt: startsAt, EndsAt: endsAt, Currency: "EUR", Status: Draft, HoldTTLSeconds: 600,
		MaxTicketsPerHold: 10, CreatedAt: at(1), UpdatedAt: at(1),
		PaymentSettings: legacyPayments(), BuyerLimits: defaultLimits()} // an entry without them gets what they meant when written
	if !reflect.DeepEqual(*s.Event, want) {
		t.Fatalf("after EventCreated:\n got %+v\nwant %+v", *s.Event, want)
	}

	details.Name, details.HoldTTLSeconds = "Gig", 120
	mustApply(t, s, &EventUpdated{EventID: evID, EventDetails: details}, at(2))
	want.Name, want.HoldTTLSeconds, want.UpdatedAt = "Gig", 120, at(2)
	if !reflect.DeepEqual(*s.Event, want) {
		t.Fatalf("after EventUpdated:\n got %+v\nwant %+v", *s.Event, want)
	}

	ttd := TicketTypeDetails{Name: "Standing", Description: "Floor", Price: Money{Amount: 2500, Currency: "EUR"},
		MinPerHold: 1, MaxPerHold: 6, SalesStart: t0, SalesEnd: endsAt}
	mustApply(t, s, &TicketTypeCreated{TicketTypeID: "ga", TicketTypeDetails: ttd}, at(3))
	mustApply(t, s, &TicketTypeCreated{TicketTypeID: "vip", TicketTypeDetails: ttd}, at(3))
	wantTT := TicketType{ID: "ga", Name: "Standing", Description: "Floor", Price: Money{Amount: 2500, Currency: "EUR"},
		MinPerHold: 1, MaxPerHold: 6, SalesStart: t0, SalesEnd: endsAt, CreatedAt: at(3), UpdatedAt: at(3)}
	if got := plainTicketType(s.TicketType("ga")); !reflect.DeepEqual(got, wantTT) {
		t.Fatalf("after TicketTypeCreated:\n got %+v\nwant %+v", got, wantTT)
	}
	if len(s.TicketTypes) != 2 || s.TicketTypes[0] != s.TicketType("ga") || s.TicketTypes[1] != s.TicketType("vip") {
		t.Fatalf("TicketTypes = %v, want ga then vip, the same values as TicketType(id)", s.TicketTypes)
	}

	ttd.Name, ttd.SalesStart = "Floor", time.Time{}
	mustApply(t, s, &TicketTypeUpdated{TicketTypeID: "ga", TicketTypeDetails: ttd}, at(4))
	wantTT.Name, wantTT.SalesStart, wantTT.UpdatedAt = "Floor", time.Time{}, at(4)
	if got := plainTicketType(s.TicketType("ga")); !reflect.DeepEqual(got, wantTT) {
		t.Fatalf("after TicketTypeUpdated:\n got %+v\nwant %+v", got, wantTT)
	}

	mustApply(t, s, &QuotaCreated{QuotaID: "total", QuotaDetails: QuotaDetails{Name: "Hall", Capacity: 50,
		TicketTypeIDs: []string{"ga", "vip"}}}, at(5))
	mustApply(t, s, &QuotaCreated{QuotaID: "front", QuotaDetails: QuotaDetails{Name: "Front", Capacity: 5,
		TicketTypeIDs: []string{"vip"}}}, at(5))
	wantQ := Quota{ID: "total", Name: "Hall", Capacity: 50, TicketTypeIDs: []string{"ga", "vip"},
		CreatedAt: at(5), UpdatedAt: at(5)}
	if got := *s.Quota("total"); !reflect.DeepEqual(got, wantQ) {
		t.Fatalf("after QuotaCreated:\n got %+v\nwant %+v", got, wantQ)
	}
	if got := quotaIDs(s.TicketType("vip")); !slices.Equal(got, []string{"total", "front"}) {
		t.Fatalf("vip's quotas = %q, want [total front]", got)
	}

	mustApply(t, s, &EventStatusChanged{EventID: evID, From: Draft, Status: OnSale}, at(6))
	want.Status, want.UpdatedAt = OnSale, at(6)
	if !reflect.DeepEqual(*s.Event, want) {
		t.Fatalf("after EventStatusChanged:\n got %+v\nwant %+v", *s.Event, want)
	}

	exp := at(20) // later than any time applied below
	mustApply(t, s, &HoldCreated{HoldID: "h1", Items: []Item{item("ga", 2), item("vip", 3)}, ExpiresAt: exp}, at(7))
	wantH := Hold{ID: "h1", Items: []Item{item("ga", 2), item("vip", 3)}, Quantity: 5, Status: Active,
		CreatedAt: at(7), ExpiresAt: exp}
	if got := *s.Hold("h1"); !reflect.DeepEqual(got, wantH) {
		t.Fatalf("after HoldCreated:\n got %+v\nwant %+v", got, wantH)
	}
	checkHeld(t, s, map[string]int{"total": 5, "front": 3})
	if s.ActiveHolds() != 1 {
		t.Fatalf("ActiveHolds() = %d, want 1", s.ActiveHolds())
	}

	mustApply(t, s, &HoldReleased{HoldID: "h1"}, at(8))
	wantH.Status, wantH.EndedAt = Released, at(8)
	if got := *s.Hold("h1"); !reflect.DeepEqual(got, wantH) {
		t.Fatalf("after HoldReleased:\n got %+v\nwant %+v", got, wantH)
	}
	checkHeld(t, s, map[string]int{"total": 0, "front": 0})
	if s.ActiveHolds() != 0 {
		t.Fatalf("ActiveHolds() = %d, want 0", s.ActiveHolds())
	}

	mustApply(t, s, &HoldCreated{HoldID: "h2", Items: []Item{item("vip", 4)}, ExpiresAt: at(10)}, at(9))
	mustApply(t, s, &HoldCreated{HoldID: "h3", Items: []Item{item("ga", 1)}, ExpiresAt: at(10)}, at(9))
	checkHeld(t, s, map[string]int{"total": 5, "front": 4})
	mustApply(t, s, &HoldExpired{HoldID: "h2"}, at(10))
	wantH = Hold{ID: "h2", Items: []Item{item("vip", 4)}, Quantity: 4, Status: Expired, CreatedAt: at(9),
		ExpiresAt: at(10), EndedAt: at(10)}
	if got := *s.Hold("h2"); !reflect.DeepEqual(got, wantH) {
		t.Fatalf("after HoldExpired:\n got %+v\nwant %+v", got, wantH)
	}
	checkHeld(t, s, map[string]int{"total": 1, "front": 0})
	if s.ActiveHolds() != 1 {
		t.Fatalf("ActiveHolds() = %d, want 1", s.ActiveHolds())
	}

	mustApply(t, s, &QuotaUpdated{QuotaID: "front", QuotaDetails: QuotaDetails{Name: "Front row", Capacity: 7,
		TicketTypeIDs: []string{"ga"}}}, at(11))
	wantQ = Quota{ID: "front", Name: "Front row", Capacity: 7, TicketTypeIDs: []string{"ga"}, Held: 1,
		CreatedAt: at(5), UpdatedAt: at(11)}
	if got := *s.Quota("front"); !reflect.DeepEqual(got, wantQ) {
		t.Fatalf("after QuotaUpdated:\n got %+v\nwant %+v", got, wantQ)
	}
	if got := quotaIDs(s.TicketType("vip")); !slices.Equal(got, []string{"total"}) {
		t.Errorf("vip's quotas = %q, want [total]", got)
	}
	if got := quotaIDs(s.TicketType("ga")); !slices.Equal(got, []string{"total", "front"}) {
		t.Errorf("ga's quotas = %q, want [total front]", got)
	}
	checkInvariants(t, s)
}

// checkHeld checks the quotas' Held counters.
func checkHeld(tb testing.TB, s *State, want map[string]int) {
	tb.Helper()
	for id, n := range want {
		q := s.Quota(id)
		if q == nil {
			tb.Fatalf("no quota %s", id)
		}
		if q.Held != n {
			tb.Errorf("quota %s Held = %d, want %d", id, q.Held, n)
		}
	}
}

// TestApplyRefuses checks that Apply refuses entries that cannot follow the
// state, and leaves the state as it was.
func TestApplyRefuses(t *testing.T) {
	// base: on sale with h1 (3 ga) active, h2 (1 vip) released and h3 (1 vip) expired.
	base := func(tb testing.TB) *State {
		tb.Helper()
		s := onSaleEvent(tb)
		must(tb, s, hold("h1", item("ga", 3)), t0)
		must(tb, s, hold("h2", item("vip", 1)), t0)
		must(tb, s, hold("h3", item("vip", 1)), t0)
		must(tb, s, &ReleaseHold{HoldID: "h2"}, t0)
		mustApply(tb, s, &HoldExpired{HoldID: "h3"}, t0)
		return s
	}
	ttd := ttDetails("T")
	qd := QuotaDetails{Name: "Q", Capacity: 5, TicketTypeIDs: []string{"ga"}}
	tests := []struct {
		name  string
		state func(testing.TB) *State
		entry Entry
	}{
		{"event created twice", base, &EventCreated{EventID: "ev-2", OrganizerID: org, Currency: "EUR", EventDetails: eventDetails()}},
		{"event updated before it exists", noEvent, &EventUpdated{EventID: evID, EventDetails: eventDetails()}},
		{"status changed before it exists", noEvent, &EventStatusChanged{EventID: evID, From: Draft, Status: OnSale}},
		{"ticket type before the event", noEvent, &TicketTypeCreated{TicketTypeID: "ga", TicketTypeDetails: ttd}},
		{"ticket type created twice", base, &TicketTypeCreated{TicketTypeID: "ga", TicketTypeDetails: ttd}},
		{"unknown ticket type updated", base, &TicketTypeUpdated{TicketTypeID: "nope", TicketTypeDetails: ttd}},
		{"quota before the event", noEvent, &QuotaCreated{QuotaID: "q", QuotaDetails: qd}},
		{"quota created twice", base, &QuotaCreated{QuotaID: "total", QuotaDetails: qd}},
		{"unknown quota updated", base, &QuotaUpdated{QuotaID: "nope", QuotaDetails: qd}},
		{"hold created twice", base, &HoldCreated{HoldID: "h1", Items: []Item{item("ga", 1)}, ExpiresAt: endsAt}},
		{"hold of an ended id", base, &HoldCreated{HoldID: "h2", Items: []Item{item("ga", 1)}, ExpiresAt: endsAt}},
		{"hold of an unknown ticket type", base, &HoldCreated{HoldID: "h9", Items: []Item{item("ga", 1), item("nope", 1)},
			ExpiresAt: endsAt}},
		{"hold before the event", noEvent, &HoldCreated{HoldID: "h1", Items: []Item{item("ga", 1)}, ExpiresAt: endsAt}},
		{"unknown hold released", base, &HoldReleased{HoldID: "nope"}},
		{"hold released twice", base, &HoldReleased{HoldID: "h2"}},
		{"expired hold released", base, &HoldReleased{HoldID: "h3"}},
		{"unknown hold expired", base, &HoldExpired{HoldID: "nope"}},
		{"hold expired twice", base, &HoldExpired{HoldID: "h3"}},
		{"released hold expired", base, &HoldExpired{HoldID: "h2"}},
		{"nil entry", base, nil},
		{"foreign entry", base, fakeEntry{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.state(t)
			before, active := snap(t, s), s.ActiveHolds()
			err := Apply(s, tc.entry, at(30))
			if err == nil {
				t.Fatal("Apply = nil, want an error")
			}
			if !strings.HasPrefix(err.Error(), "boxoffice: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if after := snap(t, s); !bytes.Equal(before, after) || s.ActiveHolds() != active {
				t.Errorf("Apply changed the state on refusal\nbefore: %s\n after: %s", before, after)
			}
		})
	}
}

type fakeEntry struct{}

func (fakeEntry) Type() string    { return "admit.test.fake.v1" }
func (fakeEntry) Subject() string { return "fake" }

func TestApplyRefusesQuotaOfUnknownTicketType(t *testing.T) {
	s := NewState()
	at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := Apply(s, &EventCreated{EventID: "ev_aaaaaaaaaaaaaaaaaaaa", OrganizerID: "or_aaaaaaaaaaaaaaaaaaaa",
		Currency: "EUR", EventDetails: EventDetails{Name: "E", TimeZone: "UTC", StartsAt: at, EndsAt: at.Add(time.Hour),
			HoldTTLSeconds: 600, MaxTicketsPerHold: 10}}, at); err != nil {
		t.Fatal(err)
	}
	e := &QuotaCreated{QuotaID: "qu_aaaaaaaaaaaaaaaaaaaa", QuotaDetails: QuotaDetails{Name: "Q", Capacity: 1,
		TicketTypeIDs: []string{"tt_aaaaaaaaaaaaaaaaaaaa"}}}
	if err := Apply(s, e, at); err == nil {
		t.Fatal("a quota over an unknown ticket type was applied")
	}
	if len(s.Quotas) != 0 {
		t.Fatalf("a refused entry changed the state: %d quotas", len(s.Quotas))
	}
}
