package main

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/natstest"
)

// admitCLI runs one admit command and returns its stdout.
func admitCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, noEnv, &out, &errOut)
	if err != nil && errOut.Len() > 0 {
		t.Logf("admit %s: stderr: %s", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := admitCLI(t, args...)
	if err != nil {
		t.Fatalf("admit %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// shopPage fetches a page of the shop.
func shopPage(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestFlagsOnARunningServe: admit flags, run while admit serve runs on the
// same data directory, reaches its store and the server applies the
// change at once: an event's holds are paused (API and shop) while
// everything else about the event keeps working, the low-stock count is
// rolled out, and bad names and values are refused with clear messages.
func TestFlagsOnARunningServe(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir, "--exempt-loopback")
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	other, otherTT := setupEvent(c, 10)
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"manual_payment_instructions": "IBAN AT61 1904 3002 3457 3201"})
	holds := "/api/v1/public/events/" + evID + "/holds"
	one := map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}}
	key := randomUUID(t)
	before := pub.must(201, "POST", holds, one, "Idempotency-Key", key)
	kept := pub.must(201, "POST", holds, one)

	// Mistakes, refused before anything is stored.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"flags", "set", "holds.pausd", "true"}, `unknown flag "holds.pausd"; the flags are: holds.paused, shop.card-payments, shop.low-stock-count`},
		{[]string{"flags", "set", "holds.paused", "yes please"}, `flag holds.paused is a bool: want true or false, not "yes please"`},
		{[]string{"flags", "set", "holds.paused", "true", "--event", "concert"}, `--event "concert" is not an event id`},
		{[]string{"flags", "set", "shop.low-stock-count", "true", "--percent", "120"}, `--percent "120": want a number from 0 to 100`},
		{[]string{"flags", "set", "holds.paused"}, "want 2 argument(s), got 1"},
		{[]string{"flags", "unset", "nope"}, `unknown flag "nope"`},
		{[]string{"flags", "pause"}, `unknown subcommand "pause" of admit flags`},
	} {
		_, err := admitCLI(t, append(tc.args, "--data", dir)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admit %s: %v (exit %d), want exit 2 and %q", strings.Join(tc.args, " "), err, exitCode(err), tc.want)
		}
	}

	set := time.Now()
	out := mustCLI(t, "flags", "set", "holds.paused", "true", "--event", evID, "--data", dir)
	if !strings.Contains(out, `holds.paused = {"targets":{"`+evID+`":true}}`) {
		t.Errorf("flags set said: %s", out)
	}
	var r response
	waitUntil(t, "the pause to apply", time.Second, func() bool {
		r = pub.do("POST", holds, one)
		return r.status == 409
	})
	t.Logf("a hold was refused %s after admit flags set started", time.Since(set).Round(time.Millisecond))
	if p := r.json(t); p["code"] != "holds-paused" || !strings.Contains(p["detail"].(string), "paused by its organizer or the operator") {
		t.Errorf("a paused hold: %s", r.body)
	}
	// The retry of a hold made before gets it; the other event sells;
	// holds made before can be read, ordered and released.
	if again := pub.must(201, "POST", holds, one, "Idempotency-Key", key); again["id"] != before["id"] {
		t.Errorf("the retry of a hold made before the pause got %v, want %v", again["id"], before["id"])
	}
	pub.must(201, "POST", "/api/v1/public/events/"+other+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": otherTT, "quantity": 1}}})
	pub.must(200, "GET", holds+"/"+kept["id"].(string), nil)
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": before["id"],
		"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	pub.must(200, "DELETE", holds+"/"+kept["id"].(string), nil)
	pub.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	// The shop says so, and refuses a hold with the same words.
	if status, page := shopPage(t, a.url+"/events/"+evID); status != 200 || !strings.Contains(page, "Ticket sales for this event are paused") {
		t.Errorf("the shop's page of a paused event: %d", status)
	}

	list := mustCLI(t, "flags", "list", "--data", dir)
	for _, want := range []string{`NAME +KIND +DEFAULT +STORED +DESCRIPTION`, `holds.paused +bool +false +\{"targets":\{"` + evID + `":true\}\} +refuse new holds`,
		`shop.card-payments +bool +true +- +the shop offers card`} {
		if !regexp.MustCompile(want).MatchString(list) {
			t.Errorf("flags list has no %q:\n%s", want, list)
		}
	}
	mustCLI(t, "flags", "unset", "holds.paused", "--event", evID, "--data", dir)
	waitUntil(t, "the pause to be lifted", time.Second, func() bool { return pub.do("POST", holds, one).status == 201 })

	// The low-stock count, rolled out to every event: 1 of 10 left.
	pub.must(201, "POST", "/api/v1/public/events/"+other+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": otherTT, "quantity": 6}}})
	pub.must(201, "POST", "/api/v1/public/events/"+other+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": otherTT, "quantity": 2}}})
	if _, page := shopPage(t, a.url+"/events/"+other); !strings.Contains(page, "Few left") {
		t.Fatalf("the shop's page with 1 of 10 left does not say Few left:\n%s", page)
	}
	mustCLI(t, "flags", "set", "shop.low-stock-count", "true", "--percent", "100", "--data", dir)
	waitUntil(t, "the low-stock count to show", time.Second, func() bool {
		_, page := shopPage(t, a.url+"/events/"+other)
		return strings.Contains(page, "Only 1 left")
	})
	mustCLI(t, "flags", "unset", "shop.low-stock-count", "--data", dir)
	if out := mustCLI(t, "flags", "list", "--data", dir); strings.Contains(out, "rollout") {
		t.Errorf("flags unset left the rollout:\n%s", out)
	}

	// With serve stopped, the command opens the store itself; serve then
	// starts with the flag.
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "flags", "set", "holds.paused", "true", "--data", dir)
	b := startAdmit(t, dir, "--exempt-loopback")
	pb := newClient(t, b.url, "")
	if r := pb.do("POST", holds, one); r.status != 409 {
		t.Errorf("after a restart with holds.paused true: %d %s, want 409", r.status, r.body)
	}
}

// TestFlagsOnThreeNodes: three nodes on a three-server NATS cluster, each
// running one event's box office. A flag set with admit flags --nats is
// applied by every node within a second (each refuses its own event's
// holds), and a node forwarding another's event gets the owner's answer.
func TestFlagsOnThreeNodes(t *testing.T) {
	cl := natstest.StartCluster(t, 3)
	nflags := []string{"--nats", cl.URLs(), "--master-key", strings.Repeat("0f", 32), "--exempt-loopback"}
	var nodes []*instance
	token := ""
	for i := range 3 {
		n := startAdmit(t, t.TempDir(), append(nflags, "--node", "node-"+strconv.Itoa(i))...)
		nodes = append(nodes, n)
		token = cmp.Or(token, n.token)
	}
	var clients []*client
	var holds []string
	var bodies []map[string]any
	for _, n := range nodes {
		c := newClient(t, n.url, token)
		clients = append(clients, c)
		evID, ttID := setupEvent(c, 1000) // made through node i: node i runs its box office
		holds = append(holds, "/api/v1/public/events/"+evID+"/holds")
		bodies = append(bodies, map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	}
	for i, c := range clients {
		c.must(201, "POST", holds[i], bodies[i])
	}

	set := time.Now()
	mustCLI(t, "flags", "set", "holds.paused", "true", "--nats", cl.URLs(), "--data", t.TempDir())
	written := time.Since(set)
	seen := make([]time.Duration, 3)
	waitUntil(t, "every node to pause its event", 2*time.Second, func() bool {
		all := true
		for i, c := range clients {
			if seen[i] == 0 {
				if r := c.do("POST", holds[i], bodies[i]); r.status == 409 && r.json(t)["code"] == "holds-paused" {
					seen[i] = time.Since(set)
				}
			}
			all = all && seen[i] != 0
		}
		return all
	})
	t.Logf("holds.paused written in %s; applied by node 0 after %s, node 1 after %s, node 2 after %s (from the command's start)",
		written.Round(time.Millisecond), seen[0].Round(time.Millisecond), seen[1].Round(time.Millisecond), seen[2].Round(time.Millisecond))
	for i, d := range seen {
		if d-written > time.Second {
			t.Errorf("node %d applied the flag %s after it was written, want under 1 s", i, d-written)
		}
	}
	// Through a node that does not run the event: the owner's answer.
	r := clients[1].do("POST", holds[0], bodies[0])
	if r.status != 409 || r.json(t)["code"] != "holds-paused" {
		t.Errorf("a hold of node 0's event through node 1: %d %s, want 409 holds-paused", r.status, r.body)
	}

	mustCLI(t, "flags", "unset", "holds.paused", "--nats", cl.URLs(), "--data", t.TempDir())
	waitUntil(t, "every node to sell again", 2*time.Second, func() bool {
		for i, c := range clients {
			if c.do("POST", holds[(i+1)%3], bodies[(i+1)%3]).status != 201 {
				return false
			}
		}
		return true
	})
}

// TestFlagCardPayments: with Stripe configured, the shop's checkout offers
// card; with shop.card-payments off for the event, it offers none, as
// without Stripe.
func TestFlagCardPayments(t *testing.T) {
	dir := t.TempDir()
	// Stripe is never called here: no card order is placed.
	a := startAdmit(t, dir, "--stripe-secret-key", "sk_test_admit", "--stripe-webhook-secret", "whsec_admit",
		"--stripe-publishable-key", "pk_test_admit", "--stripe-api-base", "http://127.0.0.1:9")
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"payment_providers": []string{"stripe", "manual"},
		"manual_payment_instructions": "IBAN AT61 1904 3002 3457 3201"})
	h := newClient(t, a.url, "").must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	checkout := a.url + "/events/" + evID + "/checkout/" + h["id"].(string)
	radio := regexp.MustCompile(`<input type="radio" id="provider-stripe"[^>]*>`)
	offered := func() bool {
		status, page := shopPage(t, checkout)
		in := radio.FindString(page)
		if status != 200 || in == "" {
			t.Fatalf("checkout: %d, card choice %q", status, in)
		}
		return !strings.Contains(in, " disabled")
	}
	if !offered() {
		t.Fatal("card is not offered with Stripe configured")
	}
	mustCLI(t, "flags", "set", "shop.card-payments", "false", "--event", evID, "--data", dir)
	waitUntil(t, "card to be withdrawn", time.Second, func() bool { return !offered() })
	if _, page := shopPage(t, checkout); !strings.Contains(page, "Card payments are not available right now.") {
		t.Error("the checkout does not say why card is not offered")
	}
	mustCLI(t, "flags", "unset", "shop.card-payments", "--data", dir)
	waitUntil(t, "card to be offered again", time.Second, offered)
}
