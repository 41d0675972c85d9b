package boxoffice

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// decodeBatchJSON is DecodeBatch with encoding/json alone, as it was
// before the hand-written decoder: the reference the fast path must match.
func decodeBatchJSON(data []byte) ([]Timed, error) {
	return DecodeBatchWith(data, DecodeEntry)
}

// sameDecoding checks that DecodeBatch returns what decodeBatchJSON
// returns, the same entries or the same error, and that decodeHoldBatch,
// where it accepts data, decodes it as decodeBatchJSON does. It reports
// whether decodeHoldBatch accepted.
func sameDecoding(tb testing.TB, data []byte) bool {
	tb.Helper()
	want, wantErr := decodeBatchJSON(data)
	got, err := DecodeBatch(data)
	if errText(err) != errText(wantErr) {
		tb.Fatalf("DecodeBatch error = %v, want %v\ninput %q", err, wantErr, data)
	}
	if diff := batchDiff(got, want); diff != "" {
		tb.Fatalf("DecodeBatch differs from encoding/json: %s\ninput %q", diff, data)
	}
	fast, ok := decodeHoldBatch(data)
	if !ok {
		return false
	}
	if wantErr != nil {
		tb.Fatalf("decodeHoldBatch accepted what encoding/json refuses (%v)\ninput %q", wantErr, data)
	}
	if diff := batchDiff(fast, want); diff != "" {
		tb.Fatalf("decodeHoldBatch differs from encoding/json: %s\ninput %q", diff, data)
	}
	return true
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// batchDiff describes how got differs from want, or returns "" where they
// are deeply equal: the same entry types and fields, slices nil or not
// alike, and times with the same instant, wall and monotonic readings and
// location (its name and zones).
func batchDiff(got, want []Timed) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	if (got == nil) != (want == nil) || len(got) != len(want) {
		return fmt.Sprintf("%d entries (nil %t), want %d (nil %t)", len(got), got == nil, len(want), want == nil)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !reflect.DeepEqual(g.At, w.At) {
			return fmt.Sprintf("entry %d at %s (%s), want %s (%s)", i, g.At, timeDetail(g.At), w.At, timeDetail(w.At))
		}
		if !reflect.DeepEqual(g.Entry, w.Entry) {
			detail := ""
			if g, ok := g.Entry.(*HoldCreated); ok {
				if w, ok := w.Entry.(*HoldCreated); ok {
					detail = fmt.Sprintf(" (expires %s, want %s; items nil %t, want nil %t)",
						timeDetail(g.ExpiresAt), timeDetail(w.ExpiresAt), g.Items == nil, w.Items == nil)
				}
			}
			return fmt.Sprintf("entry %d\n got %#v\nwant %#v%s", i, g.Entry, w.Entry, detail)
		}
	}
	return "not deeply equal, though every entry is"
}

func timeDetail(t time.Time) string {
	name, offset := t.Zone()
	return fmt.Sprintf("location %q zone %q%+d, %#v", t.Location(), name, offset, t)
}

// randHoldEntry is randEntry of a hold entry.
func randHoldEntry(r *rand.Rand) Entry {
	for {
		if e := randEntry(r); isHoldEntry(e) {
			return e
		}
	}
}

// randBatch returns a random batch as EncodeBatch writes it, of hold
// entries alone when holdsOnly, or nil where EncodeBatch fails (a time
// RFC 3339 cannot express).
func randBatch(r *rand.Rand, holdsOnly bool) []byte {
	entries := make([]Entry, r.IntN(6))
	for i := range entries {
		if holdsOnly {
			entries[i] = randHoldEntry(r)
		} else {
			entries[i] = randEntry(r)
		}
	}
	shareExpiries(r, entries)
	after := []uint64{0, 1, 12345, math.MaxUint64, r.Uint64()}[r.IntN(5)]
	data, err := EncodeBatch(nil, Source(randString(r)), after, randTime(r), entries)
	if err != nil {
		return nil
	}
	return data
}

