package door_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
)

// testKeyboard works the scanner with the keyboard alone: every control
// is reached with Tab, shows its focus and has a name; manual entry with
// the "Check ticket" button; the device's details and the confirmation to
// forget it pass axe; the page reflows at 320 pixels; and with reduced
// motion the result does not move.
func testKeyboard(t *testing.T, b *tab) {
	_, secret := b.s.sell(standing, "Ada Lovelace", false)
	b.setUp()

	// Manual entry: the code typed or pasted, then the button.
	b.do(chromedp.Click(chromedp.ID("notice-dismiss")))
	if got := eval[string](b, `document.activeElement.id`); got != "code" {
		t.Errorf("after dismissing the notice the focus is on %q, want the code field", got)
	}
	b.setValue("code", secret)
	b.do(chromedp.Click(chromedp.CSS("#scan-form button")))
	b.wait("the decision", `doorStats.decisions === 1`)
	b.wantResult("ok", "Let in", "Ada Lovelace")
	b.do(chromedp.Click(chromedp.CSS("#scan-form button")))
	b.wantResult("", "No code", "type its code")

	// Tab through the page from its start: each stop shows its focus.
	b.do(chromedp.Focus(chromedp.CSS(".skip-link")))
	seen := map[string]bool{}
	for range 30 {
		b.press(kb.Tab)
		f, err := browser.Focused(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Element == "body" {
			break
		}
		if !f.Shown() {
			b.shot("focus-not-visible")
			t.Errorf("the focus is not visible: %s", f)
		}
		seen[f.ID] = true
	}
	for _, id := range []string{"camera-button", "code", "list", "direction-entry", "sound"} {
		if !seen[id] {
			t.Errorf("Tab did not reach #%s (it reached %v)", id, seen)
		}
	}
	controls, err := browser.Controls(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range controls {
		if c.Name == "" {
			t.Errorf("a %s without a name: %s", c.Role, c.HTML)
		}
	}

	// The device's details, and forgetting it, by keyboard.
	b.do(chromedp.Focus(chromedp.CSS("#device summary")))
	b.press(kb.Enter)
	b.wait("the details", `document.getElementById("device").open`)
	b.do(chromedp.Focus(chromedp.ID("forget-button")))
	b.press(kb.Enter)
	b.wait("the question", `!document.getElementById("forget-confirm").hidden`)
	if got := eval[string](b, `document.activeElement.id`); got != "forget-no" {
		t.Errorf("the focus is on %q after asking, want Keep it", got)
	}
	b.checkAxe("forget")
	b.press(kb.Enter) // Keep it
	b.wait("the question gone", `document.getElementById("forget-confirm").hidden`)
	if got := eval[string](b, `document.activeElement.id`); got != "forget-button" {
		t.Errorf("the focus is on %q after keeping, want the button", got)
	}

	// Reflow at 320 pixels, and at 200 % zoom.
	for _, v := range []browser.Viewport{browser.Narrow, browser.Zoom200} {
		b.do(v.Apply())
		r, err := browser.CheckReflow(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() {
			b.shot("reflow-" + v.Name)
			t.Errorf("at %s: the page is %d pixels wide in %d; cut off: %s", v.Name, r.ScrollWidth, r.ClientWidth, strings.Join(r.CutOff, "; "))
		}
	}
	b.do(browser.Desktop.Apply())

	// Reduced motion: the result panel's highlight does not animate.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatal(err)
	}
	b.paste(secret)
	if got := eval[string](b, `getComputedStyle(document.getElementById("result")).animationName`); got != "none" {
		t.Errorf("with reduced motion the result animates: %q", got)
	}
}

// testNotFound: the shared "page not found" passes axe too.
func testNotFound(t *testing.T, b *tab) {
	b.open("/door/nothing-here")
	b.wait("the page", `document.querySelector("h1") && document.querySelector("h1").textContent === "Page not found"`)
	b.checkAxe("not-found")
}
