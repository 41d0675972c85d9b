package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package puts the browser. The tests
// use this one and no other: never a browser a test tool downloaded.
const Chromium = "/usr/bin/chromium"

// TabTimeout bounds all the work in one tab, so a page that never loads
// fails its test instead of hanging the test binary.
const TabTimeout = 2 * time.Minute

// Start launches a headless Chromium for t and its subtests and returns the
// context that Tab opens tabs from. The browser gets a fresh, empty profile
// directory (made and removed by chromedp, which also kills the browser's
// helper processes before removing it) and stops when t ends. Without
// Chromium it skips t, loudly.
func Start(t testing.TB) context.Context {
	t.Helper()
	return StartWith(t)
}

// StartWith is Start with more command-line flags for the browser, such
// as chromedp.Flag("use-fake-device-for-media-stream", true) for a fake
// camera: flags that only take effect when the browser starts. They are
// added after Start's own and may override them.
func StartWith(t testing.TB, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Skipf("SKIPPED, NOT TESTED: the browser tests need Debian's Chromium at %s "+
			"(as root: apt-get install -y --no-install-recommends chromium; .ci/run does it): %v", Chromium, err)
	}
	// Without the background-networking flags, Chromium keeps dialling
	// Google's hosts, which a test machine's closed network refuses.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("hide-scrollbars", true), // screenshots and widths without a scrollbar that phones do not have
	)
	opts = append(opts, flags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline: a deadline here would end it
		cancel()
		cancelAlloc()
		t.Fatalf("start %s: %v", Chromium, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// Tab opens a new tab of the browser that Start returned, for one test,
// and closes it when t ends. The tab emulates a focused window, so focus
// styles show as they do for a person at the keyboard even when several
// tabs run at once; its viewport is Desktop. All work in it must end
// within TabTimeout. opts are chromedp's for the tab's context, such as
// chromedp.WithNewBrowserContext() for a tab that shares no cookies or
// storage with the browser's other tabs, as a second person's would.
func Tab(t testing.TB, browserCtx context.Context, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browserCtx, opts...)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil { // opens the tab, with no deadline
		t.Fatalf("open a tab: %v", err)
	}
	ctx, stop := context.WithTimeout(tab, TabTimeout)
	t.Cleanup(stop)
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled,
		emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("emulate focus: %v", err)
	}
	if err := chromedp.Do(ctx, Desktop.Apply()); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	return ctx
}

// Viewport is the size of the page's viewport in CSS pixels, and how many
// device pixels each of them takes: Scale 2 at 640 wide is a 1280-pixel
// window zoomed to 200%.
type Viewport struct {
	Name          string // in screenshot file names: "1280", "375", "1280-zoom200"
	Width, Height int64
	Scale         float64
}

// The viewports the tests use.
var (
	Desktop = Viewport{Name: "1280", Width: 1280, Height: 900, Scale: 1}
	Phone   = Viewport{Name: "375", Width: 375, Height: 812, Scale: 1}
	Narrow  = Viewport{Name: "320", Width: 320, Height: 640, Scale: 1}          // WCAG 1.4.10 reflow: 320 CSS pixels
	Zoom200 = Viewport{Name: "1280-zoom200", Width: 640, Height: 450, Scale: 2} // a 1280×900 window at 200% zoom
)

// Apply sets the tab's viewport to v.
func (v Viewport) Apply() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(v.Width, v.Height, chromedp.EmulateScale(v.Scale))
}

// Shots saves a full-page PNG of the tab at each viewport, as
// dir/step-NAME.png, and puts the viewport back to restore. The files are
// quick to encode rather than small: they are for looking at, not keeping.
func Shots(ctx context.Context, dir, step string, restore Viewport, at ...Viewport) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, v := range at {
		png, err := capture(ctx, v, true)
		if err != nil {
			return fmt.Errorf("screenshot %s at %s: %w", step, v.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, step+"-"+v.Name+".png"), png, 0o644); err != nil {
			return err
		}
	}
	return chromedp.Do(ctx, restore.Apply())
}

// PNG returns a full-page PNG of the tab at the viewport, compressed as
// well as Chromium can, for pictures kept in the repository; it puts the
// viewport back to restore.
func PNG(ctx context.Context, at, restore Viewport) ([]byte, error) {
	png, err := capture(ctx, at, false)
	if err != nil {
		return nil, err
	}
	return png, chromedp.Do(ctx, restore.Apply())
}

func capture(ctx context.Context, v Viewport, fast bool) ([]byte, error) {
	if err := chromedp.Do(ctx, v.Apply()); err != nil {
		return nil, fmt.Errorf("viewport %s: %w", v.Name, err)
	}
	res, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: new(true), FromSurface: new(true),
		OptimizeForSpeed: new(fast),
	})
	return res.Data, err
}
