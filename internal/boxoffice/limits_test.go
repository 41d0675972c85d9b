package boxoffice

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// limitStep is one command of a buyer-limit scenario, and the problem code
// it must be refused with ("" accepted).
type limitStep struct {
	cmd  Command
	code string
	at   time.Duration // after t0
}

// withLimits returns an on-sale event with providers manual and stripe, a
// free ticket type "free", and the limits given (0: the default).
func withLimits(l BuyerLimits) func(testing.TB) *State {
	return func(tb testing.TB) *State {
		tb.Helper()
		s := onSaleEvent(tb)
		d := ttDetails("Free")
		d.Price.Amount = 0
		must(tb, s, &CreateTicketType{OrganizerID: org, TicketTypeID: "free", Details: d}, t0)
		must(tb, s, &UpdateQuota{OrganizerID: org, QuotaID: "total", Patch: QuotaPatch{
			TicketTypeIDs: []string{"ga", "vip", "free"}}}, t0)
		p := EventPatch{PaymentProviders: []string{ProviderManual, ProviderStripe}}
		if l.MaxHoldsPerClient != 0 {
			p.MaxHoldsPerClient = &l.MaxHoldsPerClient
		}
		if l.MaxUnpaidOrdersPerClient != 0 {
			p.MaxUnpaidOrdersPerClient = &l.MaxUnpaidOrdersPerClient
		}
		if l.MaxUnpaidOrdersPerEmail != 0 {
			p.MaxUnpaidOrdersPerEmail = &l.MaxUnpaidOrdersPerEmail
		}
		must(tb, s, &UpdateEvent{OrganizerID: org, Patch: p}, t0)
		return s
	}
}

func holdBy(id, client string) *CreateHold {
	return &CreateHold{HoldID: id, Items: []Item{item("ga", 1)}, Client: client}
}

// orderBy places order "o-<hold>" from hold with the provider, for a buyer
// with the e-mail, from the client.
func orderBy(holdID, client, email, provider string) *PlaceOrder {
	return &PlaceOrder{OrderID: "o-" + holdID, HoldID: holdID, Token: "t-" + holdID,
		Buyer: Buyer{Name: "Ada", Email: email}, Provider: provider, Client: client}
}

// heldOrder is a hold by the client and its order, in two steps.
func heldOrder(holdID, client, email, provider, code string) []limitStep {
	return []limitStep{{cmd: holdBy(holdID, client)}, {cmd: orderBy(holdID, client, email, provider), code: code}}
}

