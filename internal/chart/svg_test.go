package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// node is an element of a parsed SVG.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// walk calls f on n and every element below it.
func (n *node) walk(f func(*node)) {
	f(n)
	for i := range n.Children {
		n.Children[i].walk(f)
	}
}

// class returns the first element below n with the class, or nil.
func (n *node) class(c string) *node {
	var found *node
	n.walk(func(e *node) {
		if v, _ := e.attr("class"); v == c && found == nil {
			found = e
		}
	})
	return found
}

// parseSVG parses the chart's SVG as XML (which fails on anything not
// well-formed) and checks what every chart must have: the SVG namespace,
// role img named by its <title> and <desc>, which hold the title and the
// summary, a viewBox and no fixed size, no style attribute or element
// (CSP style-src 'self'), nothing scripted, and every shape inside the
// viewBox.
func parseSVG(t *testing.T, c *Chart, id string) *node {
	t.Helper()
	var root node
	dec := xml.NewDecoder(strings.NewReader(string(c.SVG)))
	dec.Strict = true
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, c.SVG)
	}
	if root.XMLName != (xml.Name{Space: "http://www.w3.org/2000/svg", Local: "svg"}) {
		t.Errorf("root element %v", root.XMLName)
	}
	want := map[string]string{"role": "img", "aria-labelledby": id + "-title " + id + "-desc",
		"viewBox": "0 0 640 320", "width": "100%"}
	for name, v := range want {
		if got, _ := root.attr(name); got != v {
			t.Errorf("<svg %s=%q>, want %q", name, got, v)
		}
	}
	if h, ok := root.attr("height"); ok {
		t.Errorf("<svg height=%q>: a fixed height", h)
	}
	if len(root.Children) < 2 {
		t.Fatalf("the SVG has %d elements", len(root.Children))
	}
	title, desc := root.Children[0], root.Children[1]
	if got, _ := title.attr("id"); title.XMLName.Local != "title" || got != id+"-title" || title.Text != c.Title {
		t.Errorf("first element <%s id=%q>%s, want <title id=%q>%s", title.XMLName.Local, got, title.Text, id+"-title", c.Title)
	}
	if got, _ := desc.attr("id"); desc.XMLName.Local != "desc" || got != id+"-desc" || desc.Text != c.Summary {
		t.Errorf("second element <%s id=%q>%s, want <desc id=%q>%s", desc.XMLName.Local, got, desc.Text, id+"-desc", c.Summary)
	}
	root.walk(func(e *node) {
		switch e.XMLName.Local {
		case "style", "script", "foreignObject", "a", "image", "use":
			t.Errorf("the SVG has a <%s>", e.XMLName.Local)
		}
		for _, a := range e.Attrs {
			if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") || a.Name.Local == "href" {
				t.Errorf("<%s %s=%q>", e.XMLName.Local, a.Name.Local, a.Value)
			}
		}
		for _, xy := range [][2]string{{"x", "width"}, {"y", "height"}, {"x1", ""}, {"x2", ""}, {"y1", ""}, {"y2", ""}} {
			v, ok := e.attr(xy[0])
			if !ok {
				continue
			}
			lo, _ := strconv.ParseFloat(v, 64)
			hi := lo
			if s, ok := e.attr(xy[1]); ok && xy[1] != "" {
				d, _ := strconv.ParseFloat(s, 64)
				hi += d
			}
			limit := float64(svgWidth)
			if strings.HasPrefix(xy[0], "y") {
				limit = svgHeight
			}
			if lo < 0 || hi > limit || math.IsNaN(lo) {
				t.Errorf("<%s %s=%q> outside the viewBox", e.XMLName.Local, xy[0], v)
			}
		}
	})
	return &root
}

// dec is a local date and time in December 2026.
func dec(loc *time.Location, day, hour int) time.Time {
	return time.Date(2026, 12, day, hour, 0, 0, 0, loc)
}

func euros(minor int64) string { return fmt.Sprintf("%d.%02d EUR", minor/100, minor%100) }

