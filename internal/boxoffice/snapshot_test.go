package boxoffice

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
)

// TestSnapshotDeterministic checks that a snapshot's bytes depend only on the
// state: the holds of one batch are all created at the same time, and the
// map they live in has no order.
func TestSnapshotDeterministic(t *testing.T) {
	s := onSaleEvent(t)
	for i := range 40 {
		must(t, s, hold("h"+itoa(i), item("ga", 1)), t0)
	}
	first := snap(t, s)
	for range 20 {
		if got := snap(t, s); !bytes.Equal(got, first) {
			t.Fatalf("two snapshots of one state differ:\n%s\n%s", first, got)
		}
	}
	if got := snap(t, clone(t, s)); !bytes.Equal(got, first) {
		t.Fatalf("a restored state's snapshot differs:\n%s\n%s", first, got)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	if z := clone(t, &State{}); z.Event != nil || z.HoldCount() != 0 {
		t.Errorf("restored zero state = %+v", z)
	}
	empty := clone(t, NewState())
	if empty.Event != nil || empty.View() != nil || empty.ActiveHolds() != 0 {
		t.Errorf("restored empty state = %+v", empty)
	}
	must(t, empty, &CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: eventDetails()}, t0)

	s := onSaleEvent(t)
	must(t, s, &CreateHold{HoldID: "h1", Items: []Item{item("vip", 3)}, Idem: idemA}, t0)
	must(t, s, hold("h2", item("ga", 2)), t0)
	must(t, s, hold("h3", item("ga", 1)), t0)
	must(t, s, &ReleaseHold{HoldID: "h2"}, t0.Add(time.Minute))
	mustApply(t, s, &HoldExpired{HoldID: "h3"}, t0.Add(2*time.Minute))
	r := clone(t, s)
	sameState(t, "restored", r, s)
	checkInvariants(t, r)
	if r.ActiveHolds() != 1 {
		t.Errorf("restored ActiveHolds() = %d, want 1", r.ActiveHolds())
	}
	if got := quotaIDs(r.TicketType("vip")); !slices.Equal(got, []string{"total", "vipq"}) {
		t.Errorf("restored vip quotas = %q, want [total vipq]", got)
	}
	// The restored state decides like the live one.
	for _, cmd := range []Command{
		&CreateHold{HoldID: "x", Items: []Item{item("vip", 3)}, Idem: idemA},
		hold("h4", item("vip", 4)),
		hold("h5", item("vip", 4)),
		&ReleaseHold{HoldID: "h1"},
		&UpdateQuota{OrganizerID: org, QuotaID: "vipq", Patch: QuotaPatch{Capacity: ptr(3)}},
	} {
		now := t0.Add(3 * time.Minute)
		d1, err1 := decideApply(t, s, cmd, now)
		d2, err2 := decideApply(t, r, cmd, now)
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(err1, err2) {
			t.Errorf("%T: live %+v, %v; restored %+v, %v", cmd, d1, err1, d2, err2)
		}
	}
	sameState(t, "after more commands", r, s)
}