func TestBuyerLimits(t *testing.T) {
	paid := func(holdID string) Command {
		return &RecordPayment{OrderID: "o-" + holdID, OrganizerID: org, Provider: ProviderManual}
	}
	cancel := func(holdID string) Command {
		return &CancelOrder{OrganizerID: org, OrderID: "o-" + holdID, RefundID: "r-" + holdID}
	}
	var defaultHolds []limitStep
	for i := range DefaultMaxHoldsPerClient {
		defaultHolds = append(defaultHolds, limitStep{cmd: holdBy("h"+strconv.Itoa(i), "c1")})
	}
	defaultHolds = append(defaultHolds, limitStep{cmd: holdBy("over", "c1"), code: "hold-limit-reached"})
	idem := &IdemStamp{Scope: "public", Key: "k1", Hash: "h1"}
	for _, tc := range []struct {
		name   string
		limits BuyerLimits
		steps  []limitStep
	}{
		{"holds up to the default per client", BuyerLimits{}, defaultHolds},
		{"holds per client", BuyerLimits{MaxHoldsPerClient: 2}, []limitStep{
			{cmd: holdBy("h1", "c1")}, {cmd: holdBy("h2", "c1")},
			{cmd: holdBy("h3", "c1"), code: "hold-limit-reached"},
			{cmd: holdBy("h4", "c2")},                        // another client
			{cmd: holdBy("h5", "")}, {cmd: holdBy("h6", "")}, // exempt: not counted
		}},
		{"a released hold makes room", BuyerLimits{MaxHoldsPerClient: 1}, []limitStep{
			{cmd: holdBy("h1", "c1")}, {cmd: holdBy("h2", "c1"), code: "hold-limit-reached"},
			{cmd: &ReleaseHold{HoldID: "h1"}}, {cmd: holdBy("h2", "c1")},
		}},
		{"an expired hold makes room", BuyerLimits{MaxHoldsPerClient: 1}, []limitStep{
			{cmd: holdBy("h1", "c1")},
			{cmd: holdBy("h2", "c1"), code: "hold-limit-reached", at: 9 * time.Minute},
			{cmd: expireCmd("h1"), at: 10 * time.Minute}, {cmd: holdBy("h2", "c1"), at: 10 * time.Minute},
		}},
		{"a retry with its Idempotency-Key is answered, not refused", BuyerLimits{MaxHoldsPerClient: 1}, []limitStep{
			{cmd: &CreateHold{HoldID: "h1", Items: []Item{item("ga", 1)}, Idem: idem, Client: "c1"}},
			{cmd: &CreateHold{HoldID: "h2", Items: []Item{item("ga", 1)}, Idem: idem, Client: "c1"}},
			{cmd: holdBy("h3", "c1"), code: "hold-limit-reached"},
		}},
		{"an ordered hold counts as an order, not a hold", BuyerLimits{MaxHoldsPerClient: 1}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			[]limitStep{{cmd: holdBy("h2", "c1")}, {cmd: holdBy("h3", "c1"), code: "hold-limit-reached"}})},
		{"unpaid orders per client", BuyerLimits{MaxUnpaidOrdersPerClient: 1}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h2", "c1", "b@example.com", ProviderStripe, "order-limit-reached"),
			heldOrder("h3", "c2", "b@example.com", ProviderManual, ""),
			heldOrder("h4", "", "c@example.com", ProviderManual, ""),
			heldOrder("h5", "", "d@example.com", ProviderManual, ""))},
		{"unpaid orders per client, by default", BuyerLimits{}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h2", "c1", "b@example.com", ProviderManual, ""),
			heldOrder("h3", "c1", "c@example.com", ProviderManual, ""),
			heldOrder("h4", "c1", "d@example.com", ProviderManual, "order-limit-reached"))},
		{"unpaid orders per e-mail, in any case, from any client", BuyerLimits{MaxUnpaidOrdersPerEmail: 1}, slices.Concat(
			heldOrder("h1", "c1", "ada@example.com", ProviderManual, ""),
			heldOrder("h2", "c2", "ADA@Example.COM", ProviderManual, "order-limit-reached"),
			heldOrder("h3", "", "Ada@example.com", ProviderStripe, "order-limit-reached"),
			heldOrder("h4", "c2", "bob@example.com", ProviderManual, ""))},
		{"unpaid orders per e-mail, by default", BuyerLimits{MaxUnpaidOrdersPerClient: 10}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h2", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h3", "c1", "a@example.com", ProviderManual, "order-limit-reached"))},
		{"a paid order makes room", BuyerLimits{MaxUnpaidOrdersPerClient: 1, MaxUnpaidOrdersPerEmail: 1}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h2", "c1", "a@example.com", ProviderManual, "order-limit-reached"),
			[]limitStep{{cmd: paid("h1")}, {cmd: orderBy("h2", "c1", "a@example.com", ProviderManual)}})},
		{"a cancelled order makes room", BuyerLimits{MaxUnpaidOrdersPerClient: 1, MaxUnpaidOrdersPerEmail: 1}, slices.Concat(
			heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
			heldOrder("h2", "c1", "a@example.com", ProviderManual, "order-limit-reached"),
			[]limitStep{{cmd: cancel("h1")}, {cmd: orderBy("h2", "c1", "a@example.com", ProviderManual)}})},
		{"an expired order makes room", BuyerLimits{MaxUnpaidOrdersPerClient: 1, MaxUnpaidOrdersPerEmail: 1}, []limitStep{
			{cmd: holdBy("h1", "c1")}, {cmd: &PlaceOrder{OrderID: "o-h1", HoldID: "h1", Token: "t-h1",
				Buyer: Buyer{Name: "Ada", Email: "a@example.com"}, Provider: ProviderStripe, Client: "c1"}},
			{cmd: holdBy("h2", "c1")},
			{cmd: orderBy("h2", "c1", "a@example.com", ProviderStripe), code: "order-limit-reached"},
			{cmd: expireCmd("h1"), at: DefaultPaymentWindowSeconds * time.Second},
			{cmd: holdBy("h3", "c1"), at: DefaultPaymentWindowSeconds * time.Second},
			{cmd: orderBy("h3", "c1", "a@example.com", ProviderStripe), at: DefaultPaymentWindowSeconds * time.Second},
		}},
		{"free orders are paid at once and not limited", BuyerLimits{MaxUnpaidOrdersPerClient: 1, MaxUnpaidOrdersPerEmail: 1},
			slices.Concat(
				heldOrder("h1", "c1", "a@example.com", ProviderManual, ""),
				[]limitStep{{cmd: &CreateHold{HoldID: "f1", Items: []Item{item("free", 1)}, Client: "c1"}},
					{cmd: orderBy("f1", "c1", "a@example.com", "")}},
				heldOrder("h2", "c1", "a@example.com", ProviderManual, "order-limit-reached"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withLimits(tc.limits)(t)
			base := clone(t, s)
			var log []Timed // every entry, to replay on base
			for i, st := range tc.steps {
				now := t0.Add(time.Minute + st.at)
				var d Decision
				var err error
				if ex, ok := st.cmd.(*expireHold); ok {
					e := Expire(s, ex.id, now)
					if e == nil {
						t.Fatalf("step %d: hold %s does not expire at %s", i, ex.id, now)
					}
					d.Entries = []Entry{e}
					mustApply(t, s, e, now)
				} else {
					d, err = decideApply(t, s, st.cmd, now)
				}
				switch {
				case st.code == "" && err != nil:
					t.Fatalf("step %d (%T): %v, want accepted", i, st.cmd, err)
				case st.code != "":
					if fe := wantKind(t, err, fault.Conflict); fe.Code != st.code {
						t.Fatalf("step %d (%T): code %q (%v), want %q", i, st.cmd, fe.Code, err, st.code)
					}
				}
				for _, e := range d.Entries {
					log = append(log, Timed{Entry: e, At: now})
				}
				checkInvariants(t, s)
			}
			// Replay and a snapshot rebuild the same counts.
			for _, e := range log {
				mustApply(t, base, e.Entry, e.At)
			}
			sameState(t, "replayed", base, s)
			sameState(t, "restored", clone(t, s), s)
		})
	}
}

