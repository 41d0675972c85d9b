package main

import (
	"strings"
	"testing"
	"time"
)

// TestRestartLoadsTheBusyEventBeforeReady: after a restart, /readyz
// answers 503 unavailable, with Retry-After, until the box office of the
// event busy before it is loaded; the quieter event is not loaded with
// --warm-events 1, and the busy event's first hold after ready finds its
// office loaded.
func TestRestartLoadsTheBusyEventBeforeReady(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--exempt-loopback", "--office-idle-timeout", "0", "--log-level", "debug", "--warm-events", "1"}
	a := startAdmit(t, dir, flags...)
	c := newClient(t, a.url, a.token)
	quiet, _ := setupEvent(c, 10)
	busy, ttID := setupEvent(c, 1000)
	pub := newClient(t, a.url, "")
	for range 200 {
		pub.must(201, "POST", "/api/v1/public/events/"+busy+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	b := startAdmit(t, dir, flags...)
	pub = newClient(t, b.url, "")
	loaded := `"msg":"box office loaded","event":"` + busy + `"`
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The log line comes before readiness: read it first.
		wasLoaded := strings.Contains(b.logs.String(), loaded)
		r := pub.do("GET", "/readyz", nil)
		if r.status == 200 {
			if !wasLoaded && !strings.Contains(b.logs.String(), loaded) {
				t.Fatal("ready before the busy event's box office was loaded")
			}
			break
		}
		if r.status != 503 || r.json(t)["code"] != "unavailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("readyz while loading: %d %v %s", r.status, r.header, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 20 s: %s", r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if strings.Contains(b.logs.String(), `"event":"`+quiet+`"`) {
		t.Fatal("--warm-events 1 loaded the quieter event too")
	}
	pub.must(201, "POST", "/api/v1/public/events/"+busy+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
}
