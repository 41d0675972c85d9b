package locale

import (
	"strconv"
	"time"

	"golang.org/x/text/language"
)

// Time writes t as a date and a time of day in the time zone tz (an IANA
// name such as "Europe/Berlin"), the way tag's language writes them, and
// says which zone it is: "Saturday 2 January 2027, 20:00 CET" in English,
// "Samstag, 2. Januar 2027, 20:00 CET" in German. The zone is its
// abbreviation where the time zone database has a name for it, else the
// IANA name ("Friday 1 January 2027, 20:00 Europe/Istanbul", not "+03"). A
// tz that is empty or unknown (or "Local": the server's zone is nobody's)
// gives the time in UTC, shown as UTC. The clock is the 24-hour one in
// every language.
func Time(t time.Time, tz string, tag language.Tag) string {
	s := styleOf(tag)
	t, zone := in(t, tz)
	y, m, d := t.Date()
	return s.date(s.weekdays[t.Weekday()], strconv.Itoa(d), s.months[m-1], strconv.Itoa(y)) + ", " +
		t.Format("15:04") + " " + zone
}

// Clock writes the time of day of t in the time zone tz with the zone, as
// Time does but without the date: "20:00 CET". It is for a time within the
// day the reader is in, such as a hold's expiry. Every language admit
// formats in writes a time of day alike; tag is there for one that will
// not.
func Clock(t time.Time, tz string, tag language.Tag) string {
	t, zone := in(t, tz)
	return t.Format("15:04") + " " + zone
}

// in returns t in the time zone tz and how to name that zone (see Time).
func in(t time.Time, tz string) (time.Time, string) {
	loc := time.UTC
	if tz != "Local" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	t = t.In(loc)
	abbr, _ := t.Zone()
	if abbr == "" || abbr[0] == '+' || abbr[0] == '-' || ('0' <= abbr[0] && abbr[0] <= '9') {
		return t, loc.String() // a numeric "abbreviation" says less than the zone's name
	}
	return t, abbr
}
