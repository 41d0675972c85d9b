package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/admit-org/admit/internal/qr"
)

// Ticket is one admission as printed.
type Ticket struct {
	EventName, Venue, When string // When already formatted in the event's time zone, e.g. "Saturday 12 December 2026, 20:00 CET"
	TicketType, Attendee   string // Attendee may be empty: then omit the line
	TicketID, OrderID      string
	Secret                 string // the QR content
}

// ErrNoTickets is Tickets' error for an empty list.
var ErrNoTickets = errors.New("pdf: no tickets to print")

// Entrance is the line printed under every QR code.
const Entrance = "Show this code at the entrance. It can be checked offline."

// The page, in points (1/72 inch).
const (
	mm       = 72 / 25.4
	pageW    = 595.0 // A4, as gopdf.PageSizeA4
	pageH    = 842.0
	margin   = 20 * mm
	contentW = pageW - 2*margin
	qrSide   = 60 * mm
	qrPixels = 1024 // 60 mm at about 430 dpi: crisp in print
	family   = "Go"
)

// Tickets renders the tickets, one per A4 page, as one PDF: the event name,
// when and where, the ticket type, the attendee (if any), the QR code of the
// secret 60 mm square with the Entrance line under it, and the order and
// ticket ids. Text is set in the Go fonts, embedded as subsets, which cover
// Latin, Greek and Cyrillic; a character they lack prints as "?", and
// right-to-left scripts are not shaped. A text too long for its place wraps
// at spaces (within a word if it must), shrinks, and at the smallest size
// is cut short with "…": nothing leaves the page.
//
// The document's title is "Tickets " and the first ticket's OrderID; its
// creator is "admit". It has no creation date, so the same tickets always
// give the same bytes.
//
// Errors: ErrNoTickets; a secret the QR code cannot hold (wrapping
// qr.ErrEmpty or qr.ErrTooLong). Safe for concurrent use.
func Tickets(tickets []Ticket) ([]byte, error) {
	if len(tickets) == 0 {
		return nil, ErrNoTickets
	}
	doc, err := newDoc(strings.TrimSpace("Tickets " + tickets[0].OrderID))
	if err != nil {
		return nil, err
	}
	for i, t := range tickets {
		if _, err := page(doc, t); err != nil {
			return nil, fmt.Errorf("pdf: ticket %d (%s): %w", i+1, t.TicketID, err)
		}
	}
	var b bytes.Buffer
	if err := doc.Write(&b); err != nil {
		return nil, fmt.Errorf("pdf: write: %w", err)
	}
	return b.Bytes(), nil
}

// newDoc starts an A4 document, in points, with the title and the Go fonts.
func newDoc(title string) (*gopdf.GoPdf, error) {
	doc := &gopdf.GoPdf{}
	doc.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	doc.SetInfo(gopdf.PdfInfo{Title: title, Creator: "admit", Producer: "admit"})
	missing := func(rune) rune { return '?' }
	for _, f := range []struct {
		ttf   []byte
		style int
	}{{goregular.TTF, gopdf.Regular}, {gobold.TTF, gopdf.Bold}} {
		err := doc.AddTTFFontDataWithOption(family, f.ttf, gopdf.TtfOption{Style: f.style, OnGlyphNotFoundSubstitute: missing})
		if err != nil {
			return nil, fmt.Errorf("pdf: load the Go font: %w", err)
		}
	}
	return doc, nil
}

