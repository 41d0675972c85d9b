package boxoffice

import (
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// Buyer limits: how much of an event one buyer can tie up without paying.
// A hold lasts minutes, an unpaid order up to its payment deadline; with no
// limit, one client could hold or order an event's every seat under made-up
// names. The box office counts, per client key, the active holds not yet
// ordered and the unpaid orders, and per buyer e-mail the unpaid orders.
// The counts are derived from the entries alone (the client key is in
// HoldCreated and OrderPlaced, the e-mail in OrderPlaced), so replay and
// snapshots rebuild them exactly. docs/limits.md says why the defaults are
// what they are.

// Defaults and bounds of the buyer limits.
const (
	DefaultMaxHoldsPerClient        = 10
	DefaultMaxUnpaidOrdersPerClient = 3
	DefaultMaxUnpaidOrdersPerEmail  = 2
	MaxBuyerLimit                   = 10_000
)

// BuyerLimits are an event's caps on what one buyer can have at once.
// Entries written before they existed leave them out; they then take the
// defaults, as does 0.
type BuyerLimits struct {
	MaxHoldsPerClient        int `json:"max_holds_per_client,omitempty"`         // active holds not yet ordered, per client
	MaxUnpaidOrdersPerClient int `json:"max_unpaid_orders_per_client,omitempty"` // orders awaiting payment, per client
	MaxUnpaidOrdersPerEmail  int `json:"max_unpaid_orders_per_email,omitempty"`  // orders awaiting payment, per buyer e-mail
}

// WithDefaults fills in the limits left out (0) with the defaults.
func (l *BuyerLimits) WithDefaults() {
	if l.MaxHoldsPerClient == 0 {
		l.MaxHoldsPerClient = DefaultMaxHoldsPerClient
	}
	if l.MaxUnpaidOrdersPerClient == 0 {
		l.MaxUnpaidOrdersPerClient = DefaultMaxUnpaidOrdersPerClient
	}
	if l.MaxUnpaidOrdersPerEmail == 0 {
		l.MaxUnpaidOrdersPerEmail = DefaultMaxUnpaidOrdersPerEmail
	}
}

func (f *fieldErrs) buyerLimits(l *BuyerLimits) {
	for _, v := range []struct {
		field string
		n     int
	}{
		{"/max_holds_per_client", l.MaxHoldsPerClient},
		{"/max_unpaid_orders_per_client", l.MaxUnpaidOrdersPerClient},
		{"/max_unpaid_orders_per_email", l.MaxUnpaidOrdersPerEmail},
	} {
		if v.n < 1 || v.n > MaxBuyerLimit {
			f.add(v.field, "must be between 1 and "+strconv.Itoa(MaxBuyerLimit)+" (0 or left out: the default)")
		}
	}
}

// normalizeEmail is the form of a buyer's e-mail address that the limits
// count by: without surrounding space, in lower case.
func normalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// buyerCounts are the counts the buyer limits are checked against. A key
// whose count drops to zero is deleted, so they grow with what is
// outstanding only.
type buyerCounts struct {
	holds  map[string]int // client key → active holds not yet ordered
	orders map[string]int // client key → unpaid orders
	emails map[string]int // normalized e-mail → unpaid orders
}

func newBuyerCounts() buyerCounts {
	return buyerCounts{holds: make(map[string]int), orders: make(map[string]int), emails: make(map[string]int)}
}

// count adds n to m[key]; an empty key is not counted.
func count(m map[string]int, key string, n int) {
	if key == "" {
		return
	}
	if v := m[key] + n; v > 0 {
		m[key] = v
	} else {
		delete(m, key)
	}
}

// orderCounted reports whether o counts as an unpaid order.
func orderCounted(o *Order) bool { return o.Status == StatusPendingPayment }

// countOrder adds n to the unpaid orders of o's client and e-mail.
func (s *State) countOrder(o *Order, n int) {
	count(s.counts.orders, o.Client, n)
	count(s.counts.emails, normalizeEmail(o.Buyer.Email), n)
}

// recount rebuilds the counts from the holds and orders, after a snapshot
// is loaded.
func (s *State) recount() {
	s.counts = newBuyerCounts()
	holds := make([]int, len(s.clientKeys)) // by client index
	for i := range s.holds {
		if r := &s.holds[i]; r.status == stActive && r.flags&ordered == 0 {
			holds[r.client]++
		}
	}
	for c, n := range holds {
		count(s.counts.holds, s.clientKeys[c], n)
	}
	for _, o := range s.Orders {
		if orderCounted(o) {
			s.countOrder(o, 1)
		}
	}
}

// checkHoldLimit refuses a hold beyond the client's limit. An empty client
// key (a client exempt from the limits) is not limited.
func (s *State) checkHoldLimit(client string) error {
	if client == "" {
		return nil
	}
	if n := s.counts.holds[client]; n >= s.Event.MaxHoldsPerClient {
		return fault.Coded(fault.Conflict, "hold-limit-reached",
			"you have %d active holds for this event, the most one buyer can have at once; "+
				"complete or release one, or wait for it to expire", n)
	}
	return nil
}

// checkOrderLimits refuses an unpaid order beyond the client's or the
// e-mail's limit.
func (s *State) checkOrderLimits(client, email string) error {
	ev := s.Event
	if n := s.counts.orders[client]; client != "" && n >= ev.MaxUnpaidOrdersPerClient {
		return fault.Coded(fault.Conflict, "order-limit-reached",
			"you have %d unpaid orders for this event, the most one buyer can have at once; "+
				"pay one, or wait for it to expire", n)
	}
	if n := s.counts.emails[normalizeEmail(email)]; n >= ev.MaxUnpaidOrdersPerEmail {
		return fault.Coded(fault.Conflict, "order-limit-reached",
			"this e-mail address has %d unpaid orders for this event, the most it can have at once; "+
				"pay one, or wait for it to expire", n)
	}
	return nil
}

// Manual payments near the event. A manual payment (a bank transfer) ties
// up its tickets for a long time; close to the event an unpaid order must
// not keep them from buyers who would pay at once. So the deadline of a
// manual payment is at most half of the time left before the event starts,
// and manual payment closes ManualPaymentClosesBefore the start.
// docs/payments.md explains the numbers.
const (
	// ManualPaymentClosesBefore is how long before the event starts manual
	// payment is no longer offered: the order would have at most half of
	// it, an hour, to be paid.
	ManualPaymentClosesBefore = 2 * time.Hour
)

// ManualPayBy is the deadline of a manual payment for an order placed at
// now: the event's manual payment window, shortened to half of the time
// left before the event starts. ok is false when manual payment is closed:
// less than ManualPaymentClosesBefore is left.
func ManualPayBy(ev *Event, now time.Time) (payBy time.Time, ok bool) {
	left := ev.StartsAt.Sub(now)
	if left < ManualPaymentClosesBefore {
		return time.Time{}, false
	}
	window := time.Duration(ev.ManualPaymentWindowSeconds) * time.Second
	return now.Add(min(window, left/2)), true
}

var errManualClosed = fault.Coded(fault.Conflict, "manual-payment-closed",
	"manual payment closes %d hours before the event starts; choose another way to pay",
	int(ManualPaymentClosesBefore/time.Hour))