// TestFastDecodingMatchesGeneric compares the hand-written decoder with
// encoding/json over random batches, and requires it to take every batch
// of hold entries the encoder writes.
func TestFastDecodingMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var holdBatches, fast int
	for range 5000 {
		holdsOnly := r.IntN(5) > 0
		data := randBatch(r, holdsOnly)
		if data == nil {
			continue
		}
		ok := sameDecoding(t, data)
		if holdsOnly {
			holdBatches++
			if !ok {
				t.Fatalf("decodeHoldBatch did not take a batch of holds the encoder wrote: %q", data)
			}
		}
		if ok {
			fast++
		}
	}
	if holdBatches < 2000 {
		t.Fatalf("only %d batches of holds encoded; the generator has gone wrong", holdBatches)
	}
	t.Logf("%d batches of holds alone, all taken by the fast path; %d taken in all", holdBatches, fast)
}

// TestFastDecodingCases: what the encoder writes, the fast path takes; what
// it does not, the fast path leaves to encoding/json.
func TestFastDecodingCases(t *testing.T) {
	at := time.Date(2030, 1, 1, 12, 0, 0, 123456789, time.UTC)
	exp := at.Add(10 * time.Minute)
	idem := &IdemStamp{Scope: "public", Key: "<k>&\u2028", Hash: "9f86d081"}
	encode := func(t *testing.T, after uint64, at time.Time, entries ...Entry) string {
		t.Helper()
		data, err := EncodeBatch(nil, Source(evID), after, at, entries)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	hold := `{"specversion":"1.0","id":"7.0","source":"/events/ev-1","type":"admit.hold.created.v1",` +
		`"time":"2030-01-01T12:00:00Z","subject":"holds/h","datacontenttype":"application/json",` +
		`"data":{"hold_id":"h","items":[{"ticket_type_id":"ga","quantity":2}],"expires_at":"2030-01-01T12:10:00Z"}}`
	released := `{"specversion":"1.0","id":"7.1","source":"/events/ev-1","type":"admit.hold.released.v1",` +
		`"time":"2030-01-01T12:00:00Z","subject":"holds/h","datacontenttype":"application/json","data":{"hold_id":"h"}}`
	// The hold with another id, and subject.
	withID := func(id string) string {
		s := strings.Replace("["+hold+"]", `"holds/h"`, `"holds/`+id+`"`, 1)
		return strings.Replace(s, `"hold_id":"h"`, `"hold_id":"`+id+`"`, 1)
	}
	tests := []struct {
		name string
		data string
		fast bool // whether the fast path must take it
	}{
		{"empty", "[]", true},
		{"hold", encode(t, 1, at, &HoldCreated{HoldID: "h", Items: []Item{item("ga", 2)}, ExpiresAt: exp, Idem: idem}), true},
		{"client", encode(t, 1, at, &HoldCreated{HoldID: "h", Items: []Item{item("ga", 2)}, ExpiresAt: exp, Client: "c1"},
			&HoldCreated{HoldID: "i", ExpiresAt: exp, Idem: idem, Client: "c1"}, &HoldCreated{HoldID: "j", Client: `c"\`}), true},
		{"no items", encode(t, 1, at, &HoldCreated{HoldID: "h", ExpiresAt: exp}), true},
		{"actors", encode(t, 1, at, &HoldCreated{HoldID: "h", Items: []Item{item("ga", 2)}, ExpiresAt: exp, Client: "c1",
			Actor: "buyer"}, &HoldCreated{HoldID: "i", Idem: idem, Actor: "buyer"}, &HoldReleased{HoldID: "j", Actor: "buyer"},
			&HoldExpired{HoldID: "k", Actor: "system"}, &HoldExpired{HoldID: "l", Actor: `a"\`}), true},
		{"empty items", encode(t, 1, at, &HoldCreated{HoldID: "h", Items: []Item{}, ExpiresAt: exp}), true},
		{"many items", encode(t, 1, at, &HoldCreated{HoldID: "h", Items: []Item{item("ga", 2), item("vip", math.MinInt),
			item("ga", math.MaxInt), item("", 0)}, ExpiresAt: exp}), true},
		{"zero times", encode(t, 0, time.Time{}, &HoldCreated{HoldID: "h"}), true},
		{"offsets", encode(t, 0, at.In(time.FixedZone("", -(9*3600+30*60))),
			&HoldCreated{HoldID: "h", ExpiresAt: exp.In(time.FixedZone("CET", 3600))},
			&HoldCreated{HoldID: "i", ExpiresAt: exp.In(time.FixedZone("", 23*3600+59*60))}), true},
		{"escapes", encode(t, math.MaxUint64, at, &HoldExpired{HoldID: "\"\\</script>\x00\u2029\xff\t"},
			&HoldReleased{HoldID: "日本😀"}), true},
		{"hand-written", "[" + hold + "," + released + "]", true},

		// What encoding/json reads alike but the encoder does not write,
		// and what encoding/json refuses: the fast path leaves both.
		{"hold id escaped", withID(`\u0068\/`), true},
		{"escaped surrogate pair", withID(`\ud83d\ude00`), false},
		{"lone surrogate", withID(`\udead`), false},
		{"invalid UTF-8", withID("\xff"), false},
		{"control character", withID("\t"), false},
		{"unknown escape", withID(`\'`), false},
		{"short escape", withID(`\u12`), false},
		{"subject not the hold", "[" + strings.Replace(hold, `holds/h`, `holds/g`, 1) + "]", false},
		{"second id out of order", "[" + hold + "," + strings.Replace(released, `"7.1"`, `"7.2"`, 1) + "]", false},
		{"second id of another sequence", "[" + hold + "," + strings.Replace(released, `"7.1"`, `"8.1"`, 1) + "]", false},
		{"id with a leading zero", "[" + strings.Replace(hold, `"7.0"`, `"07.0"`, 1) + "]", false},
		{"second source differs", "[" + hold + "," + strings.Replace(released, `/events/ev-1`, `/events/ev-2`, 1) + "]", false},
		{"null items in the middle", strings.Replace("["+hold+"]", `"expires_at"`, `"items":null,"expires_at"`, 1), false},
		{"null idempotency", strings.Replace("["+hold+"]", `Z"}}`, `Z","idempotency":null}}`, 1), false},
		{"unknown field", strings.Replace("["+hold+"]", `Z"}}`, `Z","extra":1}}`, 1), false},
		{"whitespace", "[ " + hold + "]", false},
		{"trailing whitespace", "[" + hold + "]\n", false},
		{"trailing data", "[" + hold + "]x", false},
		{"trailing comma", "[" + hold + ",]", false},
		{"quantity -0", strings.Replace("["+hold+"]", `"quantity":2`, `"quantity":-0`, 1), false},
		{"quantity 02", strings.Replace("["+hold+"]", `"quantity":2`, `"quantity":02`, 1), false},
		{"quantity 2.0", strings.Replace("["+hold+"]", `"quantity":2`, `"quantity":2.0`, 1), false},
		{"quantity too big", strings.Replace("["+hold+"]", `"quantity":2`, `"quantity":9223372036854775808`, 1), false},
		// The encoder writes a zone of less than a minute east or west so.
		{"time +00:00", strings.ReplaceAll("["+hold+"]", `:00Z"`, `:00+00:00"`), true},
		{"time -00:00", strings.ReplaceAll("["+hold+"]", `:00Z"`, `:00-00:00"`), true},
		{"time with trailing zeros", strings.ReplaceAll("["+hold+"]", `:00Z"`, `:00.500Z"`), false},
		{"time in lower case", strings.ReplaceAll("["+hold+"]", `:00Z"`, `:00z"`), false},
		{"time 24 hours east", strings.ReplaceAll("["+hold+"]", `:00Z"`, `:00+24:00"`), false},
		{"time without seconds", strings.ReplaceAll("["+hold+"]", `:00Z"`, `Z"`), false},
		{"time not a time", strings.Replace("["+hold+"]", `2030-01-01T12:00:00Z`, `yesterday`, 1), false},
		{"time escaped", strings.Replace("["+hold+"]", `12:00:00Z`, `12:00:00\u005a`, 1), false},
		{"another type", encode(t, 1, at, &HoldReleased{HoldID: "a"}, &EventStatusChanged{EventID: evID, From: Draft,
			Status: OnSale}), false},
		{"null", "null", false},
		{"truncated", "[" + hold[:len(hold)-1], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.data)) && tc.fast {
				t.Fatalf("case is not JSON: %s", tc.data)
			}
			if got := sameDecoding(t, []byte(tc.data)); got != tc.fast {
				t.Errorf("fast path took it: %t, want %t", got, tc.fast)
			}
		})
	}
}

// The escapes the fast path accepts decode as encoding/json decodes them,
// though the encoder writes only some.
func TestFastDecodingEscapes(t *testing.T) {
	base := `[{"specversion":"1.0","id":"0.0","source":"/events/ev-1","type":"admit.hold.expired.v1",` +
		`"time":"2030-01-01T12:00:00Z","subject":"holds/ID","datacontenttype":"application/json","data":{"hold_id":"ID"}}]`
	var ids []string
	for _, esc := range []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u001f`, `\u0020`,
		`\u003c`, `\u003C`, `\u007f`, `\u0080`, `\u00e9`, `\u07ff`, `\u0800`, `\u2028`, `\uD7FF`, `\ue000`, `\uFFFD`,
		`\uffff`, "\u2028", "\U0010ffff", "\x7f"} {
		ids = append(ids, esc, "a"+esc+"b"+esc)
	}
	for _, id := range ids {
		data := strings.ReplaceAll(base, "ID", id)
		if !sameDecoding(t, []byte(data)) {
			t.Errorf("fast path left hold id %q", id)
		}
	}
}

// TestPlain8 compares plain8 with jsonPlain byte by byte: every byte in
// every position among plain ones and among random ones, and random words.
func TestPlain8(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	check := func(w [8]byte) {
		want := true
		for _, c := range w {
			want = want && jsonPlain[c]
		}
		if got := plain8(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("plain8(%q) = %t, want %t", w, got, want)
		}
	}
	plainByte := func() byte {
		for {
			if c := byte(r.IntN(256)); jsonPlain[c] {
				return c
			}
		}
	}
	for pos := range 8 {
		for c := range 256 {
			for range 20 {
				var w [8]byte
				for i := range w {
					if r.IntN(4) == 0 {
						w[i] = byte(r.IntN(256))
					} else {
						w[i] = plainByte()
					}
				}
				w[pos] = byte(c)
				check(w)
				for i := range w {
					if i != pos {
						w[i] = plainByte()
					}
				}
				check(w)
			}
		}
	}
	for range 100_000 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		check(w)
	}
}

// What mutate puts in.
var (
	// stringEdits are what a string might hold: every escape, of
	// surrogates in pairs and alone, in upper case, and escapes JSON lacks;
	// raw characters, and bytes that are not UTF-8 or not allowed.
	stringEdits = []string{
		`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\u00E9`, `\u2028`, `\u0000`, `\u001F`,
		`\u007f`, `\uffff`, `\uFFFD`, `\ud83d\ude00`, `\uD83D\uDE00`, `\udbff\udfff`, `\ud800`, `\udc00`, `\ud800\u0041`,
		`\ude00\ud83d`, `\ud83d\ud83d\ude00`, `\x`, `\u12`, `\u12g4`, `\'`, `\`, "a", "<", "&", "é", "\u2028", "😀", "\x7f",
		"\xff", "\xed\xa0\x80", "\xc3", "\xf4\x90\x80\x80", "\x00", "\t", `"`,
	}
	// numberEdits replace a quantity.
	numberEdits = []string{
		"0", "-0", "01", "-01", "1", "-1", "42", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "1e2", "1E2", "1.0", "1.", "+1", "- 1", "--1", "0x1", "", `"1"`,
		"null", "true",
	}
	// timeEdits replace a time.
	timeEdits = []string{
		"2030-01-01T12:00:00Z", "2030-01-01T12:00:00+00:00", "2030-01-01T12:00:00-00:00", "2030-01-01T12:00:00.000Z",
		"2030-01-01T12:00:00.1Z", "2030-01-01T12:00:00.123456789Z", "2030-01-01T12:00:00.1234567891Z",
		"2030-01-01t12:00:00z", "2030-01-01T24:00:00Z", "2030-02-30T12:00:00Z", "2030-01-01T12:00:60Z",
		"2030-01-01T12:00:00+23:59", "2030-01-01T12:00:00+24:00", "2030-01-01T12:00:00+01:60", "2030-01-01T12:00:00+0100",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59", "2030-01-01 12:00:00Z", "2030-01-01T12:00:00.Z",
		"2030-01-01T12:00:00,5Z", "2030-01-01T12:00:00.5+05:30", "2030-01-01T12:00:00-09:30", "2030-1-01T12:00:00Z",
		"+2030-01-01T12:00:00Z", "2030-01-01T12:00Z", "2030-01-01T12:00:00\u005a", "",
	}
	// jsonEdits are put in anywhere.
	jsonEdits = []string{
		" ", "\n", "0", "-", "null", "true", `,"x":1`, `"`, `{`, `}`, `[`, `]`, `,`, `:`, `"items":null,`,
		`,"idempotency":null`, `"hold_id":"x",`, `{"specversion":"1.0"},`, "\ufeff",
	}
)