func TestSVG(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	sales := []Sale{{dec(berlin, 1, 10), 100, 450_000}, {dec(berlin, 3, 12), 400, 1_800_000},
		{dec(berlin, 5, 9), 0, 0}, {dec(berlin, 7, 20), 734, 3_303_000}}
	for _, tc := range []struct {
		name      string
		sales     []Sale
		o         Options
		bars      int  // rects in chart-bars
		counts    int  // texts in chart-counts (-1: none)
		yTicks    int  // texts in chart-y-ticks
		emptyText bool // the plot says there is nothing
	}{
		{"a week of days", sales, Options{Location: berlin}, 3, 7, 5, false},
		{"one bucket", sales[:1], Options{Location: berlin, ID: "one"}, 1, 1, 6, false},
		{"nothing", nil, Options{Location: berlin}, 0, -1, 0, true},
		{"a period without sales", nil, Options{Location: berlin, From: dec(berlin, 1, 0), To: dec(berlin, 4, 0)},
			0, 3, 2, false},
		{"ten years of weeks", sales, Options{Location: berlin, From: dec(berlin, 1, 0).AddDate(-10, 0, 0)}, 2, -1, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Build(tc.sales, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			id := tc.o.ID
			if id == "" {
				id = "sales-chart"
			}
			root := parseSVG(t, c, id)
			n := func(class string) int {
				g := root.class(class)
				if g == nil {
					return -1
				}
				return len(g.Children)
			}
			if got := n("chart-bars"); got != tc.bars && !(tc.bars == 0 && got == -1) {
				t.Errorf("%d bars, want %d", got, tc.bars)
			}
			if got := n("chart-counts"); got != tc.counts {
				t.Errorf("%d counts on the bars, want %d", got, tc.counts)
			}
			if got := n("chart-y-ticks"); got != tc.yTicks && !(tc.yTicks == 0 && got == -1) {
				t.Errorf("%d ticks on the vertical axis, want %d", got, tc.yTicks)
			}
			if got := root.class("chart-empty") != nil; got != tc.emptyText {
				t.Errorf("a text saying there is nothing: %v, want %v", got, tc.emptyText)
			}
			if root.class("chart-title") == nil || root.class("chart-axes") == nil {
				t.Errorf("no title or axes:\n%s", c.SVG)
			}
		})
	}
}

