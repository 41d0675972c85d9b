package web

// parseHoldFast reads the usual hold request body,
// {"items":[{"ticket_type_id":"…","quantity":N},…]}, without reflection:
// it is on the path of every request of an on-sale. It accepts only plain
// bodies — ASCII strings without escapes, whole numbers without sign or
// leading zero, names exactly as spelt, each once — and reports false for
// anything else, which then goes through the general decoder (decodeJSON)
// and its precise errors. So whatever it accepts, the general decoder
// would read the same way, and what the general decoder refuses (another
// spelling of a name, a duplicate), it refuses too.
func parseHoldFast(b []byte) (holdIn, bool) {
	p := scan{b: b}
	var in holdIn
	if !p.byte('{') || p.str() != "items" || !p.byte(':') || !p.byte('[') {
		return in, false
	}
	items := make([]holdItemIn, 0, 1)
	for {
		var it holdItemIn
		if !p.byte('{') {
			return in, false
		}
		for range 2 {
			switch p.str() {
			case "ticket_type_id":
				if it.TicketTypeID.Set || !p.byte(':') {
					return in, false
				}
				it.TicketTypeID.V, it.TicketTypeID.Set = p.str(), true
				if it.TicketTypeID.V == "" {
					return in, false
				}
			case "quantity":
				n, ok := 0, p.byte(':')
				if it.Quantity.Set || !ok {
					return in, false
				}
				if n, ok = p.small(); !ok {
					return in, false
				}
				it.Quantity.V, it.Quantity.Set = n, true
			default:
				return in, false
			}
			if !it.TicketTypeID.Set || !it.Quantity.Set {
				if !p.byte(',') {
					return in, false
				}
			}
		}
		if !p.byte('}') {
			return in, false
		}
		items = append(items, it)
		if p.byte(']') {
			break
		}
		if !p.byte(',') {
			return in, false
		}
	}
	if !p.byte('}') || !p.end() {
		return in, false
	}
	in.Items = opt[[]holdItemIn]{Set: true, V: items}
	return in, true
}

// scan reads JSON tokens for parseHoldFast; every read skips the
// whitespace before it.
type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scan) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes; "" when there is
// none (the callers refuse empty strings).
func (s *scan) str() string {
	if !s.byte('"') {
		return ""
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(s.b[start : s.i-1])
		case c < 0x20 || c >= 0x7f || c == '\\':
			return ""
		}
		s.i++
	}
	return ""
}

// small reads a whole number from 1 to 999 without sign or leading zero.
func (s *scan) small() (int, bool) {
	s.ws()
	n, digits := 0, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if digits == 0 && s.b[s.i] == '0' {
			return 0, false
		}
		n = n*10 + int(s.b[s.i]-'0')
		digits++
		s.i++
		if digits > 3 {
			return 0, false
		}
	}
	if digits == 0 || (s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E')) {
		return 0, false
	}
	return n, true
}

func (s *scan) end() bool {
	s.ws()
	return s.i == len(s.b)
}
