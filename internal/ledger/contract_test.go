package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// ledger is the contract both implementations keep.
type ledger interface {
	Append(ctx context.Context, m Message, expectLastSubjectSeq uint64) (uint64, error)
	LastSubjectSeq(ctx context.Context, subject string) (uint64, error)
	Last(ctx context.Context) (Vector, error)
	Read(ctx context.Context, filter string, from uint64, fn func(Record) error) (uint64, error)
	Follow(ctx context.Context, after Vector, fn func(Record) error) error
	PutSnapshot(ctx context.Context, key string, data []byte) error
	GetSnapshot(ctx context.Context, key string) ([]byte, error)
	Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error)
	Close() error
}

var (
	_ ledger = (*Memory)(nil)
	_ ledger = (*JetStream)(nil)
)

// implementations opens a fresh, empty ledger of each kind.
var implementations = []struct {
	name string
	open func(t *testing.T) ledger
}{
	{"Memory", func(t *testing.T) ledger { return NewMemory() }},
	{"JetStream", func(t *testing.T) ledger { return openEmbedded(t, t.TempDir()) }},
}

// TestContract runs every contract case against every implementation.
func TestContract(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, l ledger)
	}{
		{"AppendRead", testAppendRead},
		{"Fencing", testFencing},
		{"FencingRace", testFencingRace},
		{"ReadFilterFrom", testReadFilterFrom},
		{"Recent", testRecent},
		{"ReadStopsAtEnd", testReadStopsAtEnd},
		{"ReadFnError", testReadFnError},
		{"Follow", testFollow},
		{"Snapshots", testSnapshots},
		{"Headers", testHeaders},
		{"Invalid", testInvalid},
		{"Large", testLarge},
		{"Shards", testShards},
	}
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					l := impl.open(t)
					c.run(t, l)
				})
			}
		})
	}
}

func testAppendRead(t *testing.T, l ledger) {
	ctx := testContext(t)
	if got := lastSeq(t, l); got != 0 {
		t.Fatalf("LastSeq of an empty ledger = %d, want 0", got)
	}
	if n, err := l.Read(ctx, "", 0, func(Record) error { return errors.New("called") }); n != 0 || err != nil {
		t.Fatalf("Read of an empty ledger = %d, %v; want 0, nil", n, err)
	}

	buf := []byte("one")
	mustAppend(t, l, "ledger.event.a", buf, 0, 1)
	copy(buf, "XXX") // the ledger kept its own copy
	mustAppend(t, l, "ledger.org.b", []byte("two"), 0, 2)
	mustAppend(t, l, "ledger.event.a", []byte("three"), 1, 3)

	if got := lastSeq(t, l); got != 3 {
		t.Errorf("LastSeq = %d, want 3", got)
	}
	if got := lastSubjectSeq(t, l, "ledger.event.a"); got != 3 {
		t.Errorf("LastSubjectSeq(ledger.event.a) = %d, want 3", got)
	}
	if got := lastSubjectSeq(t, l, "ledger.org.b"); got != 2 {
		t.Errorf("LastSubjectSeq(ledger.org.b) = %d, want 2", got)
	}
	if got := lastSubjectSeq(t, l, "ledger.org.none"); got != 0 {
		t.Errorf("LastSubjectSeq(ledger.org.none) = %d, want 0", got)
	}

	before := time.Now().Add(-time.Minute)
	recs, last := readAll(t, l, "ledger.>", 0)
	if last != 3 {
		t.Errorf("Read returned last %d, want 3", last)
	}
	want := []struct {
		seq  uint64
		subj string
		data string
	}{{1, "ledger.event.a", "one"}, {2, "ledger.org.b", "two"}, {3, "ledger.event.a", "three"}}
	if len(recs) != len(want) {
		t.Fatalf("Read gave %d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.Seq != w.seq || r.Subject != w.subj || string(r.Data) != w.data {
			t.Errorf("record %d = (%d, %s, %q), want (%d, %s, %q)", i, r.Seq, r.Subject, r.Data, w.seq, w.subj, w.data)
		}
		if r.Time.Before(before) || r.Time.After(time.Now().Add(time.Minute)) {
			t.Errorf("record %d time %v is not about now", i, r.Time)
		}
	}
	// Records belong to the caller: changing one changes nothing stored.
	copy(recs[0].Data, "XXX")
	again, _ := readAll(t, l, "ledger.event.a", 1)
	if string(again[0].Data) != "one" {
		t.Errorf("after changing a read record, a new read gives %q, want %q", again[0].Data, "one")
	}
}

