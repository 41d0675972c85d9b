package door_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
)

// TestBrowser starts one browser and runs the scanner's tests in it, each
// in its own tab against its own stub, in parallel.
func TestBrowser(t *testing.T) {
	ctx := browser.Start(t)
	axe := browser.Axe(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *tab)
	}{
		{"Setup", testSetup},
		{"SetupErrors", testSetupErrors},
		{"Wedge", testWedge},
		{"TicketJS", testTicketJS},
		{"Results", testResults},
		{"ServerSays", testServerSays},
		{"DecisionTime", testDecisionTime},
		{"Offline", testOffline},
		{"Retry", testRetry},
		{"Keyboard", testKeyboard},
		{"NotFound", testNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, openTab(t, ctx, axe, fast))
		})
	}
}

// testSetup opens the setup link: the scanner keeps the event and token,
// takes the fragment out of the address bar, fetches the bundle, and
// keeps its setup over a reload; "forget this device" removes it.
func testSetup(t *testing.T, b *tab) {
	b.setUp()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != b.s.url+"/door/" {
		t.Errorf("the address is %s after setup, want %s/door/ (the token must leave the address bar)", loc, b.s.url)
	}
	if h := eval[int](b, `history.length`); strings.Contains(eval[string](b, `location.href`), "token") {
		t.Errorf("history (%d) still has the token", h)
	}
	if got := b.text("#event-name"); got != "Open Air Night" {
		t.Errorf("the heading is %q", got)
	}
	if got := b.text("#event-meta"); !strings.Contains(got, "North gate") || !strings.Contains(got, "Riverside Park") {
		t.Errorf("the event line is %q", got)
	}
	if got := b.text("#network-status"); got != "Online" {
		t.Errorf("the network status is %q", got)
	}
	b.checkAxe("scanning-idle")

	// A reload keeps the setup.
	b.open("/door/")
	b.ready()
	if got := b.text("#event-name"); got != "Open Air Night" {
		t.Errorf("after a reload the heading is %q", got)
	}

	// Forget the device.
	b.do(chromedp.Click(chromedp.CSS("#device summary")), chromedp.Click(chromedp.ID("forget-button")))
	if got := b.text("#forget-question"); !strings.HasPrefix(got, "Forget this device?") {
		t.Errorf("the question is %q", got)
	}
	b.do(chromedp.Click(chromedp.ID("forget-yes")))
	b.wait("the setup screen", `doorStats.screen === "setup"`)
	if got := eval[string](b, `document.activeElement.id`); got != "setup-title" {
		t.Errorf("the focus is on %q after forgetting, want the setup heading", got)
	}
	b.open("/door/")
	b.wait("the setup screen after a reload", `doorStats.screen === "setup"`)
	b.checkAxe("setup")

	// Set up again by pasting the link into the form.
	b.do(chromedp.SendKeys(chromedp.ID("setup-link"), b.s.setupURL()), chromedp.Click(chromedp.CSS("#setup-form button")))
	b.ready()
}

// testSetupErrors: a broken link gets a clear message, tied to the field.
func testSetupErrors(t *testing.T, b *tab) {
	b.open("/door/")
	b.wait("the setup screen", `doorStats.screen === "setup"`)
	for _, tc := range []struct{ link, want string }{
		{"", "Paste the setup link"},
		{b.s.url + "/door/", "has no setup in it"},
		{b.s.url + "/door/#event=" + b.s.ev + "&token=admitdoor_short", "token is missing or cut short"},
		{b.s.url + "/door/#event=ev_x&token=" + b.s.token, "event id is missing or cut short"},
		{"https://tickets.example.com/door/#event=" + b.s.ev + "&token=" + b.s.token, "for another server"},
	} {
		b.setValue("setup-link", tc.link)
		b.do(chromedp.Click(chromedp.CSS("#setup-form button")))
		b.wait("the error", `!document.getElementById("setup-errors").hidden`)
		if got := b.text("#setup-link-error"); !strings.Contains(got, tc.want) {
			t.Errorf("%q: the error says %q, want %q", tc.link, got, tc.want)
		}
		if got := eval[string](b, `document.activeElement.id`); got != "setup-errors" {
			t.Errorf("%q: the focus is on %q, want the error summary", tc.link, got)
		}
		if got := eval[string](b, `document.getElementById("setup-link").getAttribute("aria-describedby")`); !strings.Contains(got, "setup-link-error") {
			t.Errorf("the field is described by %q, not its error", got)
		}
	}
	b.checkAxe("setup-error")
	// A broken link in the address bar is refused too, and leaves it.
	b.open("/door/#event=" + b.s.ev + "&token=admitdoor_x")
	b.wait("the error", `doorStats.screen === "setup" && !document.getElementById("setup-errors").hidden`)
	if loc := eval[string](b, `location.href`); strings.Contains(loc, "token") {
		t.Errorf("the address still has the token: %s", loc)
	}
	// A link with a token the server does not know: the scanner says so.
	b.open("/door/#event=" + b.s.ev + "&token=admitdoor_" + strings.Repeat("z", 32))
	b.wait("the device problem", `!document.getElementById("device-problem").hidden`)
	if got := b.text("#device-problem"); !strings.Contains(got, "did not accept this device") {
		t.Errorf("the problem says %q", got)
	}
	b.checkAxe("device-problem")
}

// testWedge scans with a keyboard-wedge scanner: it types the secret and
// Enter into whatever has the focus, which is the code field.
func testWedge(t *testing.T, b *tab) {
	tk, secret := b.s.sell(standing, "Ada Lovelace", false)
	b.setUp()
	if got := eval[string](b, `document.activeElement.id`); got != "code" {
		t.Fatalf("the focus is on %q, want the code field", got)
	}
	b.wedge(secret)
	b.wantResult("ok", "Let in", "Ada Lovelace", "Standing")
	if got := eval[string](b, `document.activeElement.id`); got != "code" {
		t.Errorf("after a scan the focus is on %q, want the code field", got)
	}
	if got := eval[string](b, `document.getElementById("code").value`); got != "" {
		t.Errorf("the code field still holds %q", got)
	}
	b.waitGo("the upload", func() bool { return len(b.s.received()) == 1 })
	got := b.s.received()[0]
	if got.Secret != secret || got.Direction != "entry" || got.OfflineResult != "ok" || got.ScannedAt == nil ||
		time.Since(*got.ScannedAt) > time.Minute || got.ListID != "default" {
		t.Errorf("the upload is %+v", got)
	}
	b.wait("the count", `document.getElementById("count-number").textContent === "1"`)
	// The same ticket again: already checked in, here.
	b.wedge(secret)
	b.wantResult("already_checked_in", "Already checked in", "at North gate", "Ada Lovelace")
	b.waitGo("the second upload", func() bool { return len(b.s.received()) == 2 })
	_ = tk

	// After a click on the page, the scanner's typing still lands in the field.
	b.do(chromedp.Click(chromedp.ID("event-name")))
	_, other := b.s.sell(standing, "Grace Hopper", true)
	b.wedge(other)
	b.wantResult("ok", "Let in", "Not in the offline list")
	b.press(kb.Tab)
}
