package chart

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestChooseStep(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		span time.Duration
		want Step
	}{
		{0, Hour},
		{90 * time.Minute, Hour},
		{48 * time.Hour, Hour},
		{48*time.Hour + time.Nanosecond, Day},
		{7 * day, Day},
		{70 * day, Day},
		{70*day + time.Nanosecond, Week},
		{400 * day, Week},
	} {
		if got := ChooseStep(tc.span); got != tc.want {
			t.Errorf("ChooseStep(%s) = %s, want %s", tc.span, got, tc.want)
		}
	}
}

// zone loads a time zone of the tz database.
func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestBuckets(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	kathmandu := zone(t, "Asia/Kathmandu") // +05:45
	utc := time.UTC
	at := func(loc *time.Location, month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, loc)
	}
	sale := func(when time.Time, tickets int) Sale {
		return Sale{At: when, Tickets: tickets, Amount: int64(tickets) * 100}
	}
	// want lists the buckets as "start tickets", the start in RFC 3339.
	for _, tc := range []struct {
		name     string
		loc      *time.Location
		from, to time.Time
		sales    []Sale
		step     Step
		want     []string
	}{
		{name: "nothing", loc: berlin, step: Day},
		{name: "one sale: its hour", loc: berlin, sales: []Sale{sale(at(utc, 12, 3, 13, 27), 4)}, step: Hour,
			want: []string{"2026-12-03T14:00:00+01:00 4"}},
		{name: "hours, in any order", loc: berlin,
			sales: []Sale{sale(at(berlin, 12, 3, 16, 0), 1), sale(at(berlin, 12, 3, 14, 59), 2), sale(at(berlin, 12, 3, 14, 0), 3)},
			step:  Hour,
			want:  []string{"2026-12-03T14:00:00+01:00 5", "2026-12-03T15:00:00+01:00 0", "2026-12-03T16:00:00+01:00 1"}},
		{name: "days start at local midnight", loc: berlin,
			sales: []Sale{sale(at(utc, 12, 1, 22, 59), 1), sale(at(utc, 12, 1, 23, 0), 2), sale(at(utc, 12, 4, 12, 0), 3)},
			step:  Day,
			want: []string{"2026-12-01T00:00:00+01:00 1", "2026-12-02T00:00:00+01:00 2", "2026-12-03T00:00:00+01:00 0",
				"2026-12-04T00:00:00+01:00 3"}},
		{name: "days in a time zone three quarters off the hour", loc: kathmandu,
			sales: []Sale{sale(at(utc, 12, 1, 18, 14), 1), sale(at(utc, 12, 1, 18, 15), 2), sale(at(utc, 12, 3, 18, 15), 3)},
			step:  Day,
			want: []string{"2026-12-01T00:00:00+05:45 1", "2026-12-02T00:00:00+05:45 2", "2026-12-03T00:00:00+05:45 0",
				"2026-12-04T00:00:00+05:45 3"}},
		{name: "a period without sales", loc: berlin, from: at(berlin, 12, 1, 9, 0), to: at(berlin, 12, 4, 0, 0), step: Day,
			want: []string{"2026-12-01T00:00:00+01:00 0", "2026-12-02T00:00:00+01:00 0", "2026-12-03T00:00:00+01:00 0"}},
		{name: "a period that ends in a bucket", loc: berlin, from: at(berlin, 12, 1, 9, 0), to: at(berlin, 12, 3, 10, 0),
			sales: []Sale{sale(at(berlin, 12, 2, 9, 0), 7)}, step: Day,
			want: []string{"2026-12-01T00:00:00+01:00 0", "2026-12-02T00:00:00+01:00 7", "2026-12-03T00:00:00+01:00 0"}},
		{name: "a sale on the period's end", loc: berlin, from: at(berlin, 12, 1, 9, 0), to: at(berlin, 12, 4, 0, 0),
			sales: []Sale{sale(at(berlin, 12, 4, 0, 0), 7)}, step: Day,
			want: []string{"2026-12-01T00:00:00+01:00 0", "2026-12-02T00:00:00+01:00 0", "2026-12-03T00:00:00+01:00 0",
				"2026-12-04T00:00:00+01:00 7"}},
		{name: "a sale before the period widens it", loc: berlin, from: at(berlin, 12, 3, 9, 0), to: at(berlin, 12, 3, 11, 0),
			sales: []Sale{sale(at(berlin, 12, 3, 7, 30), 7)}, step: Hour,
			want: []string{"2026-12-03T07:00:00+01:00 7", "2026-12-03T08:00:00+01:00 0", "2026-12-03T09:00:00+01:00 0",
				"2026-12-03T10:00:00+01:00 0"}},
		{name: "only a start: up to the last sale", loc: berlin, from: at(berlin, 12, 3, 9, 0),
			sales: []Sale{sale(at(berlin, 12, 3, 10, 30), 7)}, step: Hour,
			want: []string{"2026-12-03T09:00:00+01:00 0", "2026-12-03T10:00:00+01:00 7"}},
		{name: "weeks start on Mondays", loc: berlin, step: Week,
			sales: []Sale{sale(at(berlin, 10, 4, 23, 0), 1), sale(at(berlin, 10, 5, 0, 0), 2), sale(at(berlin, 12, 20, 12, 0), 3)},
			want: []string{"2026-09-28T00:00:00+02:00 1", "2026-10-05T00:00:00+02:00 2", "2026-10-12T00:00:00+02:00 0",
				"2026-10-19T00:00:00+02:00 0", "2026-10-26T00:00:00+01:00 0", "2026-11-02T00:00:00+01:00 0",
				"2026-11-09T00:00:00+01:00 0", "2026-11-16T00:00:00+01:00 0", "2026-11-23T00:00:00+01:00 0",
				"2026-11-30T00:00:00+01:00 0", "2026-12-07T00:00:00+01:00 0", "2026-12-14T00:00:00+01:00 3"}},
		{name: "the clocks go back: two hours from 02:00", loc: berlin,
			sales: []Sale{sale(at(utc, 10, 24, 23, 30), 1), sale(at(utc, 10, 25, 0, 30), 2), sale(at(utc, 10, 25, 1, 30), 3)},
			step:  Hour,
			want:  []string{"2026-10-25T01:00:00+02:00 1", "2026-10-25T02:00:00+02:00 2", "2026-10-25T02:00:00+01:00 3"}},
		{name: "the clocks go forward: a day of 23 hours", loc: berlin,
			sales: []Sale{sale(at(berlin, 3, 27, 12, 0), 1), sale(at(berlin, 3, 29, 0, 0), 2), sale(at(berlin, 3, 29, 23, 59), 3),
				sale(at(berlin, 3, 30, 12, 0), 4)},
			step: Day,
			want: []string{"2026-03-27T00:00:00+01:00 1", "2026-03-28T00:00:00+01:00 0", "2026-03-29T00:00:00+01:00 5",
				"2026-03-30T00:00:00+02:00 4"}},
		{name: "the clocks go forward: no hour from 02:00", loc: berlin,
			sales: []Sale{sale(at(berlin, 3, 29, 1, 59), 1), sale(at(berlin, 3, 29, 3, 0), 2)},
			step:  Hour,
			want:  []string{"2026-03-29T01:00:00+01:00 1", "2026-03-29T03:00:00+02:00 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Build(tc.sales, Options{Location: tc.loc, From: tc.from, To: tc.to})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if c.Step != tc.step {
				t.Errorf("Step = %s, want %s", c.Step, tc.step)
			}
			var got []string
			sum := 0
			for i, b := range c.Buckets {
				got = append(got, b.Start.Format(time.RFC3339)+" "+strconv.Itoa(b.Tickets))
				if i+1 < len(c.Buckets) && !b.End.Equal(c.Buckets[i+1].Start) {
					t.Errorf("bucket %d ends at %s, the next starts at %s", i, b.End, c.Buckets[i+1].Start)
				}
				if b.Amount != int64(b.Tickets)*100 {
					t.Errorf("bucket %d: amount %d for %d tickets", i, b.Amount, b.Tickets)
				}
				if b.Start.Location() != tc.loc {
					t.Errorf("bucket %d starts in %s", i, b.Start.Location())
				}
				sum += b.Tickets
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("buckets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if sum != c.Tickets {
				t.Errorf("Tickets = %d, the buckets hold %d", c.Tickets, sum)
			}
		})
	}
}

