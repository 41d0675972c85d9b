package shop

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
)

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
