package main

import (
	"strings"
	"testing"
)

// TestStrictJSON: the API reads exactly the JSON the contract describes —
// member names as spelled, each once, UTF-8 only — and text fields hold
// no control, separator or bidirectional override characters.
func TestStrictJSON(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	base := "/api/v1/public/events/" + evID
	hold := pub.must(201, "POST", base+"/holds", `{"items":[{"ticket_type_id":"`+ttID+`","quantity":1}]}`)
	order := pub.must(201, "POST", base+"/orders", `{"hold_id":"`+hold["id"].(string)+`","buyer":{"name":"Ada","email":"ada@example.com"}}`)
	cancel := "/api/v1/events/" + evID + "/orders/" + order["id"].(string) + "/cancel"
	event := func(member, value string) string {
		m := map[string]string{"name": `"Gig"`, "timezone": `"UTC"`, "starts_at": `"2030-01-01T10:00:00Z"`,
			"ends_at": `"2030-01-01T12:00:00Z"`, "currency": `"EUR"`}
		m[member] = value
		var b strings.Builder
		for k, v := range m {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + k + `":` + v)
		}
		return "{" + b.String() + "}"
	}
	holdBody := `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1}]}`
	events, ticketTypes, quotas := "/api/v1/events", "/api/v1/events/"+evID+"/ticket-types", "/api/v1/events/"+evID+"/quotas"
	for _, tc := range []struct {
		name         string
		cl           *client
		method, path string
		body         string
		headers      []string
		status       int
		code, field  string // field: the member the problem must name
	}{
		{"upper-case member", pub, "POST", base + "/holds", strings.Replace(holdBody, "items", "ITEMS", 1), nil, 400, "malformed-request", "/ITEMS"},
		{"capitalised nested member", pub, "POST", base + "/holds", strings.Replace(holdBody, "quantity", "Quantity", 1), nil, 400, "malformed-request", "/items/0/Quantity"},
		{"upper-case event member", c, "POST", events, strings.Replace(event("name", `"Gig"`), `"name"`, `"NAME"`, 1), nil, 400, "malformed-request", "/NAME"},
		{"capitalised buyer member", pub, "POST", base + "/orders", `{"hold_id":"` + hold["id"].(string) + `","buyer":{"name":"Ada","Email":"a@example.com"}}`, nil, 400, "malformed-request", "/buyer/Email"},
		{"duplicate member", pub, "POST", base + "/holds", `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1,"quantity":5}]}`, nil, 400, "malformed-request", "/items/0/quantity"},
		{"duplicate top-level member", c, "POST", events, strings.Replace(event("name", `"Gig"`), `"name":"Gig"`, `"name":"Gig","name":"Other"`, 1), nil, 400, "malformed-request", "/name"},
		{"charset utf-16", pub, "POST", base + "/holds", holdBody, []string{"Content-Type", "application/json; charset=utf-16"}, 415, "unsupported-media-type", ""},
		{"charset latin-1", c, "POST", events, event("name", `"Gig"`), []string{"Content-Type", "application/json; charset=ISO-8859-1"}, 415, "unsupported-media-type", ""},
		{"invalid UTF-8", c, "POST", events, event("name", "\"Gig \xff\xfe\""), nil, 400, "malformed-request", "/name"},
		{"lone surrogate escape", c, "POST", events, event("venue", `"Hall \ud800"`), nil, 400, "malformed-request", "/venue"},
		{"NUL in event name", c, "POST", events, event("name", `"Gig\u0000"`), nil, 422, "validation", "/name"},
		{"ESC in venue", c, "POST", events, event("venue", `"\u001b[31mHall"`), nil, 422, "validation", "/venue"},
		{"line separator in event name", c, "POST", events, event("name", `"Gig\u2028Subject: x"`), nil, 422, "validation", "/name"},
		{"paragraph separator in venue", c, "POST", events, event("venue", `"Hall\u2029"`), nil, 422, "validation", "/venue"},
		{"bidi override in event name", c, "POST", events, event("name", `"Gig \u202egnp.exe"`), nil, 422, "validation", "/name"},
		{"bidi isolate in venue", c, "POST", events, event("venue", `"Hall \u2067x"`), nil, 422, "validation", "/venue"},
		{"line feed in event name", c, "POST", events, event("name", `"Gig\nBcc: x"`), nil, 422, "validation", "/name"},
		{"C1 control in ticket-type name", c, "POST", ticketTypes, `{"name":"VIP\u0085","price":{"amount":100,"currency":"EUR"}}`, nil, 422, "validation", "/name"},
		{"NUL in ticket-type description", c, "POST", ticketTypes, `{"name":"VIP","description":"a\u0000b","price":{"amount":100,"currency":"EUR"}}`, nil, 422, "validation", "/description"},
		{"DEL in quota name", c, "POST", quotas, `{"name":"Q\u007f","capacity":1,"ticket_type_ids":["` + ttID + `"]}`, nil, 422, "validation", "/name"},
		{"ESC in reason", c, "POST", cancel, `{"reason":"\u001b]8;;https://evil.example\u0007"}`, nil, 422, "validation", "/reason"},
		{"line separator in instructions", c, "PATCH", "/api/v1/events/" + evID, `{"manual_payment_instructions":"IBAN\u2028AT61"}`, nil, 422, "validation", "/manual_payment_instructions"},
		{"lowercase t and z", c, "POST", events, event("starts_at", `"2030-01-01t10:00:00z"`), nil, 201, "", ""},
		{"lowercase t with offset", c, "POST", events, event("ends_at", `"2030-01-01t13:00:00+01:00"`), nil, 201, "", ""},
		{"charset utf-8", pub, "POST", base + "/holds", holdBody, []string{"Content-Type", "application/json; charset=UTF-8"}, 201, "", ""},
		{"lines in a description", c, "POST", ticketTypes, `{"name":"VIP","description":"Front rows.\r\n\tDrinks included.","price":{"amount":100,"currency":"EUR"}}`, nil, 201, "", ""},
		{"lines in instructions", c, "PATCH", "/api/v1/events/" + evID, `{"manual_payment_instructions":"IBAN AT61\nReference: your order"}`, nil, 200, "", ""},
		{"right-to-left mark", c, "POST", events, event("name", `"\u05e2\u05e8\u05d1 \u200f2030"`), nil, 201, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cl.t = t
			r := tc.cl.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if tc.code == "" {
				return
			}
			p := r.json(t)
			if p["code"] != tc.code {
				t.Fatalf("code %v, want %s: %v", p["code"], tc.code, p)
			}
			switch {
			case tc.code == "validation":
				errs, _ := p["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["field"] != tc.field {
					t.Fatalf("errors %v, want one naming %s", p["errors"], tc.field)
				}
			case tc.field != "" && !strings.Contains(p["detail"].(string), `"`+tc.field+`"`):
				t.Fatalf("detail %q does not name %s", p["detail"], tc.field)
			}
		})
	}
	ev := c.must(201, "POST", events, event("starts_at", `"2030-01-01t10:00:00z"`))
	if ev["starts_at"] != "2030-01-01T10:00:00Z" {
		t.Errorf("starts_at %v, want 2030-01-01T10:00:00Z", ev["starts_at"])
	}
}