// expireHold is a step that expires a hold as the box office's timer does.
type expireHold struct{ id string }

func (*expireHold) command() {}

func expireCmd(id string) Command { return &expireHold{id} }

func TestBuyerLimitSettings(t *testing.T) {
	limited := func(tb testing.TB) *State { return withLimits(BuyerLimits{MaxHoldsPerClient: 5})(tb) }
	runDecide(t, []decideCase{
		{name: "out of range on creation", state: func(testing.TB) *State { return NewState() },
			cmd: &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: func() EventDetails {
				d := eventDetails()
				d.BuyerLimits = BuyerLimits{MaxHoldsPerClient: -1, MaxUnpaidOrdersPerClient: MaxBuyerLimit + 1,
					MaxUnpaidOrdersPerEmail: -5}
				return d
			}()}, kind: fault.Invalid,
			fields: []string{"/max_holds_per_client", "/max_unpaid_orders_per_client", "/max_unpaid_orders_per_email"}},
		{name: "out of range in a patch", state: limited,
			cmd:  &UpdateEvent{OrganizerID: org, Patch: EventPatch{MaxUnpaidOrdersPerEmail: ptr(MaxBuyerLimit + 1)}},
			kind: fault.Invalid, fields: []string{"/max_unpaid_orders_per_email"}},
	})
	s := limited(t)
	if got := s.Event.BuyerLimits; got != (BuyerLimits{5, DefaultMaxUnpaidOrdersPerClient, DefaultMaxUnpaidOrdersPerEmail}) {
		t.Fatalf("limits after a patch of one = %+v", got)
	}
	must(t, s, &UpdateEvent{OrganizerID: org, Patch: EventPatch{Name: ptr("Gig")}}, t0)
	if got := s.Event.MaxHoldsPerClient; got != 5 {
		t.Fatalf("a patch of the name changed max_holds_per_client to %d", got)
	}
	must(t, s, &UpdateEvent{OrganizerID: org, Patch: EventPatch{MaxHoldsPerClient: ptr(0)}}, t0)
	if got := s.Event.MaxHoldsPerClient; got != DefaultMaxHoldsPerClient {
		t.Fatalf("a patch to 0 set max_holds_per_client to %d, want the default", got)
	}
	// An event created before the limits existed takes the defaults.
	old := NewState()
	mustApply(t, old, &EventCreated{EventID: evID, OrganizerID: org, Currency: "EUR", EventDetails: eventDetails()}, t0)
	if got := old.Event.BuyerLimits; got != defaultLimits() {
		t.Fatalf("limits of an entry without them = %+v, want the defaults", got)
	}
}