func testFencing(t *testing.T, l ledger) {
	ctx := testContext(t)
	mustAppend(t, l, "ledger.event.a", []byte("1"), 0, 1)

	// Expected 0 on a used subject is fenced.
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Data: []byte("x")}, 0); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append with expected 0 on a used subject: err = %v, want ErrFenced", err)
	}
	mustAppend(t, l, "ledger.event.a", []byte("2"), 1, 2)
	// A stale expectation is fenced.
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Data: []byte("x")}, 1); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append with stale expected 1: err = %v, want ErrFenced", err)
	}
	// An expectation from the future is fenced too.
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Data: []byte("x")}, 9); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append with expected 9: err = %v, want ErrFenced", err)
	}
	// Fencing is per subject: the stream's last sequence does not count.
	mustAppend(t, l, "ledger.event.b", []byte("3"), 0, 3)
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.b", Data: []byte("x")}, 2); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append on b with a's last sequence: err = %v, want ErrFenced", err)
	}

	// The fenced appends left nothing behind.
	if got := lastSubjectSeq(t, l, "ledger.event.a"); got != 2 {
		t.Errorf("LastSubjectSeq(a) after fenced appends = %d, want 2", got)
	}
	if got := lastSeq(t, l); got != 3 {
		t.Errorf("LastSeq after fenced appends = %d, want 3", got)
	}
	recs, _ := readAll(t, l, "", 0)
	var data []string
	for _, r := range recs {
		data = append(data, string(r.Data))
	}
	if fmt.Sprint(data) != "[1 2 3]" {
		t.Errorf("stored data = %v, want [1 2 3]", data)
	}
	// The owner goes on from where it was.
	mustAppend(t, l, "ledger.event.a", []byte("4"), 2, 4)
}

