package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
)

func TestHostileAndMalformedInput(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	pub := newClient(t, a.url, "")
	holds := "/api/v1/public/events/" + evID + "/holds"
	item := func(tt string, n any) map[string]any {
		return map[string]any{"items": []any{map[string]any{"ticket_type_id": tt, "quantity": n}}}
	}
	tooMany := make([]any, 21)
	for i := range tooMany {
		tooMany[i] = map[string]any{"ticket_type_id": ttID, "quantity": 1}
	}
	for _, tc := range []struct {
		name         string
		cl           *client
		method, path string
		body         any
		headers      []string
		status       int
		code         string
	}{
		{"not JSON", pub, "POST", holds, "{items:", nil, 400, "malformed-request"},
		{"unknown field", pub, "POST", holds, map[string]any{"items": []any{}, "admin": true}, nil, 400, "malformed-request"},
		{"wrong type", pub, "POST", holds, item(ttID, "3"), nil, 400, "malformed-request"},
		{"two objects", pub, "POST", holds, `{"items":[]} {}`, nil, 400, "malformed-request"},
		{"array body", pub, "POST", holds, `[1,2]`, nil, 400, "malformed-request"},
		{"empty body", pub, "POST", holds, ``, nil, 400, "malformed-request"},
		{"too large", pub, "POST", holds, `{"items":[` + strings.Repeat(`{"ticket_type_id":"x","quantity":1},`, 3000) + `]}`, nil, 413, "body-too-large"},
		{"not JSON content type", pub, "POST", holds, "x", []string{"Content-Type", "text/plain"}, 415, "unsupported-media-type"},
		{"no items", pub, "POST", holds, map[string]any{}, nil, 422, "validation"},
		{"empty items", pub, "POST", holds, map[string]any{"items": []any{}}, nil, 422, "validation"},
		{"too many items", pub, "POST", holds, map[string]any{"items": tooMany}, nil, 422, "validation"},
		{"zero quantity", pub, "POST", holds, item(ttID, 0), nil, 422, "validation"},
		{"negative quantity", pub, "POST", holds, item(ttID, -5), nil, 422, "validation"},
		{"huge quantity", pub, "POST", holds, item(ttID, 1e15), nil, 422, "validation"},
		{"quantity overflows", pub, "POST", holds, `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1e300}]}`, nil, 400, "malformed-request"},
		{"fractional quantity", pub, "POST", holds, `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1.5}]}`, nil, 400, "malformed-request"},
		{"over max per hold", pub, "POST", holds, item(ttID, 7), nil, 422, "validation"},
		{"bad ticket type id", pub, "POST", holds, item("tt_../../etc", 1), nil, 422, "validation"},
		{"unknown ticket type", pub, "POST", holds, item("tt_aaaaaaaaaaaaaaaaaaaa", 1), nil, 422, "validation"},
		{"duplicate ticket type", pub, "POST", holds, map[string]any{"items": []any{
			map[string]any{"ticket_type_id": ttID, "quantity": 1}, map[string]any{"ticket_type_id": ttID, "quantity": 1}}}, nil, 422, "validation"},
		{"bad event id", pub, "POST", "/api/v1/public/events/ev_x.>/holds", item(ttID, 1), nil, 404, "not-found"},
		{"unknown event", pub, "POST", "/api/v1/public/events/ev_aaaaaaaaaaaaaaaaaaaa/holds", item(ttID, 1), nil, 404, "not-found"},
		{"bad hold id", pub, "GET", holds + "/ho_short", nil, nil, 404, "not-found"},
		{"unknown hold", pub, "GET", holds + "/ho_aaaaaaaaaaaaaaaaaaaaaaaaaa", nil, nil, 404, "not-found"},
		{"method not allowed", pub, "PUT", holds, item(ttID, 1), nil, 405, "method-not-allowed"},
		{"unknown path", pub, "GET", "/api/v1/nothing", nil, nil, 404, "not-found"},
		{"no token", pub, "GET", "/api/v1/events", nil, nil, 401, "unauthorized"},
		{"bad token", newClient(t, a.url, "admit_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "GET", "/api/v1/events", nil, nil, 401, "unauthorized"},
		{"garbage token", newClient(t, a.url, "x y z"), "GET", "/api/v1/events", nil, nil, 401, "unauthorized"},
		{"idempotency key too long", pub, "POST", holds, item(ttID, 1), []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "idempotency-key-invalid"},
		{"event missing fields", c, "POST", "/api/v1/events", map[string]any{"name": ""}, nil, 422, "validation"},
		{"event bad time zone", c, "POST", "/api/v1/events", map[string]any{"name": "X", "timezone": "Mars/Olympus",
			"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z", "currency": "EUR"}, nil, 422, "validation"},
		{"event ends before start", c, "POST", "/api/v1/events", map[string]any{"name": "X", "timezone": "UTC",
			"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T09:00:00Z", "currency": "EUR"}, nil, 422, "validation"},
		{"event bad currency", c, "POST", "/api/v1/events", map[string]any{"name": "X", "timezone": "UTC",
			"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z", "currency": "XYZ"}, nil, 422, "validation"},
		{"event bad time", c, "POST", "/api/v1/events", map[string]any{"name": "X", "timezone": "UTC",
			"starts_at": "tomorrow", "ends_at": "2030-01-01T12:00:00Z", "currency": "EUR"}, nil, 400, "malformed-request"},
		{"price in other currency", c, "POST", "/api/v1/events/" + evID + "/ticket-types",
			map[string]any{"name": "VIP", "price": map[string]any{"amount": 100, "currency": "USD"}}, nil, 422, "validation"},
		{"negative price", c, "POST", "/api/v1/events/" + evID + "/ticket-types",
			map[string]any{"name": "VIP", "price": map[string]any{"amount": -1, "currency": "EUR"}}, nil, 422, "validation"},
		{"empty patch", c, "PATCH", "/api/v1/events/" + evID, map[string]any{}, nil, 422, "validation"},
		{"patch currency", c, "PATCH", "/api/v1/events/" + evID, map[string]any{"currency": "USD"}, nil, 422, "validation"},
		{"bad status", c, "POST", "/api/v1/events/" + evID + "/status", map[string]any{"status": "sold"}, nil, 422, "validation"},
		{"bad transition", c, "POST", "/api/v1/events/" + evID + "/status", map[string]any{"status": "draft"}, nil, 409, "conflict"},
		{"negative capacity", c, "POST", "/api/v1/events/" + evID + "/quotas", map[string]any{"name": "Q", "capacity": -1,
			"ticket_type_ids": []string{ttID}}, nil, 422, "validation"},
		{"bad limit", c, "GET", "/api/v1/events?limit=0", nil, nil, 400, "malformed-request"},
		{"bad status filter", c, "GET", "/api/v1/events?status=sold", nil, nil, 400, "malformed-request"},
		{"bad cursor", c, "GET", "/api/v1/events?cursor=not-a-cursor", nil, nil, 400, "malformed-request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cl.t = t
			r := tc.cl.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			p := r.json(t)
			if p["code"] != tc.code || p["status"].(float64) != float64(tc.status) || p["type"] == "" || p["title"] == "" {
				t.Fatalf("problem %v, want code %q", p, tc.code)
			}
			if tc.code == "validation" && p["errors"] == nil {
				t.Fatalf("a validation problem must list the fields: %v", p)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	pub := newClient(t, a.url, "")
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}}

	// On public routes every anonymous caller of an event shares one key
	// namespace, so a key must be one nobody else can guess: the README's
	// old examples, hand-typed keys and non-random UUIDs are refused, and
	// hold nothing.
	for _, key := range []string{"k-1", "buyer-1-try-1", "order-1", "aaaaaaaaaaaaaaaaaaaaa", "uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8",
		"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "0190a9c2-7e1f-7000-8000-000000000000"} {
		r := pub.do("POST", holds, body, "Idempotency-Key", key)
		if r.status != 400 || r.json(t)["code"] != "idempotency-key-invalid" || !strings.Contains(r.json(t)["detail"].(string), "UUID") {
			t.Fatalf("public hold with the guessable key %q: %d %s, want 400 idempotency-key-invalid saying what to send", key, r.status, r.body)
		}
	}
	key := randomKey(t)
	first := pub.do("POST", holds, body, "Idempotency-Key", key)
	again := pub.do("POST", holds, body, "Idempotency-Key", key)
	if first.status != 201 || again.status != 201 {
		t.Fatalf("statuses %d, %d; want 201 twice", first.status, again.status)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("Idempotent-Replayed: first %q, again %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
	}
	if first.json(t)["id"] != again.json(t)["id"] {
		t.Fatalf("a replay must return the same hold: %s vs %s", first.body, again.body)
	}
	other := map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}}
	// Someone who learns the key gets only the answer to its holder's exact
	// request: any other body, or the same body on another event, is not a
	// replay of it.
	if r := pub.do("POST", holds, other, "Idempotency-Key", key); r.status != 422 || r.json(t)["code"] != "idempotency-key-reused" {
		t.Fatalf("same key, other body: %d %s", r.status, r.body)
	}
	ev2ID, tt2ID := setupEvent(c, 10)
	body2 := map[string]any{"items": []any{map[string]any{"ticket_type_id": tt2ID, "quantity": 2}}}
	if r := pub.do("POST", "/api/v1/public/events/"+ev2ID+"/holds", body2, "Idempotency-Key", key); r.status != 201 ||
		r.header.Get("Idempotent-Replayed") != "" || r.json(t)["id"] == first.json(t)["id"] {
		t.Fatalf("the same key on another event is a new request: %d %s (replayed %q)", r.status, r.body, r.header.Get("Idempotent-Replayed"))
	}
	for _, k := range []string{strings.ToUpper(randomUUID(t)), randomUUID(t), strings.Repeat("Ab9-_", 5) + "xy"} {
		if r := pub.do("POST", "/api/v1/public/events/"+ev2ID+"/holds", body2, "Idempotency-Key", k); r.status != 201 {
			t.Fatalf("public hold with the random key %q: %d %s", k, r.status, r.body)
		}
	}
	av := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	if got := av["ticket_types"].([]any)[0].(map[string]any)["available"].(float64); got != 8 {
		t.Fatalf("the replay must not hold again: available %v, want 8", got)
	}

	// The same key from an organizer is another scope, where any key goes;
	// and creating an event twice with one key gives one event.
	ev1 := c.must(201, "POST", "/api/v1/events", map[string]any{"name": "Once", "timezone": "UTC",
		"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z", "currency": "EUR"}, "Idempotency-Key", "k-1")
	ev2 := c.must(201, "POST", "/api/v1/events", map[string]any{"name": "Once", "timezone": "UTC",
		"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z", "currency": "EUR"}, "Idempotency-Key", "k-1")
	if ev1["id"] != ev2["id"] {
		t.Fatalf("two events for one Idempotency-Key: %v %v", ev1["id"], ev2["id"])
	}

	// Concurrent duplicates: every answer is either the hold or 409 in flight,
	// and exactly one hold is taken.
	var wg sync.WaitGroup
	raceKey := randomKey(t)
	ids := make(chan string, 20)
	for range 20 {
		wg.Go(func() {
			r := pub.do("POST", holds, body, "Idempotency-Key", raceKey)
			switch {
			case r.status == 201:
				ids <- r.json(t)["id"].(string)
			case r.status == 409 && r.json(t)["code"] == "idempotency-in-flight":
			default:
				t.Errorf("concurrent duplicate: %d %s", r.status, r.body)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("concurrent duplicates made %d holds, want 1", len(seen))
	}

	// Once sold out, a retry of an earlier success still gets its hold back.
	pub.must(201, "POST", holds, map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 6}}})
	if r := pub.do("POST", holds, body); r.status != 409 || r.json(t)["code"] != "sold-out" {
		t.Fatalf("a new hold on a sold-out event: %d %s", r.status, r.body)
	}
	late := pub.do("POST", holds, body, "Idempotency-Key", key)
	if late.status != 201 || late.json(t)["id"] != first.json(t)["id"] {
		t.Fatalf("a retry after the sell-out must replay the first hold: %d %s", late.status, late.body)
	}
}

// randomKey is an Idempotency-Key as a buyer's client should make one: 16
// random bytes, base64url.
func randomKey(t *testing.T) string {
	t.Helper()
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// randomUUID is a version-4 UUID, as uuidgen prints one.
func randomUUID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
