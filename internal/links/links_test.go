package links

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct{ raw, url, origin string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://tickets.example.com/", "https://tickets.example.com", "https://tickets.example.com"},
		{"https://example.com/tickets/", "https://example.com/tickets", "https://example.com"},
	} {
		b, err := Parse(tc.raw)
		if err != nil || b.String() != tc.url || b.Origin() != tc.origin {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", tc.raw, b, b.Origin(), err, tc.url, tc.origin)
		}
	}
	for _, raw := range []string{"", "tickets.example.com", "ftp://example.com", "https:///x", "https://u:p@example.com",
		"https://example.com/?a=b", "https://example.com/?", "https://example.com/#x", "http://%zz"} {
		if b, err := Parse(raw); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", raw, b)
		}
	}
}

func TestPaths(t *testing.T) {
	const ev, tok = "ev_aaaaaaaaaaaaaaaaaaaa", "ot_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	b, err := Parse("https://tickets.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		b.URL(Order(ev, tok)):            "https://tickets.example.com/events/" + ev + "/orders/" + tok,
		Base{}.URL(Order(ev, tok)):       "/events/" + ev + "/orders/" + tok,
		Checkout(ev, "ho_x"):             "/events/" + ev + "/checkout/ho_x",
		APIOrder(ev, tok):                "/api/v1/public/events/" + ev + "/orders/" + tok,
		TicketQR(ev, tok, "tk_y", "svg"): "/api/v1/public/events/" + ev + "/orders/" + tok + "/tickets/tk_y/qr.svg",
		TicketsPDF(ev, tok):              "/api/v1/public/events/" + ev + "/orders/" + tok + "/tickets.pdf",
		b.URL(Event(ev)):                 "https://tickets.example.com/events/" + ev,
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
