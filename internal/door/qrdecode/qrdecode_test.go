package qrdecode_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/door/qrdecode"
	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/ticket"
)

// secret returns a real ticket secret.
func secret(t testing.TB) string {
	t.Helper()
	k, err := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{0x2a}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2030, 6, 1, 17, 0, 0, 0, time.UTC)
	s, err := k.Sign(ticket.Claims{EventID: "ev_abcdefghijklmnopqrst", TicketTypeID: "tt_234567abcdefghijklmn",
		TicketID: "tk_qrstuvwxyz234567abcd", ValidFrom: from, ValidUntil: from.Add(8 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// frame is a w×h camera frame, mid-grey, with the QR code of text drawn
// size pixels wide at (x, y), as RGBA.
func frame(t testing.TB, text string, size, w, h, x, y int) *image.RGBA {
	t.Helper()
	b, err := qr.PNG(text, size)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: 140}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x, y, x+size, y+size), code, image.Point{}, draw.Src)
	return img
}

func gray(img *image.RGBA) []byte {
	out := make([]byte, img.Rect.Dx()*img.Rect.Dy())
	for i := range out {
		out[i] = img.Pix[4*i+1] // the frame is grey: R = G = B
	}
	return out
}

func TestDecode(t *testing.T) {
	s := secret(t)
	for _, tc := range []struct {
		name             string
		size, w, h, x, y int
	}{
		{"centred", 212, 480, 360, 134, 74},
		{"in a corner", 160, 480, 360, 10, 190},
		{"small", 106, 320, 240, 100, 60},
	} {
		img := frame(t, s, tc.size, tc.w, tc.h, tc.x, tc.y)
		for layout, pix := range map[string][]byte{"RGBA": img.Pix, "luminance": gray(img)} {
			got, err := qrdecode.Decode(pix, tc.w, tc.h)
			if err != nil || got != s {
				t.Errorf("%s, %s: Decode = %q, %v; want %q", tc.name, layout, got, err, s)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	blank := make([]byte, 320*240)
	for i := range blank {
		blank[i] = 200
	}
	if got, err := qrdecode.Decode(blank, 320, 240); !errors.Is(err, qrdecode.ErrNotFound) {
		t.Errorf("a blank frame: Decode = %q, %v; want ErrNotFound", got, err)
	}
	for _, tc := range []struct {
		n, w, h int
	}{{100, 10, 11}, {0, 0, 0}, {4, -1, -4}, {3 * 100, 10, 10}, {1, 1 << 13, 1 << 13}} {
		if got, err := qrdecode.Decode(make([]byte, tc.n), tc.w, tc.h); !errors.Is(err, qrdecode.ErrSize) {
			t.Errorf("%d bytes for %d×%d: Decode = %q, %v; want ErrSize", tc.n, tc.w, tc.h, got, err)
		}
	}
}

// BenchmarkDecode decodes a frame the size the scanner decodes (its frames
// are downscaled to at most 480 pixels wide).
func BenchmarkDecode(b *testing.B) {
	img := frame(b, secret(b), 212, 480, 360, 134, 74)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrdecode.Decode(img.Pix, 480, 360); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEmpty is the common case: a frame without a code.
func BenchmarkDecodeEmpty(b *testing.B) {
	pix := make([]byte, 480*360*4)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrdecode.Decode(pix, 480, 360); !errors.Is(err, qrdecode.ErrNotFound) {
			b.Fatal(err)
		}
	}
}
