package main

import (
	"fmt"
	"testing"
)

// TestEventLimitPerOrganizer: an organizer gets --max-events-per-organizer
// events, the next is refused with event-limit-reached, a retry of a
// creation that worked is still answered, and the count survives a restart.
func TestEventLimitPerOrganizer(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir, "--max-events-per-organizer", "3")
	c := newClient(t, a.url, a.token)
	event := func(i int) map[string]any {
		return map[string]any{"name": fmt.Sprint("Event ", i), "timezone": "UTC",
			"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z", "currency": "EUR"}
	}
	const key = "4d8c3b0e-5a7f-4e21-9c6b-1f2e3d4c5b6a"
	c.must(201, "POST", "/api/v1/events", event(1))
	c.must(201, "POST", "/api/v1/events", event(2))
	third := c.must(201, "POST", "/api/v1/events", event(3), "Idempotency-Key", key)
	refused := func(c *client) {
		t.Helper()
		r := c.do("POST", "/api/v1/events", event(4))
		if r.status != 409 || r.json(t)["code"] != "event-limit-reached" {
			t.Fatalf("an event over the limit: %d %s; want 409 event-limit-reached", r.status, r.body)
		}
	}
	refused(c)
	again := c.must(201, "POST", "/api/v1/events", event(3), "Idempotency-Key", key)
	if again["id"] != third["id"] {
		t.Fatalf("a retry at the limit created %v, want the event it created first, %v", again["id"], third["id"])
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	b := startAdmit(t, dir, "--max-events-per-organizer", "3")
	refused(newClient(t, b.url, a.token))
}
