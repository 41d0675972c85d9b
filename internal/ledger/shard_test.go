package ledger

import (
	"slices"
	"testing"
)

func TestSubjectShard(t *testing.T) {
	for _, tt := range []struct {
		subject string
		want    int
	}{
		{"ledger.event.ev_abc", 0},
		{"ledger.org.or_abc", 0},
		{"ledger.event.ev_abc_1", 1},
		{"ledger.event.ev_abc_17", 17},
		{"ledger.event.ev_abc_0", 0},  // no shard 0 suffix
		{"ledger.event.ev_abc_01", 0}, // no leading zero
		{"ledger.event.abc_2", 0},     // needs a "_" before the suffix's
		{"ledger.event.ev_abc_", 0},
		{"ledger.event.ev_abc_2x", 0},
		{"ledger.event_2", 0},
		{"ledger.event.ev_a_15", 15},
		{"ledger.event.ev_a_16", 16}, // checkShard refuses it
		{"ledger.event.ev_a_255", 0}, // too many digits to be a shard
		{"ledger.event.ev_a_256", 0},
		{"ledger.event.ev_a_99999999999999999999", 0},
	} {
		if got := SubjectShard(tt.subject); got != tt.want {
			t.Errorf("SubjectShard(%q) = %d, want %d", tt.subject, got, tt.want)
		}
	}
}

func TestPhysicalSubjects(t *testing.T) {
	if got := physical(0, "ledger.event.ev_a"); got != "ledger.event.ev_a" {
		t.Errorf("physical(0) = %q", got)
	}
	if got := physical(3, "ledger.event.ev_a_3"); got != "ledger_3.event.ev_a_3" {
		t.Errorf("physical(3) = %q", got)
	}
	if got := logical(3, "ledger_3.event.ev_a_3"); got != "ledger.event.ev_a_3" {
		t.Errorf("logical(3) = %q", got)
	}
	// The subject spaces of the streams do not overlap.
	if subjectMatches(streamSubjects, physical(1, "ledger.event.ev_a_1")) {
		t.Error(`"ledger.>" captures a subject of shard 1`)
	}
}

func TestPositionsAndVectors(t *testing.T) {
	if Pos(0, 42) != 42 {
		t.Errorf("Pos(0, 42) = %d, want 42: positions of shard 0 are stream sequences", Pos(0, 42))
	}
	p := Pos(5, 7)
	if PosShard(p) != 5 || PosSeq(p) != 7 || p+1 != Pos(5, 8) {
		t.Errorf("Pos(5, 7) = %d: shard %d, seq %d", p, PosShard(p), PosSeq(p))
	}
	var v Vector
	v.Advance(Pos(2, 9))
	v.Advance(3)
	v.Advance(Pos(2, 4)) // never backwards
	if want := (Vector{3, 0, 9}); !slices.Equal(v, want) {
		t.Fatalf("v = %v, want %v", v, want)
	}
	if !v.Covers(Pos(2, 9)) || v.Covers(Pos(2, 10)) || v.Covers(Pos(1, 1)) || !v.Covers(0) || v.Covers(Pos(7, 1)) {
		t.Errorf("Covers of %v wrong", v)
	}
	if !v.CoversAll(Vector{3}) || v.CoversAll(Vector{3, 1}) || !v.CoversAll(nil) {
		t.Errorf("CoversAll of %v wrong", v)
	}
	back, err := ParseVector(v.String())
	if err != nil || !slices.Equal(back, v) {
		t.Errorf("ParseVector(%q) = %v, %v", v.String(), back, err)
	}
	for _, bad := range []string{"", "1,,2", "x", "-1"} {
		if _, err := ParseVector(bad); err == nil {
			t.Errorf("ParseVector(%q): no error", bad)
		}
	}
}
