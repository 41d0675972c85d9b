package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// doorEvent creates an event on sale with a free ticket type of capacity
// n and sells all n tickets in orders of at most 100, each ticket naming
// an attendee. It returns the event, the ticket type and every ticket's
// secret by ticket id.
func doorEvent(t *testing.T, c *client, n int) (evID, ttID string, secrets map[string]string) {
	t.Helper()
	ev := c.must(201, "POST", "/api/v1/events", map[string]any{
		"name": "Door night", "venue": "Stadthalle", "timezone": "Europe/Vienna", "max_tickets_per_hold": 100,
		"starts_at": "2030-06-01T19:30:00+02:00", "ends_at": "2030-06-01T23:00:00+02:00", "currency": "EUR"})
	evID = ev["id"].(string)
	tt := c.must(201, "POST", "/api/v1/events/"+evID+"/ticket-types", map[string]any{
		"name": "Standing", "price": map[string]any{"amount": 0, "currency": "EUR"}, "max_per_hold": 100, "attendee_names": true})
	ttID = tt["id"].(string)
	c.must(201, "POST", "/api/v1/events/"+evID+"/quotas", map[string]any{
		"name": "Hall", "capacity": n, "ticket_type_ids": []string{ttID}})
	c.must(200, "POST", "/api/v1/events/"+evID+"/status", map[string]any{"status": "on_sale"})
	pub := newClient(t, c.base, "")
	secrets = map[string]string{}
	for sold := 0; sold < n; {
		q := min(100, n-sold)
		h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": q}}})
		names := make([]string, q)
		for i := range names {
			names[i] = "Ada Lovelace"
		}
		o := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": h["id"],
			"buyer": map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}, "attendees": names})
		order := pub.must(200, "GET", strings.TrimPrefix(o["order_url"].(string), c.base), nil)
		for _, tk := range order["tickets"].([]any) {
			tk := tk.(map[string]any)
			secret, _ := tk["secret"].(string)
			if !strings.HasPrefix(secret, "AT1:") {
				t.Fatalf("ticket %v has no secret", tk)
			}
			secrets[tk["id"].(string)] = secret
		}
		sold += q
	}
	if len(secrets) != n {
		t.Fatalf("%d tickets, want %d", len(secrets), n)
	}
	return evID, ttID, secrets
}

// newDevice makes a door device and returns its token.
func newDevice(t *testing.T, c *client, evID, name string) (id, token string) {
	t.Helper()
	d := c.must(201, "POST", "/api/v1/events/"+evID+"/door-devices", map[string]any{"name": name})
	token = d["token"].(string)
	if !strings.HasSuffix(d["setup_url"].(string), "/door/#event="+evID+"&token="+token) ||
		!strings.HasPrefix(d["setup_qr_svg"].(string), "<svg") {
		t.Fatalf("device %v", d)
	}
	return d["id"].(string), token
}

// doorTickets is how many tickets TestDoorScansOnce sells and scans:
// 2,000 in the default run, where the race detector slows every scan;
// -door.tickets 10000 for the full door of docs/bench.md.
var doorTickets = flag.Int("door.tickets", 2_000, "tickets TestDoorScansOnce sells and scans")

