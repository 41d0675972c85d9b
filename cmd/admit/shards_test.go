package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/ledger"
)

// TestServeLedgerShards: with --ledger-shards 3, new events land in shards
// named by their ids, sell, and show in the read model; after a restart
// with --ledger-shards 1 they keep their shard and still sell, and a
// reindex rebuilds the read model identically.
func TestServeLedgerShards(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir, "--ledger-shards", "3")
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	var evID, ttID string
	for range 30 { // each event picks one of 3 shards: one of them lands beyond shard 0
		evID, ttID = setupEvent(c, 50)
		if ledger.SubjectShard("ledger.event."+evID) > 0 {
			break
		}
	}
	k := ledger.SubjectShard("ledger.event." + evID)
	if k < 1 || k > 2 {
		t.Fatalf("no event in shard 1 or 2 after 30 creations; last %s", evID)
	}
	hold := func(c *client) string {
		h := c.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}})
		return h["id"].(string)
	}
	holdID := hold(pub)
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders",
		map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	list := c.do("GET", "/api/v1/events", nil) // waits for this node's writes in every shard
	if list.status != 200 || !strings.Contains(string(list.body), evID) {
		t.Fatalf("GET /api/v1/events = %d, want the event %s of shard %d listed: %s", list.status, evID, k, list.body)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	b := startAdmit(t, dir, "--ledger-shards", "1")
	c = newClient(t, b.url, c.token)
	pub = newClient(t, b.url, "")
	hold(pub) // the event still loads from its shard, and sells
	ev := c.must(201, "POST", "/api/v1/events", map[string]any{
		"name": "Later", "venue": "Hall", "timezone": "Europe/Vienna",
		"starts_at": "2030-06-01T19:30:00+02:00", "ends_at": "2030-06-01T23:00:00+02:00", "currency": "EUR"})
	if id := ev["id"].(string); ledger.SubjectShard("ledger.event."+id) != 0 {
		t.Errorf("an event created with --ledger-shards 1 got id %s, of shard %d", id, ledger.SubjectShard("ledger.event."+id))
	}
	c.must(200, "GET", "/api/v1/events", nil)
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
	live := dumpReadModel(t, dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"reindex", "--data", dir}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dumpReadModel(t, dir); rebuilt != live {
		t.Fatalf("rebuilt read model differs from the live one:\nlive:\n%s\nrebuilt:\n%s", live, rebuilt)
	}
	if !strings.Contains(live, evID) || !strings.Contains(live, "pending_payment") {
		t.Fatalf("the dump lacks the sharded event's order:\n%s", live)
	}
}

func TestLedgerShardsUsage(t *testing.T) {
	for _, v := range []string{"0", "17", "-1"} {
		err := run(context.Background(), []string{"serve", "--ledger-shards", v, "--data", t.TempDir()}, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--ledger-shards must be between 1 and 16") || exitCode(err) != 2 {
			t.Errorf("--ledger-shards %s: err = %v (exit %d), want a usage error", v, err, exitCode(err))
		}
	}
}
