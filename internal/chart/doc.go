// Package chart draws an event's ticket sales over time for the organizer's
// pages: a bar chart as an SVG to embed in an html/template page, and the
// same figures as a data table for the page to render beside it. It is
// pure (no I/O, no clock) and uses the standard library only.
//
// Build takes sales (a time, tickets, an amount in minor units), the event's
// time zone and an optional period, chooses the size of the buckets from
// the period's span (ChooseStep: hours, days or weeks), sums the sales into
// buckets that start on the event's local hours, midnights or Mondays, and
// returns a Chart: the buckets, a one-sentence summary ("1,234 tickets sold
// from 1 Dec to 7 Dec; most on 3 Dec: 400."), the SVG and the Table.
//
// The SVG is one <svg role="img"> whose accessible name is its <title> and
// <desc> (aria-labelledby), with a viewBox and width="100%" so it scales
// with its container. It is drawn with presentation attributes only (no
// style attribute, no <style>), so a Content-Security-Policy of
// style-src 'self' allows it. The bars are #1d4ed8 (6.7:1 against white),
// the axes #767676 (4.5:1) and the grid lines #949494 (3:1); there is one
// series, so no colour carries meaning by itself, and bars wide enough for
// it carry their count as text. Every element has a class (chart-title,
// chart-bars, …) for a stylesheet to restyle.
//
// Every text that reaches the SVG (titles, labels) is escaped, and
// characters that XML cannot hold are replaced by U+FFFD: the markup is
// safe to mark as template.HTML whatever a user typed. The Table's texts
// are plain strings for html/template to escape when it renders them:
//
//	{{.Chart.SVG}}
//	<table>
//	  <caption>{{.Chart.Table.Caption}}</caption>
//	  <thead><tr>{{range .Chart.Table.Headers}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
//	  <tbody>{{range .Chart.Table.Rows}}<tr><th scope="row">{{.Header}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
//	  <tfoot><tr><th scope="row">{{.Chart.Table.Total.Header}}</th>{{range .Chart.Table.Total.Cells}}<td>{{.}}</td>{{end}}</tr></tfoot>
//	</table>
//
// Texts are in English, dates as "3 Dec" and times as "14:00" in the
// event's time zone.
package chart
