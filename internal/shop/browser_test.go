package shop_test

// The shop in a real browser: Debian's Chromium, headless, driven with
// chromedp (internal/browser), against the whole stack in this process —
// box office on an in-memory ledger with a fake clock, the API with its QR
// routes, and the shop — behind httptest. Every test takes screenshots of
// its steps at 1280 and 375 pixels, into a temporary directory that is
// removed afterwards; to look at them, name a directory in ADMIT_SCREENSHOTS
// and find them in DIR/<test>/:
//
//	ADMIT_SCREENSHOTS=/tmp/shots go test ./internal/shop -run TestBrowser -v
//
// They never go inside the package: Go would take every new file there for
// a changed test input and run the package's tests again, uncached.
//
// Without /usr/bin/chromium the tests skip, saying so. With -docs-png the
// keyboard test also saves the README's picture of the event page:
//
//	go test ./internal/shop -run TestBrowser/KeyboardPurchase -docs-png

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/keyring"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/shop"
	"github.com/admit-org/admit/internal/web"
)

var docsPNG = flag.Bool("docs-png", false, "save the event page, as the keyboard test leaves it, to docs/shop.png for the README")

// TestBrowser starts one browser and runs the browser tests in it, each
// in its own tab against its own shop, in parallel.
func TestBrowser(t *testing.T) {
	ctx := browser.Start(t)
	axe := browser.Axe(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *tab)
	}{
		{"KeyboardPurchase", testKeyboardPurchase},
		{"Axe", testAxe},
		{"AccessibilityTree", testAccessibilityTree},
		{"NoJavaScript", testNoJavaScript},
		{"ExpiredHold", testExpiredHold},
		{"Reflow", testReflow},
		{"LiveRegion", testLiveRegion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, openTab(t, ctx, axe))
		})
	}
}

// rig is the whole stack for one test: a box office with a fake clock,
// the API and the shop behind an httptest server, and an event on sale
// like the demo's.
type rig struct {
	t   *testing.T
	clk *clock.Fake
	m   *office.Manager
	url string // the server's base URL

	ev                            string // the event
	standing, seated, guest, late string // its ticket types
}

const organizer = "or_aaaaaaaaaaaaaaaaaaaa"

// holdTTL is the event's hold time.
const holdTTL = 10 * time.Minute