// TestBucketsLast: the last bucket of a day chart ends at the next local
// midnight, a 25-hour day when the clocks go back.
func TestBucketsLast(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	c, err := Build([]Sale{{At: time.Date(2026, 10, 23, 12, 0, 0, 0, berlin), Tickets: 1},
		{At: time.Date(2026, 10, 25, 12, 0, 0, 0, berlin), Tickets: 1}}, Options{Location: berlin})
	if err != nil {
		t.Fatal(err)
	}
	last := c.Buckets[len(c.Buckets)-1]
	if got := last.End.Sub(last.Start); got != 25*time.Hour || last.End.Format(time.RFC3339) != "2026-10-26T00:00:00+01:00" {
		t.Errorf("last bucket %s to %s (%s), want to 2026-10-26T00:00:00+01:00 (25h)", last.Start, last.End, got)
	}
}

func TestBuildErrors(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		sales []Sale
		o     Options
		want  string
	}{
		{"no time zone", nil, Options{}, "no time zone"},
		{"an id with a space", nil, Options{Location: berlin, ID: "a b"}, `id "a b"`},
		{"an id that starts with a digit", nil, Options{Location: berlin, ID: "1a"}, `id "1a"`},
		{"negative tickets", []Sale{{At: now, Tickets: -1}}, Options{Location: berlin}, "a sale of -1 tickets"},
		{"too long", nil, Options{Location: berlin, From: now, To: now.AddDate(11, 0, 0)}, "more than 530 weeks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Build(tc.sales, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build = %v, %v; want an error with %q", c, err, tc.want)
			}
		})
	}
	// Ten years of weeks are fine.
	if _, err := Build(nil, Options{Location: berlin, From: now, To: now.AddDate(10, 0, 0)}); err != nil {
		t.Errorf("Build over ten years: %v", err)
	}
}
