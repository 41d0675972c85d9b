package chart

import (
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// count writes n with commas between groups of three digits: "1,234".
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tickets is "1 ticket" or "1,234 tickets".
func tickets(n int) string {
	if n == 1 {
		return "1 ticket"
	}
	return count(n) + " tickets"
}

// date is a local date as "3 Dec", or "3 Dec 2026" when withYear.
func date(t time.Time, withYear bool) string {
	if withYear {
		return t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan")
}

// clock is a local time of day as "14:00".
func clock(t time.Time) string { return t.Format("15:04") }

// xmlText returns s with every character XML 1.0 cannot hold (invalid
// UTF-8, control characters but tab, line feed and carriage return,
// surrogates, U+FFFE and U+FFFF) replaced by U+FFFD, and escaped for
// markup: safe as text and as a quoted attribute value, in HTML and in
// XML alike.
func xmlText(s string) string {
	valid := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD ||
			r >= 0x10000 && r <= 0x10FFFF
	}
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !valid(r) {
			clean = false
			break
		}
		i += n
	}
	if !clean {
		var b strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || !valid(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
			i += n
		}
		s = b.String()
	}
	return template.HTMLEscapeString(s)
}
