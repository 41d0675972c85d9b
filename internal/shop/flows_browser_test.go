package shop_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
)

// testNoJavaScript buys with JavaScript off: plain form posts and
// redirects all the way, the error summary without its script, the hold's
// time as the server wrote it, and giving a hold back.
func testNoJavaScript(t *testing.T, b *tab) {
	r := b.r
	event := "/events/" + r.ev
	primary := `main form[novalidate] button[type=submit]`
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))

	b.open(event, 200)
	b.shot("event")
	b.click(primary)
	b.wantText("#error-summary", "Standing: Choose how many tickets you want.")
	b.shot("event-errors")

	b.choose(r.guest, 2)
	b.click(primary)
	b.wantText("h1", "Checkout")
	if got := b.text("[data-countdown]"); got != "about 10 minutes" {
		t.Errorf("the countdown says %q, want the server's words, about 10 minutes (is the script off?)", got)
	}
	b.wantText(".timer", "We hold these tickets for you until")
	b.shot("checkout-free")
	b.fill("name", "Ada Lovelace", "email", "ada@example.com")
	b.click(primary)
	b.wantText("h1", "Your tickets")
	b.wantQRCodes(2)
	b.shot("order-paid")

	b.open(event, 200)
	b.choose(r.standing, 1)
	b.click(primary)
	b.click(`.secondary-form button`)
	b.wantText(".notice", "Your tickets were released")
	b.shot("event-released")

	b.choose(r.seated, 1)
	b.click(primary)
	b.click(primary)
	b.wantText("#error-summary", "Enter the name of the person this ticket is for.")
	b.shot("checkout-errors")
	b.fill("name", "Grace Hopper", "email", "grace@example.com", "attendee-1", "Grace Hopper")
	b.click(primary)
	b.wantText("#pay-title", "How to pay")
	b.wantText(".order-facts", "Waiting for payment")
	b.shot("order-pending")
}

// testExpiredHold lets holds run out on the box office's clock: a buyer
// who posts the checkout too late, and one who comes back to it, learn
// their hold has ended and can hold the same tickets again while they are
// free; when they are sold meanwhile, the page says so, and holding them
// again from a page that was still hopeful says they sold out.
func testExpiredHold(t *testing.T, b *tab) {
	r := b.r
	event := "/events/" + r.ev
	primary := `main form[novalidate] button[type=submit]`

	b.open(event, 200)
	b.choose(r.standing, 2)
	b.click(primary)
	b.fill("name", "Ada Lovelace", "email", "ada@example.com")
	b.shot("checkout")
	first := b.holdID()
	r.expire(first)
	b.click(primary) // posted after the time was up
	b.wantText("h1", "Your hold has ended")
	b.wantText("main", "these tickets are still available")
	b.wantText(".lines", "Standing 2")
	b.shot("expired-on-post")
	b.click(`main form button[type=submit]`) // Hold them again
	again := b.holdID()
	if again == first {
		t.Fatalf("holding again kept hold %s, want a new one", first)
	}
	b.wantText(".lines", "Standing 2")
	b.shot("held-again")

	checkout := b.path()
	r.expire(again)
	b.open(checkout, 200) // back at the checkout later
	b.wantText("h1", "Your hold has ended")
	b.shot("expired-on-return")

	// Sold meanwhile.
	b.open(event, 200)
	b.choose(r.guest, 2)
	b.click(primary)
	checkout = b.path()
	r.expire(b.holdID())
	b.open(checkout, 200)
	b.wantText("main", "these tickets are still available")
	b.shot("expired-still-free")
	r.sellOut(r.guest)
	b.click(`main form button[type=submit]`) // Hold them again, too late
	b.wantText("#error-summary", "Guest list: Sold out while you were choosing.")
	b.shot("hold-again-sold-out")
	b.open(checkout, 200)
	b.wantText("main", "Some of these tickets have been sold meanwhile.")
	if b.has(`main form`) {
		t.Error("the hold's page offers to hold tickets that are sold out")
	}
	b.shot("expired-sold-out")
	b.click(`main p a[href="` + event + `"]`)
	b.wantText("#qty-"+r.guest+"-state", "Sold out")
	b.shot("event-sold-out")
}

