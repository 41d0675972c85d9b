package logo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

func picture(w, h int) image.Image {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			m.Set(x, y, color.RGBA{uint8(x), 80, uint8(y), 255})
		}
	}
	return m
}

func TestNormalize(t *testing.T) {
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, picture(1200, 300), nil); err != nil {
		t.Fatal(err)
	}
	var small bytes.Buffer
	png.Encode(&small, picture(100, 50))
	for _, c := range []struct {
		name string
		in   []byte
		w, h int
	}{
		{"a wide JPEG, scaled to the width", jp.Bytes(), 480, 120},
		{"a small PNG, kept", small.Bytes(), 100, 50},
	} {
		out, err := Normalize(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m, err := png.Decode(bytes.NewReader(out))
		if err != nil || m.Bounds().Dx() != c.w || m.Bounds().Dy() != c.h || len(out) > MaxBytes {
			t.Errorf("%s: %v, %v, %d bytes; want %d×%d", c.name, m.Bounds(), err, len(out), c.w, c.h)
		}
	}
	var tall bytes.Buffer
	png.Encode(&tall, picture(100, 400))
	if out, err := Normalize(tall.Bytes()); err != nil {
		t.Fatal(err)
	} else if m, _ := png.Decode(bytes.NewReader(out)); m.Bounds().Dy() != MaxHeight || m.Bounds().Dx() != 40 {
		t.Errorf("a tall image: %v, want 40×%d", m.Bounds(), MaxHeight)
	}
	for _, bad := range [][]byte{nil, []byte("<svg onload=alert(1)>"), []byte("GIF89a")} {
		if _, err := Normalize(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("%q: %v, want Invalid", bad, err)
		}
	}
}
