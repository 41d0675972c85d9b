package shop_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/id"
)

// tour takes the tab through every page and state of the shop that a
// buyer can meet, and calls check on each once it has loaded.
func (b *tab) tour(check func(step string)) {
	b.t.Helper()
	r := b.r
	event := "/events/" + r.ev
	primary := `main form[novalidate] button[type=submit]` // Continue, Place order, Get my free tickets

	b.open("/", 200)
	check("home")
	b.open("/events/"+id.New("ev", id.Short), 404)
	check("event-not-found")
	b.open("/events/"+r.ev+"/no/such/page", 404)
	check("page-not-found")
	b.open(event+"/orders/ot_"+strings.Repeat("x", 32), 404)
	check("order-not-found")

	b.open(event, 200)
	check("event")
	b.click(primary) // nothing chosen
	check("event-errors")

	b.choose(r.standing, 1)
	b.choose(r.seated, 2)
	b.click(primary)
	check("checkout")
	b.click(`.more-time button`)
	b.wantText(".notice", "You have more time")
	check("checkout-more-time")
	b.click(primary) // nothing filled in
	check("checkout-errors")
	b.fill("name", "Grace Hopper", "email", "grace@example.com", "attendee-2", "Grace Hopper", "attendee-3", "Alan Turing")
	b.click(primary)
	b.wantText("#pay-title", "How to pay")
	check("order-pending")

	b.open(event, 200)
	b.choose(r.standing, 1)
	b.click(primary)
	b.click(`.secondary-form button`)
	b.wantText(".notice", "released")
	check("event-released")

	b.open(event, 200)
	b.choose(r.guest, 2)
	b.click(primary)
	check("checkout-free")
	b.fill("name", "Ada Lovelace", "email", "ada@example.com")
	b.click(primary)
	b.wantQRCodes(2)
	check("order-paid")

	b.open(event, 200)
	b.choose(r.standing, 2)
	b.click(primary)
	checkout := b.path()
	r.expire(b.holdID())
	b.open(checkout, 200)
	b.wantText("h1", "Your hold has ended")
	check("expired")

	b.open(event, 200)
	b.choose(r.guest, 2)
	b.click(primary)
	checkout = b.path()
	r.expire(b.holdID())
	r.sellOut(r.guest)
	b.open(checkout, 200)
	b.wantText("main", "sold meanwhile")
	check("expired-sold-out")

	b.open(event, 200)
	b.wantText("#qty-"+r.guest+"-state", "Sold out")
	b.choose(r.seated, 2)
	r.sellOut(r.seated)
	b.click(primary)
	b.wantText("#error-summary", "Sold out while you were choosing")
	check("event-sold-out-while-choosing")
}

// axeTags are the axe rules the pages must pass: WCAG 2.0, 2.1 and 2.2
// at levels A and AA, and axe's best practices, which check the landmarks
// and the order of the headings.
var axeTags = slices.Concat(browser.WCAG22AA, []string{"best-practice"})

// testAxe runs axe-core on every page and state of the shop and fails on
// any violation of its rules (axeTags).
func testAxe(t *testing.T, b *tab) {
	pages := 0
	b.tour(func(step string) {
		b.shot(step)
		vs, err := browser.Check(b.ctx, b.axe, axeTags...)
		if err != nil {
			t.Fatalf("%s: axe: %v", step, err)
		}
		for _, v := range vs {
			t.Errorf("%s (%s): axe: %s", step, b.path(), v)
		}
		pages++
	})
	if !t.Failed() {
		t.Logf("axe-core %s: no violations of %s on %d pages", browser.AxeVersion, strings.Join(axeTags, ", "), pages)
	}
}

// testAccessibilityTree checks on every page that each control in the
// accessibility tree — what a screen reader announces — has a name, and
// that links which read the same lead to the same place (WCAG 2.4.4). It
// saves the controls, their names and descriptions next to the
// screenshots.
func testAccessibilityTree(t *testing.T, b *tab) {
	b.tour(func(step string) {
		if ambiguous := eval[[]string](b, `(() => {
			const seen = new Map(), out = [];
			for (const a of document.querySelectorAll("a[href]")) {
				const text = a.innerText.trim(), href = a.getAttribute("href");
				if (seen.has(text) && seen.get(text) !== href) out.push(text + ": " + seen.get(text) + " and " + href);
				seen.set(text, href);
			}
			return out;
		})()`); len(ambiguous) > 0 {
			t.Errorf("%s (%s): links read the same and lead to different places: %s", step, b.path(), strings.Join(ambiguous, "; "))
		}
		b.shot(step)
		controls, err := browser.Controls(b.ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(controls) == 0 {
			t.Errorf("%s: the accessibility tree has no controls at all, not even the skip link", step)
		}
		var list strings.Builder
		for _, c := range controls {
			fmt.Fprintf(&list, "%s %q", c.Role, c.Name)
			if c.Description != "" {
				fmt.Fprintf(&list, ", described as %q", c.Description)
			}
			list.WriteString("\n")
			if c.Name == "" {
				t.Errorf("%s (%s): a %s has no accessible name: %s", step, b.path(), c.Role, c.HTML)
			}
			// An error is read out as written, without the sign that shows it.
			if step == "checkout-errors" && c.Name == "Full name" && c.Description != "Error: Enter your name." {
				t.Errorf("%s: the name field is described as %q, want %q", step, c.Description, "Error: Enter your name.")
			}
		}
		if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s-controls.txt", b.steps, step)), []byte(list.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// testReflow checks every page at 320 CSS pixels wide (WCAG 1.4.10; also
// what a 1280-pixel window shows at 400% zoom), in a 1280-pixel window
// zoomed to 200%, and at 320 pixels with a reader's text spacing (WCAG
// 1.4.12): nothing scrolls sideways and nothing is cut off. Besides the
// usual screenshots it saves them at 320 and at 200%, and with the text
// spacing.
func testReflow(t *testing.T, b *tab) {
	b.tour(func(step string) {
		b.shot(step)
		name := fmt.Sprintf("%02d-%s", b.steps, step)
		b.wantReflow(step, browser.Narrow)
		b.wantReflow(step, browser.Zoom200)
		if err := browser.Shots(b.ctx, b.dir, name, browser.Desktop, browser.Narrow, browser.Zoom200); err != nil {
			t.Fatal(err)
		}
		b.do(browser.TextSpacing())
		b.wantReflow(step+" with text spacing", browser.Narrow)
		if err := browser.Shots(b.ctx, b.dir, name+"-text-spacing", browser.Desktop, browser.Narrow); err != nil {
			t.Fatal(err)
		}
	})
}

// wantReflow checks the page at the viewport; it leaves the viewport so.
func (b *tab) wantReflow(step string, v browser.Viewport) {
	b.t.Helper()
	b.do(v.Apply())
	got, err := browser.CheckReflow(b.ctx)
	if err != nil {
		b.t.Fatalf("%s at %s: %v", step, v.Name, err)
	}
	if !got.OK() {
		b.t.Errorf("%s (%s) at %s: the page is %d pixels wide in a viewport of %d; cut off: %s", step, b.path(),
			v.Name, got.ScrollWidth, got.ClientWidth, strings.Join(got.CutOff, "; "))
	}
}
