package chart_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"

	"github.com/admit-org/admit/internal/browser"
	"github.com/admit-org/admit/internal/chart"
)

var shots = flag.String("shots", "", "save screenshots of the browser test's page, at 1280 and 320 CSS pixels, to this directory")

// page is a page with charts and their tables, composed as doc.go shows,
// under the shop's Content-Security-Policy: nothing inline but what an
// html/template page would have.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sales</title>
<link rel="stylesheet" href="/page.css">
<script src="/probe.js"></script>
</head>
<body>
<main>
<h1>Sales</h1>
{{range .}}<section aria-labelledby="{{.ID}}-heading">
<h2 id="{{.ID}}-heading">{{.Title}}</h2>
<div class="chart-box">{{.SVG}}</div>
{{if .Table.Rows}}<table>
<caption>{{.Table.Caption}}</caption>
<thead><tr>{{range .Table.Headers}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Table.Rows}}<tr><th scope="row"><time datetime="{{.Start.Format "2006-01-02T15:04:05Z07:00"}}">{{.Header}}</time></th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
<tfoot><tr><th scope="row">{{.Table.Total.Header}}</th>{{range .Table.Total.Cells}}<td>{{.}}</td>{{end}}</tr></tfoot>
</table>{{else}}<p>{{.Table.Empty}}</p>{{end}}
</section>
{{end}}</main>
</body>
</html>`))

const css = `body { margin: 0 auto; max-width: 42rem; padding: 0 1rem; font-family: system-ui, sans-serif; color: #1a1a1a; }
.chart-box svg { display: block; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #767676; padding: 0.25rem 0.5rem; }
td { text-align: right; }`

// probe records every Content-Security-Policy violation of the page.
const probe = `window.violations = [];
document.addEventListener("securitypolicyviolation", e => window.violations.push(e.violatedDirective + " " + e.blockedURI));`

// TestBrowser renders charts of days (with user data in the title), of
// one bucket, of hours and of nothing on one page in Chromium, and checks
// that axe finds no violation of WCAG 2.2 AA or of its best practices,
// that the page breaks no rule of its Content-Security-Policy, that
// Chromium names each chart by its title and summary, and that a chart
// takes its container's width at 320 CSS pixels, keeping its proportions,
// with nothing scrolling sideways.
func TestBrowser(t *testing.T) {
	ctx := browser.Start(t)
	axe := browser.Axe(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	euros := func(minor int64) string { return fmt.Sprintf("%d.%02d EUR", minor/100, minor%100) }
	d := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, berlin) }
	var charts []*chart.Chart
	for _, c := range []struct {
		sales []chart.Sale
		o     chart.Options
	}{
		{[]chart.Sale{{At: d(1, 10), Tickets: 334, Amount: 1_503_000}, {At: d(3, 12), Tickets: 400, Amount: 1_800_000},
			{At: d(7, 20), Tickets: 500, Amount: 2_250_000}},
			chart.Options{Location: berlin, ID: "days", Title: `Tickets sold per day for <script>alert("x")</script>`, Amount: euros}},
		{[]chart.Sale{{At: d(3, 14), Tickets: 1, Amount: 4500}},
			chart.Options{Location: berlin, ID: "one", Title: "The first ticket", Amount: euros}},
		{[]chart.Sale{{At: d(3, 9), Tickets: 12, Amount: 0}, {At: d(4, 8), Tickets: 3, Amount: 0}},
			chart.Options{Location: berlin, ID: "hours"}},
		{nil, chart.Options{Location: berlin, ID: "none", Amount: euros}},
	} {
		ch, err := chart.Build(c.sales, c.o)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		charts = append(charts, ch)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page.Execute(w, charts); err != nil {
			t.Errorf("page: %v", err)
		}
	})
	mux.HandleFunc("GET /page.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write([]byte(css))
	})
	mux.HandleFunc("GET /probe.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(probe))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tab := browser.Tab(t, ctx)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}

	tags := slices.Concat(browser.WCAG22AA, []string{"best-practice"})
	vs, err := browser.Check(tab, axe, tags...)
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	for _, v := range vs {
		t.Errorf("axe: %s", v)
	}

	if got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`Array.isArray(window.violations) ? window.violations : ["none recorded: the probe did not run"]`)); err != nil || len(got) != 0 {
		t.Errorf("Content-Security-Policy violations %q, %v", got, err)
	}
	if got, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.body.innerHTML.includes("<script>alert")`)); err != nil || got {
		t.Errorf("the page has the title's <script> as markup (%v)", err)
	}

	// Chromium's accessibility tree: one image per chart, named by its
	// title and summary.
	tree, err := chromedp.Call(tab, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	var names []string
	for _, n := range tree.Nodes {
		if !n.Ignored && n.Role != nil && axString(n.Role) == "image" {
			names = append(names, axString(n.Name))
		}
	}
	var want []string
	for _, c := range charts {
		want = append(want, c.Title+" "+c.Summary)
	}
	if !slices.Equal(names, want) {
		t.Errorf("images named\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}

	// At 320 CSS pixels the charts scale down to their boxes.
	if err := chromedp.Do(tab, browser.Narrow.Apply()); err != nil {
		t.Fatal(err)
	}
	type box struct{ SVG, Parent [2]float64 }
	boxes, err := chromedp.Run(tab, chromedp.Evaluate[[]box](`[...document.querySelectorAll("svg")].map(s => {
		const r = s.getBoundingClientRect(), p = s.parentElement.getBoundingClientRect();
		return {SVG: [r.width, r.height], Parent: [p.width, p.height]};
	})`))
	if err != nil || len(boxes) != len(charts) {
		t.Fatalf("measure the charts: %v, %d", err, len(boxes))
	}
	for i, b := range boxes {
		if math.Abs(b.SVG[0]-b.Parent[0]) > 0.5 || math.Abs(b.SVG[1]-b.SVG[0]/2) > 1 || b.SVG[0] > float64(browser.Narrow.Width) {
			t.Errorf("chart %s at 320 px: %.1f×%.1f in a box %.1f wide, want the box's width and half as high",
				charts[i].ID, b.SVG[0], b.SVG[1], b.Parent[0])
		}
	}
	if r, err := browser.CheckReflow(tab); err != nil || !r.OK() {
		t.Errorf("reflow at 320 px: %+v, %v", r, err)
	}
	if *shots != "" {
		if err := browser.Shots(tab, *shots, "charts", browser.Desktop, browser.Desktop, browser.Narrow); err != nil {
			t.Error(err)
		}
	}
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}
