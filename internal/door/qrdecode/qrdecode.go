package qrdecode

import (
	"errors"
	"fmt"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// The errors of Decode.
var (
	ErrNotFound = errors.New("qrdecode: no QR code found")
	ErrSize     = errors.New("qrdecode: the pixels do not match the width and height")
)

// MaxPixels bounds a frame's width × height: a scanner downscales its
// frames well below this before decoding them.
const MaxPixels = 4096 * 4096

// Decode returns the text of the QR code in a frame of width × height
// pixels, row by row from the top left: pix holds either one luminance
// byte per pixel (0 black, 255 white) or four bytes per pixel, R, G, B, A,
// as a canvas's ImageData does. It looks for the code anywhere in the
// frame, at any angle.
//
// Errors: ErrSize when len(pix) fits neither layout or the frame is empty
// or larger than MaxPixels; ErrNotFound when the frame holds no code that
// reads.
func Decode(pix []byte, width, height int) (string, error) {
	if width <= 0 || height <= 0 || width*height > MaxPixels {
		return "", fmt.Errorf("%w: %d×%d pixels", ErrSize, width, height)
	}
	n := width * height
	var gray []byte
	switch len(pix) {
	case n:
		gray = pix
	case 4 * n:
		gray = make([]byte, n)
		for i := range gray {
			p := pix[4*i : 4*i+3 : 4*i+3]
			// ITU-R BT.601 luma, in integers: (77 R + 150 G + 29 B) / 256.
			gray[i] = byte((77*int(p[0]) + 150*int(p[1]) + 29*int(p[2])) >> 8)
		}
	default:
		return "", fmt.Errorf("%w: %d bytes for %d×%d pixels, want %d (luminance) or %d (RGBA)",
			ErrSize, len(pix), width, height, n, 4*n)
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(gray, width, height, 0, 0, width, height, false)
	if err != nil {
		return "", fmt.Errorf("qrdecode: %w", err)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", fmt.Errorf("qrdecode: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true,
	})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return res.GetText(), nil
}
