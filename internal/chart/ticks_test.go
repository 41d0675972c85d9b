package chart

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestYTicks(t *testing.T) {
	for _, tc := range []struct {
		max  int
		want []int
	}{
		{-3, []int{0, 1}},
		{0, []int{0, 1}},
		{1, []int{0, 1}},
		{3, []int{0, 1, 2, 3}},
		{5, []int{0, 1, 2, 3, 4, 5}},
		{6, []int{0, 2, 4, 6}},
		{7, []int{0, 2, 4, 6, 8}},
		{10, []int{0, 2, 4, 6, 8, 10}},
		{11, []int{0, 5, 10, 15}},
		{24, []int{0, 5, 10, 15, 20, 25}},
		{26, []int{0, 10, 20, 30}},
		{99, []int{0, 20, 40, 60, 80, 100}},
		{400, []int{0, 100, 200, 300, 400}},
		{401, []int{0, 100, 200, 300, 400, 500}},
		{1234, []int{0, 500, 1000, 1500}},
		{100_000, []int{0, 20_000, 40_000, 60_000, 80_000, 100_000}},
	} {
		if got := YTicks(tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("YTicks(%d) = %v, want %v", tc.max, got, tc.want)
		}
	}
	// The largest counts: at most MaxYTicks intervals, rising, up to max
	// at least, without overflowing.
	for _, max := range []int{math.MaxInt, math.MaxInt - 1, math.MaxInt / 3} {
		got := YTicks(max)
		if len(got) > MaxYTicks+1 || got[0] != 0 || got[len(got)-1] < max || !slices.IsSorted(got) {
			t.Errorf("YTicks(%d) = %v", max, got)
		}
	}
}

func TestXTicks(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	// buckets returns n buckets of the step from start.
	buckets := func(step Step, start time.Time, n int) []Bucket {
		var bs []Bucket
		for b := floor(step, start, berlin); len(bs) < n; {
			e := next(step, b, berlin)
			bs = append(bs, Bucket{Start: b, End: e})
			b = e
		}
		return bs
	}
	for _, tc := range []struct {
		name  string
		step  Step
		start time.Time
		n     int
		want  string // the labelled buckets' starts, as layout formats them
	}{
		{"a few hours: all", Hour, time.Date(2026, 12, 3, 13, 0, 0, 0, berlin), 5, "13 14 15 16 17"},
		{"twelve hours: every other", Hour, time.Date(2026, 12, 3, 13, 0, 0, 0, berlin), 12, "14 16 18 20 22 00"},
		{"two days of hours: every six", Hour, time.Date(2026, 12, 3, 5, 0, 0, 0, berlin), 48,
			"06 12 18 00 06 12 18 00"},
		{"a week of days: all", Day, time.Date(2026, 12, 1, 0, 0, 0, 0, berlin), 7,
			"Tue 1 Wed 2 Thu 3 Fri 4 Sat 5 Sun 6 Mon 7"},
		{"two weeks of days: every other", Day, time.Date(2026, 12, 1, 0, 0, 0, 0, berlin), 14,
			"Tue 1 Thu 3 Sat 5 Mon 7 Wed 9 Fri 11 Sun 13"},
		{"four weeks of days: Mondays", Day, time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), 28,
			"Mon 5 Mon 12 Mon 19 Mon 26"},
		{"ten weeks of days: every other Monday", Day, time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), 70,
			"Mon 12 Mon 26 Mon 9 Mon 23 Mon 7"},
		{"a year of weeks: every eight", Week, time.Date(2026, 1, 1, 0, 0, 0, 0, berlin), 53,
			"Mon 16 Mon 13 Mon 8 Mon 3 Mon 28 Mon 23"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs := buckets(tc.step, tc.start, tc.n)
			got := XTicks(tc.step, bs)
			var starts []string
			for _, i := range got {
				if tc.step == Hour {
					starts = append(starts, bs[i].Start.Format("15"))
				} else {
					starts = append(starts, bs[i].Start.Format("Mon 2"))
				}
			}
			if s := strings.Join(starts, " "); s != tc.want {
				t.Errorf("XTicks labels %s, want %s", s, tc.want)
			}
			if len(got) > MaxXTicks+1 || len(got) == 0 {
				t.Errorf("XTicks = %v: %d ticks", got, len(got))
			}
		})
	}
}
