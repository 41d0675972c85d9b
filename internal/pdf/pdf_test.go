package pdf_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/admit-org/admit/internal/pdf"
	"github.com/admit-org/admit/internal/qr"
	"github.com/admit-org/admit/internal/ticket"
)

var validFrom = time.Date(2026, 12, 12, 17, 0, 0, 0, time.UTC)

// order returns n tickets of one order, each with its own signed secret,
// and the key ring that verifies them. Attendees' names need more than
// Latin-1; the second ticket has none.
func order(t testing.TB, n int) ([]pdf.Ticket, ticket.Keys) {
	t.Helper()
	k, err := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{0x2a}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Zoë Łukasiewicz", "", "Ñandú Ελευθερία", "Пётр Чайковский"}
	tickets := make([]pdf.Ticket, n)
	for i := range tickets {
		id := fmt.Sprintf("tk_qrstuvwxyz234567abc%c", 'a'+i)
		secret, err := k.Sign(ticket.Claims{
			EventID: "ev_abcdefghijklmnopqrst", TicketTypeID: "tt_234567abcdefghijklmn", TicketID: id,
			ValidFrom: validFrom, ValidUntil: validFrom.Add(8 * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		tickets[i] = pdf.Ticket{
			EventName:  "Zoë Łukasiewicz Quartet — live",
			Venue:      "Kulturbrauerei, Schönhauser Allee 36, Berlin",
			When:       "Saturday 12 December 2026, 20:00 CET",
			TicketType: "Standing",
			Attendee:   names[i%len(names)],
			TicketID:   id,
			OrderID:    "or_abcdefghijklmnopqrst",
			Secret:     secret,
		}
	}
	return tickets, func(id ticket.KeyID) (ed25519.PublicKey, bool) { return k.Public(), id == k.ID }
}

// pageObject matches a page object's type, not the page tree's (/Pages).
var pageObject = regexp.MustCompile(`/Type\s*/Page\b`)

// pdfString is s as gopdf writes a text string: UTF-16BE in hex, with a BOM.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

func TestTickets(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			tickets, _ := order(t, n)
			b, err := pdf.Tickets(tickets)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d tickets: %d bytes", n, len(b))
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatalf("starts %q, want %%PDF-", b[:min(len(b), 8)])
			}
			if got, want := len(pageObject.FindAll(b, -1)), n; got != want {
				t.Errorf("%d page objects, want %d", got, want)
			}
			if !bytes.Contains(b, []byte("/FontFile2")) {
				t.Error("no embedded TrueType font (/FontFile2)")
			}
			for _, kv := range [][2]string{{"/Title", "Tickets or_abcdefghijklmnopqrst"}, {"/Creator", "admit"}} {
				if want := kv[0] + " " + pdfString(kv[1]); !bytes.Contains(b, []byte(want)) {
					t.Errorf("no %s %q in the document information", kv[0], kv[1])
				}
			}
			again, err := pdf.Tickets(tickets)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("the same tickets again: %d bytes, %v; want the same %d bytes", len(again), err, len(b))
			}
		})
	}
}

// TestTicketsConcurrent backs the claim of safety for concurrent use; run
// it with -race.
func TestTicketsConcurrent(t *testing.T) {
	tickets, _ := order(t, 2)
	want, err := pdf.Tickets(tickets)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got, err := pdf.Tickets(tickets); err != nil || !bytes.Equal(got, want) {
				t.Errorf("concurrent Tickets = %d bytes, %v; want the same %d bytes", len(got), err, len(want))
			}
		})
	}
	wg.Wait()
}

func TestTicketsErrors(t *testing.T) {
	good, _ := order(t, 1)
	with := func(secret string) []pdf.Ticket {
		tk := good[0]
		tk.Secret = secret
		return []pdf.Ticket{good[0], tk}
	}
	for _, tc := range []struct {
		name    string
		tickets []pdf.Ticket
		want    error
	}{
		{"nil", nil, pdf.ErrNoTickets},
		{"empty", []pdf.Ticket{}, pdf.ErrNoTickets},
		{"no secret", with(""), qr.ErrEmpty},
		{"secret too long", with(strings.Repeat("a", 3000)), qr.ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := pdf.Tickets(tc.tickets); !errors.Is(err, tc.want) || b != nil {
				t.Errorf("Tickets = %d bytes, %v; want %v", len(b), err, tc.want)
			}
		})
	}
}

