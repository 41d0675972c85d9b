package chart

import (
	"fmt"
	"sort"
	"time"
)

// Sale is what was sold at a moment: Tickets tickets for Amount, in minor
// units of the event's currency. It may stand for many orders, such as
// those of a quarter of an hour starting at At; Build counts it in the
// bucket that holds At.
type Sale struct {
	At      time.Time
	Tickets int   // ≥ 0
	Amount  int64 // minor units
}

// Step is the size of a chart's buckets.
type Step int

// The sizes of buckets. An hour starts on a local hour, a day at local
// midnight, a week at local midnight on a Monday.
const (
	Hour Step = iota + 1
	Day
	Week
)

// String returns "hour", "day" or "week".
func (s Step) String() string {
	switch s {
	case Hour:
		return "hour"
	case Day:
		return "day"
	case Week:
		return "week"
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// The longest spans ChooseStep counts in hours and in days.
const (
	MaxHourSpan = 48 * time.Hour          // 48 or 49 bars
	MaxDaySpan  = 10 * 7 * 24 * time.Hour // 70 or 71 bars
)

// MaxBuckets is the most buckets a chart has: about ten years of weeks.
const MaxBuckets = 530

// ChooseStep returns the size of buckets for a period of the span: Hour up
// to MaxHourSpan, Day up to MaxDaySpan, Week beyond.
func ChooseStep(span time.Duration) Step {
	switch {
	case span <= MaxHourSpan:
		return Hour
	case span <= MaxDaySpan:
		return Day
	}
	return Week
}

// Bucket is what was sold from Start (included) to End (excluded), both in
// the chart's time zone; End is the next bucket's Start.
type Bucket struct {
	Start, End time.Time
	Tickets    int
	Amount     int64
}

// span is the period a chart covers, and the last sale's time (zero
// without sales).
type span struct {
	start, end, last time.Time
}

// period returns the span from the earliest of from and the sales to the
// latest of to and the sales, ignoring zero times. ok is false when there
// is neither a sale nor both a from and a to.
func period(sales []Sale, from, to time.Time) (p span, ok bool) {
	if len(sales) == 0 && (from.IsZero() || to.IsZero()) {
		return span{}, false
	}
	p = span{start: from, end: to}
	for i, s := range sales {
		if i == 0 || s.At.After(p.last) {
			p.last = s.At
		}
		if p.start.IsZero() || s.At.Before(p.start) {
			p.start = s.At
		}
		if p.end.IsZero() || s.At.After(p.end) {
			p.end = s.At
		}
	}
	if p.end.Before(p.start) {
		p.end = p.start
	}
	return p, true
}

// bucketize sums the sales into buckets of the step, in loc, from the
// bucket that holds p.start on, one bucket at least, until the buckets
// hold the last sale and reach p.end: a p.end on a bucket's start (a
// midnight for days) ends the buckets there.
func bucketize(sales []Sale, step Step, p span, loc *time.Location) ([]Bucket, error) {
	var bounds []time.Time
	b := floor(step, p.start, loc)
	for {
		bounds = append(bounds, b)
		if len(bounds) > 1 && !b.Before(p.end) && (len(sales) == 0 || b.After(p.last)) {
			break
		}
		if len(bounds) > MaxBuckets {
			return nil, fmt.Errorf("chart: %s to %s is more than %d %ss", p.start.Format(time.DateOnly),
				p.end.Format(time.DateOnly), MaxBuckets, step)
		}
		b = next(step, b, loc)
	}
	buckets := make([]Bucket, len(bounds)-1)
	for i := range buckets {
		buckets[i] = Bucket{Start: bounds[i], End: bounds[i+1]}
	}
	for _, s := range sales {
		i := sort.Search(len(bounds), func(i int) bool { return bounds[i].After(s.At) }) - 1
		buckets[i].Tickets += s.Tickets
		buckets[i].Amount += s.Amount
	}
	return buckets, nil
}

// floor returns the start of the step's bucket that holds t, in loc.
func floor(step Step, t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	switch step {
	case Hour:
		return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second -
			time.Duration(t.Nanosecond()))
	case Week:
		y, m, d := t.Date()
		monday := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-monday, 0, 0, 0, 0, loc)
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// next returns the start of the bucket after the one that starts at b.
func next(step Step, b time.Time, loc *time.Location) time.Time {
	var n time.Time
	switch step {
	case Hour:
		n = floor(Hour, b.Add(time.Hour), loc)
	case Week:
		y, m, d := b.Date()
		n = time.Date(y, m, d+7, 0, 0, 0, 0, loc)
	default:
		y, m, d := b.Date()
		n = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	if !n.After(b) { // cannot happen with the time zones there are; never loop
		n = b.Add(time.Hour)
	}
	return n
}
