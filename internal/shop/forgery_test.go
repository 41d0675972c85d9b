package shop

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
)

// TestCrossSiteFormsRefused: a page on another site cannot make a buyer's
// browser hold, order, release or extend, whether the browser tells with
// Sec-Fetch-Site or only with Origin; the buyer gets the shop's page saying
// so and nothing changes. Posts from the shop itself, and requests with
// neither header (old browsers, curl), go through as before.
func TestCrossSiteFormsRefused(t *testing.T) {
	s := newFormStack(t, 10)
	ev := "/events/" + s.ev
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	order := url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "provider": {"manual"}}
	foreign := [][]string{
		{"Origin", "https://attacker.example"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://attacker.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://shop.attacker.example"},
		{"Origin", "null"}, // a sandboxed frame or a data: page
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{ev + "/hold", url.Values{"qty." + s.standing: {"2"}}},
		{checkout, order},
		{checkout + "/release", url.Values{}},
		{checkout + "/extend", url.Values{}},
	} {
		for _, h := range foreign {
			r := s.send("POST", post.path, post.form, h...)
			r.want(t, http.StatusForbidden, `<html lang="en">`, "<h1>This form came from another website</h1>",
				"nothing was changed", `<main id="main"`)
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("POST %s with %v: Content-Type %q", post.path, h, ct)
			}
		}
	}
	// Nothing happened: the hold is there, with its original time.
	s.get(checkout).want(t, 200, "We hold these tickets for you until <strong>13:10 CET</strong>")
	s.get(ev).want(t, 200, "On sale")
	// Reading pages is never refused.
	s.send("GET", checkout, nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://attacker.example").want(t, 200)

	// The buyer's own browser: same-origin, or an Origin that is the shop.
	own := [][]string{
		{"Sec-Fetch-Site", "same-origin", "Origin", s.srv.URL},
		{"Origin", s.srv.URL},
		{}, // no header at all: curl, or a browser from before 2020
	}
	for _, h := range own {
		if r := s.send("POST", checkout+"/extend", url.Values{}, h...); r.status != http.StatusSeeOther {
			t.Fatalf("extend with %v: %d\n%s", h, r.status, r.body)
		}
	}
	r := s.send("POST", checkout, order, "Sec-Fetch-Site", "same-origin")
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "/orders/ot_") {
		t.Fatalf("a same-origin order: %d %q\n%s", r.status, r.location, r.body)
	}
}

// TestCrossSiteBehindProxy: behind a reverse proxy that sends its own Host,
// an old browser's Origin is the public URL's; the shop trusts that one
// origin (and only it) as its own.
func TestCrossSiteBehindProxy(t *testing.T) {
	s := newFormStack(t, 10)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	behind := httptest.NewServer(New(Config{Offices: s.m, Clock: s.clk, Log: log,
		Links: mustBase(t, "https://tickets.example.org/")}))
	defer behind.Close()
	orig := s.srv
	s.srv = behind
	defer func() { s.srv = orig }()
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	if r := s.send("POST", checkout+"/extend", url.Values{}, "Origin", "https://tickets.example.org"); r.status != http.StatusSeeOther {
		t.Fatalf("extend from the public origin: %d\n%s", r.status, r.body)
	}
	s.send("POST", checkout+"/extend", url.Values{}, "Origin", "http://tickets.example.org").want(t, http.StatusForbidden)
	s.send("POST", checkout+"/release", url.Values{}, "Origin", "https://attacker.example").want(t, http.StatusForbidden)
}

// TestOrderLinkIgnoresHost: the link an order page shows the buyer to keep
// (and Stripe's return address) is under the configured public URL, never
// under the Host a request names.
func TestOrderLinkIgnoresHost(t *testing.T) {
	s := newFormStack(t, 10)
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	r := s.post(checkout, url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "provider": {"manual"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("place order: %d\n%s", r.status, r.body)
	}
	order := r.location
	page := s.send("GET", order, nil, "Host", "attacker.example", "X-Forwarded-Host", "attacker.example")
	page.want(t, 200, `readonly value="`+s.srv.URL+order+`"`)
	if strings.Contains(page.body, "attacker.example") {
		t.Fatalf("the order page shows the forged host:\n%s", page.body)
	}
	// Paid, its tickets' QR codes and PDF are relative: served where the
	// page was.
	orderID := regexp.MustCompile(`od_[a-z2-7]{20}`).FindString(page.body)
	if _, err := s.m.Do(context.Background(), s.ev, &boxoffice.RecordPayment{OrderID: orderID, OrganizerID: formOrg,
		Provider: boxoffice.ProviderManual}, nil); err != nil {
		t.Fatal(err)
	}
	s.get(order).want(t, 200, `src="/api/v1/public/events/`+s.ev+`/orders/`, `/qr.svg"`,
		`href="/api/v1/public/events/`+s.ev+`/orders/`)
}
