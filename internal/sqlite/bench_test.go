package sqlite

import (
	"context"
	"strconv"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// BenchmarkApplyHolds applies 10,000 hold-created entries in 5 Apply calls
// of 2,000 entries, carried one per ledger message or 100 per message (a
// busy box office's batches): what the projector does for an on-sale's
// bulk, which changes no table.
func BenchmarkApplyHolds(b *testing.B) {
	const entries, batches = 10_000, 5
	for _, perRecord := range []int{1, 100} {
		b.Run("entries-per-record="+strconv.Itoa(perRecord), func(b *testing.B) {
			ctx := context.Background()
			bk := newBook(b)
			bk.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
			bk.newEvent("or_a", "ev_1", at(1))
			db := openDB(b)
			if err := db.Apply(ctx, bk.records()); err != nil {
				b.Fatal(err)
			}
			seq := position(b, db)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				recs := make([]ledger.Record, 0, entries/perRecord)
				for r := range entries / perRecord {
					es := make([]boxoffice.Entry, perRecord)
					for j := range es {
						es[j] = hold("ev_1", "ho_"+strconv.Itoa(i)+"_"+strconv.Itoa(r*perRecord+j), 2, at(2))
					}
					data, err := boxoffice.EncodeBatch(nil, boxoffice.Source("ev_1"), seq, at(2), es)
					if err != nil {
						b.Fatal(err)
					}
					seq++
					recs = append(recs, ledger.Record{Seq: seq, Subject: "ledger.event.ev_1", Data: data, Time: at(2)})
				}
				per := len(recs) / batches
				b.StartTimer()
				for k := range batches {
					if err := db.Apply(ctx, recs[k*per:(k+1)*per]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(entries*b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(batches*b.N), "ms/apply")
		})
	}
}

// BenchmarkApplyOrders applies 1,000 orders of two tickets, each placed
// and paid by Stripe (an OrderPlaced and an OrderPaid entry), in 5 Apply
// calls (transactions) of 200 orders, carried one order per ledger message
// or 100 per message. Their holds are applied before the timer runs.
func BenchmarkApplyOrders(b *testing.B) {
	const orders, batches = 1000, 5
	for _, perRecord := range []int{1, 100} {
		b.Run("orders-per-record="+strconv.Itoa(perRecord), func(b *testing.B) {
			ctx := context.Background()
			bk := newBook(b)
			bk.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
			bk.newEvent("or_a", "ev_1", at(1))
			db := openDB(b)
			if err := db.Apply(ctx, bk.records()); err != nil {
				b.Fatal(err)
			}
			seq := position(b, db)
			record := func(es []boxoffice.Entry) ledger.Record {
				data, err := boxoffice.EncodeBatch(nil, boxoffice.Source("ev_1"), seq, at(2), es)
				if err != nil {
					b.Fatal(err)
				}
				seq++
				return ledger.Record{Seq: seq, Subject: "ledger.event.ev_1", Data: data, Time: at(2)}
			}
			price := boxoffice.Money{Amount: 4500, Currency: "EUR"}
			total := boxoffice.Money{Amount: 9000, Currency: "EUR"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				holdIDs, holds := make([]string, orders), make([]boxoffice.Entry, orders)
				for i := range holdIDs {
					holdIDs[i] = id.New("ho", id.Long)
					holds[i] = hold("ev_1", holdIDs[i], 2, at(2))
				}
				if err := db.Apply(ctx, []ledger.Record{record(holds)}); err != nil {
					b.Fatal(err)
				}
				var recs []ledger.Record
				var es []boxoffice.Entry
				for i, holdID := range holdIDs {
					orderID := id.New("or", id.Short)
					es = append(es,
						&boxoffice.OrderPlaced{OrderID: orderID, HoldID: holdID, Token: id.Token(""),
							Buyer: boxoffice.Buyer{Name: "Buyer " + strconv.Itoa(i), Email: "buyer@example.com"},
							Lines: []boxoffice.OrderLine{{TicketTypeID: "tt_ev_1", Name: "Standing", Quantity: 2,
								UnitPrice: price, Amount: total}},
							Total: total, Provider: boxoffice.ProviderStripe, PayBy: at(902)},
						&boxoffice.OrderPaid{OrderID: orderID, EventRef: "evt_" + orderID,
							Payment: boxoffice.Payment{Provider: boxoffice.ProviderStripe, Ref: "pi_" + orderID, Amount: total,
								ReceivedAt: at(2), Kept: true},
							Tickets: []boxoffice.IssuedTicket{
								{TicketID: boxoffice.TicketID(orderID, 0), TicketTypeID: "tt_ev_1", Price: price},
								{TicketID: boxoffice.TicketID(orderID, 1), TicketTypeID: "tt_ev_1", Price: price}}})
					if len(es) == 2*perRecord {
						recs = append(recs, record(es))
						es = nil
					}
				}
				per := len(recs) / batches
				b.StartTimer()
				for k := range batches {
					if err := db.Apply(ctx, recs[k*per:(k+1)*per]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(orders*b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