func testFencingRace(t *testing.T, l ledger) {
	ctx := testContext(t)
	const subj = "ledger.event.last-seat"
	mustAppend(t, l, subj, []byte("open"), 0, 1)

	const writers = 50
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		mu     sync.Mutex
		won    []uint64
		fenced int
		other  []error
	)
	for i := range writers {
		wg.Go(func() {
			<-start
			seq, err := l.Append(ctx, Message{Subject: subj, Data: fmt.Appendf(nil, "writer %d", i)}, 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, seq)
			case errors.Is(err, ErrFenced):
				fenced++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()

	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	if len(won) != 1 || fenced != writers-1 {
		t.Fatalf("%d writers won (%v) and %d were fenced; want 1 and %d", len(won), won, fenced, writers-1)
	}
	if got := lastSubjectSeq(t, l, subj); got != won[0] {
		t.Errorf("LastSubjectSeq = %d, want the winner's %d", got, won[0])
	}
	if got := lastSeq(t, l); got != 2 {
		t.Errorf("LastSeq = %d, want 2", got)
	}
}

func testReadFilterFrom(t *testing.T, l ledger) {
	subjects := []string{"ledger.event.a", "ledger.org.x", "ledger.event.b", "ledger.org.y", "ledger.event.a", "ledger.event.c.deep"}
	last := map[string]uint64{}
	for i, s := range subjects {
		mustAppend(t, l, s, fmt.Appendf(nil, "%d", i+1), last[s], uint64(i+1))
		last[s] = uint64(i + 1)
	}
	tests := []struct {
		filter   string
		from     uint64
		want     []uint64
		wantLast uint64
	}{
		{"", 0, []uint64{1, 2, 3, 4, 5, 6}, 6},
		{"ledger.>", 1, []uint64{1, 2, 3, 4, 5, 6}, 6},
		{"ledger.>", 4, []uint64{4, 5, 6}, 6},
		{"ledger.org.>", 0, []uint64{2, 4}, 4}, // the stream's last message does not match
		{"ledger.org.>", 3, []uint64{4}, 4},
		{"ledger.event.a", 0, []uint64{1, 5}, 5},
		{"ledger.event.a", 2, []uint64{5}, 5},
		{"ledger.event.a", 6, nil, 0},
		{"ledger.event.*", 2, []uint64{3, 5}, 5},
		{"ledger.*.a", 0, []uint64{1, 5}, 5},
		{"ledger.event.>", 0, []uint64{1, 3, 5, 6}, 6},
		{"ledger.event.zzz", 0, nil, 0},
		{"ledger.>", 7, nil, 0},
		{"ledger.>", 100, nil, 0},
	}
	for _, tt := range tests {
		recs, got := readAll(t, l, tt.filter, tt.from)
		var seqs []uint64
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
			if want := fmt.Sprint(r.Seq); string(r.Data) != want {
				t.Errorf("Read(%q, %d): record %d has data %q, want %q", tt.filter, tt.from, r.Seq, r.Data, want)
			}
		}
		if fmt.Sprint(seqs) != fmt.Sprint(tt.want) || got != tt.wantLast {
			t.Errorf("Read(%q, %d) = %v, last %d; want %v, last %d", tt.filter, tt.from, seqs, got, tt.want, tt.wantLast)
		}
	}
}

func testReadStopsAtEnd(t *testing.T, l ledger) {
	ctx := testContext(t)
	for i := range 3 {
		mustAppend(t, l, "ledger.event.a", []byte("old"), uint64(i), uint64(i+1))
	}
	// Appends made while Read runs are not delivered.
	var seqs []uint64
	last, err := l.Read(ctx, "ledger.event.a", 0, func(r Record) error {
		seqs = append(seqs, r.Seq)
		if r.Seq == 1 {
			if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Data: []byte("new")}, 3); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if fmt.Sprint(seqs) != "[1 2 3]" || last != 3 {
		t.Errorf("Read delivered %v, last %d; want [1 2 3], last 3", seqs, last)
	}
	// The next Read sees it.
	recs, last := readAll(t, l, "ledger.event.a", 4)
	if len(recs) != 1 || string(recs[0].Data) != "new" || last != 4 {
		t.Errorf("Read from 4 = %d records, last %d; want the new one, last 4", len(recs), last)
	}
}

func testReadFnError(t *testing.T, l ledger) {
	ctx := testContext(t)
	for i := range 3 {
		mustAppend(t, l, "ledger.event.a", nil, uint64(i), uint64(i+1))
	}
	errStop := errors.New("stop here")
	calls := 0
	last, err := l.Read(ctx, "ledger.event.a", 0, func(r Record) error {
		calls++
		if r.Seq == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || last != 1 || calls != 2 {
		t.Errorf("Read = last %d, %v after %d calls; want last 1, errStop after 2", last, err, calls)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Read(cancelled, "ledger.event.a", 0, func(Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func testFollow(t *testing.T, l ledger) {
	mustAppend(t, l, "ledger.event.a", []byte("1"), 0, 1)
	mustAppend(t, l, "ledger.org.b", []byte("2"), 0, 2)

	for _, from := range []uint64{0, 2} {
		after := Vector{max(from, 1) - 1}
		ctx, cancel := context.WithCancel(testContext(t))
		got := make(chan Record, 16)
		done := make(chan error, 1)
		go func() {
			done <- l.Follow(ctx, after, func(r Record) error {
				got <- r
				return nil
			})
		}()

		want := max(from, 1)
		expect := func(n uint64) {
			t.Helper()
			for ; want <= n; want++ {
				select {
				case r := <-got:
					if r.Seq != want || string(r.Data) != fmt.Sprint(want) {
						t.Fatalf("Follow(from %d) delivered %d %q, want %d", from, r.Seq, r.Data, want)
					}
				case err := <-done:
					t.Fatalf("Follow(from %d) returned %v before record %d", from, err, want)
				case <-ctx.Done():
					t.Fatalf("Follow(from %d): no record %d before the deadline", from, want)
				}
			}
		}
		expect(lastSeq(t, l))
		// Later appends arrive.
		n := lastSeq(t, l)
		mustAppend(t, l, "ledger.event.a", fmt.Append(nil, n+1), lastSubjectSeq(t, l, "ledger.event.a"), n+1)
		mustAppend(t, l, "ledger.event.c", fmt.Append(nil, n+2), lastSubjectSeq(t, l, "ledger.event.c"), n+2)
		expect(n + 2)

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Follow returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Follow did not return after its context was cancelled")
		}
		select {
		case r := <-got:
			t.Errorf("Follow delivered %d beyond the end", r.Seq)
		default:
		}
	}

	// An error from fn ends Follow with that error.
	errStop := errors.New("stop")
	err := l.Follow(testContext(t), nil, func(r Record) error {
		if r.Seq == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Follow with a failing fn = %v, want errStop", err)
	}
}

func testSnapshots(t *testing.T, l ledger) {
	ctx := testContext(t)
	got, err := l.GetSnapshot(ctx, "event.ev_missing")
	if got != nil || err != nil {
		t.Fatalf("GetSnapshot of a missing key = %q, %v; want nil, nil", got, err)
	}
	buf := []byte("state at 42")
	if err := l.PutSnapshot(ctx, "event.ev_abc", buf); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	copy(buf, "XXXXX")
	if got := getSnapshot(t, l, "event.ev_abc"); string(got) != "state at 42" {
		t.Errorf("GetSnapshot = %q, want %q", got, "state at 42")
	}
	if err := l.PutSnapshot(ctx, "event.ev_abc", []byte("state at 99")); err != nil {
		t.Fatalf("PutSnapshot (replace): %v", err)
	}
	if got := getSnapshot(t, l, "event.ev_abc"); string(got) != "state at 99" {
		t.Errorf("GetSnapshot after replace = %q, want %q", got, "state at 99")
	}
	if err := l.PutSnapshot(ctx, "event.ev_empty", nil); err != nil {
		t.Fatalf("PutSnapshot (empty): %v", err)
	}
	if got := getSnapshot(t, l, "event.ev_empty"); got == nil || len(got) != 0 {
		t.Errorf("GetSnapshot of an empty snapshot = %#v, want an empty, non-nil slice", got)
	}
	if err := l.PutSnapshot(ctx, "", []byte("x")); err == nil {
		t.Error("PutSnapshot with an empty key succeeded")
	}
}

func testHeaders(t *testing.T, l ledger) {
	ctx := testContext(t)
	h := map[string]string{
		"Ce-Specversion": "1.0",
		"Ce-Type":        "admit.hold.placed.v1",
		"Ce-Id":          "01JDX5",
		"Ce-Source":      "/events/ev_abc",
		"Ce-Time":        "2026-11-22T10:00:00Z",
		"content-type":   "application/json",
	}
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Header: h, Data: []byte(`{}`)}, 0); err != nil {
		t.Fatalf("Append: %v", err)
	}
	h["Ce-Id"] = "changed" // the ledger kept its own copy
	mustAppend(t, l, "ledger.event.a", []byte("no header"), 1, 2)

	recs, _ := readAll(t, l, "", 0)
	want := map[string]string{
		"Ce-Specversion": "1.0",
		"Ce-Type":        "admit.hold.placed.v1",
		"Ce-Id":          "01JDX5",
		"Ce-Source":      "/events/ev_abc",
		"Ce-Time":        "2026-11-22T10:00:00Z",
		"content-type":   "application/json",
	}
	if !maps.Equal(recs[0].Header, want) {
		t.Errorf("header = %v, want %v", recs[0].Header, want)
	}
	if recs[1].Header != nil {
		t.Errorf("header of a message without one = %v, want nil", recs[1].Header)
	}
}

func testInvalid(t *testing.T, l ledger) {
	ctx := testContext(t)
	for _, subj := range []string{"", "ledger", "foo.bar", "ledger.*", "ledger.>", "ledger..a", "ledger.a b", "ledger.a*"} {
		if _, err := l.Append(ctx, Message{Subject: subj}, 0); err == nil {
			t.Errorf("Append to %q succeeded", subj)
		}
	}
	for _, h := range []map[string]string{
		{"Nats-Msg-Id": "x"},
		{"nats-expected-stream": "x"},
		{"Bad Key": "x"},
		{"Ce-Id": "a\r\nb"},
	} {
		if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Header: h}, 0); err == nil {
			t.Errorf("Append with header %v succeeded", h)
		}
	}
	for _, f := range []string{"foo.>", "ledger.>.a", ">"} {
		if _, err := l.Read(ctx, f, 0, func(Record) error { return nil }); err == nil {
			t.Errorf("Read(%q) succeeded", f)
		}
	}
	if got := lastSeq(t, l); got != 0 {
		t.Errorf("LastSeq after invalid appends = %d, want 0", got)
	}
}

func testLarge(t *testing.T, l ledger) {
	ctx := testContext(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16) // 4 MiB
	mustAppend(t, l, "ledger.event.big", big, 0, 1)
	recs, _ := readAll(t, l, "ledger.event.big", 0)
	if len(recs) != 1 || !bytes.Equal(recs[0].Data, big) {
		t.Fatalf("the 4 MiB message did not read back intact")
	}
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.big", Data: make([]byte, MaxMessageSize)}, 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Append of MaxMessageSize bytes of data: err = %v, want ErrTooLarge", err)
	}

	snap := make([]byte, 20<<20) // 20 MiB
	for i := range snap {
		snap[i] = byte(i * 7)
	}
	if err := l.PutSnapshot(ctx, "event.big", snap); err != nil {
		t.Fatalf("PutSnapshot of 20 MiB: %v", err)
	}
	if got := getSnapshot(t, l, "event.big"); !bytes.Equal(got, snap) {
		t.Fatalf("the 20 MiB snapshot did not read back intact (%d bytes)", len(got))
	}
}

// testContext is the test's context with a deadline, so that a hung call
// fails the test instead of the whole run.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, l ledger, subj string, data []byte, expect, wantSeq uint64) {
	t.Helper()
	seq, err := l.Append(testContext(t), Message{Subject: subj, Data: data}, expect)
	if err != nil {
		t.Fatalf("Append(%s, expect %d): %v", subj, expect, err)
	}
	if seq != wantSeq {
		t.Fatalf("Append(%s, expect %d) = %d, want %d", subj, expect, seq, wantSeq)
	}
}

func readAll(t *testing.T, l ledger, filter string, from uint64) ([]Record, uint64) {
	t.Helper()
	var recs []Record
	last, err := l.Read(testContext(t), filter, from, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%q, %d): %v", filter, from, err)
	}
	return recs, last
}