func newRig(t *testing.T) *rig {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs)
		}
	})
	// The fake clock starts at the real time: the countdown script reads
	// the browser's clock, and should show the minutes a buyer would see.
	r := &rig{t: t, clk: clock.NewFake(time.Now().UTC().Truncate(time.Second))}
	r.m = office.NewManager(ledger.NewMemory(), r.clk, office.Local{}, log, office.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}), make(chan struct{})
	go func() { r.m.Run(ctx, started); close(done) }()
	<-started
	keys, err := keyring.New(bytes.Repeat([]byte{7}, keyring.MasterKeySize), &keyring.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	r.url = srv.URL
	base, err := links.Parse(r.url)
	if err != nil {
		t.Fatal(err)
	}
	buyers := shop.New(shop.Config{Offices: r.m, Clock: r.clk, Log: log, Links: base}) // no card payments: the card option shows disabled
	srv.Config.Handler = web.New(web.Config{Offices: r.m, Clock: r.clk, Log: log, Keys: keys, Shop: buyers, ShopPatterns: shop.Patterns})
	t.Cleanup(func() { srv.Close(); cancel(); <-done })

	now := r.clk.Now()
	y, mo, d := now.AddDate(0, 0, 30).Date()
	starts := time.Date(y, mo, d, 18, 0, 0, 0, time.UTC) // 19:00 or 20:00 in Vienna
	y, mo, d = now.AddDate(0, 0, 7).Date()
	inAWeek := time.Date(y, mo, d, 8, 0, 0, 0, time.UTC)
	r.ev = id.New("ev", id.Short)
	r.standing, r.seated, r.guest, r.late = id.New("tt", id.Short), id.New("tt", id.Short), id.New("tt", id.Short), id.New("tt", id.Short)
	eur := func(cents int64) boxoffice.Money { return boxoffice.Money{Amount: cents, Currency: "EUR"} }
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: organizer, EventID: r.ev, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Open Air Night", Venue: "Riverside Park, Vienna", TimeZone: "Europe/Vienna",
			StartsAt: starts, EndsAt: starts.Add(4 * time.Hour), HoldTTLSeconds: int(holdTTL / time.Second), MaxTicketsPerHold: 8,
			PaymentSettings: boxoffice.PaymentSettings{PaymentProviders: []string{boxoffice.ProviderStripe, boxoffice.ProviderManual},
				ManualPaymentInstructions: "Transfer the total to IBAN AT61 1904 3002 3457 3201 (Demo Organizer), quoting your order number."}}},
		&boxoffice.CreateTicketType{OrganizerID: organizer, TicketTypeID: r.standing, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "Anywhere on the lawn.", Price: eur(3500), MaxPerHold: 8}},
		&boxoffice.CreateTicketType{OrganizerID: organizer, TicketTypeID: r.seated, Details: boxoffice.TicketTypeDetails{
			Name: "Seated", Description: "A numbered seat on the terrace; one name per ticket.", Price: eur(5900),
			MaxPerHold: 4, AttendeeNames: true}},
		&boxoffice.CreateTicketType{OrganizerID: organizer, TicketTypeID: r.guest, Details: boxoffice.TicketTypeDetails{
			Name: "Guest list", Description: "Free, for friends of the band.", Price: eur(0), MaxPerHold: 2}},
		&boxoffice.CreateTicketType{OrganizerID: organizer, TicketTypeID: r.late, Details: boxoffice.TicketTypeDetails{
			Name: "Late entry", Description: "From 22:00.", Price: eur(2000), MaxPerHold: 8,
			SalesStart: inAWeek}},
		&boxoffice.CreateQuota{OrganizerID: organizer, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Park", Capacity: 500, TicketTypeIDs: []string{r.standing, r.seated, r.guest, r.late}}},
		&boxoffice.CreateQuota{OrganizerID: organizer, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Terrace", Capacity: 40, TicketTypeIDs: []string{r.seated}}},
		&boxoffice.CreateQuota{OrganizerID: organizer, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Guests", Capacity: 4, TicketTypeIDs: []string{r.guest}}},
		&boxoffice.ChangeStatus{OrganizerID: organizer, Status: boxoffice.OnSale},
	} {
		r.do(c)
	}
	return r
}

func (r *rig) do(c boxoffice.Command) office.Result {
	r.t.Helper()
	res, err := r.m.Do(context.Background(), r.ev, c, nil)
	if err != nil {
		r.t.Fatalf("%T: %v", c, err)
	}
	return res
}

// holdStatus reads the hold's status from the box office.
func (r *rig) holdStatus(holdID string) boxoffice.HoldStatus {
	r.t.Helper()
	v, err := r.m.Read(context.Background(), r.ev, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if h := st.Hold(holdID); h != nil {
			return h.Status
		}
		return boxoffice.HoldStatus("")
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return v.(boxoffice.HoldStatus)
}

// expire moves the clock past the hold's time and waits until the box
// office, on its timer, has expired it.
func (r *rig) expire(holdID string) {
	r.t.Helper()
	if got := r.holdStatus(holdID); got != boxoffice.Active {
		r.t.Fatalf("hold %s is %q before its time is up, want active", holdID, got)
	}
	r.clk.Advance(holdTTL + time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for r.holdStatus(holdID) != boxoffice.Expired {
		if time.Now().After(deadline) {
			r.t.Fatalf("hold %s is %q 5 s after its time was up, want expired", holdID, r.holdStatus(holdID))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sellOut holds every ticket of the type that is left, as other buyers
// would.
func (r *rig) sellOut(ticketType string) {
	r.t.Helper()
	for {
		_, err := r.m.Do(context.Background(), r.ev, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
			Items: []boxoffice.Item{{TicketTypeID: ticketType, Quantity: 1}}}, nil)
		if fault.Is(err, fault.SoldOut) {
			return
		}
		if err != nil {
			r.t.Fatalf("hold the last tickets: %v", err)
		}
	}
}

// tab is one test's tab and its rig.
type tab struct {
	t     *testing.T
	ctx   context.Context
	r     *rig
	axe   string // axe-core's source
	dir   string // where the screenshots go
	steps int
}

func openTab(t *testing.T, browserCtx context.Context, axe string) *tab {
	return &tab{t: t, ctx: browser.Tab(t, browserCtx), r: newRig(t), axe: axe, dir: screenshotDir(t)}
}

// screenshotDir is where the test's screenshots go: DIR/<test> when
// ADMIT_SCREENSHOTS names DIR (emptied first), else a temporary directory.
// DIR must be absolute: go test runs in the package's directory, and a
// relative one would land inside it.
func screenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("ADMIT_SCREENSHOTS")
	if root == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(root) {
		t.Fatalf("ADMIT_SCREENSHOTS=%s: name an absolute directory (go test runs inside the package)", root)
	}
	dir := filepath.Join(root, strings.TrimPrefix(t.Name(), "TestBrowser/"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves screenshots of the page at 1280 and 375 pixels, numbered in
// the order of the test's steps.
func (b *tab) shot(step string) {
	b.t.Helper()
	b.steps++
	if err := browser.Shots(b.ctx, b.dir, fmt.Sprintf("%02d-%s", b.steps, step), browser.Desktop,
		browser.Desktop, browser.Phone); err != nil {
		b.t.Fatal(err)
	}
}

// open loads the shop's page at path and checks its HTTP status.
func (b *tab) open(path string, status int64) {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.r.url+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if res.Status != status {
		b.t.Fatalf("open %s: status %d, want %d", path, res.Status, status)
	}
}

// do runs chromedp actions in the tab.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// loads runs the action, which must load a page (a click, a key), and
// waits until it has.
func (b *tab) loads(a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, a)); err != nil {
		b.t.Fatalf("wait for the page to load: %v", err)
	}
}

// click clicks the element and waits for the page it loads.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.loads(chromedp.Click(chromedp.CSS(sel)))
}

// choose picks n in the ticket type's quantity list, as a mouse user would.
func (b *tab) choose(ticketType string, n int) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.ID("qty-"+ticketType), fmt.Sprint(n)))
}

// fill types into text fields, by id.
func (b *tab) fill(fields ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		b.do(chromedp.SendKeys(chromedp.ID(fields[i]), fields[i+1]))
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, js string) T {
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
func (b *tab) text(sel string) string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	s := eval[*string](b, `(e => e && e.innerText)(document.querySelector(`+string(q)+`))`)
	if s == nil {
		b.fatalf("there is no %s on this page", sel)
	}
	return strings.Join(strings.Fields(*s), " ")
}

// fatalf fails the test, with a screenshot of the page and what it is.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	b.shot("failed")
	h1 := eval[*string](b, `(e => e && e.innerText)(document.querySelector("h1"))`)
	if h1 == nil {
		h1 = new("")
	}
	where := "set ADMIT_SCREENSHOTS=DIR to keep the screenshots"
	if os.Getenv("ADMIT_SCREENSHOTS") != "" {
		where = "see the screenshots in " + b.dir
	}
	b.t.Fatalf("%s\n(at %s, headed %q; %s)", fmt.Sprintf(format, args...), b.path(), *h1, where)
}

