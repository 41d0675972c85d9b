package sqlite

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// BenchmarkApplyHolds applies 10,000 hold-created entries in 5 Apply calls
// (transactions) of 2,000 entries, carried one per ledger message or 100 per
// message (a busy box office's batches).
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
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(batches*b.N), "ms/txn")
		})
	}
}

func TestItemsJSON(t *testing.T) {
	for _, items := range [][]boxoffice.Item{nil, {}, {{TicketTypeID: "tt_abc", Quantity: 3}},
		{{TicketTypeID: "tt_a", Quantity: 1}, {TicketTypeID: "Tt_9", Quantity: 100}},
		{{TicketTypeID: `tt"<&>`, Quantity: 1}}, {{TicketTypeID: "", Quantity: 0}}} {
		want := items
		if want == nil {
			want = []boxoffice.Item{}
		}
		js, err := json.Marshal(want)
		got, err2 := itemsJSON(items)
		if err != nil || err2 != nil || got != string(js) {
			t.Errorf("itemsJSON(%v) = %s, %v; want %s", items, got, err2, js)
		}
	}
}