// mutate returns data with a few random edits: bytes replaced, deleted or
// repeated, bits of JSON put in, neighbours swapped, and strings, numbers
// and times replaced, mostly by what keeps the batch valid and canonical.
func mutate(r *rand.Rand, data []byte) []byte {
	pick := func(s []string) []byte { return []byte(s[r.IntN(len(s))]) }
	randBody := func() []byte {
		var b []byte
		for range r.IntN(4) {
			b = append(b, pick(stringEdits)...)
		}
		return b
	}
	out := bytes.Clone(data)
	for range 1 + r.IntN(3) {
		if len(out) == 0 {
			return out
		}
		i := r.IntN(len(out))
		switch r.IntN(10) {
		case 0: // replace a byte
			const alphabet = "\"\\{}[],:0123456789-+.eEZTnulltruefas /\x00\x1f\x7f\x80\xc3\xa9\xff"
			if r.IntN(4) == 0 {
				out[i] = byte(r.IntN(256))
			} else {
				out[i] = alphabet[r.IntN(len(alphabet))]
			}
		case 1: // delete a few bytes
			out = slices.Delete(out, i, min(len(out), i+1+r.IntN(8)))
		case 2: // repeat a few bytes
			j := min(len(out), i+1+r.IntN(8))
			out = slices.Insert(out, j, out[i:j]...)
		case 3: // put in a bit of JSON or of a string
			if r.IntN(2) == 0 {
				out = slices.Insert(out, i, pick(jsonEdits)...)
			} else {
				out = slices.Insert(out, i, pick(stringEdits)...)
			}
		case 4: // swap two neighbouring comma-separated parts
			if j := bytes.IndexByte(out[i:], ','); j >= 0 {
				if k := bytes.IndexByte(out[i+j+1:], ','); k >= 0 {
					a, b := out[i:i+j], out[i+j+1:i+j+1+k]
					copy(out[i:], slices.Concat(b, []byte(","), a))
				}
			}
		case 5, 6: // a string: all of it, or at its start or end
			name := []string{`"ticket_type_id":"`, `"scope":"`, `"key":"`, `"hash":"`}[r.IntN(4)]
			if start, end, ok := findValue(out, i, name, '"'); ok {
				switch r.IntN(3) {
				case 0:
					out = slices.Replace(out, start, end, randBody()...)
				case 1:
					out = slices.Insert(out, start, pick(stringEdits)...)
				case 2:
					out = slices.Insert(out, end, pick(stringEdits)...)
				}
			}
		case 7: // a hold's id, and its subject alike; or the source of every entry
			if r.IntN(4) == 0 {
				if start, end, ok := findValue(out, 0, `"source":"`, '"'); ok {
					old := slices.Concat([]byte(`"source":"`), out[start:end], []byte(`"`))
					out = bytes.ReplaceAll(out, old, slices.Concat([]byte(`"source":"`), randBody(), []byte(`"`)))
				}
				break
			}
			subjStart, subjEnd, ok := findValue(out, i, `"subject":"holds/`, '"')
			if !ok {
				break
			}
			if start, end, ok := findValue(out, subjEnd, `"hold_id":"`, '"'); ok {
				id := randBody()
				out = slices.Replace(out, start, end, id...)
				out = slices.Replace(out, subjStart, subjEnd, id...)
			}
		case 8: // a quantity
			if start, end, ok := findValue(out, i, `"quantity":`, '}'); ok {
				out = slices.Replace(out, start, end, pick(numberEdits)...)
			}
		case 9: // a time
			name := []string{`"time":"`, `"expires_at":"`}[r.IntN(2)]
			if start, end, ok := findValue(out, i, name, '"'); ok {
				out = slices.Replace(out, start, end, pick(timeEdits)...)
			}
		}
	}
	return out
}