// timeShift lets a test move the page's clock (Date.now, which the
// countdown reads) with window.admitTimeLeft(seconds): the countdown then
// sees that many seconds left. The browser's clock is not the box
// office's fake one, so this is how the countdown's moments are reached.
const timeShift = `(() => {
	const now = Date.now.bind(Date);
	let shift = 0;
	Date.now = () => now() + shift;
	window.admitTimeLeft = seconds => {
		const el = document.querySelector("[data-countdown]");
		shift = Date.parse(el.getAttribute("data-expires-at")) - seconds * 1000 - now();
	};
})()`

// testLiveRegion checks that the hold's remaining time is announced in
// the polite live region at its moments (5, 2 and 1 minutes, 30 seconds,
// and the end) and not at every tick of the visible countdown.
func testLiveRegion(t *testing.T, b *tab) {
	r := b.r
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: timeShift})
		return err
	}))
	b.open("/events/"+r.ev, 200)
	b.choose(r.standing, 1)
	b.click(`main form[novalidate] button[type=submit]`)
	if got := eval[string](b, `(e => e.getAttribute("aria-live") + " " + e.getAttribute("aria-atomic"))(document.getElementById("timer-announcer"))`); got != "polite true" {
		t.Fatalf("#timer-announcer is aria-live, aria-atomic %q, want polite true", got)
	}
	b.waitCountdown(func(s string) bool { return strings.HasPrefix(s, "9:") || s == "10:00" })
	if got := b.announced(); got != "" {
		t.Errorf("with 10 minutes left the live region says %q, want nothing yet", got)
	}
	b.shot("checkout")

	const more = " If you need longer, choose “I need more time”."
	moments := func(ms ...moment) {
		t.Helper()
		for _, m := range ms {
			b.do(chromedp.Evaluate[chromedp.Void]("admitTimeLeft(" + strconv.Itoa(m.left) + ")"))
			b.waitCountdown(func(s string) bool { return strings.HasPrefix(s, m.countdown) })
			if got := b.announced(); got != m.says {
				t.Errorf("%d seconds left: the live region says %q, want %q", m.left, got, m.says)
			}
		}
	}
	moments(
		moment{298, "4:5", "Your tickets are held for 5 minutes more." + more},
		moment{200, "3:1", "Your tickets are held for 5 minutes more." + more}, // no moment: nothing new to say
		moment{119, "1:5", "Your tickets are held for 2 minutes more." + more},
	)
	b.shot("two-minutes-left")

	// More time, asked for with the keyboard, 8 minutes into the hold.
	r.clk.Advance(8 * time.Minute)
	b.tabToText("I need more time")
	b.loads(browser.Keys(kb.Enter))
	b.wantText(".notice", "You have more time: your tickets are held until")
	if got := b.announced(); got != "" {
		t.Errorf("with more time the live region says %q, want nothing yet", got)
	}
	b.shot("more-time")
	moments(
		moment{59, "0:5", "Your tickets are held for 1 minute more." + more},
		moment{29, "0:2", "Your tickets are held for 30 seconds more." + more},
		moment{1, "0:00", "Your hold has ended. Reload the page to see your options."},
	)
	b.shot("ended")
}

// moment is a time left in the hold, what the countdown then shows, and
// what the live region says.
type moment struct {
	left            int
	countdown, says string
}

// waitCountdown waits until the visible countdown's text satisfies ok.
func (b *tab) waitCountdown(ok func(string) bool) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := eval[string](b, `document.querySelector("[data-countdown]").textContent`)
		if ok(s) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the countdown still says %q after 5 s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// announced returns what the live region says now.
func (b *tab) announced() string {
	b.t.Helper()
	return eval[string](b, `document.getElementById("timer-announcer").textContent`)
}
