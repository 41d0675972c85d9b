package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"
)

// TestExports: an organizer downloads an event's orders and attendees as
// CSV files that a spreadsheet reads safely: commas and quotes quoted,
// buyers' formulas shown as text, amounts as decimals; another organizer
// and a client without a token get nothing.
func TestExports(t *testing.T) {
	dir := t.TempDir()
	first := startAdmit(t, dir)
	tokenA := first.token
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"organizer", "create", "--name", "Other org", "--data", dir}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tokenB, ok := lineAfter(out.String(), "token: ")
	if !ok {
		t.Fatalf("organizer create output: %s", out.String())
	}
	a := startAdmit(t, dir)
	c, pub := newClient(t, a.url, tokenA), newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 20)
	base := "/api/v1/public/events/" + evID

	type buyer struct {
		name, email string
		tickets     int
		attendees   []string
		then        string // "pay", "cancel" or "" (awaiting payment)
	}
	buyers := []buyer{
		{`=HYPERLINK("http://x")`, "hyper@example.com", 2, []string{"Ada, the first", `=cmd|' /C calc'!A0`}, "pay"},
		{"+1", "plus@example.com", 1, nil, "pay"},
		{"@SUM(A1:A2)", "sum@example.com", 1, nil, "cancel"},
		{`Łukasiewicz, "Zoë"`, "zoe@example.com", 3, nil, ""},
	}
	ids := make([]string, len(buyers))
	for i, b := range buyers {
		h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": b.tickets}}})
		body := map[string]any{"hold_id": h["id"], "buyer": map[string]any{"name": b.name, "email": b.email}}
		if b.attendees != nil {
			body["attendees"] = b.attendees
		}
		ids[i] = pub.must(201, "POST", base+"/orders", body)["id"].(string)
		switch b.then {
		case "pay":
			c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+ids[i]+"/mark-paid", map[string]any{})
		case "cancel":
			c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+ids[i]+"/cancel", map[string]any{"reason": "-changed their mind"})
		}
	}

	// orders.csv: a header, then one row per order, oldest first.
	r := c.do("GET", "/api/v1/events/"+evID+"/exports/orders.csv", nil)
	if r.status != 200 {
		t.Fatalf("orders.csv: %d %s", r.status, r.body)
	}
	checkCSVHeaders(t, r, "orders-"+evID+".csv")
	if !bytes.Contains(r.body, []byte(`,"Łukasiewicz, ""Zoë""",`)) || !bytes.Contains(r.body, []byte(`,"'=HYPERLINK(""http://x"")",`)) ||
		!bytes.HasSuffix(r.body, []byte("\r\n")) {
		t.Errorf("orders.csv is not quoted as RFC 4180 says:\n%s", r.body)
	}
	rows := readCSV(t, r.body)
	if got := strings.Join(rows[0], ","); got != "order_id,status,created_at,paid_at,ended_at,buyer_name,buyer_email,tickets,total,refunded,currency,payment_provider,reason" {
		t.Errorf("orders.csv header: %s", got)
	}
	if len(rows) != 1+len(buyers) {
		t.Fatalf("orders.csv has %d rows, want a header and %d orders:\n%s", len(rows), len(buyers), r.body)
	}
	wantOrders := [][]string{
		{ids[0], "paid", "", "", "", `'=HYPERLINK("http://x")`, "hyper@example.com", "2", "90.00", "0.00", "EUR", "manual", ""},
		{ids[1], "paid", "", "", "", "'+1", "plus@example.com", "1", "45.00", "0.00", "EUR", "manual", ""},
		{ids[2], "cancelled", "", "", "", "'@SUM(A1:A2)", "sum@example.com", "1", "45.00", "0.00", "EUR", "manual", "'-changed their mind"},
		{ids[3], "pending_payment", "", "", "", `Łukasiewicz, "Zoë"`, "zoe@example.com", "3", "135.00", "0.00", "EUR", "manual", ""},
	}
	for i, want := range wantOrders {
		got := rows[1+i]
		// The times: RFC 3339 in UTC, set as the status says.
		for col, set := range map[int]bool{2: true, 3: want[1] == "paid", 4: want[1] == "cancelled"} {
			if !csvTimeOK(got[col], set) {
				t.Errorf("orders.csv row %d: %s %q, want an RFC 3339 UTC time: %v", 1+i, rows[0][col], got[col], set)
			}
			want[col] = got[col]
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("orders.csv row %d:\n%q\nwant\n%q", 1+i, got, want)
		}
	}

	// attendees.csv: the paid orders' tickets, and the cancelled one's
	// (never paid: none).
	r = c.do("GET", "/api/v1/events/"+evID+"/exports/attendees.csv", nil)
	if r.status != 200 {
		t.Fatalf("attendees.csv: %d %s", r.status, r.body)
	}
	checkCSVHeaders(t, r, "attendees-"+evID+".csv")
	rows = readCSV(t, r.body)
	if got := strings.Join(rows[0], ","); got != "ticket_id,order_id,ticket_type_id,ticket_type,attendee,status,price,currency,issued_at,revoked_at,order_status,buyer_name,buyer_email" {
		t.Errorf("attendees.csv header: %s", got)
	}
	if len(rows) != 1+3 {
		t.Fatalf("attendees.csv has %d rows, want a header and 3 tickets:\n%s", len(rows), r.body)
	}
	paid := c.must(200, "GET", "/api/v1/events/"+evID+"/orders/"+ids[0], nil)["tickets"].([]any)
	wantAttendees := [][]string{
		{paid[0].(map[string]any)["id"].(string), ids[0], ttID, "Standing", "Ada, the first", "valid", "45.00", "EUR", "", "", "paid", `'=HYPERLINK("http://x")`, "hyper@example.com"},
		{paid[1].(map[string]any)["id"].(string), ids[0], ttID, "Standing", `'=cmd|' /C calc'!A0`, "valid", "45.00", "EUR", "", "", "paid", `'=HYPERLINK("http://x")`, "hyper@example.com"},
		{"", ids[1], ttID, "Standing", "", "valid", "45.00", "EUR", "", "", "paid", "'+1", "plus@example.com"},
	}
	for i, want := range wantAttendees {
		got := rows[1+i]
		if want[0] == "" {
			want[0] = got[0]
		}
		if !csvTimeOK(got[8], true) || !csvTimeOK(got[9], false) {
			t.Errorf("attendees.csv row %d: issued_at %q, revoked_at %q", 1+i, got[8], got[9])
		}
		want[8], want[9] = got[8], got[9]
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("attendees.csv row %d:\n%q\nwant\n%q", 1+i, got, want)
		}
	}

	// Another organizer's event does not exist for them; without a token,
	// nothing does.
	cb, anon := newClient(t, a.url, tokenB), newClient(t, a.url, "")
	for _, file := range []string{"orders.csv", "attendees.csv"} {
		path := "/api/v1/events/" + evID + "/exports/" + file
		if r := cb.do("GET", path, nil); r.status != 404 || r.json(t)["code"] != "not-found" || r.header.Get("Content-Disposition") != "" {
			t.Errorf("another organizer: GET %s = %d %s, want 404 not-found", file, r.status, r.body)
		}
		if r := anon.do("GET", path, nil); r.status != 401 || r.json(t)["code"] != "unauthorized" {
			t.Errorf("no token: GET %s = %d %s, want 401 unauthorized", file, r.status, r.body)
		}
	}
}

// checkCSVHeaders checks the headers of an export.
func checkCSVHeaders(t *testing.T, r response, filename string) {
	t.Helper()
	for h, want := range map[string]string{
		"Content-Type":        "text/csv; charset=utf-8",
		"Content-Disposition": `attachment; filename="` + filename + `"`,
		"Cache-Control":       "no-store",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %s %q, want %q", filename, h, got, want)
		}
	}
}

// readCSV reads a whole CSV file, every row as wide as the header.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return rows
}

// csvTimeOK reports whether a cell is a time in RFC 3339 UTC to the second
// when set, and empty when not.
func csvTimeOK(cell string, set bool) bool {
	if !set {
		return cell == ""
	}
	tm, err := time.Parse(time.RFC3339, cell)
	return err == nil && tm.Location() == time.UTC && tm.Format(time.RFC3339) == cell
}
