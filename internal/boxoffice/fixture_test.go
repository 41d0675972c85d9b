package boxoffice

import (
	"testing"
	"time"
)

// fixtureState is an event with holds of every kind: active, released,
// expired, extended, of several items, with and without a client key and
// an Idempotency-Key, ordered and paid, ordered and awaiting payment, and
// two of one batch. testdata/snapshot-v1.json is its snapshot as version 1
// wrote it.
func fixtureState(tb testing.TB) *State {
	tb.Helper()
	s := held(tb) // h1: 2 ga and 1 vip
	must(tb, s, place(ProviderManual), t0)
	must(tb, s, &RecordPayment{OrderID: "o1", OrganizerID: org, Provider: ProviderManual,
		Amount: Money{7500, "EUR"}}, t0.Add(time.Hour))
	at := t0.Add(time.Minute)
	must(tb, s, &CreateHold{HoldID: "h2", Items: []Item{item("ga", 1)}, Client: "client-a", Idem: idemA}, at)
	must(tb, s, &CreateHold{HoldID: "h3", Items: []Item{item("vip", 2)}, Client: "client-a"}, at)
	must(tb, s, &ReleaseHold{HoldID: "h3"}, at.Add(time.Second))
	must(tb, s, &CreateHold{HoldID: "h4", Items: []Item{item("ga", 4)}, Client: "client-b"}, at.Add(2*time.Second))
	mustApply(tb, s, &HoldExpired{HoldID: "h4"}, at.Add(20*time.Minute))
	must(tb, s, hold("h5", item("ga", 3)), at.Add(3*time.Second))
	must(tb, s, &ExtendHold{HoldID: "h5"}, at.Add(5*time.Minute))
	must(tb, s, hold("h6", item("vip", 1)), at.Add(4*time.Second))
	must(tb, s, &PlaceOrder{OrderID: "o2", HoldID: "h6", Token: "secret-2", Buyer: buyer, Provider: ProviderManual},
		at.Add(5*time.Second))
	for _, id := range []string{"h9", "h7", "h8"} { // one batch
		must(tb, s, &CreateHold{HoldID: id, Items: []Item{item("ga", 1)}, Client: "client-" + id}, at.Add(6*time.Second))
	}
	return s
}