// TestSVGBars: each bar stands for its bucket, as high as its share of
// the top tick, and at least minBarHeight.
func TestSVGBars(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	c, err := Build([]Sale{{dec(berlin, 1, 10), 1, 0}, {dec(berlin, 2, 10), 400, 0}, {dec(berlin, 4, 10), 200, 0}},
		Options{Location: berlin})
	if err != nil {
		t.Fatal(err)
	}
	bars := parseSVG(t, c, "sales-chart").class("chart-bars")
	var got []string
	for _, r := range bars.Children {
		h, _ := r.attr("height")
		y, _ := r.attr("y")
		x, _ := r.attr("x")
		got = append(got, h+"@"+x+","+y)
	}
	// The top tick is 400; the plot is 216 high, its bottom at 260; 4 slots
	// of 140 from 64, the bars 56 wide in the middle of theirs.
	want := []string{"2@106,258", "216@246,44", "108@526,152"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bars:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSummary(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	for _, tc := range []struct {
		name   string
		sales  []Sale
		o      Options
		want   string
		header string // the table's first column
	}{
		{"days", []Sale{{dec(berlin, 1, 10), 334, 0}, {dec(berlin, 3, 12), 400, 0}, {dec(berlin, 7, 20), 500, 0},
			{dec(berlin, 4, 1), 0, 0}}, Options{Location: berlin},
			"1,234 tickets sold from 1 Dec to 7 Dec; most on 7 Dec: 500.", "Day"},
		{"a tie: the first", []Sale{{dec(berlin, 1, 10), 400, 0}, {dec(berlin, 3, 12), 400, 0}, {dec(berlin, 7, 20), 1, 0}},
			Options{Location: berlin, Amount: euros},
			"801 tickets sold from 1 Dec to 7 Dec (0.00 EUR); most on 1 Dec: 400.", "Day"},
		{"with revenue", []Sale{{dec(berlin, 1, 10), 2, 9000}, {dec(berlin, 4, 12), 1, 4500}},
			Options{Location: berlin, Amount: euros}, "3 tickets sold from 1 Dec to 4 Dec (135.00 EUR); most on 1 Dec: 2.", "Day"},
		{"one hour", []Sale{{dec(berlin, 3, 14), 400, 0}}, Options{Location: berlin},
			"400 tickets sold on 3 Dec from 14:00 to 15:00.", "Hour"},
		{"one ticket", []Sale{{dec(berlin, 3, 14), 1, 0}}, Options{Location: berlin},
			"1 ticket sold on 3 Dec from 14:00 to 15:00.", "Hour"},
		{"one day", []Sale{{dec(berlin, 3, 14), 5, 0}}, Options{Location: berlin, From: dec(berlin, 3, 0), To: dec(berlin, 4, 0)},
			"5 tickets sold from 3 Dec 00:00 to 4 Dec 00:00; most from 14:00 to 15:00 on 3 Dec: 5.", "Hour"},
		{"hours", []Sale{{dec(berlin, 3, 14), 5, 0}, {dec(berlin, 4, 9), 7, 0}}, Options{Location: berlin},
			"12 tickets sold from 3 Dec 14:00 to 4 Dec 10:00; most from 09:00 to 10:00 on 4 Dec: 7.", "Hour"},
		{"three days in a period", []Sale{{dec(berlin, 3, 14), 5, 0}}, Options{Location: berlin, From: dec(berlin, 2, 0),
			To: dec(berlin, 5, 0)}, "5 tickets sold from 2 Dec to 4 Dec; most on 3 Dec: 5.", "Day"},
		{"weeks", []Sale{{dec(berlin, 3, 14), 5, 0}, {dec(berlin, 3, 14).AddDate(0, 3, 0), 7, 0}}, Options{Location: berlin},
			"12 tickets sold from the week of 30 Nov 2026 to the week of 1 Mar 2027; most in the week of 1 Mar 2027: 7.",
			"Week"},
		{"over new year", []Sale{{dec(berlin, 29, 14), 5, 0}, {dec(berlin, 31, 14).AddDate(0, 0, 3), 7, 0}},
			Options{Location: berlin}, "12 tickets sold from 29 Dec 2026 to 3 Jan 2027; most on 3 Jan 2027: 7.", "Day"},
		{"a period without sales", nil, Options{Location: berlin, From: dec(berlin, 1, 0), To: dec(berlin, 8, 0)},
			"No tickets sold from 1 Dec to 7 Dec.", "Day"},
		{"nothing", nil, Options{Location: berlin}, "No tickets sold yet.", "Day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Build(tc.sales, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if c.Summary != tc.want {
				t.Errorf("Summary = %q, want %q", c.Summary, tc.want)
			}
			if c.Table.Headers[0] != tc.header {
				t.Errorf("table headers %q, want %q first", c.Table.Headers, tc.header)
			}
		})
	}
}

func TestTable(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	c, err := Build([]Sale{{dec(berlin, 1, 10), 1000, 4_500_000}, {dec(berlin, 3, 12), 2, 9000}},
		Options{Location: berlin, Amount: euros})
	if err != nil {
		t.Fatal(err)
	}
	got := tableText(c.Table)
	want := `Tickets sold per day (Europe/Berlin time)
Day | Tickets sold | Revenue
Tue 1 Dec | 1,000 | 45000.00 EUR
Wed 2 Dec | 0 | 0.00 EUR
Thu 3 Dec | 2 | 90.00 EUR
Total | 1,002 | 45090.00 EUR
`
	if got != want {
		t.Errorf("table:\n%s\nwant\n%s", got, want)
	}
	for i, r := range c.Table.Rows {
		if b := c.Buckets[i]; !r.Start.Equal(b.Start) || !r.End.Equal(b.End) {
			t.Errorf("row %d: %s to %s, bucket %s to %s", i, r.Start, r.End, b.Start, b.End)
		}
	}

	// Without amounts, no revenue; an hour the clocks went back over
	// twice says which it is.
	c, err = Build([]Sale{{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 1, 0},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), 2, 0}}, Options{Location: berlin, Title: "Sold"})
	if err != nil {
		t.Fatal(err)
	}
	want = `Sold (Europe/Berlin time)
Hour | Tickets sold
25 Oct 02:00 CEST–02:00 CET | 1
25 Oct 02:00 CET–03:00 CET | 2
Total | 3
`
	if got := tableText(c.Table); got != want {
		t.Errorf("table:\n%s\nwant\n%s", got, want)
	}

	c, err = Build(nil, Options{Location: berlin, Amount: euros})
	if err != nil {
		t.Fatal(err)
	}
	want = `Tickets sold per day (Europe/Berlin time)
Day | Tickets sold | Revenue
Total | 0 | 0.00 EUR
`
	if got := tableText(c.Table); got != want || c.Table.Empty != "No tickets sold yet." {
		t.Errorf("table:\n%s\nEmpty %q\nwant\n%s", got, c.Table.Empty, want)
	}
}