// poppler returns the path of a poppler-utils tool, or skips the test.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("SKIPPED, NOT TESTED: %s is not on PATH; apt-get install poppler-utils to run this test (CI installs it)", tool)
	}
	return path
}

// TestScan prints an order, rasterizes each page at 150 dpi as a phone's
// camera might see a printout, and scans the page's QR code: it must read
// that page's secret, which must verify.
func TestScan(t *testing.T) {
	pdftoppm := poppler(t, "pdftoppm")
	tickets, keys := order(t, 2)
	b, err := pdf.Tickets(tickets)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "tickets.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tk := range tickets {
		p := strconv.Itoa(i + 1)
		out := filepath.Join(dir, "page"+p)
		if msg, err := exec.Command(pdftoppm, "-r", "150", "-png", "-f", p, "-l", p, "-singlefile", file, out).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm page %s: %v\n%s", p, err, msg)
		}
		f, err := os.Open(out + ".png")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("page %s (%v): no QR code read: %v", p, img.Bounds().Size(), err)
		}
		if got, want := res.GetText(), tk.Secret; got != want {
			t.Fatalf("page %s: scanned %q, want %q", p, got, want)
		}
		c, err := ticket.Verify(res.GetText(), keys, validFrom.Add(time.Hour))
		if err != nil || c.TicketID != tk.TicketID {
			t.Errorf("page %s: Verify = ticket %s, %v; want ticket %s", p, c.TicketID, err, tk.TicketID)
		}
	}
}

// word is one word of pdftotext -bbox, in points from the top left.
var word = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)

// TestText extracts the text of printed tickets: names in Latin, Greek and
// Cyrillic come back as written, and no word of an overlong ticket crosses
// the 20 mm margins.
func TestText(t *testing.T) {
	pdftotext := poppler(t, "pdftotext")
	tickets, _ := order(t, 4)
	long := tickets[0]
	long.EventName = strings.Repeat("Supercalifragilisticexpialidocious ", 40)
	long.Venue = strings.Repeat("W", 500)
	long.TicketType = strings.Repeat("Wide ", 200)
	long.Attendee = strings.Repeat("Ŵ", 300) + " Łukasiewicz"
	long.OrderID = strings.Repeat("or_", 200)
	tickets = append(tickets, long)
	b, err := pdf.Tickets(tickets)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tickets.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Zoë Łukasiewicz", "Ñandú Ελευθερία", "Пётр Чайковский", "Schönhauser Allee",
		"Saturday 12 December 2026, 20:00 CET", pdf.Entrance, "tk_qrstuvwxyz234567abcd", "or_abcdefghijklmnopqrst"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the text has no %q:\n%s", want, text)
		}
	}
	if got, want := strings.Count(string(text), "Standing"), 4; got != want {
		t.Errorf("%d tickets' type, want %d", got, want)
	}

	boxes, err := exec.Command(pdftotext, "-bbox", "-enc", "UTF-8", "-f", "5", "-l", "5", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	const margin = 20 * 72 / 25.4
	words := word.FindAllSubmatch(boxes, -1)
	if len(words) < 10 {
		t.Fatalf("%d words on the long ticket's page", len(words))
	}
	for _, w := range words {
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(string(w[i+1]), 64)
		}
		// A box is the font's: its top is a little above the line's.
		if v[0] < margin-1 || v[2] > 595-margin+1 || v[1] < margin-4 || v[3] > 842-margin {
			t.Errorf("word %.20q… at (%.0f,%.0f)–(%.0f,%.0f) crosses the margins", w[5], v[0], v[1], v[2], v[3])
		}
	}
}

func BenchmarkTickets(b *testing.B) {
	tickets, _ := order(b, 4)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		pdf, err := pdf.Tickets(tickets)
		if err != nil {
			b.Fatal(err)
		}
		n = len(pdf)
	}
	b.ReportMetric(float64(n), "pdf-bytes")
}
