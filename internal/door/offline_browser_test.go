package door_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// offline takes the tab's network away (or gives it back), as DevTools
// does: every request fails, and the browser says it is offline, which
// fires the page's "offline" and "online" events. Chromium forgets the
// emulation for a moment when the page loads again, so the stub drops
// the API's connections as well: a reload does not reach it either.
func (b *tab) offline(off bool) {
	b.t.Helper()
	b.s.setCut(off)
	b.failRequests(off)
	if _, err := chromedp.Call(b.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: off, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		b.t.Fatal(err)
	}
	b.wait("navigator.onLine", map[bool]string{true: `!navigator.onLine`, false: `navigator.onLine`}[off])
}

// failRequests makes every request of the tab fail, or work again,
// without the browser saying it is offline: a network that is there but
// does not reach the server.
func (b *tab) failRequests(fail bool) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatal(err)
	}
	var conditions []*network.Conditions
	if fail {
		conditions = []*network.Conditions{{Offline: true}}
	}
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: conditions, EmulateOfflineServiceWorker: &fail,
	}); err != nil {
		b.t.Fatal(err)
	}
}

// testOffline scans with no network: the scanner decides at once from
// its bundle, keeps the scans over a reload (the service worker serves
// the page), and uploads them as offline scans when the network is back.
// The server finds one ticket let in at another door meanwhile: a
// conflict, which the scanner shows.
func testOffline(t *testing.T, b *tab) {
	ada, adaSecret := b.s.sell(standing, "Ada Lovelace", false)
	_, bobSecret := b.s.sell(standing, "Bob Brown", false)
	b.setUp()
	b.wait("the service worker", `navigator.serviceWorker.controller !== null`)

	b.offline(true)
	b.wait("the offline status", `document.getElementById("network-status").textContent.startsWith("Offline")`)
	b.checkAxe("offline")
	// Meanwhile, another door lets Ada in.
	b.s.admitElsewhere("default", ada, "South gate", time.Now().Add(-time.Minute))

	b.wedge(adaSecret)
	b.wantResult("ok", "Let in", "Ada Lovelace")
	b.paste(bobSecret)
	b.wantResult("ok", "Let in", "Bob Brown")
	b.wait("the queue", `document.getElementById("queue-status").textContent === "Waiting to upload: 2 scans."`)
	scannedBy := time.Now()

	// The page opens offline, from the service worker, with its scans.
	b.do(chromedp.Reload())
	b.ready()
	if got := b.text("#network-status"); !strings.HasPrefix(got, "Offline") {
		t.Errorf("after an offline reload the status is %q", got)
	}
	b.wait("the queue after a reload", `document.getElementById("queue-status").textContent === "Waiting to upload: 2 scans."`)
	if got := b.text(".door-count"); got != "2 inside now on Everyone" {
		t.Errorf("offline, the count says %q", got)
	}
	if got := b.text("#recent-list"); !strings.Contains(got, "Let in: Bob Brown, Standing (waiting to upload)") {
		t.Errorf("the recent scans say %q", got)
	}
	if n := len(b.s.received()); n != 0 {
		t.Fatalf("%d scans arrived while offline: %+v; fetches %d", n, b.s.received(), b.s.bundleFetches())
	}

	// Online again: both go up, as offline scans.
	b.offline(false)
	b.waitGo("the uploads", func() bool { return len(b.s.received()) >= 2 })
	for _, got := range b.s.received() {
		if got.OfflineResult != "ok" || got.ScannedAt == nil || got.ScannedAt.After(scannedBy) || time.Since(*got.ScannedAt) > time.Minute {
			t.Errorf("the upload %+v is not the offline scan", got)
		}
	}
	b.wait("the conflict", `!document.getElementById("server-notice").hidden`)
	if got := b.text("#server-notice"); !strings.Contains(got, "Conflict: Ada Lovelace, Standing was let in here while offline, but it was already inside (let in at") ||
		!strings.Contains(got, "at South gate)") {
		t.Errorf("the conflict notice says %q", got)
	}
	b.wait("the queue", `document.getElementById("queue-status").textContent === "Waiting to upload: none."`)
	if got := b.text("#conflicts"); !strings.Contains(got, "Conflicts (1)") || !strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, "South gate") {
		t.Errorf("the conflicts say %q", got)
	}
	b.checkAxe("conflicts")
	// Ada is inside once: the bundle says so (the other door's), and the
	// conflicting admission here is not counted again.
	b.wait("the count", `document.getElementById("count-number").textContent === "2"`)
	if len(b.s.received()) != 2 {
		t.Errorf("%d uploads, want 2", len(b.s.received()))
	}
}

// testRetry: while requests fail, or the server answers 503, a scan waits
// and is sent again with the same nonce, until the server takes it.
func testRetry(t *testing.T, b *tab) {
	_, first := b.s.sell(standing, "Grace Hopper", false)
	_, secret := b.s.sell(standing, "Ada Lovelace", false)
	b.setUp()

	// A network that does not reach the server, though the browser
	// thinks it is online.
	b.failRequests(true)
	b.paste(first)
	b.wantResult("ok", "Let in", "Grace Hopper")
	b.wait("the offline status", `document.getElementById("network-status").textContent.startsWith("Offline")`)
	b.wait("the queue", `document.getElementById("queue-status").textContent === "Waiting to upload: 1 scan."`)
	b.failRequests(false)
	b.waitGo("the retried upload", func() bool { return len(b.s.received()) == 1 })
	b.wait("the online status", `document.getElementById("network-status").textContent === "Online"`)

	b.s.setDown(true)
	b.paste(secret)
	b.wantResult("ok", "Let in")
	tried := len(b.s.attempted())
	b.waitGo("three tries", func() bool { return len(b.s.attempted()) >= tried+3 })
	if got := b.text("#queue-status"); got != "Waiting to upload: 1 scan." {
		t.Errorf("the queue says %q", got)
	}
	b.s.setDown(false)
	b.waitGo("the upload", func() bool { return len(b.s.received()) == 2 })
	b.wait("the queue", `document.getElementById("queue-status").textContent === "Waiting to upload: none."`)
	nonce := b.s.received()[1].Nonce
	for _, n := range b.s.attempted()[tried:] {
		if n != nonce {
			t.Errorf("the tries had nonces %v, want one", b.s.attempted())
			break
		}
	}
}
