package main

import (
	"strings"
	"testing"
)

// TestDemoBelongsToThePrintedOrganizer: the token serve --demo prints sees
// the demo event and can mark a bank-transfer order of it paid, so the
// buyer gets to the tickets' QR codes and PDF, the way the banner says.
func TestDemoBelongsToThePrintedOrganizer(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir, "--demo")
	shopURL, ok := lineAfter(a.out.String(), "demo shop: ")
	if !ok || a.token == "" {
		t.Fatalf("serve --demo output:\n%s", a.out.String())
	}
	evID := shopURL[strings.LastIndex(shopURL, "/")+1:]
	c, pub := newClient(t, a.url, a.token), newClient(t, a.url, "")
	if ev := c.must(200, "GET", "/api/v1/events/"+evID, nil); ev["status"] != "on_sale" {
		t.Fatalf("the demo event: %v", ev)
	}
	markPaid := "curl -X POST " + a.url + "/api/v1/events/" + evID + "/orders/od_…/mark-paid -H \"Authorization: Bearer " + a.token + "\""
	if !strings.Contains(a.out.String(), markPaid) {
		t.Fatalf("the banner does not say how to mark a demo order paid (%s):\n%s", markPaid, a.out.String())
	}

	var standing string
	for _, tt := range pub.must(200, "GET", "/api/v1/public/events/"+evID, nil)["ticket_types"].([]any) {
		if tt := tt.(map[string]any); tt["name"] == "Standing" {
			standing = tt["id"].(string)
		}
	}
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": standing, "quantity": 1}}})
	o := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"], "buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	if o["payment_provider"] != "manual" {
		t.Fatalf("demo order: %v", o)
	}
	paid := c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+o["id"].(string)+"/mark-paid", map[string]any{})
	if paid["status"] != "paid" {
		t.Fatalf("marked paid: %v", paid)
	}
	if r := pub.do("GET", o["order_url"].(string)+"/tickets.pdf", nil); r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("the demo order's PDF: %d %s", r.status, r.header.Get("Content-Type"))
	}
	a.stop()

	// Restarted with --demo, it is the same event, still the organizer's only one.
	b := startAdmit(t, dir, "--demo")
	if again, _ := lineAfter(b.out.String(), "demo shop: "); !strings.HasSuffix(again, "/events/"+evID) {
		t.Fatalf("the demo event changed on a restart: %s, was %s", again, evID)
	}
	if items := newClient(t, b.url, a.token).must(200, "GET", "/api/v1/events", nil)["items"].([]any); len(items) != 1 {
		t.Fatalf("after a restart the organizer has %d events, want the one demo", len(items))
	}
}
