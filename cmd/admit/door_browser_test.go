package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
)

// TestDoorScannerEndToEnd: the door scanner in Chromium against the real
// server: set up from a device's setup link, a ticket typed in by a
// keyboard-wedge scanner is let in and its scan reaches the ledger; then,
// offline, the scanner lets in a ticket that another door admitted
// meanwhile, and once back online the server's conflict is shown on the
// page and listed for the organizer.
func TestDoorScannerEndToEnd(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--exempt-loopback")
	c := newClient(t, a.url, a.token)
	evID, _, secrets := doorEvent(t, c, 2)
	var tk []string
	for id := range secrets {
		tk = append(tk, id)
	}
	d := c.must(201, "POST", "/api/v1/events/"+evID+"/door-devices", map[string]any{"name": "North gate"})
	northID := d["id"].(string)
	_, southToken := newDevice(t, c, evID, "South gate")
	south := newClient(t, a.url, southToken)

	ctx := browser.Tab(t, browser.Start(t))
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what, js string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond),
			chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
	}
	decisions := 0
	wedge := func(secret string) string {
		t.Helper()
		run(browser.Keys(secret + kb.Enter))
		decisions++
		wait("the scan's decision", fmt.Sprintf(`doorStats.decisions >= %d`, decisions))
		result, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.result`))
		if err != nil {
			t.Fatal(err)
		}
		return result
	}
	offline := func(off bool) {
		t.Helper()
		var conditions []*network.Conditions
		if off {
			conditions = []*network.Conditions{{Offline: true}}
		}
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: conditions, EmulateOfflineServiceWorker: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			t.Fatal(err)
		}
		wait("navigator.onLine", map[bool]string{true: `!navigator.onLine`, false: `navigator.onLine`}[off])
	}

	run(chromedp.Navigate(d["setup_url"].(string)))
	wait("the scanner with its ticket list", `window.doorStats && doorStats.screen === "scanner" && doorStats.bundles > 0`)
	if got := wedge(secrets[tk[0]]); got != "ok" {
		t.Fatalf("the first ticket: %q, want ok", got)
	}
	scans := func(id string) []any {
		return c.must(200, "GET", "/api/v1/events/"+evID+"/tickets/"+id+"/scans", nil)["scans"].([]any)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(scans(tk[0])) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scanner's scan did not reach the server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := scans(tk[0])[0].(map[string]any); s["device_id"] != northID || s["result"] != "ok" || s["conflict"] != false {
		t.Fatalf("the scan recorded: %v", s)
	}

	// Offline, the scanner does not know that the south gate let the second
	// ticket in: both doors admitted it.
	offline(true)
	south.must(200, "POST", "/api/v1/events/"+evID+"/check-in-lists/default/scans",
		map[string]any{"secret": secrets[tk[1]], "nonce": "south-1"})
	if got := wedge(secrets[tk[1]]); got != "ok" {
		t.Fatalf("offline, the second ticket: %q, want ok", got)
	}
	offline(false)
	wait("the conflict on the page", `document.getElementById("conflicts-title").textContent === "Conflicts (1)"`)
	conflicts := c.must(200, "GET", "/api/v1/events/"+evID+"/check-in-conflicts", nil)["conflicts"].([]any)
	if len(conflicts) != 1 {
		t.Fatalf("conflicts %v", conflicts)
	}
	if s := conflicts[0].(map[string]any)["scan"].(map[string]any); s["device_id"] != northID || s["offline"] != true {
		t.Fatalf("the conflict %v", s)
	}
}