// page adds a page for t and returns how far down it wrote, in points.
func page(doc *gopdf.GoPdf, t Ticket) (bottom float64, err error) {
	png, err := qr.PNG(t.Secret, qrPixels)
	if err != nil {
		return 0, err
	}
	img, err := gopdf.ImageHolderByBytes(png)
	if err != nil {
		return 0, fmt.Errorf("qr image: %w", err)
	}
	doc.AddPage()
	w := writer{doc: doc, y: margin}
	black, grey := [3]uint8{0, 0, 0}, [3]uint8{0x55, 0x55, 0x55}

	w.text(t.EventName, "B", 26, 14, 3, gopdf.Left, black)
	w.y += 4
	w.text(t.When, "", 13, 9, 2, gopdf.Left, black)
	w.text(t.Venue, "", 13, 9, 2, gopdf.Left, black)
	w.y += 6 * mm
	w.rule()
	w.y += 6 * mm
	w.text(t.TicketType, "B", 16, 10, 2, gopdf.Left, black)
	w.text(t.Attendee, "", 16, 10, 2, gopdf.Left, black)
	w.y += 8 * mm
	if w.err == nil {
		w.err = doc.ImageByHolder(img, (pageW-qrSide)/2, w.y, &gopdf.Rect{W: qrSide, H: qrSide})
	}
	w.y += qrSide + 4*mm
	w.text(Entrance, "", 11, 9, 2, gopdf.Center, black)
	w.y += 8 * mm
	w.rule()
	w.y += 3 * mm
	w.text("Order "+t.OrderID, "", 8, 6, 2, gopdf.Left, grey)
	w.text("Ticket "+t.TicketID, "", 8, 6, 2, gopdf.Left, grey)
	return w.y, w.err
}

// writer lays a page out from the top down: y is where the next block
// starts. The first error stops it.
type writer struct {
	doc *gopdf.GoPdf
	y   float64
	err error
}

// lineHeight is the distance between lines, as a multiple of the font size.
const lineHeight = 1.25

// text writes s across the content width in at most maxLines lines: at size
// points if it fits, else at the largest whole size down to minSize that
// does, else at minSize cut short with "…". Blank s writes nothing.
func (w *writer) text(s, style string, size, minSize float64, maxLines, align int, rgb [3]uint8) {
	if w.err != nil || strings.TrimSpace(s) == "" {
		return
	}
	var lines []string
	for ; ; size-- {
		if size < minSize {
			size = minSize
		}
		if w.err = w.doc.SetFont(family, style, size); w.err != nil {
			return
		}
		if lines, w.err = wrap(w.doc, s, contentW, maxLines); w.err != nil {
			return
		}
		if len(lines) <= maxLines {
			break
		}
		if size == minSize {
			if lines, w.err = cut(w.doc, lines[:maxLines], contentW); w.err != nil {
				return
			}
			break
		}
	}
	w.doc.SetTextColor(rgb[0], rgb[1], rgb[2])
	for _, l := range lines {
		w.doc.SetXY(margin, w.y)
		opt := gopdf.CellOption{Align: align | gopdf.Top}
		if w.err = w.doc.CellWithOption(&gopdf.Rect{W: contentW, H: size * lineHeight}, l, opt); w.err != nil {
			return
		}
		w.y += size * lineHeight
	}
}

// rule draws a thin grey line across the content width at y.
func (w *writer) rule() {
	w.doc.SetStrokeColor(0xbb, 0xbb, 0xbb)
	w.doc.SetLineWidth(0.5)
	w.doc.Line(margin, w.y, pageW-margin, w.y)
}

// wrap breaks s into lines no wider than width in the current font: at
// white space, and within a word only where the word alone is wider. It
// stops after maxLines+1 lines: more than maxLines means s does not fit.
func wrap(doc *gopdf.GoPdf, s string, width float64, maxLines int) ([]string, error) {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if len(lines) > maxLines {
			return lines, nil
		}
		try := word
		if line != "" {
			try = line + " " + word
		}
		wd, err := doc.MeasureTextWidth(try)
		if err != nil {
			return nil, err
		}
		if wd <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		// The word starts a line; split it where it is wider than one.
		line = ""
		for _, r := range word {
			wd, err := doc.MeasureTextWidth(line + string(r))
			if err != nil {
				return nil, err
			}
			if wd > width && line != "" {
				lines = append(lines, line)
				if len(lines) > maxLines {
					return lines, nil
				}
				line = ""
			}
			line += string(r)
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines, nil
}

// cut ends the last line with "…", dropping characters until it fits width
// in the current font.
func cut(doc *gopdf.GoPdf, lines []string, width float64) ([]string, error) {
	last := lines[len(lines)-1]
	for {
		wd, err := doc.MeasureTextWidth(last + "…")
		if err != nil {
			return nil, err
		}
		if wd <= width || last == "" {
			break
		}
		_, n := utf8.DecodeLastRuneInString(last)
		last = strings.TrimRight(last[:len(last)-n], " ")
	}
	lines[len(lines)-1] = last + "…"
	return lines, nil
}