// has reports whether the page has an element the selector finds.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	ids, err := chromedp.Run(b.ctx, chromedp.QueryNodeIDs(chromedp.CSS(sel), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("query %s: %v", sel, err)
	}
	return len(ids) > 0
}

// wantText fails unless the element's text contains want.
func (b *tab) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.fatalf("%s says %q, want %q in it", sel, got, want)
	}
}

// path returns the page's path.
func (b *tab) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.r.url)
}

// holdID reads the hold's id from the checkout's address.
func (b *tab) holdID() string {
	b.t.Helper()
	p := b.path()
	_, h, ok := strings.Cut(p, "/checkout/")
	if !ok {
		b.t.Fatalf("at %s, not at a checkout", p)
	}
	return h
}

// press sends keys to the page, as a keyboard would.
func (b *tab) press(keys string, modifiers ...chromedp.Modifier) {
	b.t.Helper()
	b.do(browser.Keys(keys, modifiers...))
}

// focused describes the element with the focus, failing unless its focus
// indicator can be seen.
func (b *tab) focused() browser.Focus {
	b.t.Helper()
	f, err := browser.Focused(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	if !f.Shown() {
		b.shot("focus-not-visible")
		b.t.Fatalf("the focus is not visible: %s", f)
	}
	return f
}

// tabTo presses Tab (Shift+Tab when back) until the focus is on the
// element with the id, checking that every element on the way shows its
// focus.
func (b *tab) tabTo(id string, back bool) browser.Focus {
	b.t.Helper()
	return b.tabUntil("#"+id, back, func(f browser.Focus) bool { return f.ID == id })
}

// tabToText is tabTo for an element without an id, found by its text.
func (b *tab) tabToText(text string) browser.Focus {
	b.t.Helper()
	return b.tabUntil(fmt.Sprintf("%q", text), false, func(f browser.Focus) bool { return f.Text == text })
}

func (b *tab) tabUntil(what string, back bool, there func(browser.Focus) bool) browser.Focus {
	b.t.Helper()
	var shift []chromedp.Modifier
	if back {
		shift = append(shift, chromedp.ModifierShift)
	}
	var path []string
	for range 30 {
		b.press(kb.Tab, shift...)
		f := b.focused()
		if there(f) {
			return f
		}
		path = append(path, f.Element)
	}
	b.fatalf("30 presses of Tab did not reach %s; they went through %s", what, strings.Join(path, ", "))
	return browser.Focus{}
}

// logBuffer collects the server's logs, shown when a test fails.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
