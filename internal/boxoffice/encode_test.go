package boxoffice

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// encodeBatchJSON is EncodeBatch with encoding/json alone, as it was before
// the hand-written encoder: the reference the fast path must match.
func encodeBatchJSON(buf []byte, source string, after uint64, at time.Time, entries []Entry) ([]byte, error) {
	buf = append(buf, '[')
	for i, e := range entries {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendEntryJSON(buf, source, after, i, at, e); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// sameEncoding checks that EncodeBatch writes what encodeBatchJSON writes,
// or fails as it does, for the whole batch and for each entry alone.
func sameEncoding(t *testing.T, source string, after uint64, at time.Time, entries []Entry) {
	t.Helper()
	want, wantErr := encodeBatchJSON([]byte("x"), source, after, at, entries)
	got, err := EncodeBatch([]byte("x"), source, after, at, entries)
	if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("EncodeBatch error = %v, want %v (entries %#v)", err, wantErr, entries)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("EncodeBatch differs from encoding/json\n got %s\nwant %s", got, want)
	}
	if err != nil {
		return
	}
	if !json.Valid(got[1:]) {
		t.Fatalf("EncodeBatch wrote invalid JSON: %s", got)
	}
	if len(entries) == 0 {
		return // the time was not encoded
	}
	for i, e := range entries {
		h := newBatchHead(nil, nil, source, after, at)
		if !h.atOK {
			t.Fatalf("appendJSONTime(%v) failed where time.Time.MarshalJSON did not", at)
		}
		want, err := appendEntryJSON(nil, source, after, i, at, e)
		if err != nil {
			t.Fatalf("entry %d: encoding/json failed on its own: %v", i, err)
		}
		got, fast := h.appendEntryFast(nil, i, e)
		if fast && !bytes.Equal(got, want) {
			t.Fatalf("entry %d (%s) differs from encoding/json\n got %s\nwant %s", i, e.Type(), got, want)
		}
		if !fast && isHoldEntry(e) {
			t.Fatalf("entry %d (%s) took the generic path, which encoded it: %s", i, e.Type(), want)
		}
	}
}

func isHoldEntry(e Entry) bool {
	switch e.(type) {
	case *HoldCreated, *HoldReleased, *HoldExpired:
		return true
	}
	return false
}

// stringPieces are the parts random strings are made of: plain text, every
// character encoding/json escapes, multi-byte UTF-8 and bytes that are not
// valid UTF-8.
var stringPieces = []string{
	"a", "ho_3fK9", "Z", "0", " ", "/", "-", "~", "\x7f",
	`"`, `\`, "<", ">", "&", "</script>", "\u2028", "\u2029", "\u2027", "\u202a",
	"\x00", "\x01", "\b", "\t", "\n", "\f", "\r", "\x1b", "\x1f",
	"é", "€", "𝄞", "😀", "日本", "\ufffd", "\ufeff",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
}

func randString(r *rand.Rand) string {
	var sb strings.Builder
	for range r.IntN(6) {
		sb.WriteString(stringPieces[r.IntN(len(stringPieces))])
	}
	return sb.String()
}

// zones are the locations random times are given: UTC, offsets east and
// west, with minutes and with seconds (which RFC 3339 drops), and offsets
// of 24 hours or more, which time.Time cannot marshal.
var zones = []*time.Location{
	time.UTC, time.FixedZone("CET", 3600), time.FixedZone("", -5*3600), time.FixedZone("IST", 5*3600+1800),
	time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("LMT", 3600+59), time.FixedZone("", 30),
	time.FixedZone("", -59), time.FixedZone("", 14*3600), time.FixedZone("", 23*3600+59*60),
	time.FixedZone("", 24*3600), time.FixedZone("", -25*3600), time.FixedZone("", 100*3600),
}

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(10) {
	case 0:
		return time.Time{}
	case 1: // out of RFC 3339's range of years, mostly
		return time.Date(-2+r.IntN(5)*5000, 1, 1, 0, 0, 0, 0, zones[r.IntN(len(zones))])
	}
	sec := r.Int64N(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix())
	nsec := []int64{0, 0, 5, 100_000_000, 120_000_000, 123_456_000, 999_999_999, r.Int64N(1e9)}[r.IntN(8)]
	return time.Unix(sec, nsec).In(zones[r.IntN(len(zones))])
}

func randItems(r *rand.Rand) []Item {
	n := r.IntN(5) - 1
	if n < 0 {
		return nil
	}
	items := make([]Item, n)
	for i := range items {
		q := []int{0, 1, 2, 10, -1, math.MaxInt, math.MinInt}[r.IntN(7)]
		items[i] = Item{TicketTypeID: randString(r), Quantity: q}
	}
	return items
}

func randEntry(r *rand.Rand) Entry {
	switch r.IntN(10) {
	case 0:
		return &HoldReleased{HoldID: randString(r), Actor: randActor(r)}
	case 1:
		return &HoldExpired{HoldID: randString(r), Actor: randActor(r)}
	case 2: // another type, which takes the generic path in the same batch
		others := sampleEntries()
		return others[r.IntN(7)]
	}
	e := &HoldCreated{HoldID: randString(r), Items: randItems(r), ExpiresAt: randTime(r)}
	if r.IntN(2) == 0 {
		e.Idem = &IdemStamp{Scope: randString(r), Key: randString(r), Hash: randString(r)}
	}
	if r.IntN(2) == 0 {
		e.Client = randString(r)
	}
	e.Actor = randActor(r)
	return e
}

// randActor is an entry's actor: mostly the usual, sometimes none or odd.
func randActor(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return ""
	case 1:
		return randString(r)
	}
	return []string{"buyer", "system"}[r.IntN(2)]
}

// TestFastEncodingMatchesGeneric compares the hand-written encoder with
// encoding/json over random batches.
func TestFastEncodingMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		entries := make([]Entry, r.IntN(5))
		for i := range entries {
			entries[i] = randEntry(r)
		}
		shareExpiries(r, entries)
		after := []uint64{0, 1, 12345, math.MaxUint64, r.Uint64()}[r.IntN(5)]
		source := Source(randString(r))
		sameEncoding(t, source, after, randTime(r), entries)
	}
}

func TestFastEncodingCases(t *testing.T) {
	at := time.Date(2030, 1, 1, 12, 0, 0, 123456789, time.UTC)
	exp := at.Add(10 * time.Minute)
	idem := &IdemStamp{Scope: "public", Key: "<k>&\u2028", Hash: "9f86d081"}
	tests := []struct {
		name    string
		at      time.Time
		entries []Entry
	}{
		{"hold", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 2)}, ExpiresAt: exp}}},
		{"hold with idempotency", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 2), item("vip", 1)},
			ExpiresAt: exp, Idem: idem}}},
		{"hold with client", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 2)}, ExpiresAt: exp,
			Client: "c-Zz_9\"<>"}}},
		{"hold with idempotency and client", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 1)},
			ExpiresAt: exp, Idem: idem, Client: "c1"}}},
		{"no items", at, []Entry{&HoldCreated{HoldID: "h", ExpiresAt: exp}}},
		{"empty items", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{}, ExpiresAt: exp}}},
		{"zero times", time.Time{}, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 1)}}}},
		{"holds expiring together", at, []Entry{
			&HoldCreated{HoldID: "a", ExpiresAt: exp}, &HoldReleased{HoldID: "b"},
			&HoldCreated{HoldID: "c", ExpiresAt: exp}, &HoldCreated{HoldID: "d", ExpiresAt: exp.In(time.FixedZone("", 3600))},
			&HoldCreated{HoldID: "e", ExpiresAt: exp.In(time.FixedZone("", 3600))}, &HoldCreated{HoldID: "f", ExpiresAt: exp},
		}},
		{"released and expired", at, []Entry{&HoldReleased{HoldID: "a"}, &HoldExpired{HoldID: "b"}}},
		{"actors", at, []Entry{&HoldCreated{HoldID: "h", Items: []Item{item("ga", 1)}, ExpiresAt: exp, Idem: idem,
			Client: "c1", Actor: "buyer"}, &HoldReleased{HoldID: "a", Actor: "buyer"}, &HoldExpired{HoldID: "b", Actor: "system"},
			&HoldExpired{HoldID: "c", Actor: `\`}}},
		{"escapes", at, []Entry{&HoldExpired{HoldID: "\"\\</script>\x00\u2029\xff"}}},
		{"every type", at, sampleEntries()},
		{"expiry in year 10000", at, []Entry{&HoldReleased{HoldID: "a"},
			&HoldCreated{HoldID: "h", ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		{"entry time in year -1", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), []Entry{&HoldReleased{HoldID: "a"}}},
		{"entry time 24 h east", at.In(time.FixedZone("", 24*3600)), []Entry{&HoldReleased{HoldID: "a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sameEncoding(t, Source(evID), 41, tc.at, tc.entries)
		})
	}
	if _, err := EncodeBatch(nil, Source(evID), 0, at, []Entry{&HoldCreated{HoldID: "h",
		ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}); err == nil {
		t.Error("EncodeBatch of a hold expiring in year 10000 = nil error, want encoding/json's")
	}
}

// TestAppendJSONString compares the string escaper with encoding/json for
// every byte alone and in context, and some runes.
func TestAppendJSONString(t *testing.T) {
	var inputs []string
	for b := range 256 {
		inputs = append(inputs, string([]byte{byte(b)}), "x"+string([]byte{byte(b)})+"yz")
	}
	for _, r := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0x2027, 0x2028, 0x2029, 0x202a, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		inputs = append(inputs, string(r), "<"+string(r)+">")
	}
	inputs = append(inputs, "", strings.Repeat("plain ascii ", 20), "\xed\xa0\x80", "\xe2\x80\xa8\xe2\x80")
	for _, s := range inputs {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

// FuzzEncodeHoldEntries compares the hand-written encoder with
// encoding/json on hold entries built from the fuzzer's input.
func FuzzEncodeHoldEntries(f *testing.F) {
	f.Add("ho_1", "tt_1", 2, true, "public", "key-1", "9f86d081", int64(1893499200), int64(123456789), 0, "ev_1", uint64(7),
		"c_Aa09-_Aa09-_Aa0")
	f.Add("", "", 0, false, "", "", "", int64(0), int64(0), 3600, "", uint64(0), "")
	f.Add("<\"\\>&\u2028\xff", "é€😀\x00", -1, true, "\u2029", "\t\n", "\x7f", int64(-62135596800), int64(5), -34200,
		"/events/&", uint64(math.MaxUint64), "\xff<")
	f.Add("h", "t", math.MaxInt, true, "s", "k", "h", int64(253402300800), int64(0), 86400, "e", uint64(1), "c")
	f.Fuzz(func(t *testing.T, holdID, ttID string, qty int, withIdem bool, scope, key, hash string,
		sec, nsec int64, offset int, eventID string, after uint64, client string) {
		at := time.Unix(sec, nsec).In(time.FixedZone("", offset))
		hc := &HoldCreated{HoldID: holdID, Items: []Item{{TicketTypeID: ttID, Quantity: qty}}, ExpiresAt: at.Add(time.Minute),
			Client: client}
		if withIdem {
			hc.Idem = &IdemStamp{Scope: scope, Key: key, Hash: hash}
		}
		entries := []Entry{hc, &HoldReleased{HoldID: holdID}, &HoldExpired{HoldID: ttID}}
		sameEncoding(t, Source(eventID), after, at, entries)
		// The hold again, decided in UTC: the envelope time is then valid
		// even where the fuzzer's offset is not.
		sameEncoding(t, Source(eventID), after, at.UTC(), entries[:1])
	})
}

// shareExpiries makes the holds of a batch often expire at the same time
// as the hold before, or at the same instant in another location, as a box
// office's batches do.
func shareExpiries(r *rand.Rand, entries []Entry) {
	var prev *HoldCreated
	for _, e := range entries {
		hc, ok := e.(*HoldCreated)
		if !ok {
			continue
		}
		switch n := r.IntN(4); {
		case prev != nil && n < 2:
			hc.ExpiresAt = prev.ExpiresAt
		case prev != nil && n == 2:
			hc.ExpiresAt = prev.ExpiresAt.In(zones[r.IntN(len(zones))])
		}
		prev = hc
	}
}

// BenchmarkEncodeBatchJSON is BenchmarkEncodeBatch with encoding/json
// alone, for comparison in the same run.
func BenchmarkEncodeBatchJSON(b *testing.B) { benchmarkEncode(b, encodeBatchJSON) }

// TestEncodeBatchAllocs: holds encode without allocating into a buffer
// that has room.
func TestEncodeBatchAllocs(t *testing.T) {
	entries := []Entry{
		&HoldCreated{HoldID: "h1", Items: []Item{item("ga", 2)}, ExpiresAt: t0.Add(time.Minute),
			Idem: &IdemStamp{Scope: "public", Key: "k<1>", Hash: "0123abcd"}},
		&HoldCreated{HoldID: "h2", Items: []Item{item("ga", 1), item("vip", 1)}, ExpiresAt: t0.Add(time.Minute)},
		&HoldReleased{HoldID: "h0"}, &HoldExpired{HoldID: "h\u2028"},
	}
	source, at := Source(evID), t0.In(time.FixedZone("CET", 3600))
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = EncodeBatch(buf[:0], source, 1<<40, at, entries); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("EncodeBatch of holds made %v allocations, want none", n)
	}
}
