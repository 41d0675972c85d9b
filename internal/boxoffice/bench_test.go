package boxoffice

import (
	"syscall"
	"testing"
	"time"
)

// benchEvent is an event on sale with one ticket type in a quota of the
// largest capacity.
func benchEvent(b *testing.B) *State {
	b.Helper()
	s := draftEvent(b)
	addTicketType(b, s, "ga", 1, 10, t0)
	addQuota(b, s, "total", MaxQuotaCapacity, []string{"ga"}, t0)
	setStatus(b, s, OnSale, t0)
	return s
}

// BenchmarkDecideApplyHold decides and applies a one-item hold, the hot path
// of an on-sale. The state is renewed (untimed) every 100,000 holds so it
// never sells out and the hold map stays a realistic size.
func BenchmarkDecideApplyHold(b *testing.B) { benchmarkDecideApplyHold(b, false) }

// BenchmarkDecideApplyHoldClient is BenchmarkDecideApplyHold with every
// hold from a client of its own, counted against the buyer limits.
func BenchmarkDecideApplyHoldClient(b *testing.B) { benchmarkDecideApplyHold(b, true) }

func benchmarkDecideApplyHold(b *testing.B, clients bool) {
	const perState = 100_000
	ids := make([]string, perState)
	keys := make([]string, perState)
	for i := range ids {
		ids[i] = "ho_" + itoa(i)
		if clients {
			keys[i] = "k" + itoa(1e14+i) // as long as a client key
		}
	}
	s := benchEvent(b)
	cmd := &CreateHold{Items: []Item{{TicketTypeID: "ga", Quantity: 1}}}
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == perState {
			b.StopTimer()
			s, i = benchEvent(b), 0
			b.StartTimer()
		}
		cmd.HoldID, cmd.Client = ids[i], keys[i]
		d, err := Decide(s, cmd, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := Apply(s, d.Entries[0], now); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEncodeBatch encodes a ledger message of 1,000 holds.
func BenchmarkEncodeBatch(b *testing.B) { benchmarkEncode(b, EncodeBatch) }

// benchmarkEncode runs encode on a ledger message of 1,000 holds.
func benchmarkEncode(b *testing.B, encode func([]byte, string, uint64, time.Time, []Entry) ([]byte, error)) {
	entries := make([]Entry, 1000)
	for i := range entries {
		entries[i] = &HoldCreated{HoldID: "ho_" + itoa(i), Items: []Item{{TicketTypeID: "tt_standing", Quantity: 2}},
			ExpiresAt: t0.Add(10 * time.Minute), Idem: &IdemStamp{Scope: "public", Key: "key-" + itoa(i),
				Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, Actor: "buyer"}
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = encode(buf[:0], Source(evID), 12345, t0, entries)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkView builds the view the box office publishes after every batch,
// of an event with 20 ticket types, 10 quotas and 100,000 active holds: its
// cost must not grow with the holds.
func BenchmarkView(b *testing.B) {
	s := draftEvent(b)
	var ids []string
	for i := range 20 {
		id := "tt" + itoa(i)
		addTicketType(b, s, id, 1, 10, t0)
		ids = append(ids, id)
	}
	for i := range 10 {
		addQuota(b, s, "q"+itoa(i), MaxQuotaCapacity, ids[2*i:], t0)
	}
	setStatus(b, s, OnSale, t0)
	now := t0.Add(time.Minute)
	for i := range 100_000 {
		must(b, s, hold("ho_"+itoa(i), item(ids[i%len(ids)], 1)), now)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v := s.View(); v == nil {
			b.Fatal("no view")
		}
	}
}

// BenchmarkMarshalSnapshot encodes the state of an event with 100,000
// holds, half of them with an Idempotency-Key, created in batches of 1,000.
func BenchmarkMarshalSnapshot(b *testing.B) {
	s := benchEvent(b)
	for i := range 100_000 {
		c := hold("ho_"+itoa(i), item("ga", 1))
		if i%2 == 0 {
			c.Idem = &IdemStamp{Scope: "public", Key: "key-" + itoa(i),
				Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
		}
		must(b, s, c, t0.Add(time.Duration(i/1000)*time.Second))
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		data, err := s.MarshalSnapshot()
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.SetBytes(int64(n))
}

// snapshotBenchState is the state of an event with n active holds of 1 to
// 4 tickets, with ids and client keys as long as the web layer's (five
// holds a client), created in batches of 4,096 that share their time.
func snapshotBenchState(b *testing.B, n int) *State {
	b.Helper()
	s := draftEvent(b)
	addTicketType(b, s, "ga", 1, 10, t0)
	addQuota(b, s, "total", MaxQuotaCapacity, []string{"ga"}, t0)
	setStatus(b, s, OnSale, t0)
	s.Event.MaxHoldsPerClient = MaxBuyerLimit
	for i := range n {
		id := "ho_" + itoa(1e15+i) + "abcdefghij" // 26 characters after the prefix, as id.Long
		c := &CreateHold{HoldID: id, Items: []Item{item("ga", 1+i%4)}, Client: "k" + itoa(1e14+i/5)}
		if _, err := decideApply(b, s, c, t0.Add(time.Duration(i/4096)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkSnapshot encodes (Marshal) and decodes (Unmarshal) the state of
// an event with 100,000 and 1,000,000 active holds. cpu-ns/op is the
// process's CPU time (the collector's included), steadier than the wall
// clock on a shared machine.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		s := snapshotBenchState(b, n)
		data, err := s.MarshalSnapshot()
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Marshal/holds="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				if _, err := s.MarshalSnapshot(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
		b.Run("Unmarshal/holds="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				if _, err := UnmarshalSnapshot(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system, in
// nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