// TestDoorScansOnce: 100 door clients on 10 devices scan 2,000 tickets
// (-door.tickets), each presented three times at random doors and some
// scans retried:
// every ticket is admitted exactly once, a retry gets its first answer,
// and the answers are the contract's (every exchange of one client in 20
// is validated against api/openapi.yaml; validating costs far more CPU
// than a scan). `admit bench door` runs the same at any size.
func TestDoorScansOnce(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--exempt-loopback")
	c := newClient(t, a.url, a.token)
	const clients, devices, presented = 100, 10, 3
	tickets := *doorTickets
	evID, _, secrets := doorEvent(t, c, tickets)
	var tokens []string
	for i := range devices {
		_, tok := newDevice(t, c, evID, fmt.Sprintf("Gate %d", i+1))
		tokens = append(tokens, tok)
	}
	ids := make([]string, 0, tickets)
	for id := range secrets {
		ids = append(ids, id)
	}
	// Every ticket presented three times, in a random order, dealt to the
	// clients.
	var queue []string
	for range presented {
		queue = append(queue, ids...)
	}
	rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients // a connection per door, kept open
	httpc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	validated := &http.Client{Transport: spec.v.Transport(t, tr), Timeout: 30 * time.Second}
	url := a.url + "/api/v1/events/" + evID + "/check-in-lists/default/scans"
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for k := range clients {
		wg.Go(func() {
			token, httpc := tokens[k%devices], httpc
			if k%20 == 0 {
				httpc = validated
			}
			for i := k; i < len(queue); i += clients {
				id := queue[i]
				nonce := fmt.Sprintf("c%d-%d", k, i)
				body := map[string]any{"secret": secrets[id], "nonce": nonce}
				ans, err := doorPost(httpc, url, token, body)
				if err != nil {
					errs <- err
					return
				}
				if tk, _ := ans["ticket"].(map[string]any); tk == nil || tk["id"] != id {
					errs <- fmt.Errorf("scan of %s answered %v", id, ans)
					return
				}
				switch ans["result"] {
				case "ok":
					mu.Lock()
					admitted[id]++
					mu.Unlock()
				case "already_checked_in":
					if ans["previous"] == nil {
						errs <- fmt.Errorf("already checked in, but no previous: %v", ans)
						return
					}
				default:
					errs <- fmt.Errorf("scan of %s: %v", id, ans)
					return
				}
				if i%7 == 0 { // the answer was lost: the door retries
					again, err := doorPost(httpc, url, token, body)
					if err != nil {
						errs <- err
						return
					}
					if again["replayed"] != true || again["result"] != ans["result"] {
						errs <- fmt.Errorf("retry of %s answered %v, first %v", nonce, again, ans)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	for _, id := range ids {
		if admitted[id] != 1 {
			t.Fatalf("ticket %s admitted %d times", id, admitted[id])
		}
	}
	t.Logf("%d scans by %d clients in %v (%.0f scans/s)", len(queue), clients, elapsed, float64(len(queue))/elapsed.Seconds())
	lists := c.must(200, "GET", "/api/v1/events/"+evID+"/check-in-lists", nil)
	counts := lists["lists"].([]any)[0].(map[string]any)["counts"].(map[string]any)
	if counts["in"] != float64(tickets) || counts["admitted"] != float64(tickets) || counts["expected"] != float64(tickets) {
		t.Fatalf("counts %v", counts)
	}
}

// doorPost posts a scan with a door token and decodes the answer, which
// must be 200.
func doorPost(httpc *http.Client, url, token string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}

// TestDoor: the door's other paths through the API, each answer validated
// against the contract: refusals, lists with rules, exits, offline
// uploads and their conflicts, annulments, the bundle, a ticket's scans,
// and revoked and foreign credentials.
func TestDoor(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir, "--exempt-loopback")
	c := newClient(t, a.url, a.token)
	evID, ttID, secrets := doorEvent(t, c, 4)
	otherEv, _, otherSecrets := doorEvent(t, c, 1)
	var tk []string
	for id := range secrets {
		tk = append(tk, id)
	}
	devID, token := newDevice(t, c, evID, "North gate")
	_, token2 := newDevice(t, c, evID, "South gate")
	north, south := newClient(t, a.url, token), newClient(t, a.url, token2)
	base := "/api/v1/events/" + evID
	scan := func(d *client, list, nonce, secret string, extra ...any) map[string]any {
		t.Helper()
		body := map[string]any{"secret": secret, "nonce": nonce}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i].(string)] = extra[i+1]
		}
		return d.must(200, "POST", base+"/check-in-lists/"+list+"/scans", body)
	}
	want := func(ans map[string]any, result string) {
		t.Helper()
		if ans["result"] != result {
			t.Fatalf("result %v, want %s: %v", ans["result"], result, ans)
		}
	}

	// Online: ok, then the other door is told when and where.
	ok := scan(north, "default", "n1", secrets[tk[0]])
	want(ok, "ok")
	if tkt := ok["ticket"].(map[string]any); tkt["attendee"] != "Ada Lovelace" || tkt["ticket_type_name"] != "Standing" {
		t.Fatalf("ticket %v", tkt)
	}
	again := scan(south, "default", "n1", secrets[tk[0]]) // the same nonce, another device: a new scan
	want(again, "already_checked_in")
	if p := again["previous"].(map[string]any); p["device_name"] != "North gate" || p["device_id"] != devID {
		t.Fatalf("previous %v", p)
	}
	// What is not a ticket of this event.
	want(scan(north, "default", "n2", "https://example.com/not-a-ticket"), "invalid_signature")
	forged := []byte(secrets[tk[1]])
	forged[40] = map[byte]byte{'A': 'B'}[forged[40]] | 'A'
	want(scan(north, "default", "n3", string(forged)), "invalid_signature")
	want(scan(north, "default", "n4", otherSecrets[firstKey(otherSecrets)]), "wrong_event")
	want(scan(north, "default", "n5", secrets[tk[1]], "direction", "exit"), "exit_not_allowed")

	// A list with re-entry: in, out, in again; out twice is not_checked_in.
	l := c.must(201, "POST", base+"/check-in-lists", map[string]any{"name": "Balcony", "ticket_type_ids": []string{ttID},
		"re_entry": true})
	lid := l["id"].(string)
	want(scan(north, lid, "r1", secrets[tk[1]]), "ok")
	want(scan(north, lid, "r2", secrets[tk[1]], "direction", "exit"), "ok")
	want(scan(north, lid, "r3", secrets[tk[1]], "direction", "exit"), "not_checked_in")
	want(scan(south, lid, "r4", secrets[tk[1]]), "ok")
	// A window in the past: expired.
	closed := c.must(201, "POST", base+"/check-in-lists", map[string]any{"name": "Soundcheck",
		"from": "2020-01-01T10:00:00Z", "until": "2020-01-01T12:00:00Z"})
	want(scan(north, closed["id"].(string), "w1", secrets[tk[2]]), "expired")

	// Offline: both doors let tk[2] in without the network; the later
	// upload is a conflict, shown to the organizer, counted once.
	now := time.Now().UTC()
	up := scan(south, "default", "o1", secrets[tk[2]], "scanned_at", now.Add(time.Second).Format(time.RFC3339),
		"offline_result", "ok")
	if up["result"] != "ok" || up["conflict"] != false || up["offline"] != true {
		t.Fatalf("first upload %v", up)
	}
	up = scan(north, "default", "o2", secrets[tk[2]], "scanned_at", now.Add(2*time.Second).Format(time.RFC3339),
		"offline_result", "ok")
	if up["result"] != "ok" || up["conflict"] != true {
		t.Fatalf("second upload %v", up)
	}
	conflicts := c.must(200, "GET", base+"/check-in-conflicts", nil)["conflicts"].([]any)
	if len(conflicts) != 1 || conflicts[0].(map[string]any)["scan"].(map[string]any)["nonce"] != "o2" {
		t.Fatalf("conflicts %v", conflicts)
	}
	// The device annuls its mistaken admission of tk[0]: it may enter again.
	north.must(200, "POST", base+"/check-in-lists/default/annulments", map[string]any{"nonce": "n1"})
	north.must(404, "POST", base+"/check-in-lists/default/annulments", map[string]any{"nonce": "nope"})
	want(scan(south, "default", "n6", secrets[tk[0]]), "ok")
	scans := c.must(200, "GET", base+"/tickets/"+tk[0]+"/scans", nil)
	if got := len(scans["scans"].([]any)); got != 3 || scans["scans"].([]any)[0].(map[string]any)["annulled"] != true {
		t.Fatalf("scans of %s: %v", tk[0], scans)
	}

	// The bundle: keys, lists, tickets, and who is inside.
	b := north.must(200, "GET", base+"/door-bundle", nil)
	if len(b["keys"].([]any)) != 1 || len(b["tickets"].([]any)) != 4 || len(b["lists"].([]any)) != 3 ||
		b["device"].(map[string]any)["id"] != devID {
		t.Fatalf("bundle %v", b)
	}
	if in := b["inside"].(map[string]any)["default"].([]any); len(in) != 2 {
		t.Fatalf("inside the default list: %v", in)
	}
	// A device is for its event only; a revoked one scans no more.
	north.must(401, "GET", "/api/v1/events/"+otherEv+"/door-bundle", nil)
	north.must(401, "POST", "/api/v1/events/"+otherEv+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "x"})
	north.must(401, "GET", base+"/check-in-lists", nil) // not an organizer route: its token is no API token
	c.must(200, "POST", base+"/door-devices/"+devID+"/revoke", map[string]any{})
	north.must(401, "POST", base+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "x"})
	if ds := c.must(200, "GET", base+"/door-devices", nil)["devices"].([]any); ds[0].(map[string]any)["revoked_at"] == nil {
		t.Fatalf("devices %v", ds)
	}
	// Bad input: each a clear problem.
	c.must(422, "POST", base+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "no spaces"})
	c.must(422, "POST", base+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "x", "scanned_at": now})
	c.must(422, "POST", base+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "x",
		"scanned_at": now.Add(time.Hour), "offline_result": "ok"})
	c.must(400, "POST", base+"/check-in-lists/default/scans", map[string]any{"secret": "x", "nonce": "x", "device": "me"})
	c.must(404, "POST", base+"/check-in-lists/cl_aaaaaaaaaaaaaaaaaaaa/scans", map[string]any{"secret": "x", "nonce": "x"})
	c.must(400, "POST", base+"/door-devices", map[string]any{"name": "Twice"}, "Idempotency-Key", "k1")
	newClient(t, a.url, "admitdoor_short").must(401, "GET", base+"/door-bundle", nil)

	// The organizer's token scans too, and takes its scan back; the ledger
	// says who scanned each time.
	scan(c, "default", "t1", secrets[tk[3]])
	c.must(200, "POST", base+"/check-in-lists/default/annulments", map[string]any{"nonce": "t1"})
	a.stop()
	wantActors(t, everyEntryNamesItsActor(t, dir), map[string][]string{
		"admit.checkin.device_added.v1":   {"token"},
		"admit.checkin.device_revoked.v1": {"token"},
		"admit.checkin.scanned.v1":        {"device", "token"},
		"admit.checkin.annulled.v1":       {"device", "token"},
	})
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}
