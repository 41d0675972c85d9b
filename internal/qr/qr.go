package qr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	"github.com/skip2/go-qrcode"
)

// The limits of PNG's size, in pixels.
const (
	MinSize = 64
	MaxSize = 2048
)

// The errors of PNG and SVG.
var (
	ErrEmpty   = errors.New("qr: no text to encode")
	ErrTooLong = errors.New("qr: text too long for a QR code at level M")
	ErrSize    = errors.New("qr: image size out of range")
)

// modules encodes text at level M and returns its symbol with the quiet zone:
// dark[y][x] reports whether the module in row y, column x is dark. Errors:
// ErrEmpty, ErrTooLong.
func modules(text string) ([][]bool, error) {
	if text == "" {
		return nil, ErrEmpty
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		// go-qrcode's only other error is for empty content.
		return nil, fmt.Errorf("%w: %d bytes (%w)", ErrTooLong, len(text), err)
	}
	return q.Bitmap(), nil
}

// PNG encodes text as a QR code PNG image size×size pixels, black on white,
// with error correction level M and the 4-module quiet zone. Every module is
// the same whole number of pixels; the pixels that do not divide evenly
// widen the quiet zone, so the symbol is centred. The image has a 2-colour
// palette (1 bit per pixel).
//
// Errors: ErrSize if size is outside MinSize..MaxSize or smaller than the
// symbol's modules, one pixel each (a ticket secret has 53; more than 64
// from version 10 on); ErrEmpty; ErrTooLong.
func PNG(text string, size int) ([]byte, error) {
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("%w: %d pixels, want %d to %d", ErrSize, size, MinSize, MaxSize)
	}
	dark, err := modules(text)
	if err != nil {
		return nil, err
	}
	n := len(dark)
	scale := size / n
	if scale == 0 {
		return nil, fmt.Errorf("%w: %d pixels for a symbol of %d modules", ErrSize, size, n)
	}
	margin := (size - scale*n) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range dark {
		top := (margin + y*scale) * img.Stride
		line := img.Pix[top : top+size]
		for x, d := range row {
			if d {
				left := margin + x*scale
				for i := left; i < left+scale; i++ {
					line[i] = 1
				}
			}
		}
		for k := 1; k < scale; k++ {
			copy(img.Pix[top+k*img.Stride:], line)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr: encode png: %w", err)
	}
	return b.Bytes(), nil
}

// SVG encodes text as a scalable QR code, black on white, with error
// correction level M. The viewBox is in modules, quiet zone included
// ("0 0 53 53" for a ticket secret), and the document has no width or
// height: it takes the size its container gives it. It holds a white
// background <rect> and one <path> of the dark modules, a rectangle per
// horizontal run ("M x y h n v1 h-n z"), drawn with shape-rendering
// crispEdges. It has role="img" and a <title> of title, XML-escaped, for
// screen readers; an empty title becomes "QR code".
//
// Errors: ErrEmpty; ErrTooLong.
func SVG(text, title string) ([]byte, error) {
	dark, err := modules(text)
	if err != nil {
		return nil, err
	}
	if title == "" {
		title = "QR code"
	}
	n := strconv.Itoa(len(dark))
	var b bytes.Buffer
	b.Grow(4096 + len(dark)*len(dark)*2)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + " " + n +
		`" role="img" shape-rendering="crispEdges"><title>`)
	xml.EscapeText(&b, []byte(title)) // writes to a bytes.Buffer: no error
	b.WriteString(`</title><rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	d := b.AvailableBuffer()
	for y, row := range dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			end := x + 1
			for end < len(row) && row[end] {
				end++
			}
			d = append(d, 'M')
			d = strconv.AppendInt(d, int64(x), 10)
			d = append(d, ' ')
			d = strconv.AppendInt(d, int64(y), 10)
			d = append(d, 'h')
			d = strconv.AppendInt(d, int64(end-x), 10)
			d = append(d, "v1h-"...)
			d = strconv.AppendInt(d, int64(end-x), 10)
			d = append(d, 'z')
			x = end
		}
	}
	b.Write(d)
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
