// Package logo makes an organizer's logo fit to show: any PNG, JPEG or GIF
// a person uploads becomes a PNG of at most MaxWidth × MaxHeight pixels
// (scaled down, never up, its proportions kept) and MaxBytes bytes, with
// nothing of the file but its pixels (no metadata, no script an SVG could
// carry). It is pure and safe for concurrent use.
package logo

import (
	"bytes"
	"image"
	_ "image/gif" // decoders for Normalize
	_ "image/jpeg"
	"image/png"

	"golang.org/x/image/draw"

	"github.com/admit-org/admit/internal/fault"
)

// The bounds of a logo as shown.
const (
	MaxWidth  = 480
	MaxHeight = 160
	MaxBytes  = 96 << 10
	maxInput  = 4096 // pixels a side a file may have at most, before scaling
)

// Normalize decodes data and returns it as a PNG within the bounds.
// Errors: Invalid, saying why in words for the person who chose the file.
func Normalize(data []byte) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fault.New(fault.Invalid, "the file is not a PNG, JPEG or GIF image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxInput || cfg.Height > maxInput {
		return nil, fault.New(fault.Invalid, "the image must be at most %d pixels wide and high", maxInput)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fault.New(fault.Invalid, "the image could not be read")
	}
	w, h := cfg.Width, cfg.Height
	if w > MaxWidth {
		w, h = MaxWidth, max(1, h*MaxWidth/w)
	}
	if h > MaxHeight {
		w, h = max(1, w*MaxHeight/h), MaxHeight
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, dst); err != nil {
		return nil, fault.Wrap(fault.Internal, err, "logo: encode")
	}
	if out.Len() > MaxBytes {
		return nil, fault.New(fault.Invalid, "the image is too detailed to keep small: choose a simpler one")
	}
	return out.Bytes(), nil
}
