package qr_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/ticket"
)

var validFrom = time.Date(2026, 12, 12, 17, 0, 0, 0, time.UTC)

// signed returns a ticket secret and the key ring that verifies it.
func signed(t testing.TB) (string, ticket.Keys) {
	t.Helper()
	k, err := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{0x2a}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := k.Sign(ticket.Claims{
		EventID:      "ev_abcdefghijklmnopqrst",
		TicketTypeID: "tt_234567abcdefghijklmn",
		TicketID:     "tk_qrstuvwxyz234567abcd",
		ValidFrom:    validFrom,
		ValidUntil:   validFrom.Add(8 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret, func(id ticket.KeyID) (ed25519.PublicKey, bool) { return k.Public(), id == k.ID }
}

// scan decodes the one QR code in img as a phone's scanner would: it finds
// the code, rather than being told where it is.
func scan(t *testing.T, img image.Image) *gozxing.Result {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code read: %v", err)
	}
	return res
}

// checkScanned checks that a scan read secret, alphanumerically at level M,
// and that the secret still verifies.
func checkScanned(t *testing.T, res *gozxing.Result, secret string, keys ticket.Keys) {
	t.Helper()
	if got := res.GetText(); got != secret {
		t.Fatalf("scanned %q, want %q", got, secret)
	}
	md := res.GetResultMetadata()
	if got, want := md[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL], "M"; got != want {
		t.Errorf("error correction level %v, want %v", got, want)
	}
	if segs, ok := md[gozxing.ResultMetadataType_BYTE_SEGMENTS]; ok {
		t.Errorf("byte mode segments %v: a secret is alphanumeric", segs)
	}
	if _, err := ticket.Verify(res.GetText(), keys, validFrom.Add(time.Hour)); err != nil {
		t.Errorf("Verify(scanned secret) = %v", err)
	}
}

func TestPNGScans(t *testing.T) {
	secret, keys := signed(t)
	for _, size := range []int{qr.MinSize, 200, 256, 1000, 1024, qr.MaxSize} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			b, err := qr.PNG(secret, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
				t.Fatalf("bounds %v, want %d×%d", got, size, size)
			}
			// The quiet zone: at least 4 modules (of at least size/53 pixels)
			// of white on every side.
			q := 4 * (size / 53)
			for i := range size {
				for _, p := range []image.Point{{i, q - 1}, {q - 1, i}, {i, size - q}, {size - q, i}} {
					if r, _, _, _ := img.At(p.X, p.Y).RGBA(); r != 0xffff {
						t.Fatalf("pixel %v of the quiet zone is not white", p)
					}
				}
			}
			if size < 4*53 {
				return // 1 pixel a module: too small for gozxing to find, not a code to print
			}
			checkScanned(t, scan(t, img), secret, keys)
		})
	}
}