func lastSeq(t *testing.T, l ledger) uint64 {
	t.Helper()
	v, err := l.Last(testContext(t))
	if err != nil {
		t.Fatalf("Last: %v", err)
	}
	for k := 1; k < len(v); k++ {
		if v[k] != 0 {
			t.Fatalf("Last = %v: shard %d has records, where the test wrote to shard 0 alone", v, k)
		}
	}
	return v.Seq(0)
}

func lastSubjectSeq(t *testing.T, l ledger, subj string) uint64 {
	t.Helper()
	n, err := l.LastSubjectSeq(testContext(t), subj)
	if err != nil {
		t.Fatalf("LastSubjectSeq(%s): %v", subj, err)
	}
	return n
}

func getSnapshot(t *testing.T, l ledger, key string) []byte {
	t.Helper()
	data, err := l.GetSnapshot(testContext(t), key)
	if err != nil {
		t.Fatalf("GetSnapshot(%s): %v", key, err)
	}
	return data
}

func testRecent(t *testing.T, l ledger) {
	ctx := testContext(t)
	if got, err := l.Recent(ctx, "ledger.event.*", time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("Recent of an empty ledger = %v, %v; want none", got, err)
	}
	subjects := []string{"ledger.event.a", "ledger.event.b", "ledger.org.x", "ledger.event.c", "ledger.event.a", "ledger.org.y"}
	last := map[string]uint64{}
	for i, s := range subjects {
		mustAppend(t, l, s, []byte("x"), last[s], uint64(i+1))
		last[s] = uint64(i + 1)
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{10, []string{"ledger.event.a", "ledger.event.c", "ledger.event.b"}}, // a's last message is the newest
		{2, []string{"ledger.event.a", "ledger.event.c"}},
		{0, nil},
	}
	for _, tt := range tests {
		got, err := l.Recent(ctx, "ledger.event.*", time.Minute, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Recent(limit %d) = %v, want %v", tt.limit, got, tt.want)
		}
	}
	// A window from the fourth message's time leaves the older ones out
	// (checked when the clock told the messages' times apart).
	var times []time.Time
	if _, err := l.Read(ctx, "", 0, func(r Record) error { times = append(times, r.Time); return nil }); err != nil {
		t.Fatal(err)
	}
	if w := times[len(times)-1].Sub(times[3]); times[3].After(times[1]) {
		got, err := l.Recent(ctx, "ledger.event.*", w, 10)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[ledger.event.a ledger.event.c]" {
			t.Errorf("Recent(window %v) = %v, want a and c, not b written before it", w, got)
		}
	}
}