// tableText writes a table's caption, headers and rows as lines.
func tableText(tb Table) string {
	var b strings.Builder
	b.WriteString(tb.Caption + "\n" + strings.Join(tb.Headers, " | ") + "\n")
	for _, r := range append(tb.Rows, tb.Total) {
		b.WriteString(strings.Join(append([]string{r.Header}, r.Cells...), " | ") + "\n")
	}
	return b.String()
}

// TestEscaping: user data in the title, the time zone's name and the
// amounts reaches the page as text, never as markup, in the SVG and in a
// table that html/template renders; characters XML cannot hold become
// U+FFFD and the SVG stays well-formed.
func TestEscaping(t *testing.T) {
	title := `<script>alert("x")</script> & 'Gigs' ` + "\x00\x1b\ufffe" + " \xff"
	loc := time.FixedZone(`</text><script>alert(1)</script>`, 3600)
	amount := func(minor int64) string { return "<b onclick=alert(2)>" + strconv.FormatInt(minor, 10) + "</b>" }
	c, err := Build([]Sale{{dec(loc, 3, 14), 4, 100}}, Options{Location: loc, Title: title, Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.SVG), "<script") || strings.Contains(string(c.SVG), "<b") {
		t.Errorf("markup from user data in the SVG:\n%s", c.SVG)
	}
	wantTitle := `<script>alert("x")</script> & 'Gigs' ` + "\ufffd\ufffd\ufffd \ufffd"
	c.Title = wantTitle // what the parsed SVG must read
	root := parseSVG(t, c, "sales-chart")
	if got := root.class("chart-title").Text; got != wantTitle {
		t.Errorf("visible title %q, want %q", got, wantTitle)
	}
	if got := root.class("chart-x-label").Text; !strings.Contains(got, `</text><script>alert(1)</script>`) {
		t.Errorf("axis label %q", got)
	}

	page := template.Must(template.New("page").Parse(`<!doctype html><title>t</title>{{.SVG}}<table>
<caption>{{.Table.Caption}}</caption>
<tr>{{range .Table.Headers}}<th scope="col">{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr><th scope="row">{{.Header}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}
</table>`))
	var buf bytes.Buffer
	if err := page.Execute(&buf, c); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script") || strings.Contains(html, "<b") {
		t.Errorf("markup from user data in the page:\n%s", html)
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;Gigs&#39;",
		"&lt;b onclick=alert(2)&gt;100&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page has no %s:\n%s", want, html)
		}
	}
}

// TestColours: the bars, axes and grid lines have 3:1 against white at
// least (WCAG 1.4.11), the text 4.5:1 (1.4.3).
func TestColours(t *testing.T) {
	for _, tc := range []struct {
		colour string
		min    float64
	}{{colourBar, 3}, {colourAxis, 3}, {colourGrid, 3}, {colourText, 4.5}} {
		if got := contrast(t, tc.colour); got < tc.min {
			t.Errorf("%s on white: %.2f:1, want %.1f:1 at least", tc.colour, got, tc.min)
		}
	}
}

// contrast returns the WCAG contrast ratio of #rrggbb against white.
func contrast(t *testing.T, hex string) float64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("colour %q", hex)
	}
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(v>>16) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	return 1.05 / (l + 0.05)
}
