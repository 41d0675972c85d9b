package main

// The console in a real browser: Debian's Chromium, headless, driven with
// chromedp (internal/browser), against a real admit serve. The test takes
// screenshots of every state at 1280 and 375 pixels into a temporary
// directory that is removed afterwards; to look at them, name an absolute
// directory in ADMIT_SCREENSHOTS and find them in DIR/TestConsoleInBrowser/:
//
//	ADMIT_SCREENSHOTS=/tmp/shots go test ./cmd/admit -run TestConsoleInBrowser -v
//
// With -docs-png it also saves the pictures of the events list, an
// event's dashboard, an order and the team page that docs/ keeps, at both
// widths:
//
//	go test ./cmd/admit -run TestConsoleInBrowser -docs-png

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/mail/mailpittest"
)

var consoleDocsPNG = flag.Bool("docs-png", false,
	"save the console's events list, dashboard and team page, as TestConsoleInBrowser leaves them, to docs/console-*.png")

// consoleAxeTags are the axe rules every console page must pass, the
// shop's: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best
// practices, which check the landmarks and the order of the headings.
var consoleAxeTags = slices.Concat(browser.WCAG22AA, []string{"best-practice"})

// TestConsoleInBrowser: with the keyboard alone (Tab, Shift+Tab, Enter,
// arrow keys and typing; no clicks, no values set or forms sent by
// script), the first owner joins from the link admit serve prints, through
// the form's error summary; sends the new event's form empty; opens an
// event's dashboard with a sale (made through the API) and its figures as
// a table; invites a member on the team page, through its error summary,
// and signs out. In a browser context of their own the member joins, signs
// out and signs in on the sign-in page. A forgotten password is asked for,
// and the link from its e-mail (through Mailpit) opened and its form sent
// with a mistake. Every press of Tab must show where the focus is, and
// every page and state of the console (sign-in, invitation, events, new
// event, dashboard, team, password reset asked, sent, its link, with
// errors and not working, 403 and 404, empty and with errors) must pass axe-core (consoleAxeTags) at 1280 and 375 pixels,
// not scroll sideways at 375, and break no rule of its
// Content-Security-Policy (a blocked style attribute draws nothing).
func TestConsoleInBrowser(t *testing.T) {
	mp := mailpittest.Start(t) // the password reset's link comes by e-mail, as to a member
	a := startAdmit(t, t.TempDir(), "--smtp", fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", mp.SMTPHost, mp.SMTPPort))
	link := firstOwnerLink(t, a)
	browserCtx := browser.Start(t)
	axe := browser.Axe(t)
	dir := consoleScreenshotDir(t)
	const password = "correct horse battery"

	// The first owner joins, through the form's errors.
	ada := openConsoleTab(t, browserCtx, a.url, axe, filepath.Join(dir, "ada"))
	ada.open(strings.TrimPrefix(link, a.url), 200)
	ada.wantText("h1", "Join My organization")
	ada.check("invitation")
	ada.press(kb.Tab)
	if f := ada.focused(); f.Text != "Skip to main content" {
		t.Fatalf("the first Tab reaches %s, want the skip link", f)
	}
	ada.press(kb.Enter)
	if got := evalIn[string](ada, `document.activeElement.id`); got != "main" {
		t.Fatalf("the skip link moved the focus to #%s, want #main", got)
	}
	ada.tabToText("Join the team", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantDescribedByErrors("name", "email", "password")
	ada.check("invitation-errors")
	if f := ada.tabToText("Enter your name, up to 200 characters.", false); !strings.HasPrefix(f.Element, "a") {
		t.Fatalf("Tab from the error summary reaches %s, want its link", f)
	}
	ada.press(kb.Enter)
	if f := ada.focused(); f.ID != "name" {
		t.Fatalf("the error's link moved the focus to %s, want the name field", f)
	}
	ada.wantInView(`label[for="name"]`)
	ada.press("Ada Lovelace")
	ada.tabTo("email", false)
	ada.press("ada@example.com")
	ada.tabTo("password", false)
	ada.press(password)
	ada.tabTo("confirm", false)
	ada.press(password)
	if f := ada.tabTo("email", true); f.Text != "ada@example.com" {
		t.Fatalf("Shift+Tab back reaches %s, want the e-mail field as typed", f)
	}
	ada.tabToText("Join the team", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage")
	ada.wantText("h1", "Events")
	ada.wantText(".who", "Ada Lovelace, Owner at My organization")
	ada.wantText("main", "No events yet")
	ada.check("events-empty")

	// The new event's form, sent empty.
	ada.tabToText("New event", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/new")
	ada.check("new-event")
	ada.tabToText("Create the event", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantDescribedByErrors("starts_at", "ends_at")
	ada.check("new-event-errors")
	if f := ada.tabToText("Enter when the event starts, as a date and a time.", false); !strings.HasPrefix(f.Element, "a") {
		t.Fatalf("Tab from the error summary reaches %s, want its link", f)
	}
	ada.press(kb.Enter)
	if f := ada.focused(); f.ID != "starts_at" {
		t.Fatalf("the error's link moved the focus to %s, want the start's field", f)
	}
	ada.tabToText("Events", true)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage")

	// An event with a paid order of 2 tickets and 3 more held, through the API.
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 100)
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"manual_payment_instructions": "IBAN AT61 1904 3002 3457 3201"})
	items := []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}
	h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds", map[string]any{"items": items})
	o := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Grace Hopper", "email": "grace@example.com"}})
	c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+o["id"].(string)+"/mark-paid", map[string]any{})
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 3}}})
	deadline := time.Now().Add(20 * time.Second)
	for len(c.must(200, "GET", "/api/v1/events/"+evID+"/orders?status=paid", nil)["items"].([]any)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the paid order did not reach the read model in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The events list, and the event's dashboard.
	ada.do(chromedp.Reload())
	ada.wantText("main", "Night at the Opera")
	ada.check("events")
	ada.docsPNG("events")
	ada.tabToText("Night at the Opera", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/" + evID)
	ada.wantText("h1", "Night at the Opera")
	ada.wantText(`table[aria-labelledby="quotas-title"] tbody tr`, "Hall 100 2 3 95")
	ada.wantText("figure.sales-chart figcaption", "2 tickets sold")
	if !ada.has(`figure.sales-chart svg[role="img"]`) {
		ada.fatalf("the dashboard has no sales chart")
	}
	ada.tabToText("The figures as a table", false)
	ada.press(kb.Enter)
	if !evalIn[bool](ada, `document.activeElement.closest("details").open`) {
		ada.fatalf("Enter on the table's summary did not open it")
	}
	ada.wantText("details table tfoot", "2")
	ada.check("dashboard")
	ada.docsPNG("dashboard")

	// A sale while the page is open shows in it without a reload.
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(ada.text(`table[aria-labelledby="quotas-title"] tbody tr`), "Hall 100 2 4 94"); {
		if time.Now().After(deadline) {
			ada.fatalf("the dashboard did not show the new hold within 20 s: %q", ada.text(`table[aria-labelledby="quotas-title"] tbody tr`))
		}
		time.Sleep(100 * time.Millisecond) // polling the page
	}
	if !ada.has(`button.live-toggle[aria-pressed="false"]`) {
		ada.fatalf("no button to pause the live updates")
	}

	// Its orders, Grace's order, and a refund of her tickets.
	ada.tabToText("Orders", true)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/" + evID + "/orders")
	ada.wantText("main table tbody", "Grace Hopper")
	ada.check("orders")
	ada.tabToText("Grace Hopper", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("h1", "Order of Grace Hopper")
	ada.wantText("ol.timeline", "Paid")
	ada.check("order")
	ada.tabToText("Refund the chosen tickets", false) // without ticking the box: refused
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantText(".error-summary", "cannot be undone")
	ada.check("refund-unconfirmed")
	ada.tabTo("refund-confirm", false)
	ada.press(" ")
	ada.tabToText("Refund the chosen tickets", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("ol.timeline", "by Ada")
	ada.check("order-refunded")
	ada.docsPNG("order")

	// The team page: an invitation, through its error.
	ada.tabToText("Team", true)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/team")
	ada.wantText("h1", "Team")
	ada.check("team")
	members := `document.querySelectorAll("main table tbody tr").length`
	if n := evalIn[int](ada, members); n != 1 {
		ada.fatalf("the team lists %d members and invitations, want 1", n)
	}
	ada.tabToText("Make an invitation", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantDescribedByErrors("invite-email")
	if n := evalIn[int](ada, members); n != 1 {
		ada.fatalf("an invitation without an e-mail address was refused, yet the team lists %d members and invitations, want 1", n)
	}
	ada.check("team-errors")
	ada.tabToText("Enter an e-mail address such as ada@example.com, and choose a role.", false)
	ada.press(kb.Enter)
	if f := ada.focused(); f.ID != "invite-email" {
		t.Fatalf("the error's link moved the focus to %s, want the e-mail field", f)
	}
	ada.press("bob@example.com")
	ada.tabTo("invite-role", false)
	ada.press(kb.ArrowUp) // from Viewer to Door
	if got := evalIn[string](ada, `document.activeElement.value`); got != "door" {
		t.Fatalf("↑ in the role list chose %q, want door", got)
	}
	ada.tabToText("Make an invitation", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "Invitation made for bob@example.com")
	ada.tabTo("invited-link", false)
	bobLink := evalIn[string](ada, `document.activeElement.value`)
	if !strings.HasPrefix(bobLink, a.url+"/manage/invitations/admitinv_") {
		ada.fatalf("the invitation link reads %q", bobLink)
	}
	ada.wantText("main table", "bob@example.com Door Invited")
	if n := evalIn[int](ada, members); n != 2 {
		ada.fatalf("the team lists %d members and invitations, want 2", n)
	}
	ada.check("team-invited")
	ada.docsPNG("team")

	// The states that follow a form on those pages, by keyboard.
	ada.open("/manage/tokens", 200)
	ada.tabTo("token-name", false)
	ada.press("box-office laptop")
	ada.tabToText("Make the token", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "API token box-office laptop made")
	ada.check("token-made")
	ada.open("/manage/events/"+evID+"/door", 200)
	ada.tabTo("device-name", false)
	ada.press("Gate A")
	ada.tabToText("Add the device", false)
	ada.loads(browser.Keys(kb.Enter))
	if !ada.has(`section[aria-labelledby="setup-title"] svg`) {
		ada.fatalf("no setup QR code after adding a device")
	}
	ada.check("door-device-added")
	ada.open("/manage/events/"+evID+"/keys", 200)
	ada.tabToText("Make a new key", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "A new key signs")
	ada.check("keys-rotated")
	ada.open("/manage/profile", 200)
	ada.tabTo("website", false)
	ada.press("ftp://nowhere")
	ada.tabToText("Save the profile", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.check("profile-errors")

	// The other pages, each as it first shows.
	for _, pg := range []struct{ path, name string }{
		{"/manage/tokens", "tokens"}, {"/manage/profile", "profile"}, {"/manage/events/" + evID + "/door", "door"},
		{"/manage/events/" + evID + "/edit", "edit-event"}, {"/manage/events/" + evID + "/history", "history"},
		{"/manage/events/" + evID + "/attendees", "attendees"}, {"/manage/events/" + evID + "/keys", "keys"},
		{"/manage/events/" + evID + "/ticket-types/" + ttID, "edit-ticket-type"},
	} {
		ada.open(pg.path, 200)
		ada.check(pg.name)
	}

	// Signing out; a wrong password on the sign-in page.
	ada.tabToText("Sign out", true)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/sign-in")
	ada.wantText("h1", "Sign in")
	ada.check("sign-in")
	ada.signIn("ada@example.com", "not the password")
	ada.wantSummaryFocused()
	ada.wantText("#error-summary", "The e-mail address or the password is not right.")
	ada.wantDescribedByErrors("email")
	ada.check("sign-in-errors")
	// A forgotten password: the request, its answer, the link from the
	// e-mail with a mistake, and a link that does not work.
	ada.open("/manage/password-reset", 200)
	ada.check("password-reset")
	ada.tabTo("email", false)
	ada.press("ada@example.com")
	ada.tabToText("Send me a link", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "a link to choose a new password is on its way")
	ada.check("password-reset-sent")
	resetLinks := regexp.MustCompile(regexp.QuoteMeta(a.url) + `/manage/password-reset/admitpwr_[a-z2-7]{32}`)
	var resetLink string
	for deadline := time.Now().Add(20 * time.Second); resetLink == ""; time.Sleep(50 * time.Millisecond) { // polling Mailpit
		if time.Now().After(deadline) {
			t.Fatal("no password reset e-mail in 20 s")
		}
		for _, m := range mp.Messages(t) {
			if strings.HasPrefix(m.Subject, "Choose a new password") {
				resetLink = resetLinks.FindString(mp.Message(t, m.ID).Text)
			}
		}
	}
	ada.open(strings.TrimPrefix(resetLink, a.url), 200)
	ada.wantText("h1", "Choose a new password")
	ada.check("password-reset-link")
	ada.tabTo("password", false)
	ada.press("short")
	ada.tabToText("Save the new password", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantDescribedByErrors("password")
	ada.check("password-reset-link-errors")
	ada.open("/manage/password-reset/admitpwr_"+strings.Repeat("a", 32), 404)
	ada.wantText("main", "This link does not work")
	ada.check("password-reset-link-wrong")
	ada.open("/manage/no/such/page", 404)
	ada.check("page-not-found")

	// The member, in a browser context of their own, joins, signs out and
	// signs in again.
	bob := openConsoleTab(t, browserCtx, a.url, axe, filepath.Join(dir, "bob"), chromedp.WithNewBrowserContext())
	bob.open(strings.TrimPrefix(bobLink, a.url), 200)
	bob.wantText("main", "as Door")
	bob.wantText("main", "You sign in as bob@example.com")
	bob.check("invitation-with-email")
	bob.tabTo("name", false)
	bob.press("Bob")
	bob.tabTo("password", false)
	bob.press(password)
	bob.tabTo("confirm", false)
	bob.press(password)
	bob.tabToText("Join the team", false)
	bob.loads(browser.Keys(kb.Enter))
	bob.wantPath("/manage")
	bob.wantText(".who", "Bob, Door at My organization")
	bob.tabToText("Sign out", false)
	bob.loads(browser.Keys(kb.Enter))
	bob.wantPath("/manage/sign-in")
	bob.signIn("bob@example.com", password)
	bob.wantPath("/manage")
	bob.wantText(".who", "Bob, Door at My organization")
	bob.wantText("main", "Night at the Opera")

	// What the door role may not see, and what is not there.
	bob.open("/manage/team", 403)
	bob.wantText("h1", "Not allowed")
	bob.check("forbidden")
	bob.open("/manage/events/ev_nosuchevent", 404)
	bob.wantText("h1", "Not found")
	bob.check("event-not-found")
	bob.open(strings.TrimPrefix(bobLink, a.url), 404)
	bob.check("invitation-used")

	if !t.Failed() {
		t.Logf("axe-core %s: no violations of %s in %d states at 1280 and 375 pixels", browser.AxeVersion,
			strings.Join(consoleAxeTags, ", "), ada.checks+bob.checks)
	}
}

// TestConsoleJourneyInBrowser: the journey the console promises, with the
// keyboard alone, as TestConsoleInBrowser drives it. The first owner joins
// and makes an event in the console: its form, typed into (the dates and
// times too, segment by segment, as Chromium's datetime-local fields take
// them), two ticket types, one quota holding both, and the sale. A buyer,
// in a browser context of their own, buys one ticket of each type in the
// shop, to be paid by bank transfer. The owner finds the 2 tickets held on
// the event's dashboard, opens the order, marks it paid and refunds it;
// the order's timeline and the event's history then name who did each
// step. Every new state passes axe-core at 1280 and 375 pixels (check).
func TestConsoleJourneyInBrowser(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	link := firstOwnerLink(t, a)
	browserCtx := browser.Start(t)
	axe := browser.Axe(t)
	dir := consoleScreenshotDir(t)
	const owner = "Ada Lovelace (Owner)"

	// The first owner joins.
	ada := openConsoleTab(t, browserCtx, a.url, axe, filepath.Join(dir, "ada"))
	ada.open(strings.TrimPrefix(link, a.url), 200)
	ada.tabTo("name", false)
	ada.press("Ada Lovelace")
	ada.tabTo("email", false)
	ada.press("ada@example.com")
	ada.tabTo("password", false)
	ada.press("correct horse battery")
	ada.tabTo("confirm", false)
	ada.press("correct horse battery")
	ada.tabToText("Join the team", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage")

	// The new event, typed into its form. A tab into a text field selects
	// what it holds, so typing replaces the time zone's default. Chromium
	// lays a datetime-local field out in the page's language, English:
	// mm/dd/yyyy, hh:mm AM/PM. Two digits of a month, a day, an hour or a
	// minute move on to the next part by themselves, a year does not (it
	// may have up to six digits), so → moves on from it; P chooses PM.
	ada.tabToText("New event", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/new")
	ada.tabTo("name", false)
	ada.press("Summer Gala")
	ada.tabTo("venue", false)
	ada.press("Musikverein, Vienna")
	ada.tabTo("timezone", false)
	ada.press("Europe/Vienna")
	ada.typeDateTime("starts_at", "06152027", "0730P")
	ada.typeDateTime("ends_at", "06152027", "1100P")
	got := evalIn[[]string](ada, `["name", "venue", "timezone", "starts_at", "ends_at", "currency", "hold_minutes"].map(
		id => document.getElementById(id).value).concat([String(document.getElementById("manual").checked), String(document.getElementById("card").checked)])`)
	want := []string{"Summer Gala", "Musikverein, Vienna", "Europe/Vienna", "2027-06-15T19:30", "2027-06-15T23:00", "EUR", "10", "true", "false"}
	if !slices.Equal(got, want) {
		ada.fatalf("the new event's form holds %q, want %q", got, want)
	}
	ada.check("new-event-filled")
	ada.tabToText("Create the event", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("h1", "Summer Gala")
	evID, ok := strings.CutPrefix(ada.path(), "/manage/events/")
	if !ok || strings.Contains(evID, "/") {
		ada.fatalf("Create the event led to %s, want the event's page", ada.path())
	}
	ada.wantText(".event-meta", "Draft")

	// Two ticket types, and a quota that holds both. Typing replaces the
	// default of Most per order, as it does the time zone's.
	for _, tt := range []struct{ name, price, max string }{{"Stalls", "35", "4"}, {"Balcony", "20.50", "6"}} {
		ada.tabTo("type-name", false)
		ada.press(tt.name)
		ada.tabTo("price", false)
		ada.press(tt.price)
		ada.tabTo("max_per_order", false)
		ada.press(tt.max)
		if got := evalIn[string](ada, `document.getElementById("max_per_order").value`); got != tt.max {
			ada.fatalf("Most per order holds %q, want %q", got, tt.max)
		}
		ada.tabToText("Add the ticket type", false)
		ada.loads(browser.Keys(kb.Enter))
		ada.wantText(".notice", "Ticket type "+tt.name+" added.")
	}
	ada.wantText(`table[aria-labelledby="types-title"] tbody`, "Stalls €35.00")
	ada.wantText(`table[aria-labelledby="types-title"] tbody`, "Balcony €20.50")
	ada.tabTo("quota-name", false)
	ada.press("Hall")
	ada.tabTo("capacity", false)
	ada.press("100")
	if got := evalIn[[]bool](ada, `[...document.querySelectorAll('input[name="ticket_type"]')].map(c => c.checked)`); !slices.Equal(got, []bool{true, true}) {
		ada.fatalf("the quota's ticket types are checked %v, want both", got)
	}
	ada.tabToText("Add the quota", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "Quota Hall added.")
	ada.wantText(`table[aria-labelledby="quotas-title"] tbody tr`, "Hall 100 0 0 100")
	ada.check("event-with-types")
	ada.tabToText("Put on sale", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "The event is on sale.")
	ada.wantText(".event-meta", "Status: On sale")
	ada.check("event-on-sale")

	// The buyer, in a browser context of their own, buys a ticket of each
	// type in the shop, to pay by bank transfer.
	buyer := openConsoleTab(t, browserCtx, a.url, axe, filepath.Join(dir, "buyer"), chromedp.WithNewBrowserContext())
	buyer.open("/events/"+evID, 200)
	buyer.wantText("h1", "Summer Gala")
	var quantities []string
	for range 2 {
		f := buyer.tabUntil("a quantity", false, func(f browser.Focus) bool {
			return strings.HasPrefix(f.ID, "qty-") && !slices.Contains(quantities, f.ID)
		})
		quantities = append(quantities, f.ID)
		buyer.press(kb.ArrowDown)
		if got := evalIn[string](buyer, `document.activeElement.value`); got != "1" {
			buyer.fatalf("↓ in %s chose %q, want 1", f.ID, got)
		}
	}
	buyer.check("shop-event-chosen")
	buyer.tabToText("Continue", false)
	buyer.loads(browser.Keys(kb.Enter))
	if !strings.Contains(buyer.path(), "/checkout/") {
		buyer.fatalf("Continue led to %s, want the checkout", buyer.path())
	}
	buyer.tabTo("name", false)
	buyer.press("Grace Hopper")
	buyer.tabTo("email", false)
	buyer.press("grace@example.com")
	buyer.tabTo("provider-manual", false)
	buyer.press(" ")
	if !evalIn[bool](buyer, `document.getElementById("provider-manual").checked`) {
		buyer.fatalf("Space did not choose bank transfer")
	}
	buyer.check("shop-checkout-filled")
	buyer.tabToText("Place order", false)
	buyer.loads(browser.Keys(kb.Enter))
	buyer.wantText("h1", "Your order")
	buyer.wantText(".order-facts", "Waiting for payment")
	buyer.check("shop-order-pending")

	// The owner finds the 2 tickets held on the dashboard, the order among
	// the event's orders (once the read model has it), marks it paid and
	// refunds it.
	ada.tabToText("All events", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.tabToText("Summer Gala", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/" + evID)
	ada.wantText(`table[aria-labelledby="quotas-title"] tbody tr`, "Hall 100 0 2 98")
	ada.tabToText("Orders", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/" + evID + "/orders")
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(ada.text("main"), "Grace Hopper"); {
		if time.Now().After(deadline) {
			ada.fatalf("the order did not reach the console's orders in 20 s")
		}
		time.Sleep(50 * time.Millisecond)
		ada.do(chromedp.Reload())
	}
	ada.tabToText("Grace Hopper", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("h1", "Order of Grace Hopper")
	ada.wantText(".order-facts", "Awaiting payment")
	ada.tabToText("Mark paid", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "Marked paid")
	ada.wantText(".order-facts", "Paid")
	ada.check("order-marked-paid")
	if got := evalIn[[]bool](ada, `[...document.querySelectorAll('input[name="ticket"]')].map(c => c.checked)`); !slices.Equal(got, []bool{true, true}) {
		ada.fatalf("the tickets to refund are checked %v, want both", got)
	}
	ada.tabTo("refund-confirm", false)
	ada.press(" ")
	ada.tabToText("Refund the chosen tickets", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText(".notice", "Refunded")
	ada.wantText(".order-facts", "Refunded")
	ada.wantTimeline("ol.timeline li", []string{"Order placed, €55.50", "by the buyer"},
		[]string{"Paid €55.50", "by " + owner}, []string{"Refunded €55.50", "by " + owner})
	ada.check("order-refunded")

	// The event's history names who made each of its settings.
	ada.tabToText("Orders of Summer Gala", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.tabToText("Summer Gala", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.tabToText("History of its settings", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage/events/" + evID + "/history")
	ada.wantTimeline("ol.timeline li", []string{"Event created: Summer Gala", "by " + owner},
		[]string{"Ticket type Stalls added, €35.00", "by " + owner}, []string{"Ticket type Balcony added, €20.50", "by " + owner},
		[]string{"Quota Hall added, capacity 100", "by " + owner}, []string{"Status: On sale", "by " + owner})
	ada.check("history")
}

// TestConsoleOrganizersInBrowser: with the keyboard alone, an e-mail
// address that is a member of two organizers signs in, chooses the second
// on "Choose an organizer", switches organizer from the menu, and sends a
// ticket type's form with a sales end before its start. Each state passes
// axe-core (consoleAxeTags) at 1280 and 375 pixels.
func TestConsoleOrganizersInBrowser(t *testing.T) {
	a, secondToken := twoOrganizers(t, func(*instance) {})
	evID, ttID := setupEvent(newClient(t, a.url, secondToken), 10)
	browserCtx := browser.Start(t)
	ada := openConsoleTab(t, browserCtx, a.url, browser.Axe(t), consoleScreenshotDir(t))

	ada.open("/manage/sign-in", 200)
	ada.signIn("ada@example.com", "correct horse battery")
	ada.wantText("h1", "Choose an organizer")
	ada.check("choose-organizer")
	ada.tabToText("Second Stage (as Owner)", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantPath("/manage")
	ada.wantText(".who", "Ada L., Owner at Second Stage")
	ada.wantText("main", "Night at the Opera")

	ada.tabToText("Switch organizer", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("h1", "Switch organizer")
	ada.check("switch-organizer")
	ada.tabTo("password", false)
	ada.press("correct horse battery")
	ada.tabToText("Sign in", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantText("h1", "Choose an organizer")

	// A ticket type's form, with its sales ending before they start.
	ada.open("/manage/events/"+evID+"/ticket-types/"+ttID, 200)
	ada.wantText("h1", "Change ticket type Standing")
	ada.typeDateTime("sales_start", "05012030", "1000A")
	ada.typeDateTime("sales_end", "04012030", "1000A")
	if got := evalIn[[]string](ada, `["sales_start", "sales_end"].map(id => document.getElementById(id).value)`); !slices.Equal(got, []string{"2030-05-01T10:00", "2030-04-01T10:00"}) {
		ada.fatalf("the sales window holds %q", got)
	}
	ada.tabToText("Save the changes", false)
	ada.loads(browser.Keys(kb.Enter))
	ada.wantSummaryFocused()
	ada.wantText(".error-summary", "Must be after the sales start.")
	ada.wantDescribedByErrors("sales_end")
	ada.check("ticket-type-errors")
}

// consoleTab is one person's tab on the console.
type consoleTab struct {
	t      *testing.T
	ctx    context.Context
	base   string // the server's URL
	axe    string // axe-core's source
	dir    string // where the screenshots go
	steps  int
	checks int
}

// cspJS records the page's Content-Security-Policy violations, from the
// start of every document, for check to report.
const cspJS = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", e => cspViolations.push(
	e.violatedDirective + " blocked " + (e.blockedURI || "inline") + (e.sample ? ": " + e.sample : "")));`

// openConsoleTab opens a tab (browser.Tab, with its options) on the
// console at base, which records the pages' Content-Security-Policy
// violations.
func openConsoleTab(t *testing.T, browserCtx context.Context, base, axe, dir string, opts ...chromedp.ContextOption) *consoleTab {
	t.Helper()
	ctx := browser.Tab(t, browserCtx, opts...)
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspJS}); err != nil {
		t.Fatalf("record CSP violations: %v", err)
	}
	return &consoleTab{t: t, ctx: ctx, base: base, axe: axe, dir: dir}
}

// consoleScreenshotDir is where the test's screenshots go: DIR/<test>
// when ADMIT_SCREENSHOTS names DIR (emptied first), else a temporary
// directory. DIR must be absolute: go test runs in the package's
// directory, and a relative one would land inside it.
func consoleScreenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("ADMIT_SCREENSHOTS")
	if root == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(root) {
		t.Fatalf("ADMIT_SCREENSHOTS=%s: name an absolute directory (go test runs inside the package)", root)
	}
	dir := filepath.Join(root, t.Name())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// check saves screenshots of the page and runs axe on it at 1280 and at
// 375 pixels, failing on any violation, on a page wider than 375 pixels
// there, and on any breach of the page's Content-Security-Policy.
func (b *consoleTab) check(step string) {
	b.t.Helper()
	b.shot(step)
	for _, v := range []browser.Viewport{browser.Desktop, browser.Phone} {
		b.do(v.Apply())
		vs, err := browser.Check(b.ctx, b.axe, consoleAxeTags...)
		if err != nil {
			b.t.Fatalf("%s at %s: axe: %v", step, v.Name, err)
		}
		for _, x := range vs {
			b.t.Errorf("%s (%s) at %s: axe: %s", step, b.path(), v.Name, x)
		}
	}
	// Tables may scroll in their own box; the page itself may not.
	if w := evalIn[[]int](b, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		b.t.Errorf("%s (%s) at %s: the page is %d pixels wide, and scrolls sideways", step, b.path(), browser.Phone.Name, w[0])
	}
	for _, v := range evalIn[[]string](b, `window.cspViolations || ["the CSP recorder did not run"]`) {
		b.t.Errorf("%s (%s): Content-Security-Policy: %s", step, b.path(), v)
	}
	b.do(browser.Desktop.Apply())
	b.checks++
}

// shot saves screenshots of the page at 1280 and 375 pixels, numbered in
// the order of the steps.
func (b *consoleTab) shot(step string) {
	b.t.Helper()
	b.steps++
	if err := browser.Shots(b.ctx, b.dir, fmt.Sprintf("%02d-%s", b.steps, step), browser.Desktop,
		browser.Desktop, browser.Phone); err != nil {
		b.t.Fatal(err)
	}
}

// docsPNG saves the page as docs/console-NAME-1280.png and -375.png when
// the test runs with -docs-png.
func (b *consoleTab) docsPNG(name string) {
	b.t.Helper()
	if !*consoleDocsPNG {
		return
	}
	for _, v := range []browser.Viewport{browser.Desktop, browser.Phone} {
		png, err := browser.PNG(b.ctx, v, browser.Desktop)
		if err != nil {
			b.t.Fatal(err)
		}
		file := "console-" + name + "-" + v.Name + ".png"
		if err := os.WriteFile(filepath.Join("..", "..", "docs", file), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("docs/%s: %d bytes", file, len(png))
	}
}

// open loads the console's page at path and checks its HTTP status.
func (b *consoleTab) open(path string, status int64) {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if res.Status != status {
		b.fatalf("open %s: status %d, want %d", path, res.Status, status)
	}
}

// do runs chromedp actions in the tab.
func (b *consoleTab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// loads runs the action, which must load a page (a key), and waits until
// it has.
func (b *consoleTab) loads(a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, a)); err != nil {
		b.t.Fatalf("wait for the page to load: %v", err)
	}
}

// press sends keys to the page, as a keyboard would.
func (b *consoleTab) press(keys string, modifiers ...chromedp.Modifier) {
	b.t.Helper()
	b.do(browser.Keys(keys, modifiers...))
}

// evalIn evaluates a JavaScript expression in the tab's page.
func evalIn[T any](b *consoleTab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// text returns the text of the first element the CSS selector finds, as
// it is shown, with its white space collapsed. It fails at once when there
// is no such element.
func (b *consoleTab) text(sel string) string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	s := evalIn[*string](b, `(e => e && e.innerText)(document.querySelector(`+string(q)+`))`)
	if s == nil {
		b.fatalf("there is no %s on this page", sel)
	}
	return strings.Join(strings.Fields(*s), " ")
}

// wantText fails unless the element's text contains want.
func (b *consoleTab) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.fatalf("%s says %q, want %q in it", sel, got, want)
	}
}

// has reports whether the page has an element the selector finds.
func (b *consoleTab) has(sel string) bool {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	return evalIn[bool](b, `document.querySelector(`+string(q)+`) !== null`)
}

// path returns the page's path and query.
func (b *consoleTab) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// wantPath fails unless the page is at path.
func (b *consoleTab) wantPath(path string) {
	b.t.Helper()
	if got := b.path(); got != path {
		b.fatalf("at %s, want %s", got, path)
	}
}

// fatalf fails the test, with a screenshot of the page and what it is.
func (b *consoleTab) fatalf(format string, args ...any) {
	b.t.Helper()
	b.shot("failed")
	h1 := evalIn[*string](b, `(e => e && e.innerText)(document.querySelector("h1"))`)
	if h1 == nil {
		h1 = new("")
	}
	where := "set ADMIT_SCREENSHOTS=DIR to keep the screenshots"
	if os.Getenv("ADMIT_SCREENSHOTS") != "" {
		where = "see the screenshots in " + b.dir
	}
	b.t.Fatalf("%s\n(at %s, headed %q; %s)", fmt.Sprintf(format, args...), b.path(), *h1, where)
}

// focused describes the element with the focus, failing unless its focus
// indicator can be seen.
func (b *consoleTab) focused() browser.Focus {
	b.t.Helper()
	f, err := browser.Focused(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	if !f.Shown() {
		b.fatalf("the focus is not visible: %s", f)
	}
	return f
}

// tabTo presses Tab (Shift+Tab when back) until the focus is on the
// element with the id, checking that every element on the way shows its
// focus.
func (b *consoleTab) tabTo(id string, back bool) browser.Focus {
	b.t.Helper()
	return b.tabUntil("#"+id, back, func(f browser.Focus) bool { return f.ID == id })
}

// tabToText is tabTo for an element found by its text.
func (b *consoleTab) tabToText(text string, back bool) browser.Focus {
	b.t.Helper()
	return b.tabUntil(fmt.Sprintf("%q", text), back, func(f browser.Focus) bool { return f.Text == text })
}

func (b *consoleTab) tabUntil(what string, back bool, there func(browser.Focus) bool) browser.Focus {
	b.t.Helper()
	var shift []chromedp.Modifier
	if back {
		shift = append(shift, chromedp.ModifierShift)
	}
	var path []string
	// An event's page is long: each datetime-local field of its ticket
	// type form alone takes 7 presses (Chromium's segments and calendar).
	const most = 60
	for range most {
		b.press(kb.Tab, shift...)
		f := b.focused()
		if there(f) {
			return f
		}
		path = append(path, f.Element+" "+fmt.Sprintf("%q", f.Text))
	}
	b.fatalf("%d presses of Tab did not reach %s; they went through %s", most, what, strings.Join(path, ", "))
	return browser.Focus{}
}

// signIn fills the sign-in form, focused or below, with email and
// password, and sends it.
func (b *consoleTab) signIn(email, password string) {
	b.t.Helper()
	b.tabTo("email", false)
	b.press(email)
	b.tabTo("password", false)
	b.press(password)
	b.tabToText("Sign in", false)
	b.loads(browser.Keys(kb.Enter))
}

// typeDateTime types into the datetime-local field id, as Chromium's
// English field takes it: the date's digits (mmddyyyy), then, past the
// arrow to its time part, the time's (hhmm and A or P).
func (b *consoleTab) typeDateTime(id, date, clock string) {
	b.t.Helper()
	b.tabTo(id, false)
	b.press(date)
	b.press(kb.ArrowRight)
	b.press(clock)
}

// wantSummaryFocused fails unless the error summary has the focus, with
// a visible indicator.
func (b *consoleTab) wantSummaryFocused() {
	b.t.Helper()
	f, err := browser.Focused(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	if f.ID != "error-summary" || (f.OutlineWidth < 2 && (f.BoxShadow == "" || f.BoxShadow == "none")) {
		b.fatalf("the focus is on %s, want it on the error summary, visibly", f)
	}
}

// wantDescribedByErrors fails unless each field is invalid, described by
// its error, and linked to from the error summary.
func (b *consoleTab) wantDescribedByErrors(fields ...string) {
	b.t.Helper()
	for _, id := range fields {
		got := evalIn[[]string](b, `(e => [e.getAttribute("aria-invalid") || "", e.getAttribute("aria-describedby") || "",
			String(document.querySelectorAll('#error-summary a[href="#`+id+`"]').length)])(document.getElementById("`+id+`"))`)
		if got[0] != "true" || !slices.Contains(strings.Fields(got[1]), id+"-error") || got[2] != "1" {
			b.t.Errorf("#%s: aria-invalid %q, aria-describedby %q, %s links from the error summary; want true, %s-error and 1",
				id, got[0], got[1], got[2], id)
		}
	}
}

// wantInView fails unless the element is within the window.
func (b *consoleTab) wantInView(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	if !evalIn[bool](b, `(r => r.top >= -1 && r.bottom <= innerHeight + 1)(document.querySelector(`+string(q)+`).getBoundingClientRect())`) {
		b.fatalf("%s is out of sight", sel)
	}
}

// wantTimeline fails unless, in the order given, the items the selector
// finds include one that holds each of the wants' texts.
func (b *consoleTab) wantTimeline(sel string, wants ...[]string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	items := evalIn[[]string](b, `[...document.querySelectorAll(`+string(q)+`)].map(e => e.innerText.trim().split(/\s+/).join(" "))`)
	i := 0
	for _, item := range items {
		if i < len(wants) && !slices.ContainsFunc(wants[i], func(w string) bool { return !strings.Contains(item, w) }) {
			i++
		}
	}
	if i < len(wants) {
		b.fatalf("%s lists %q, want in order items with %q", sel, items, wants)
	}
}
