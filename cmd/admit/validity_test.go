package main

import (
	"strings"
	"testing"
)

// TestTicketTimes: over HTTP, event times a ticket cannot carry are a
// validation problem naming the field; an event moved into the past
// cannot be marked paid (409); and the QR code and PDF of a ticket issued
// before its event was moved into the past answer 409, never 500.
func TestTicketTimes(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	field := func(p map[string]any) string {
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 {
			return ""
		}
		return errs[0].(map[string]any)["field"].(string)
	}
	p := c.must(422, "POST", "/api/v1/events", map[string]any{"name": "Far future", "timezone": "UTC",
		"starts_at": "2030-06-01T19:00:00Z", "ends_at": "2200-01-01T00:00:00Z", "currency": "EUR"})
	if field(p) != "/ends_at" || !strings.Contains(p["detail"].(string), "2106") {
		t.Errorf("create in 2200: %v", p)
	}
	evID, ttID := setupEvent(c, 10)
	if p := c.must(422, "PATCH", "/api/v1/events/"+evID, map[string]any{"ends_at": "2200-01-01T00:00:00Z"}); field(p) != "/ends_at" {
		t.Errorf("PATCH ends_at to 2200: %v", p)
	}

	base := "/api/v1/public/events/" + evID
	order := func() map[string]any {
		h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
		return pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"],
			"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	}
	past := map[string]any{"starts_at": "2020-01-01T19:00:00Z", "ends_at": "2020-01-01T23:00:00Z"}
	future := map[string]any{"starts_at": "2030-06-01T19:30:00+02:00", "ends_at": "2030-06-01T23:00:00+02:00"}

	late := order()
	paid := order()
	c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+paid["id"].(string)+"/mark-paid", map[string]any{})
	o := pub.must(200, "GET", paid["order_url"].(string), nil)
	tk := o["tickets"].([]any)[0].(map[string]any)
	pdf := o["tickets_pdf_url"].(string)
	pub.must(200, "GET", tk["qr_png_url"].(string), nil)

	c.must(200, "PATCH", "/api/v1/events/"+evID, past)
	p = c.must(409, "POST", "/api/v1/events/"+evID+"/orders/"+late["id"].(string)+"/mark-paid", map[string]any{})
	if !strings.Contains(p["detail"].(string), "could never admit") {
		t.Errorf("mark-paid after the event: %v", p)
	}
	for _, u := range []string{tk["qr_png_url"].(string), tk["qr_svg_url"].(string), pdf} {
		if r := pub.do("GET", u, nil); r.status != 409 || !strings.Contains(string(r.body), "cannot admit") {
			t.Errorf("GET %s of a ticket whose event was moved before it: %d %s", u, r.status, r.body)
		}
	}
	// Moved back, the ticket shows again.
	c.must(200, "PATCH", "/api/v1/events/"+evID, future)
	pub.must(200, "GET", tk["qr_svg_url"].(string), nil)
}
