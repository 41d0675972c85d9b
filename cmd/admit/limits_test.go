package main

import (
	"strings"
	"testing"
	"time"
)

// TestBuyerLimitsKeepSeatsForRealBuyers: one client, or one e-mail address
// from several clients, can no longer tie up a small event with unpaid
// bank-transfer orders under made-up names, while another buyer still buys.
// The clients are told apart by X-Forwarded-For from a trusted proxy.
func TestBuyerLimitsKeepSeatsForRealBuyers(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--trusted-proxies", "127.0.0.1")
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 20)
	ev := c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{
		"max_holds_per_client": 1, "max_unpaid_orders_per_client": 1, "max_unpaid_orders_per_email": 1})
	if ev["max_holds_per_client"] != 1.0 || ev["max_unpaid_orders_per_client"] != 1.0 || ev["max_unpaid_orders_per_email"] != 1.0 {
		t.Fatalf("limits after PATCH: %v %v %v", ev["max_holds_per_client"], ev["max_unpaid_orders_per_client"],
			ev["max_unpaid_orders_per_email"])
	}
	base := "/api/v1/public/events/" + evID
	hold := func(client string, n int) response {
		t.Helper()
		return pub.do("POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": n}}},
			"X-Forwarded-For", client)
	}
	order := func(client, holdID, email string) response {
		t.Helper()
		return pub.do("POST", base+"/orders", map[string]any{"hold_id": holdID, "payment_provider": "manual",
			"buyer": map[string]any{"name": "Anon", "email": email}}, "X-Forwarded-For", client)
	}
	wantStatus := func(what string, r response, status int, code string) map[string]any {
		t.Helper()
		if r.status != status || code != "" && !strings.Contains(string(r.body), `"code":"`+code+`"`) {
			t.Fatalf("%s: %d %s, want %d %s", what, r.status, r.body, status, code)
		}
		return r.json(t)
	}
	const attacker, other, buyer = "203.0.113.7", "198.51.100.23", "192.0.2.50"

	h1 := wantStatus("first hold", hold(attacker, 6), 201, "")
	o1 := wantStatus("first order", order(attacker, h1["id"].(string), "nobody1@example.com"), 201, "")
	payBy, err := time.Parse(time.RFC3339, o1["pay_by"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(payBy); left > 24*time.Hour+time.Minute {
		t.Errorf("a manual order waits %s, want at most the default of 24 hours", left)
	}
	h2 := wantStatus("second hold", hold(attacker, 6), 201, "")
	wantStatus("second order from one client", order(attacker, h2["id"].(string), "nobody2@example.com"), 409,
		"order-limit-reached")
	wantStatus("a hold while one is active", hold(attacker, 6), 409, "hold-limit-reached")
	h3 := wantStatus("hold from another client", hold(other, 6), 201, "")
	wantStatus("order from another client with the first e-mail", order(other, h3["id"].(string), "NoBody1@Example.COM"),
		409, "order-limit-reached")

	// 20 seats: 6 ordered and 12 held by the two clients; a real buyer
	// still buys the rest.
	h4 := wantStatus("a real buyer's hold", hold(buyer, 2), 201, "")
	wantStatus("a real buyer's order", order(buyer, h4["id"].(string), "ada@example.com"), 201, "")
}