func TestUnmarshalSnapshotRefuses(t *testing.T) {
	good := snap(t, fixtureState(t))
	v1, err := os.ReadFile("testdata/snapshot-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"not JSON":         []byte("{"),
		"empty":            nil,
		"no version":       []byte(`{"event":null}`),
		"other version":    bytes.Replace(v1, []byte(`{"v":1,`), []byte(`{"v":3,`), 1),
		"magic only":       []byte(snapshotMagic),
		"v1 in a v2 head":  resum(bytes.Replace(good, []byte(`{"v":2,`), []byte(`{"v":1,`), 1)),
		"a byte more":      resum(append(slices.Clone(good[:len(good)-4]), 0)),
		"unknown status":   nil,
		"hold id twice":    nil,
		"client too large": nil,
	}
	// Every truncation, and every flipped bit of a few bytes, is refused.
	for n := range len(good) {
		cases["truncated to "+itoa(n)] = good[:n]
	}
	for i := 0; i < len(good); i += 7 {
		b := slices.Clone(good)
		b[i] ^= 0x10
		cases["byte "+itoa(i)+" flipped"] = b
	}
	for name, data := range cases {
		if data == nil && name != "empty" {
			continue
		}
		if _, err := UnmarshalSnapshot(data); err == nil {
			t.Errorf("%s: UnmarshalSnapshot = nil error", name)
		}
	}
	for _, bad := range []string{`"status":"active"`, `"id":"h1"`} {
		repl := map[string]string{`"status":"active"`: `"status":"lost"`, `"id":"h1"`: `"id":"h2"`}[bad]
		if _, err := UnmarshalSnapshot(bytes.Replace(v1, []byte(bad), []byte(repl), 1)); err == nil {
			t.Errorf("version 1 with %s instead of %s: UnmarshalSnapshot = nil error", repl, bad)
		}
	}
}

// resum gives a version 2 snapshot changed by a test its right checksum.
func resum(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.BigEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, castagnoli))
}

// TestSnapshotV1 loads a version 1 snapshot, written by the box office
// before version 2: the state is the one its entries make.
func TestSnapshotV1(t *testing.T) {
	v1, err := os.ReadFile("testdata/snapshot-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := UnmarshalSnapshot(v1)
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureState(t)
	sameState(t, "loaded from version 1", s, want)
	checkInvariants(t, s)
	for id, h := range want.Holds() {
		if got := s.Hold(id); !sameHold(got, h) {
			t.Errorf("hold %s = %+v, want %+v", id, got, h)
		}
	}
	// And it decides like the live one.
	for _, cmd := range []Command{
		&CreateHold{HoldID: "x", Items: []Item{item("ga", 1)}, Client: "client-a", Idem: idemA},
		&ExtendHold{HoldID: "h5"},
		&ReleaseHold{HoldID: "h6"},
		&ReleaseHold{HoldID: "h2"},
	} {
		now := t0.Add(3 * time.Minute)
		d1, err1 := decideApply(t, want, cmd, now)
		d2, err2 := decideApply(t, s, cmd, now)
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(err1, err2) {
			t.Errorf("%T: live %+v, %v; loaded %+v, %v", cmd, d1, err1, d2, err2)
		}
	}
}

// sameHold reports whether two holds are the same, their times the same
// instants.
func sameHold(a, b *Hold) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.ExpiresAt.Equal(b.ExpiresAt) || !a.EndedAt.Equal(b.EndedAt) {
		return false
	}
	x, y := *a, *b
	x.CreatedAt, x.ExpiresAt, x.EndedAt = time.Time{}, time.Time{}, time.Time{}
	y.CreatedAt, y.ExpiresAt, y.EndedAt = time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

// TestSnapshotRandom round-trips random states, with holds of no items,
// of several, at times beyond int64 nanoseconds, zero or in other zones,
// through both versions: every hold comes back as it was.
func TestSnapshotRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		s := onSaleEvent(t)
		var times []time.Time
		for range 1 + r.IntN(4) {
			tm := randTime(r)
			times = append(times, tm, tm.In(zones[r.IntN(len(zones))]))
		}
		someTime := func() time.Time { return times[r.IntN(len(times))] }
		for i := range r.IntN(30) {
			e := &HoldCreated{HoldID: randString(r) + itoa(i), ExpiresAt: someTime()}
			switch r.IntN(4) {
			case 0:
			case 1:
				e.Items = []Item{}
			default:
				e.Items = []Item{item("ga", r.IntN(5))}
				if r.IntN(2) == 0 {
					e.Items = append(e.Items, item("vip", r.IntN(5)))
				}
			}
			if r.IntN(3) == 0 {
				e.Idem = &IdemStamp{Scope: randString(r), Key: randString(r), Hash: randString(r)}
			}
			if r.IntN(2) == 0 {
				e.Client = "client-" + itoa(r.IntN(5))
			}
			mustApply(t, s, e, someTime())
			switch r.IntN(5) {
			case 0:
				mustApply(t, s, &HoldReleased{HoldID: e.HoldID}, someTime())
			case 1:
				mustApply(t, s, &HoldExpired{HoldID: e.HoldID}, someTime())
			case 2:
				mustApply(t, s, &HoldExtended{HoldID: e.HoldID, ExpiresAt: someTime()}, someTime())
			}
		}
		data := snap(t, s)
		for _, version := range []struct {
			name string
			data []byte
		}{{"v2", data}, {"v1", marshalV1(t, s)}} {
			if version.data == nil {
				continue
			}
			back, err := UnmarshalSnapshot(version.data)
			if err != nil {
				t.Fatalf("%s: UnmarshalSnapshot: %v", version.name, err)
			}
			if got := snap(t, back); !bytes.Equal(got, data) {
				t.Fatalf("%s: a restored state's snapshot differs", version.name)
			}
			for id, h := range s.Holds() {
				if got := back.Hold(id); !sameHold(got, h) {
					t.Fatalf("%s: hold %s = %+v, want %+v", version.name, id, got, h)
				}
			}
			if back.ActiveHolds() != s.ActiveHolds() || !reflect.DeepEqual(back.counts, s.counts) {
				t.Fatalf("%s: active holds %d, counts %+v; want %d, %+v", version.name,
					back.ActiveHolds(), back.counts, s.ActiveHolds(), s.counts)
			}
		}
		// A frozen state encodes as it was, whatever happens to it later:
		// its holds end (in place, times beyond int64 nanoseconds too),
		// new holds come, with new clients and Idempotency-Keys.
		frozen, err := s.Freeze()
		if err != nil {
			t.Fatalf("Freeze: %v", err)
		}
		for id, h := range s.Holds() {
			if h.Status == Active {
				mustApply(t, s, &HoldReleased{HoldID: id}, someTime())
			}
		}
		mustApply(t, s, &HoldCreated{HoldID: "later", ExpiresAt: someTime(), Items: []Item{item("ga", 1)},
			Client: "client-later", Idem: &IdemStamp{Scope: "s", Key: "later", Hash: "h"}}, someTime())
		if got := frozen.AppendSnapshot(nil); !bytes.Equal(got, data) {
			t.Fatalf("a frozen state, changed after, encodes otherwise")
		}
	}
}

