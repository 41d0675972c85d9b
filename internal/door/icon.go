package door

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// The icon: a white tick on the shop's accent blue, filling the square so
// that it also serves as a maskable icon (the tick stays inside the
// central circle that launchers keep). assets/icon.svg draws the same
// picture; the PNGs are drawn here, when the scanner starts, rather than
// kept as generated files.
var (
	iconBlue  = color.NRGBA{0x1d, 0x4e, 0xd8, 0xff}
	iconTick  = [][2]float64{{0.28, 0.52}, {0.44, 0.68}, {0.74, 0.36}} // in units of the side
	iconWidth = 0.09                                                   // the tick's stroke
)

// iconPNG draws the icon size×size pixels, anti-aliased.
func iconPNG(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	half := iconWidth * s / 2
	for y := range size {
		for x := range size {
			px, py := float64(x)+0.5, float64(y)+0.5
			d := math.Inf(1)
			for i := 0; i+1 < len(iconTick); i++ {
				a, b := iconTick[i], iconTick[i+1]
				d = min(d, segmentDistance(px, py, a[0]*s, a[1]*s, b[0]*s, b[1]*s))
			}
			cover := math.Max(0, math.Min(1, half-d+0.5)) // how much of the pixel the stroke covers
			mix := func(bg uint8) uint8 { return uint8(math.Round(float64(bg) + (255-float64(bg))*cover)) }
			img.SetNRGBA(x, y, color.NRGBA{mix(iconBlue.R), mix(iconBlue.G), mix(iconBlue.B), 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // into a bytes.Buffer: not expected
	}
	return b.Bytes()
}

// segmentDistance is the distance from (px, py) to the segment from
// (ax, ay) to (bx, by).
func segmentDistance(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := ((px-ax)*dx + (py-ay)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-(ax+t*dx), py-(ay+t*dy))
}
