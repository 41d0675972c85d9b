package boxoffice

import "strings"

// freeText checks text that may run over several lines, such as a
// description: as text, with tabs and line breaks allowed.
func (f *fieldErrs) freeText(field, v string, minLen, maxLen int) {
	f.textIn(field, v, minLen, maxLen, true)
}

// textProblem says what is wrong with v as text organizers and staff write
// (textRune), "" when nothing is.
func textProblem(v string, lines bool) string {
	if strings.IndexFunc(v, func(r rune) bool { return !textRune(r, lines) }) < 0 {
		return ""
	}
	if lines {
		return "must not contain control characters (other than tabs and line breaks), line or paragraph separators, or bidirectional overrides"
	}
	return "must be on one line, without control characters, line or paragraph separators, or bidirectional overrides"
}

// textRune reports whether r may appear in the text organizers and staff
// write: event, venue, ticket-type and quota names, descriptions, payment
// instructions, reasons, and the names of buyers and attendees. It refuses
// control characters (C0, DEL, C1: a NUL or an ESC breaks e-mail headers,
// logs, terminals and printed tickets), the line and paragraph separators
// U+2028 and U+2029 (a line break to JavaScript and some mail clients, so a
// one-line subject would not be one), and the bidirectional embedding,
// override and isolate controls U+202A–U+202E and U+2066–U+2069, which make
// text read differently from what it holds (the marks U+200E and U+200F,
// which do not, stay allowed). lines allows tab, line feed and carriage
// return, for text over several lines.
func textRune(r rune, lines bool) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return lines
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return false
	case r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return false
	}
	return true
}
