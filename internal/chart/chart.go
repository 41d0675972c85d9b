package chart

import (
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"time"
)

// Options say how Build draws a chart.
type Options struct {
	// Location is the event's time zone: buckets start on its hours,
	// midnights and Mondays, and labels are its local times. Required.
	Location *time.Location
	// From and To are the period the chart covers, such as the start of
	// sales and now. Either may be zero: the chart then starts at the first
	// sale, or ends at the last. A sale outside the period widens it. A To
	// on a bucket's start (a midnight for days) ends the chart there.
	From, To time.Time
	// Title is the chart's title and the table's caption; "" is "Tickets
	// sold per hour", "… per day" or "… per week". It may be user data: it
	// is escaped.
	Title string
	// ID starts the ids of the SVG's elements (ID+"-title", ID+"-desc"),
	// which must be unique in the page: a letter, then letters, digits,
	// "-" or "_". "" is "sales-chart".
	ID string
	// Amount formats an amount in minor units, such as
	// boxoffice.Money{Amount: a, Currency: c}.String. Nil leaves amounts
	// out: the table has no revenue column and the summary no total.
	Amount func(minor int64) string
}

// Chart is an event's sales over time, drawn.
type Chart struct {
	ID      string   // Options.ID or its default: the SVG's ids start with it
	Step    Step     // Hour, Day or Week; Day when there are no buckets
	Buckets []Bucket // oldest first; none without sales and period
	Tickets int      // the sum of the buckets' tickets
	Amount  int64    // the sum of the buckets' amounts
	Title   string   // Options.Title or the default, unescaped
	// Summary says what the chart shows in one sentence, unescaped: the
	// SVG's <desc>, and a fine text for the page too.
	Summary string
	SVG     template.HTML // one <svg> element, escaped
	Table   Table
}

// Table is the chart's figures as a data table: a row per bucket, with
// the bucket as the row's header, then tickets and (with Options.Amount)
// revenue. Every text is plain: html/template escapes it.
type Table struct {
	Caption string
	Headers []string // the columns': the bucket's ("Day"), "Tickets sold", "Revenue"
	Rows    []Row    // oldest first; none when the chart has no buckets
	Total   Row      // the sums, headed "Total"
	// Empty is a sentence to show instead of the rows when there are none,
	// else "".
	Empty string
}

// Row is a row of a Table. Start and End are the bucket's (zero for the
// total), for a <time datetime> if the page wants one.
type Row struct {
	Header     string
	Cells      []string
	Start, End time.Time
}

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// Build sums the sales into buckets (ChooseStep over the period from the
// earliest of o.From and the first sale to the latest of o.To and the
// last sale) and draws them. Sales may come in any order. With neither
// sales nor a whole period there are no buckets: the chart says that
// nothing was sold yet. Errors (plain, a caller's mistakes): no
// o.Location, an o.ID that is not an id, a sale with negative tickets, a
// period of more than MaxBuckets weeks. Safe for concurrent use.
func Build(sales []Sale, o Options) (*Chart, error) {
	if o.Location == nil {
		return nil, errors.New("chart: no time zone")
	}
	if o.ID == "" {
		o.ID = "sales-chart"
	}
	if !idPattern.MatchString(o.ID) {
		return nil, fmt.Errorf("chart: id %q is not a letter followed by letters, digits, - or _", o.ID)
	}
	for _, s := range sales {
		if s.Tickets < 0 {
			return nil, fmt.Errorf("chart: a sale of %d tickets at %s", s.Tickets, s.At.Format(time.RFC3339))
		}
	}
	c := &Chart{ID: o.ID, Step: Day}
	if p, ok := period(sales, o.From, o.To); ok {
		c.Step = ChooseStep(p.end.Sub(p.start))
		var err error
		if c.Buckets, err = bucketize(sales, c.Step, p, o.Location); err != nil {
			return nil, err
		}
	}
	for _, b := range c.Buckets {
		c.Tickets += b.Tickets
		c.Amount += b.Amount
	}
	c.Title = o.Title
	if c.Title == "" {
		c.Title = "Tickets sold per " + c.Step.String()
	}
	l := newLabels(c.Step, c.Buckets)
	c.Summary = summary(c, l, o.Amount)
	c.Table = table(c, l, o)
	c.SVG = template.HTML(svg(c, l, o))
	return c, nil
}