// findValue finds the first prefix in data from position from on (or,
// failing that, from the start), and returns where the value after it
// starts and where it ends: at the first unescaped end byte.
func findValue(data []byte, from int, prefix string, end byte) (int, int, bool) {
	k := bytes.Index(data[from:], []byte(prefix))
	if k < 0 {
		if from, k = 0, bytes.Index(data, []byte(prefix)); k < 0 {
			return 0, 0, false
		}
	}
	start := from + k + len(prefix)
	for j := start; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case end:
			return start, j, true
		}
	}
	return 0, 0, false
}

// TestFastDecodingMutations edits valid batches at random: wherever the
// fast path takes the result, it must decode it as encoding/json does.
func TestFastDecodingMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 3000
	if testing.Short() {
		n = 300
	}
	var mutants, taken int
	for range n {
		data := randBatch(r, true)
		if len(data) < 3 {
			continue
		}
		for range 10 {
			m := mutate(r, data)
			if bytes.Equal(m, data) {
				continue
			}
			mutants++
			if sameDecoding(t, m) {
				taken++
			}
		}
	}
	// Some edits keep the batch canonical (inside strings, digits,
	// times): a fast path that took none of them would be tested only on
	// what it refuses.
	if taken < mutants/20 {
		t.Fatalf("the fast path took %d of %d mutants; the mutations have gone wrong", taken, mutants)
	}
	t.Logf("%d mutants, %d taken by the fast path", mutants, taken)
}

