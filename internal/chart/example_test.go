package chart_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/chart"
)

// A week of sales in the event's time zone, per day, with revenue.
func ExampleBuild() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, berlin) }
	sales := []chart.Sale{ // such as sqlite.EventSales' slots
		{At: at(1, 10), Tickets: 334, Amount: 1_503_000},
		{At: at(3, 12), Tickets: 400, Amount: 1_800_000},
		{At: at(7, 20), Tickets: 500, Amount: 2_250_000},
	}
	c, err := chart.Build(sales, chart.Options{Location: berlin, From: at(1, 9), To: at(8, 0),
		Amount: func(minor int64) string { return fmt.Sprintf("%d.%02d EUR", minor/100, minor%100) }})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Step, len(c.Buckets))
	fmt.Println(c.Summary)
	fmt.Println(c.Table.Caption)
	fmt.Println(strings.Join(c.Table.Headers, " | "))
	for _, r := range append(c.Table.Rows, c.Table.Total) {
		fmt.Println(r.Header, "|", strings.Join(r.Cells, " | "))
	}
	fmt.Println(strings.HasPrefix(string(c.SVG), `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 640 320"`))
	// Output:
	// day 7
	// 1,234 tickets sold from 1 Dec to 7 Dec (55530.00 EUR); most on 7 Dec: 500.
	// Tickets sold per day (Europe/Berlin time)
	// Day | Tickets sold | Revenue
	// Tue 1 Dec | 334 | 15030.00 EUR
	// Wed 2 Dec | 0 | 0.00 EUR
	// Thu 3 Dec | 400 | 18000.00 EUR
	// Fri 4 Dec | 0 | 0.00 EUR
	// Sat 5 Dec | 0 | 0.00 EUR
	// Sun 6 Dec | 0 | 0.00 EUR
	// Mon 7 Dec | 500 | 22500.00 EUR
	// Total | 1,234 | 55530.00 EUR
	// true
}