// marshalV1 is s as a version 1 snapshot, the JSON of the whole state, or
// nil where JSON cannot hold it.
func marshalV1(tb testing.TB, s *State) []byte {
	tb.Helper()
	snap := snapshotV1{snapshotHead: *s.head(), Idem: s.idem, Holds: []*Hold{}}
	snap.Version = 1
	valid := true // JSON strings are UTF-8: encoding/json changes the rest
	for _, i := range s.holdsByCreation() {
		h := s.holdAt(i)
		valid = valid && utf8.ValidString(h.ID) && utf8.ValidString(h.Client) &&
			wholeMinutes(h.CreatedAt) && wholeMinutes(h.ExpiresAt) && wholeMinutes(h.EndedAt)
		snap.Holds = append(snap.Holds, h)
	}
	for k, rec := range s.idem {
		valid = valid && utf8.ValidString(k) && utf8.ValidString(rec.Hash) && utf8.ValidString(rec.Ref) &&
			wholeMinutes(rec.At)
	}
	b, err := json.Marshal(&snap)
	if err != nil || !valid {
		return nil // a time or string JSON cannot hold: such a state had no version 1 snapshot
	}
	return b
}

// wholeMinutes reports whether t's zone offset is of whole minutes, as RFC
// 3339 writes them: JSON loses the seconds of the others.
func wholeMinutes(t time.Time) bool {
	_, off := t.Zone()
	return off%60 == 0
}