// FuzzDecodeBatchFast compares DecodeBatch and its fast path with
// encoding/json on any batch, and on a batch of holds with the fuzzer's
// str as the body of its strings, num as its quantity and tm as the body of
// its expiry. (A fuzzer rarely edits a hold's id and subject alike, or
// keeps the rest of a batch valid.)
func FuzzDecodeBatchFast(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 20 {
		if data := randBatch(r, true); data != nil {
			f.Add(data, stringEdits[i%len(stringEdits)], numberEdits[i%len(numberEdits)], timeEdits[i%len(timeEdits)])
		}
	}
	if data := randBatch(r, false); data != nil {
		f.Add(data, "", "2", "2030-01-01T12:00:00Z")
	}
	f.Add([]byte("[]"), `\u00e9\/`, "-1", "2030-01-01T12:00:00.5+05:30")
	// Escapes at the edges of the surrogates.
	f.Add([]byte("null"), `\ud7ff\udc00`, "0", "2030-01-01T12:00:00-00:00")
	f.Add([]byte("null"), `\udbff\ue000`, "0", "2030-01-01T12:00:00+00:00")
	template := `[{"specversion":"1.0","id":"7.0","source":"/events/<s>","type":"admit.hold.created.v1",` +
		`"time":"2030-01-01T12:00:00Z","subject":"holds/<s>","datacontenttype":"application/json",` +
		`"data":{"hold_id":"<s>","items":[{"ticket_type_id":"<s>","quantity":<n>}],"expires_at":"<t>",` +
		`"idempotency":{"scope":"<s>","key":"<s>","hash":"<s>"},"client":"<s>"}},` +
		`{"specversion":"1.0","id":"7.1","source":"/events/<s>","type":"admit.hold.expired.v1",` +
		`"time":"2030-01-01T12:00:00Z","subject":"holds/<s>","datacontenttype":"application/json","data":{"hold_id":"<s>"}}]`
	f.Fuzz(func(t *testing.T, data []byte, str, num, tm string) {
		sameDecoding(t, data)
		holds := strings.NewReplacer("<s>", str, "<n>", num, "<t>", tm).Replace(template)
		sameDecoding(t, []byte(holds))
	})
}