// svgDoc is what TestSVG reads of an SVG.
type svgDoc struct {
	XMLName        xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox        string   `xml:"viewBox,attr"`
	Width          string   `xml:"width,attr"`
	Role           string   `xml:"role,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Title          string   `xml:"title"`
	Rects          []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

func TestSVGScans(t *testing.T) {
	secret, keys := signed(t)
	title := `Ticket <tk_qrst…> for "Zoë & Ñandú"`
	b, err := qr.SVG(secret, title)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SVG of a %d-character secret: %d bytes", len(secret), len(b))
	var doc svgDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if got, want := doc.Title, title; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if got, want := doc.Role, "img"; got != want {
		t.Errorf("role %q, want %q", got, want)
	}
	if got, want := doc.ShapeRendering, "crispEdges"; got != want {
		t.Errorf("shape-rendering %q, want %q", got, want)
	}
	if len(doc.Paths) != 1 || len(doc.Rects) != 1 || doc.Rects[0].Fill != "#fff" {
		t.Fatalf("%d paths and rects %+v, want one path over one white rect", len(doc.Paths), doc.Rects)
	}
	var n int
	if f := strings.Fields(doc.ViewBox); len(f) != 4 || f[0] != "0" || f[1] != "0" || f[2] != f[3] {
		t.Fatalf("viewBox %q, want 0 0 n n", doc.ViewBox)
	} else if n, err = strconv.Atoi(f[2]); err != nil || (n-8-17)%4 != 0 {
		t.Fatalf("viewBox %q: not a QR symbol of 17+4v modules and a 4-module quiet zone", doc.ViewBox)
	}
	// Alphanumeric mode fits 178 characters at level M in version 7; byte
	// mode would need version 9.
	version := (n - 8 - 17) / 4
	t.Logf("a %d-character secret: version %d, %d×%d modules with the quiet zone", len(secret), version, n, n)
	if version > 7 {
		t.Errorf("version %d, want 7 (alphanumeric mode)", version)
	}

	const px = 6 // pixels a module
	img := rasterize(t, doc.Paths[0].D, n, px)
	for _, p := range []image.Point{{0, 0}, {4*px - 1, 4*px - 1}, {n*px - 1, n*px - 1}} {
		if img.GrayAt(p.X, p.Y).Y != 0xff {
			t.Errorf("pixel %v in the quiet zone is dark", p)
		}
	}
	if img.GrayAt(4*px, 4*px).Y != 0 {
		t.Errorf("the first module of the finder pattern is light")
	}
	checkScanned(t, scan(t, img), secret, keys)
}

// rasterize draws path data as SVG writes it, subpaths "M x y h w v1 h-w z"
// of integer modules, black on a white n×n-module image of px pixels a
// module. Anything else in d fails the test.
func rasterize(t *testing.T, d string, n, px int) *image.Gray {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	sub := strings.Split(d, "z")
	if sub[len(sub)-1] != "" {
		t.Fatalf("path does not end with z: …%q", sub[len(sub)-1])
	}
	for _, s := range sub[:len(sub)-1] {
		var x, y, w, h, back int
		if _, err := parseRun(s, &x, &y, &w, &h, &back); err != nil || h != 1 || back != w || w < 1 ||
			x < 0 || y < 0 || x+w > n || y >= n {
			t.Fatalf("subpath %q is not M x y h w v1 h-w inside the viewBox (%v)", s, err)
		}
		for py := y * px; py < (y+1)*px; py++ {
			for px0 := x * px; px0 < (x+w)*px; px0++ {
				img.SetGray(px0, py, color.Gray{})
			}
		}
	}
	return img
}

// parseRun reads "M%d %dh%dv%dh-%d", nothing more or less.
func parseRun(s string, x, y, w, h, back *int) (int, error) {
	rest, ok := strings.CutPrefix(s, "M")
	if !ok {
		return 0, errors.New("no M")
	}
	var nums [5]int
	for i, sep := range []string{" ", "h", "v", "h-", ""} {
		var field string
		if sep == "" {
			field, rest = rest, ""
		} else if field, rest, ok = strings.Cut(rest, sep); !ok {
			return i, errors.New("missing " + sep)
		}
		v, err := strconv.Atoi(field)
		if err != nil {
			return i, err
		}
		nums[i] = v
	}
	*x, *y, *w, *h, *back = nums[0], nums[1], nums[2], nums[3], nums[4]
	return 5, nil
}

func TestErrors(t *testing.T) {
	secret, _ := signed(t)
	// 3000 bytes outside the alphanumeric set: over level M's 2331 in byte mode.
	tooLong := strings.Repeat("a", 3000)
	// 2000 alphanumeric characters need version 31: 149 modules with the quiet
	// zone, more than 64 pixels.
	tooBig := strings.Repeat("A", 2000)
	for _, tc := range []struct {
		name string
		text string
		size int
		want error
	}{
		{"empty", "", 256, qr.ErrEmpty},
		{"too long", tooLong, 256, qr.ErrTooLong},
		{"size 0", secret, 0, qr.ErrSize},
		{"size negative", secret, -5, qr.ErrSize},
		{"size 63", secret, qr.MinSize - 1, qr.ErrSize},
		{"size 2049", secret, qr.MaxSize + 1, qr.ErrSize},
		{"more modules than pixels", tooBig, qr.MinSize, qr.ErrSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := qr.PNG(tc.text, tc.size); !errors.Is(err, tc.want) || b != nil {
				t.Errorf("PNG = %d bytes, %v; want %v", len(b), err, tc.want)
			}
			if tc.want == qr.ErrSize {
				return
			}
			if b, err := qr.SVG(tc.text, "title"); !errors.Is(err, tc.want) || b != nil {
				t.Errorf("SVG = %d bytes, %v; want %v", len(b), err, tc.want)
			}
		})
	}
}

func TestSVGEmptyTitle(t *testing.T) {
	b, err := qr.SVG("AT1:X", "")
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := doc.Title, "QR code"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

func BenchmarkPNG(b *testing.B) {
	secret, _ := signed(b)
	for _, size := range []int{256, 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qr.PNG(secret, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSVG(b *testing.B) {
	secret, _ := signed(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qr.SVG(secret, "Ticket"); err != nil {
			b.Fatal(err)
		}
	}
}
