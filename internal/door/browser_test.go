package door_test

// The scanner in a real browser: Debian's Chromium, headless, driven with
// chromedp (internal/browser), against the stub door API of stub_test.go,
// with real ticket secrets and QR codes. TestBrowser runs the tests that
// need no camera in one browser, each in its own tab against its own stub
// (its own origin, so its own storage and service worker); TestCamera
// starts a browser whose fake camera films a ticket's QR code.
//
//	go test ./internal/door -run 'TestBrowser|TestCamera' -v
//
// ADMIT_SCREENSHOTS=DIR (absolute) keeps screenshots of the screens, as in
// the shop's browser tests.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/door"
)

// fast is the scanner with short intervals, so tests need not wait a
// minute for a bundle or a retry.
var fast = door.Config{BundleEvery: 500 * time.Millisecond, RetryEvery: 300 * time.Millisecond}

// tab is one test's tab and its stub.
type tab struct {
	t     *testing.T
	ctx   context.Context
	s     *stub
	axe   string
	dir   string
	steps int

	mu     sync.Mutex
	errors []string // exceptions and console errors of the page
}

func openTab(t *testing.T, browserCtx context.Context, axe string, cfg door.Config) *tab {
	t.Helper()
	return openTabOn(t, browserCtx, axe, newStub(t, cfg))
}

// openTabOn is openTab against a stub the test made.
func openTabOn(t *testing.T, browserCtx context.Context, axe string, s *stub) *tab {
	t.Helper()
	b := &tab{t: t, ctx: browser.Tab(t, browserCtx), s: s, axe: axe, dir: screenshotDir(t)}
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			if !b.expected(e) {
				t.Errorf("the page logged an error: %s", e)
			}
		}
	})
	return b
}

// expected reports whether a console error is one the test caused on
// purpose: a request that failed because the test took the network away
// or the stub answered an error.
func (b *tab) expected(e string) bool {
	for _, ok := range []string{"net::ERR_INTERNET_DISCONNECTED", "Failed to load resource", "status of 503", "status of 401"} {
		if strings.Contains(e, ok) {
			return true
		}
	}
	return false
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("ADMIT_SCREENSHOTS")
	if root == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(root) {
		t.Fatalf("ADMIT_SCREENSHOTS=%s: name an absolute directory (go test runs inside the package)", root)
	}
	dir := filepath.Join(root, "door", strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves screenshots of the page at phone and desktop widths.
func (b *tab) shot(step string) {
	b.t.Helper()
	b.steps++
	if err := browser.Shots(b.ctx, b.dir, fmt.Sprintf("%02d-%s", b.steps, step), browser.Phone,
		browser.Phone, browser.Desktop); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// wait polls the expression in the page until it is true, for at most
// 15 seconds.
func (b *tab) wait(what, js string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		b.fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

// waitGo polls a condition of the test until it holds, for at most 15
// seconds.
func (b *tab) waitGo(what string, ok func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			b.fatalf("waited 15 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	s := eval[*string](b, `(e => e && e.innerText)(document.querySelector(`+string(q)+`))`)
	if s == nil {
		b.fatalf("there is no %s on this page", sel)
	}
	return strings.Join(strings.Fields(*s), " ")
}

func (b *tab) visible(sel string) bool {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	return eval[bool](b, `(e => !!e && e.getClientRects().length > 0)(document.querySelector(`+string(q)+`))`)
}

func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	b.shot("failed")
	stats, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(window.doorStats)`))
	b.t.Fatalf("%s\n(doorStats %s; result %q)", fmt.Sprintf(format, args...), stats,
		eval[string](b, `(document.getElementById("result")||{}).innerText||""`))
}

// open loads the page at path.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.s.url + path))
}

// setUp opens the device's setup link and waits until the scanner has
// fetched its bundle.
func (b *tab) setUp() {
	b.t.Helper()
	b.do(chromedp.Navigate(b.s.setupURL()))
	b.ready()
	b.wait("the bundle's fetch", `doorStats.bundles > 0`)
}

// ready waits for the scanner screen with a bundle, fetched or kept.
func (b *tab) ready() {
	b.t.Helper()
	b.wait("the scanner with its ticket list", `window.doorStats && doorStats.screen === "scanner" && doorStats.hasBundle`)
}

// press sends keys to the page, as a keyboard would.
func (b *tab) press(keys string) {
	b.t.Helper()
	b.do(browser.Keys(keys))
}

// wedge types the code and Enter into the page, as a keyboard-wedge
// scanner does: into whatever has the focus.
func (b *tab) wedge(code string) {
	b.t.Helper()
	before := eval[int](b, `doorStats.decisions`)
	b.press(code + kb.Enter)
	b.wait("the scan's decision", fmt.Sprintf(`doorStats.decisions > %d`, before))
}

// result returns the result panel's kind (data-result) and its text.
func (b *tab) result() (string, string) {
	b.t.Helper()
	return eval[string](b, `document.getElementById("result").dataset.result`), b.text("#result")
}

func (b *tab) wantResult(result string, texts ...string) {
	b.t.Helper()
	got, text := b.result()
	if got != result {
		b.fatalf("the result is %q (%q), want %q", got, text, result)
	}
	for _, want := range texts {
		if !strings.Contains(text, want) {
			b.fatalf("the result says %q, want %q in it", text, want)
		}
	}
}

// checkAxe fails the test for every rule of WCAG 2.2 AA that the page
// breaks now.
func (b *tab) checkAxe(screen string) {
	b.t.Helper()
	b.shot(screen)
	vs, err := browser.Check(b.ctx, b.axe, browser.WCAG22AA...)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, v := range vs {
		b.t.Errorf("%s: %s", screen, v)
	}
}

// setValue sets a field's value, as pasting into it would.
func (b *tab) setValue(id, value string) {
	b.t.Helper()
	q, _ := json.Marshal(id)
	v, _ := json.Marshal(value)
	eval[bool](b, `(document.getElementById(`+string(q)+`).value = `+string(v)+`, true)`)
}

// paste puts the code into the focused field at once, as pasting does,
// and presses Enter: quicker than wedge's 178 key presses.
func (b *tab) paste(code string) {
	b.t.Helper()
	before := eval[int](b, `doorStats.decisions`)
	if _, err := chromedp.Call(b.ctx, input.InsertText, input.InsertTextParams{Text: code}); err != nil {
		b.t.Fatal(err)
	}
	b.press(kb.Enter)
	b.wait("the scan's decision", fmt.Sprintf(`doorStats.decisions > %d`, before))
}