// testShards checks a ledger over several shards: positions carry the
// shard, fences and sequences are per shard, a subject's records stay in
// its shard, and Read, Follow, Last and Recent see every shard.
func testShards(t *testing.T, l ledger) {
	ctx := testContext(t)
	const (
		a2  = "ledger.event.ev_a_2" // shard 2
		b0  = "ledger.event.ev_b"   // shard 0
		org = "ledger.org.or_c"     // shard 0
		d1  = "ledger.event.ev_d_1" // shard 1
	)
	mustAppend(t, l, a2, []byte("a1"), 0, Pos(2, 1))
	mustAppend(t, l, b0, []byte("b1"), 0, 1)
	mustAppend(t, l, org, []byte("o1"), 0, 2)
	mustAppend(t, l, a2, []byte("a2"), Pos(2, 1), Pos(2, 2))
	// The fence is the subject's own position; a stale one is refused.
	if _, err := l.Append(ctx, Message{Subject: a2, Data: []byte("x")}, Pos(2, 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append with a stale fence in shard 2: err = %v, want ErrFenced", err)
	}
	if got := lastSubjectSeq(t, l, a2); got != Pos(2, 2) {
		t.Errorf("LastSubjectSeq(%s) = %d, want Pos(2, 2) = %d", a2, got, Pos(2, 2))
	}
	v, err := l.Last(ctx)
	if err != nil {
		t.Fatalf("Last: %v", err)
	}
	if want := (Vector{2, 0, 2}); !slices.Equal(v, want) {
		t.Errorf("Last = %v, want %v", v, want)
	}

	// One subject, from a position of its shard, or from 0.
	recs, last := readAll(t, l, a2, 0)
	if len(recs) != 2 || recs[0].Subject != a2 || string(recs[1].Data) != "a2" || last != Pos(2, 2) {
		t.Errorf("Read(%s, 0) = %d records, last %d; want a1, a2 on the logical subject, last Pos(2, 2)", a2, len(recs), last)
	}
	if recs, _ := readAll(t, l, a2, Pos(2, 2)); len(recs) != 1 || string(recs[0].Data) != "a2" {
		t.Errorf("Read(%s, Pos(2, 2)) = %d records, want a2 alone", a2, len(recs))
	}
	// A wildcard: shard after shard, in the order of positions.
	recs, last = readAll(t, l, "", 0)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s@%d", r.Data, r.Seq))
	}
	want := []string{"b1@1", "o1@2", fmt.Sprintf("a1@%d", Pos(2, 1)), fmt.Sprintf("a2@%d", Pos(2, 2))}
	if !slices.Equal(got, want) || last != Pos(2, 2) {
		t.Errorf("Read(all) = %v, last %d; want %v, last %d", got, last, want, Pos(2, 2))
	}
	if recs, _ := readAll(t, l, "ledger.event.*", Pos(2, 2)); len(recs) != 1 || string(recs[0].Data) != "a2" {
		t.Errorf("Read(ledger.event.*, Pos(2, 2)) = %d records, want a2 alone", len(recs))
	}

	// Follow from a vector: what comes after it in every shard, each
	// shard in order, then new appends, also in a shard it had none of.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gotc := make(chan Record, 16)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(fctx, Vector{1, 0, 1}, func(r Record) error {
			gotc <- r
			return nil
		})
	}()
	mustAppend(t, l, d1, []byte("d1"), 0, Pos(1, 1))
	seen := make(map[uint64]string)
	var order []uint64
	for len(seen) < 3 {
		select {
		case r := <-gotc:
			seen[r.Seq] = r.Subject
			order = append(order, r.Seq)
		case err := <-done:
			t.Fatalf("Follow returned %v after %v", err, order)
		case <-ctx.Done():
			t.Fatalf("Follow delivered %v before the deadline; want 2, Pos(1, 1), Pos(2, 2)", order)
		}
	}
	if seen[2] != org || seen[Pos(1, 1)] != d1 || seen[Pos(2, 2)] != a2 {
		t.Errorf("Follow after {1,0,1} delivered %v, want 2 (%s), Pos(1, 1) (%s), Pos(2, 2) (%s)", seen, org, d1, a2)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow after cancel = %v, want nil", err)
	}

	subjects, err := l.Recent(ctx, "ledger.event.*", time.Hour, 10)
	if err != nil {
		t.Fatalf("Recent: %v", err)
	}
	slices.Sort(subjects)
	if want := []string{a2, b0, d1}; !slices.Equal(subjects, want) {
		t.Errorf("Recent = %v, want %v (every shard)", subjects, want)
	}

	// A subject of a shard beyond MaxShards is refused.
	if _, err := l.Append(ctx, Message{Subject: fmt.Sprintf("ledger.event.ev_x_%d", MaxShards), Data: []byte("x")}, 0); err == nil {
		t.Errorf("Append to shard %d: no error", MaxShards)
	}
}