func TestManualPayBy(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name   string
		window time.Duration // the event's manual_payment_window_seconds; 0: the default
		left   time.Duration // before the event starts
		want   time.Duration // from now; 0: manual payment is closed
	}{
		{"far ahead: the default window", 0, 60 * day, day},
		{"far ahead: the organizer's window", 7 * day, 60 * day, 7 * day},
		{"a window longer than half the time left", 7 * day, 10 * day, 5 * day},
		{"two days left", 0, 2 * day, day},
		{"36 hours left", 0, 36 * time.Hour, 18 * time.Hour},
		{"a short window stays", time.Hour, 36 * time.Hour, time.Hour},
		{"3 hours left", 0, 3 * time.Hour, 90 * time.Minute},
		{"just open", 0, ManualPaymentClosesBefore, ManualPaymentClosesBefore / 2},
		{"just closed", 0, ManualPaymentClosesBefore - time.Second, 0},
		{"started", 0, 0, 0},
		{"started an hour ago", 0, -time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			window := int(tc.window / time.Second)
			if window == 0 {
				window = DefaultManualPaymentWindowSeconds // what a new event gets
			}
			ev := &Event{StartsAt: now.Add(tc.left), EndsAt: now.Add(tc.left + 4*time.Hour),
				PaymentSettings: PaymentSettings{PaymentProviders: []string{ProviderManual},
					ManualPaymentWindowSeconds: window}}
			ev.PaymentSettings.WithDefaults()
			payBy, ok := ManualPayBy(ev, now)
			switch {
			case tc.want == 0 && ok:
				t.Fatalf("ManualPayBy = %s, want manual payment closed", payBy.Sub(now))
			case tc.want != 0 && !ok:
				t.Fatalf("ManualPayBy closed, want %s", tc.want)
			case tc.want != 0 && !payBy.Equal(now.Add(tc.want)):
				t.Fatalf("ManualPayBy = now + %s, want now + %s", payBy.Sub(now), tc.want)
			}
		})
	}
}

// TestPlaceOrderManualNearTheEvent: an order's deadline follows
// ManualPayBy, and manual payment is refused once closed while card
// payment is still taken.
func TestPlaceOrderManualNearTheEvent(t *testing.T) {
	s := held(t)
	must(t, s, &ReleaseHold{HoldID: "h1"}, t0)
	must(t, s, hold("h2", item("ga", 1)), startsAt.Add(-3*time.Hour))
	must(t, s, &PlaceOrder{OrderID: "o1", HoldID: "h2", Token: "t1", Buyer: buyer, Provider: ProviderManual},
		startsAt.Add(-3*time.Hour))
	if got, want := s.Order("o1").PayBy, startsAt.Add(-90*time.Minute); !got.Equal(want) {
		t.Fatalf("pay by %s, want %s: half of the 3 hours left", got, want)
	}
	late := startsAt.Add(-ManualPaymentClosesBefore + time.Minute)
	must(t, s, hold("h3", item("ga", 1)), late)
	cmd := &PlaceOrder{OrderID: "o3", HoldID: "h3", Token: "t3", Buyer: buyer, Provider: ProviderManual}
	_, err := Decide(s, cmd, late)
	if fe := wantKind(t, err, fault.Conflict); fe.Code != "manual-payment-closed" {
		t.Fatalf("code = %q, want manual-payment-closed", fe.Code)
	}
	cmd.Provider = ProviderStripe
	must(t, s, cmd, late)
}
