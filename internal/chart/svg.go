package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The SVG's geometry, in viewBox units: the whole, and the plot inside
// its margins (room for the title above, the counts on the left, the
// dates below).
const (
	svgWidth, svgHeight = 640, 320
	plotLeft, plotRight = 64, svgWidth - 16
	plotTop, plotBottom = 44, svgHeight - 60
	maxBarWidth         = 56
	minBarHeight        = 2  // a bucket that sold anything shows
	minCountSlot        = 40 // the narrowest slot that carries its count as text
)

// The colours, against a white page.
const (
	colourText = "#1a1a1a" // 17.4:1
	colourBar  = "#1d4ed8" // 6.7:1
	colourAxis = "#767676" // 4.5:1
	colourGrid = "#949494" // 3:1
)

// svg draws the chart. The bars have no <title> of their own: Chromium
// gives a titled shape inside an image a name and a role of its own, and
// the figures are the table's to tell.
func svg(c *Chart, l labels, o Options) string {
	var w svgWriter
	w.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="100%%"`+
		` role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="12">`,
		svgWidth, svgHeight, o.ID, o.ID)
	w.printf(`<title id="%s-title">%s</title>`, o.ID, xmlText(c.Title))
	w.printf(`<desc id="%s-desc">%s</desc>`, o.ID, xmlText(c.Summary))
	w.printf(`<text class="chart-title" x="8" y="24" font-size="16" font-weight="bold" fill="%s">%s</text>`,
		colourText, xmlText(c.Title))

	n := len(c.Buckets)
	if n == 0 {
		w.axes()
		w.printf(`<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="%s">%s</text>`,
			num((plotLeft+plotRight)/2.0), num((plotTop+plotBottom)/2.0), colourText, xmlText(c.Summary))
		w.WriteString(`</svg>`)
		return w.String()
	}

	most := 0
	for _, b := range c.Buckets {
		most = max(most, b.Tickets)
	}
	ticks := YTicks(most)
	top := ticks[len(ticks)-1]
	y := func(v int) float64 { return plotBottom - float64(v)/float64(top)*(plotBottom-plotTop) }

	w.printf(`<g class="chart-grid" stroke="%s" stroke-width="1" stroke-dasharray="2 3">`, colourGrid)
	for _, t := range ticks[1:] {
		w.printf(`<line x1="%d" x2="%d" y1="%s" y2="%s"/>`, plotLeft, plotRight, num(y(t)), num(y(t)))
	}
	w.WriteString(`</g>`)
	w.printf(`<g class="chart-y-ticks" fill="%s" text-anchor="end">`, colourText)
	for _, t := range ticks {
		w.printf(`<text x="%d" y="%s">%s</text>`, plotLeft-8, num(y(t)+4), count(t))
	}
	w.WriteString(`</g>`)
	w.printf(`<text class="chart-y-label" transform="translate(14 %s) rotate(-90)" text-anchor="middle" fill="%s">`+
		`Tickets sold</text>`, num((plotTop+plotBottom)/2.0), colourText)

	slot := float64(plotRight-plotLeft) / float64(n)
	bw := min(slot*0.7, maxBarWidth)
	if bw < 1 {
		bw = slot
	}
	centre := func(i int) float64 { return plotLeft + (float64(i)+0.5)*slot }
	w.printf(`<g class="chart-bars" fill="%s">`, colourBar)
	for i, b := range c.Buckets {
		if b.Tickets == 0 {
			continue
		}
		h := max(plotBottom-y(b.Tickets), minBarHeight)
		w.printf(`<rect x="%s" y="%s" width="%s" height="%s"/>`, num(centre(i)-bw/2), num(plotBottom-h), num(bw), num(h))
	}
	w.WriteString(`</g>`)
	if slot >= minCountSlot {
		w.printf(`<g class="chart-counts" fill="%s" text-anchor="middle">`, colourText)
		for i, b := range c.Buckets {
			h := 0.0
			if b.Tickets > 0 {
				h = max(plotBottom-y(b.Tickets), minBarHeight)
			}
			w.printf(`<text x="%s" y="%s">%s</text>`, num(centre(i)), num(plotBottom-h-4), count(b.Tickets))
		}
		w.WriteString(`</g>`)
	}

	w.axes()
	w.printf(`<g class="chart-x-ticks" fill="%s" text-anchor="middle">`, colourText)
	var prev time.Time
	for j, i := range XTicks(c.Step, c.Buckets) {
		b := c.Buckets[i]
		x := num(centre(i))
		w.printf(`<line x1="%s" x2="%s" y1="%d" y2="%d" stroke="%s"/>`, x, x, plotBottom, plotBottom+5, colourAxis)
		first, second := date(b.Start, false), b.Start.Format("2006")
		newSecond := j == 0 || b.Start.Year() != prev.Year()
		if c.Step == Hour {
			first, second = clock(b.Start), date(b.Start, false)
			newSecond = j == 0 || b.Start.YearDay() != prev.YearDay() || b.Start.Year() != prev.Year()
		}
		w.printf(`<text x="%s" y="%d">%s</text>`, x, plotBottom+20, first)
		if newSecond {
			w.printf(`<text x="%s" y="%d">%s</text>`, x, plotBottom+34, second)
		}
		prev = b.Start
	}
	w.WriteString(`</g>`)
	axis := map[Step]string{Hour: "Hour", Day: "Day", Week: "Week starting"}[c.Step]
	w.printf(`<text class="chart-x-label" x="%s" y="%d" text-anchor="middle" fill="%s">%s (%s time)</text>`,
		num((plotLeft+plotRight)/2.0), svgHeight-6, colourText, axis, xmlText(o.Location.String()))
	w.WriteString(`</svg>`)
	return w.String()
}

// svgWriter writes markup. Every argument of printf is markup already:
// numbers, or text that went through xmlText.
type svgWriter struct{ strings.Builder }

func (w *svgWriter) printf(format string, args ...any) { fmt.Fprintf(w, format, args...) }

// axes draws the horizontal and vertical axes' lines.
func (w *svgWriter) axes() {
	w.printf(`<g class="chart-axes" stroke="%s" stroke-width="1.5">`+
		`<line x1="%d" x2="%d" y1="%d" y2="%d"/><line x1="%d" x2="%d" y1="%d" y2="%d"/></g>`, colourAxis,
		plotLeft, plotRight, plotBottom, plotBottom, plotLeft, plotLeft, plotTop, plotBottom)
}

// num writes a coordinate with one decimal at most: "12", "12.5".
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
