package door_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/qr"
)

// writeY4M writes a video of the QR code of text for Chromium's fake
// camera: YUV4MPEG2, 640×480, 4:2:0, a few identical frames (Chromium
// plays the file in a loop). The code is 240 pixels wide on a grey
// background, as a phone's screen or a printed ticket held up to a
// camera; the colour planes are flat grey.
func writeY4M(t *testing.T, text string) string {
	t.Helper()
	const w, h, size = 640, 480, 240
	b, err := qr.PNG(text, size)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 110}), image.Point{}, draw.Src)
	at := image.Pt((w-size)/2, (h-size)/2)
	draw.Draw(frame, image.Rectangle{Min: at, Max: at.Add(image.Pt(size, size))}, code, image.Point{}, draw.Src)
	chroma := bytes.Repeat([]byte{128}, w/2*h/2)
	path := filepath.Join(t.TempDir(), "ticket.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(f)
	fmt.Fprintf(out, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	for range 5 {
		out.WriteString("FRAME\n")
		out.Write(frame.Pix) // Y: a Gray image's pixels, row by row
		out.Write(chroma)    // U
		out.Write(chroma)    // V
	}
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCamera starts a browser whose fake camera films a real ticket's QR
// code, and scans it: the WebAssembly reader (Chromium here has no
// BarcodeDetector) reads it from the video, the scanner lets the ticket in
// once, and does not scan it again while it stays in front of the camera.
func TestCamera(t *testing.T) {
	s := newStub(t, fast)
	_, secret := s.sell(standing, "Ada Lovelace", false)
	video := writeY4M(t, secret)
	ctx := browser.StartWith(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true), // grants the camera without asking
		chromedp.Flag("use-file-for-fake-video-capture", video),
	)
	b := openTabOn(t, ctx, browser.Axe(t), s)
	b.setUp()
	if eval[bool](b, `"BarcodeDetector" in window`) {
		t.Log("this Chromium has a BarcodeDetector: the test reads with it, not with the WebAssembly reader")
	}
	b.do(chromedp.Click(chromedp.ID("camera-button")))
	b.wait("the camera's scan", `doorStats.decisions === 1`)
	b.wantResult("ok", "Let in", "Ada Lovelace", "Standing")
	if got := b.text("#camera-button"); got != "Stop camera" {
		t.Errorf("the camera button says %q", got)
	}
	reader := eval[string](b, `doorStats.reader`)
	if !eval[bool](b, `"BarcodeDetector" in window`) && reader != "WebAssembly (gozxing)" {
		t.Errorf("the reader is %q, want the WebAssembly one", reader)
	}
	b.waitGo("the upload", func() bool { return len(s.received()) == 1 })
	if got := s.received()[0]; got.Secret != secret || got.OfflineResult != "ok" {
		t.Errorf("the camera's upload is %+v", got)
	}
	b.checkAxe("camera")

	// The code stays in view: ten more frames read, still one scan.
	decodes := eval[int](b, `doorStats.decodes`)
	b.wait("ten more frames", fmt.Sprintf(`doorStats.decodes >= %d`, decodes+10))
	if n := eval[int](b, `doorStats.decisions`); n != 1 {
		t.Errorf("the ticket held in front of the camera was scanned %d times, want once", n)
	}
	t.Logf("the camera's reader (%s) took %.1f ms for its last frame (640×480, drawn and decoded)", reader, eval[float64](b, `doorStats.decodeMs`))

	b.do(chromedp.Click(chromedp.ID("camera-button")))
	b.wait("the camera off", `document.getElementById("camera-video").hidden`)
	if got := b.text("#camera-status"); !strings.Contains(got, "off") {
		t.Errorf("the camera status says %q", got)
	}
	if n := eval[int](b, `document.getElementById("camera-video").srcObject === null ? 0 : 1`); n != 0 {
		t.Error("the camera's stream is still attached")
	}
}