// labels are the texts of a chart's buckets.
type labels struct {
	step     Step
	withYear bool // the buckets span more than one calendar year
}

func newLabels(step Step, buckets []Bucket) labels {
	l := labels{step: step}
	if n := len(buckets); n > 0 {
		l.withYear = buckets[0].Start.Year() != buckets[n-1].End.Add(-time.Nanosecond).Year()
	}
	return l
}

// short names a bucket in a sentence: "3 Dec", "3 Dec 14:00", "the week
// of 1 Dec".
func (l labels) short(b Bucket) string {
	switch l.step {
	case Hour:
		return date(b.Start, l.withYear) + " " + clock(b.Start)
	case Week:
		return "the week of " + date(b.Start, l.withYear)
	}
	return date(b.Start, l.withYear)
}

// row heads a bucket's row: "Thu 3 Dec", "3 Dec 14:00–15:00", "Week of 1
// Dec".
func (l labels) row(b Bucket) string {
	switch l.step {
	case Hour:
		return date(b.Start, l.withYear) + " " + clock(b.Start) + "–" + clock(b.End)
	case Week:
		return "Week of " + date(b.Start, l.withYear)
	}
	return b.Start.Format("Mon") + " " + date(b.Start, l.withYear)
}

// summary says what the chart shows: "1,234 tickets sold from 1 Dec to 7
// Dec (55,530.00 EUR); most on 3 Dec: 400."
func summary(c *Chart, l labels, amount func(int64) string) string {
	n := len(c.Buckets)
	if n == 0 {
		return "No tickets sold yet."
	}
	first, last := c.Buckets[0], c.Buckets[n-1]
	var when string
	switch {
	case n == 1 && c.Step == Hour:
		when = "on " + date(first.Start, l.withYear) + " from " + clock(first.Start) + " to " + clock(first.End)
	case n == 1 && c.Step == Week:
		when = "in " + l.short(first)
	case n == 1:
		when = "on " + l.short(first)
	case c.Step == Hour:
		when = "from " + l.short(first) + " to " + date(last.End, l.withYear) + " " + clock(last.End)
	default:
		when = "from " + l.short(first) + " to " + l.short(last)
	}
	if c.Tickets == 0 {
		return "No tickets sold " + when + "."
	}
	s := tickets(c.Tickets) + " sold " + when
	if amount != nil {
		s += " (" + amount(c.Amount) + ")"
	}
	if n > 1 {
		top := first
		for _, b := range c.Buckets {
			if b.Tickets > top.Tickets {
				top = b
			}
		}
		switch c.Step {
		case Hour:
			s += "; most from " + clock(top.Start) + " to " + clock(top.End) + " on " + date(top.Start, l.withYear)
		case Week:
			s += "; most in " + l.short(top)
		default:
			s += "; most on " + l.short(top)
		}
		s += ": " + count(top.Tickets)
	}
	return s + "."
}

// table returns the chart's data table.
func table(c *Chart, l labels, o Options) Table {
	t := Table{
		Caption: c.Title + " (" + o.Location.String() + " time)",
		Headers: []string{map[Step]string{Hour: "Hour", Day: "Day", Week: "Week"}[c.Step], "Tickets sold"},
		Total:   Row{Header: "Total", Cells: []string{count(c.Tickets)}},
	}
	if o.Amount != nil {
		t.Headers = append(t.Headers, "Revenue")
		t.Total.Cells = append(t.Total.Cells, o.Amount(c.Amount))
	}
	if len(c.Buckets) == 0 {
		t.Empty = c.Summary
	}
	seen := map[string]int{}
	for _, b := range c.Buckets {
		seen[l.short(b)]++
	}
	for _, b := range c.Buckets {
		h := l.row(b)
		if seen[l.short(b)] > 1 { // an hour that the clocks went back over comes twice
			h = date(b.Start, l.withYear) + " " + b.Start.Format("15:04 MST") + "–" + b.End.Format("15:04 MST")
		}
		r := Row{Header: h, Cells: []string{count(b.Tickets)}, Start: b.Start, End: b.End}
		if o.Amount != nil {
			r.Cells = append(r.Cells, o.Amount(b.Amount))
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}
