package chart

import (
	"math"
	"time"
)

// MaxYTicks is the most intervals between the ticks of the vertical axis.
const MaxYTicks = 5

// YTicks returns the ticks of a vertical axis that shows counts from 0 to
// max: 0 and whole multiples of the smallest of 1, 2, 5, 10, 20, 50, … that
// needs at most MaxYTicks intervals, up to the first at or above max.
// A max of 0 or less gives 0 and 1.
func YTicks(max int) []int {
	if max <= 0 {
		return []int{0, 1}
	}
	step := niceStep(max)
	top := (max + step - 1) / step * step
	if max > math.MaxInt-step { // no room above max: the last tick is max
		top = max
	}
	var ticks []int
	for v := 0; ; v += step {
		if v >= top {
			return append(ticks, top)
		}
		ticks = append(ticks, v)
	}
}

// niceStep returns the smallest of 1, 2, 5, 10, 20, 50, … that divides
// 0 to max (max > 0) into at most MaxYTicks intervals.
func niceStep(max int) int {
	for mag := 1; ; mag *= 10 {
		for _, m := range [...]int{1, 2, 5} {
			s := m * mag
			if (max-1)/s+1 <= MaxYTicks { // ceil(max/s), without overflow
				return s
			}
		}
		if mag > math.MaxInt/100 {
			return max
		}
	}
}

// MaxXTicks is the most labelled ticks of the horizontal axis.
const MaxXTicks = 8

// xEvery is, for each step, the numbers of buckets a tick of the
// horizontal axis may stand every: hours that divide a day, days by one,
// two, a week, two weeks, four; weeks by one, two, four, eight, a quarter,
// half a year, a year.
var xEvery = map[Step][]int{
	Hour: {1, 2, 3, 6, 12, 24},
	Day:  {1, 2, 7, 14, 28},
	Week: {1, 2, 4, 8, 13, 26, 52},
}

// XTicks returns the indexes of the buckets whose starts the horizontal
// axis labels: every k-th bucket, with k the smallest of the step's
// choices (xEvery) that labels at most MaxXTicks, aligned so that the
// labels fall on round times: for hours on local hours that k divides (0,
// 6, 12 and 18 for six), for days and weeks on a count of days (of weeks)
// since Monday 5 January 1970 that k divides (Mondays for seven days).
func XTicks(step Step, buckets []Bucket) []int {
	n := len(buckets)
	if n == 0 {
		return nil
	}
	choices := xEvery[step]
	k := choices[len(choices)-1]
	for _, c := range choices {
		if (n-1)/c+1 <= MaxXTicks {
			k = c
			break
		}
	}
	for (n-1)/k+1 > MaxXTicks { // more than ten years of weeks: years by years
		k += choices[len(choices)-1]
	}
	var ticks []int
	for i, b := range buckets {
		if o := ordinal(step, b.Start); (o%k+k)%k == 0 {
			ticks = append(ticks, i)
		}
	}
	return ticks
}

// ordinal numbers a bucket's start for XTicks: its local hour for hours,
// for days the days from Monday 5 January 1970 to its local date, for weeks
// those days over seven, rounded down (negative before that Monday).
func ordinal(step Step, start time.Time) int {
	if step == Hour {
		return start.Hour()
	}
	y, m, d := start.Date()
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400) - 4
	if step == Week {
		if days < 0 {
			return (days - 6) / 7
		}
		return days / 7
	}
	return days
}