// TestDecodeBatchAllocs: the fast path allocates the entries and their
// strings, and little else.
func TestDecodeBatchAllocs(t *testing.T) {
	const n = 100
	tests := []struct {
		name    string
		entries func(i int) Entry
		perHold float64 // the entry (with its stamp and one item), its hold id, and the stamp's key and hash
	}{
		{"created", func(i int) Entry { return benchHold(i) }, 4},
		{"released", func(i int) Entry { return &HoldReleased{HoldID: "ho_" + itoa(i)} }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries := make([]Entry, n)
			for i := range entries {
				entries[i] = tc.entries(i)
			}
			data, err := EncodeBatch(nil, Source(evID), 12345, t0, entries)
			if err != nil {
				t.Fatal(err)
			}
			got := testing.AllocsPerRun(10, func() {
				if _, ok := decodeHoldBatch(data); !ok {
					t.Fatal("fast path refused")
				}
			})
			// The slice of entries, and the shared ticket type and scope.
			if max := 3 + tc.perHold*n; got > max {
				t.Errorf("decoding %d entries made %v allocations, want at most %v", n, got, max)
			}
		})
	}
}

// benchHold is the i-th hold of the benchmarks, with one item and an
// Idempotency-Key, as BenchmarkEncodeBatch encodes.
func benchHold(i int) *HoldCreated {
	return &HoldCreated{HoldID: "ho_" + itoa(i), Items: []Item{{TicketTypeID: "tt_standing", Quantity: 2}},
		ExpiresAt: t0.Add(10 * time.Minute), Idem: &IdemStamp{Scope: "public", Key: "key-" + itoa(i),
			Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, Actor: "buyer"}
}

// benchDecode decodes ledger messages of 1,000 entries with decode.
func benchDecode(b *testing.B, decode func([]byte) ([]Timed, error)) {
	const n = 1000
	for _, bc := range []struct {
		name  string
		entry func(i int) Entry
	}{
		{"created", func(i int) Entry { return benchHold(i) }},
		{"ended", func(i int) Entry {
			if i%2 == 0 {
				return &HoldReleased{HoldID: "ho_" + itoa(i), Actor: "buyer"}
			}
			return &HoldExpired{HoldID: "ho_" + itoa(i), Actor: "system"}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			entries := make([]Entry, n)
			for i := range entries {
				entries[i] = bc.entry(i)
			}
			data, err := EncodeBatch(nil, Source(evID), 12345, t0, entries)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
			allocs := testing.AllocsPerRun(3, func() {
				if _, err := decode(data); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(allocs/n, "allocs/entry")
		})
	}
}

// BenchmarkDecodeBatch decodes a ledger message of 1,000 holds created,
// and one of 1,000 holds released or expired.
func BenchmarkDecodeBatch(b *testing.B) { benchDecode(b, DecodeBatch) }

// BenchmarkDecodeBatchJSON is BenchmarkDecodeBatch with encoding/json
// alone, for comparison in the same run.
func BenchmarkDecodeBatchJSON(b *testing.B) { benchDecode(b, decodeBatchJSON) }
