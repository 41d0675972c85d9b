package shop_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
)

// testKeyboardPurchase buys tickets with the keyboard alone — Tab,
// Shift+Tab, arrow keys and typing in the quantity lists, Space and
// Enter; no clicks, no values set by script — and checks at every press of
// Tab that the focus can be seen. First free guest-list tickets, paid at
// once, to the page with their QR codes; then seated tickets with a name
// each, paid by bank transfer, to the instructions — through the error
// summaries of both forms, whose links take the focus to the field.
func testKeyboardPurchase(t *testing.T, b *tab) {
	r := b.r

	// Free tickets.
	b.open("/events/"+r.ev, 200)
	b.shot("event")
	b.press(kb.Tab)
	if f := b.focused(); f.Text != "Skip to main content" {
		t.Fatalf("the first Tab reaches %s, want the skip link", f)
	}
	b.shot("event-skip-link")
	b.press(kb.Enter)
	if got := eval[string](b, `document.activeElement.id`); got != "main" {
		t.Fatalf("the skip link moved the focus to #%s, want #main", got)
	}
	b.tabTo("qty-"+r.guest, false)
	b.press(kb.ArrowDown)
	b.press(kb.ArrowDown)
	if got := eval[string](b, `document.activeElement.value`); got != "2" {
		t.Fatalf("two presses of ↓ in the guest-list quantity chose %q, want 2", got)
	}
	b.shot("event-chosen")
	if *docsPNG {
		png, err := browser.PNG(b.ctx, browser.Desktop, browser.Desktop)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "shop.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("docs/shop.png: %d bytes", len(png))
	}
	b.tabToText("Continue")
	b.loads(browser.Keys(kb.Enter))
	if !strings.Contains(b.path(), "/checkout/") {
		t.Fatalf("Continue led to %s, want the checkout", b.path())
	}
	b.shot("checkout-free")
	b.tabTo("name", false)
	b.press("Ada Lovelace")
	b.tabTo("email", false)
	b.press("ada@example.com")
	b.tabToText("Get my free tickets")
	if f := b.tabTo("email", true); f.Text != "ada@example.com" {
		t.Fatalf("Shift+Tab from the button reaches %s, want the e-mail field as typed", f)
	}
	b.tabToText("Get my free tickets")
	b.shot("checkout-free-filled")
	b.loads(browser.Keys(kb.Enter))
	b.wantText("h1", "Your tickets")
	b.wantText(".order-facts", "Paid")
	b.wantQRCodes(2)
	b.tabToText("Download all tickets (PDF)")
	b.shot("order-paid")

	// Paid tickets, with a name on each, through the error summaries.
	b.open("/events/"+r.ev, 200)
	b.tabToText("Continue")
	b.loads(browser.Keys(kb.Enter))
	b.wantSummaryFocused()
	b.shot("event-errors")
	if f := b.tabToText("Standing: Choose how many tickets you want."); !strings.HasPrefix(f.Element, "a") {
		t.Fatalf("Tab from the error summary reaches %s, want its link", f)
	}
	b.press(kb.Enter)
	if f := b.focused(); f.ID != "qty-"+r.standing {
		t.Fatalf("the error's link moved the focus to %s, want the standing quantity", f)
	}
	b.wantInView(`label[for="qty-` + r.standing + `"]`)
	b.tabTo("qty-"+r.seated, false)
	b.press("2")
	if got := eval[string](b, `document.activeElement.value`); got != "2" {
		t.Fatalf("typing 2 in the seated quantity chose %q, want 2", got)
	}
	b.tabToText("Continue")
	b.loads(browser.Keys(kb.Enter))
	b.shot("checkout-paid")
	b.tabToText("Place order")
	b.loads(browser.Keys(kb.Enter))
	b.wantSummaryFocused()
	b.shot("checkout-errors")
	for _, field := range []string{"name", "email", "attendee-1", "attendee-2"} {
		if got := eval[string](b, `document.getElementById("`+field+`").getAttribute("aria-describedby") || ""`); !strings.Contains(got, field+"-error") {
			t.Errorf("#%s is described by %q, want its error %s-error", field, got, field)
		}
	}
	b.tabToText("Enter your name.")
	b.press(kb.Enter)
	if f := b.focused(); f.ID != "name" {
		t.Fatalf("the error's link moved the focus to %s, want the name field", f)
	}
	b.wantInView(`label[for="name"]`)
	b.press("Grace Hopper")
	b.tabTo("email", false)
	b.press("grace@example.com")
	b.tabTo("attendee-1", false)
	b.press("Grace Hopper")
	b.tabTo("attendee-2", false)
	b.press("Alan Turing")
	if f := b.tabTo("provider-manual", false); f.Text != "manual" {
		t.Fatalf("Tab reaches %s, want the bank transfer option", f)
	}
	b.press(" ")
	if !eval[bool](b, `document.getElementById("provider-manual").checked`) {
		t.Fatal("Space did not choose bank transfer")
	}
	b.tabToText("Place order")
	b.shot("checkout-paid-filled")
	b.loads(browser.Keys(kb.Enter))
	b.wantText("h1", "Your order")
	b.wantText("#pay-title", "How to pay")
	b.wantText(".pay", "IBAN AT61 1904 3002 3457 3201")
	b.wantText(".order-facts", "Waiting for payment")
	b.tabTo("order-link", false)
	b.shot("order-pending")
}

// wantSummaryFocused fails unless the error summary has the focus, with
// a visible indicator.
func (b *tab) wantSummaryFocused() {
	b.t.Helper()
	f, err := browser.Focused(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	if f.ID != "error-summary" || (f.OutlineWidth < 2 && f.BoxShadow == "none") {
		b.t.Fatalf("the focus is on %s, want it on the error summary, visibly", f)
	}
}

// wantInView fails unless the element is within the window.
func (b *tab) wantInView(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	if !eval[bool](b, `(r => r.top >= -1 && r.bottom <= innerHeight + 1)(document.querySelector(`+string(q)+`).getBoundingClientRect())`) {
		b.fatalf("%s is out of sight: %s", sel, eval[string](b, `JSON.stringify([document.querySelector(`+string(q)+`).getBoundingClientRect(), scrollY, innerHeight, location.hash])`))
	}
}

// wantQRCodes fails unless the page shows n tickets' QR codes, loaded.
func (b *tab) wantQRCodes(n int) {
	b.t.Helper()
	loaded := eval[[]bool](b, `[...document.querySelectorAll(".ticket img")].map(i => i.complete && i.naturalWidth > 0)`)
	if len(loaded) != n {
		b.t.Fatalf("%d QR codes, want %d", len(loaded), n)
	}
	for i, ok := range loaded {
		if !ok {
			b.t.Errorf("QR code %d did not load", i+1)
		}
	}
}
