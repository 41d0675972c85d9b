package office

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
)

// BenchmarkHoldMemory measures what a hold costs resident: it builds the
// state of an event with holdMemoryHolds active holds the way a box office
// does (Decide and Apply of a CreateHold of 1 to 4 tickets, with a client
// key as long as the web layer's, five holds a client), pushes their
// expiries onto an office's heap, and takes a snapshot (frozen, then
// encoded, as an office takes one), reporting the heap
// bytes each adds per hold after a collection. Run it alone:
//
//	go test -run '^$' -bench HoldMemory -benchtime 1x ./internal/office/
func BenchmarkHoldMemory(b *testing.B) {
	const holds = 1_000_000
	for b.Loop() {
		before := liveHeap()
		now := t0.Add(time.Minute)
		st := boxoffice.NewState()
		ttID := id.New("tt", id.Short)
		for _, c := range []boxoffice.Command{
			&boxoffice.CreateEvent{OrganizerID: org, EventID: id.New("ev", id.Short), Currency: "EUR",
				Details: boxoffice.EventDetails{Name: "Concert", TimeZone: "Europe/Berlin",
					StartsAt: t0.Add(24 * time.Hour), EndsAt: t0.Add(27 * time.Hour), HoldTTLSeconds: 600}},
			&boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: ttID, Details: boxoffice.TicketTypeDetails{
				Name: "Standing", Price: boxoffice.Money{Amount: 2500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 10}},
			&boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
				Name: "Hall", Capacity: 4 * holds, TicketTypeIDs: []string{ttID}}},
			&boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale},
		} {
			decideApply(b, st, c, t0)
		}
		var expiry holdHeap
		for i := range holds {
			// A batch of 4,096 shares its time, as an office's does.
			at := now.Add(time.Duration(i/4096) * time.Millisecond)
			client := "k" + strconv.Itoa(1e14 + i/5)[:15] // 16 characters, as web's client keys
			d := decideApply(b, st, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Client: client,
				Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 1 + i%4}}}, at)
			h := d.Entries[0].(*boxoffice.HoldCreated)
			expiry.pushHold(st, h)
		}
		if st.ActiveHolds() != holds {
			b.Fatalf("ActiveHolds = %d, want %d", st.ActiveHolds(), holds)
		}
		withExpiry := liveHeap()
		runtime.KeepAlive(expiry)
		expiry = nil
		state := liveHeap()
		var snapAlloc runtime.MemStats
		runtime.ReadMemStats(&snapAlloc)
		// As an office takes one: frozen, then encoded while the copy lives.
		frozen, err := st.Freeze()
		if err != nil {
			b.Fatal(err)
		}
		snap := frozen.AppendSnapshot(make([]byte, 8))
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		withSnap := liveHeap()
		perHold := func(n uint64) float64 { return float64(n) / holds }
		b.ReportMetric(perHold(state-before), "state-B/hold")
		b.ReportMetric(perHold(withExpiry-state), "expiry-B/hold")
		b.ReportMetric(perHold(withSnap-state), "snapshot-B/hold")
		b.ReportMetric(perHold(after.TotalAlloc-snapAlloc.TotalAlloc), "snapshot-alloc-B/hold")
		b.ReportMetric(perHold(withSnap-before+withExpiry-state), "total-B/hold")
		runtime.KeepAlive(st)
		runtime.KeepAlive(snap)
		runtime.KeepAlive(frozen)
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func decideApply(b *testing.B, st *boxoffice.State, cmd boxoffice.Command, now time.Time) boxoffice.Decision {
	d, err := boxoffice.Decide(st, cmd, now)
	if err != nil {
		b.Fatalf("Decide(%T): %v", cmd, err)
	}
	for _, e := range d.Entries {
		if err := boxoffice.Apply(st, e, now); err != nil {
			b.Fatalf("Apply(%s): %v", e.Type(), err)
		}
	}
	return d
}
