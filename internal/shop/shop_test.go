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
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
)

var formT0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

const formOrg = "or_aaaaaaaaaaaaaaaaaaaa"

// formStack is the shop on a box office with a fake clock, served over
// HTTP, and a client that does not follow redirects: each form post's 303
// is checked.
type formStack struct {
	t                   *testing.T
	clk                 *clock.Fake
	m                   *office.Manager
	srv                 *httptest.Server
	http                *http.Client
	ev                  string
	standing, seat, vip string // €35.00; €59.00 with attendee names; free
}

func newFormStack(t *testing.T, capacity int) *formStack {
	t.Helper()
	return newFormStackWith(t, capacity, nil)
}

// newFormStackWith is newFormStack with the shop's Config changed by mod.
func newFormStackWith(t *testing.T, capacity int, mod func(*Config)) *formStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &formStack{t: t, clk: clock.NewFake(formT0)}
	s.m = office.NewManager(ledger.NewMemory(), s.clk, office.Local{}, log, office.Config{})
	started, done := make(chan struct{}), make(chan struct{})
	go func() { s.m.Run(ctx, started); close(done) }()
	<-started
	s.srv = httptest.NewServer(nil)
	cfg := Config{Offices: s.m, Clock: s.clk, Log: log, Links: mustBase(t, s.srv.URL)}
	if mod != nil {
		mod(&cfg)
	}
	s.srv.Config.Handler = New(cfg)
	t.Cleanup(func() { s.srv.Close(); cancel(); <-done })
	s.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	s.ev, s.standing, s.seat, s.vip = id.New("ev", id.Short), id.New("tt", id.Short), id.New("tt", id.Short), id.New("tt", id.Short)
	eur := func(c int64) boxoffice.Money { return boxoffice.Money{Amount: c, Currency: "EUR"} }
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: formOrg, EventID: s.ev, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Spring <Concert>", Venue: "Town Hall", TimeZone: "Europe/Vienna", StartsAt: formT0.Add(48 * time.Hour),
			EndsAt: formT0.Add(51 * time.Hour), PaymentSettings: boxoffice.PaymentSettings{
				ManualPaymentInstructions: "IBAN AT61 1904 3002 3457 3201"}}},
		&boxoffice.CreateTicketType{OrganizerID: formOrg, TicketTypeID: s.standing, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Price: eur(3500), MaxPerHold: 6}},
		&boxoffice.CreateTicketType{OrganizerID: formOrg, TicketTypeID: s.seat, Details: boxoffice.TicketTypeDetails{
			Name: "Seated", Price: eur(5900), MaxPerHold: 4, AttendeeNames: true}},
		&boxoffice.CreateTicketType{OrganizerID: formOrg, TicketTypeID: s.vip, Details: boxoffice.TicketTypeDetails{
			Name: "Guest list", Price: eur(0), MaxPerHold: 2}},
		&boxoffice.CreateQuota{OrganizerID: formOrg, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Hall", Capacity: capacity, TicketTypeIDs: []string{s.standing, s.seat, s.vip}}},
		&boxoffice.ChangeStatus{OrganizerID: formOrg, Status: boxoffice.OnSale},
	} {
		if _, err := s.m.Do(ctx, s.ev, c, nil); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	return s
}

func mustBase(t *testing.T, raw string) links.Base {
	t.Helper()
	b, err := links.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type formResponse struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (s *formStack) get(path string) formResponse {
	s.t.Helper()
	return s.send("GET", path, nil)
}

func (s *formStack) post(path string, form url.Values) formResponse {
	s.t.Helper()
	return s.send("POST", path, form)
}

// send sends a request; headers are pairs of name, value ("Host" sets the
// request's Host).
func (s *formStack) send(method, path string, form url.Values, headers ...string) formResponse {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return formResponse{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

// want checks the status and that the body has every string.
func (r formResponse) want(t *testing.T, status int, has ...string) formResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	for _, h := range has {
		if !strings.Contains(r.body, h) {
			t.Fatalf("the page lacks %q:\n%s", h, r.body)
		}
	}
	return r
}

// holdTickets posts quantities on the event page and returns the checkout path.
func (s *formStack) holdTickets(form url.Values) string {
	s.t.Helper()
	r := s.post("/events/"+s.ev+"/hold", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/events/"+s.ev+"/checkout/ho_") {
		s.t.Fatalf("hold: %d %q\n%s", r.status, r.location, r.body)
	}
	return r.location
}

func TestEventPage(t *testing.T) {
	s := newFormStack(t, 100)
	r := s.get("/events/"+s.ev).want(t, 200, `<html lang="en">`, "<h1>Spring &lt;Concert&gt;</h1>",
		`<span lang="en">Sunday 3 March 2030, 13:00 CET</span>`, "€35.00", "Free", `<label for="qty-`+s.standing+`">Number of Standing tickets</label>`,
		`aria-describedby="qty-`+s.standing+`-state"`, `<main id="main"`, `href="#main"`)
	for name, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
	} {
		if !strings.Contains(r.header.Get(name), want) {
			t.Errorf("%s: %q", name, r.header.Get(name))
		}
	}
	s.get("/events/ev_aaaaaaaaaaaaaaaaaaaa").want(t, 404, "Not found")
	s.get("/events/not-an-id").want(t, 404)
	s.get("/nowhere").want(t, 404, "There is no page at this address")
	s.get("/assets/shop.css").want(t, 200, "--focus")
}

func TestHoldForm(t *testing.T) {
	s := newFormStack(t, 3)
	ev := "/events/" + s.ev
	// Nothing chosen: the summary links to the first control, which is tied
	// to its message.
	s.post(ev+"/hold", url.Values{}).want(t, 422, `id="error-summary"`, `href="#qty-`+s.standing+`"`,
		"Choose how many tickets you want.", `aria-invalid="true"`, `<title>Error: `)
	s.post(ev+"/hold", url.Values{"qty." + s.standing: {"abc"}}).want(t, 422, "Choose a number of tickets from the list.")
	// The same form sent twice is one hold.
	form := url.Values{"qty." + s.standing: {"2"}, "nonce": {"0123456789abcdef0123456789abcdef"}}
	if a, b := s.holdTickets(form), s.holdTickets(form); a != b {
		t.Fatalf("a repeated form made two holds: %s, %s", a, b)
	}
	// Sold out while choosing: one ticket left.
	s.post(ev+"/hold", url.Values{"qty." + s.standing: {"2"}}).want(t, 409, "Only 1 ticket is left.", `id="error-summary"`)
	s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	s.post(ev+"/hold", url.Values{"qty." + s.standing: {"1"}}).want(t, 409, "Sold out while you were choosing.")
	s.get(ev).want(t, 200, "Sold out")
}

func TestCheckoutToOrder(t *testing.T) {
	s := newFormStack(t, 100)
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}, "qty." + s.seat: {"2"}})
	s.get(checkout).want(t, 200, "We hold these tickets for you until <strong>13:10 CET</strong>", "about 10 minutes",
		`data-expires-at="2030-03-01T12:10:00Z"`, `aria-live="polite"`, "€153.00",
		"Name on ticket 2 (Seated, 1 of 2)", `<legend>How do you want to pay?</legend>`, `/assets/shop.js`)
	// Mistakes are listed and tied to their fields.
	r := s.post(checkout, url.Values{"email": {"zoe@example.com"}, "provider": {"manual"}}).want(t, 422,
		`href="#name"`, "Enter your name.", `href="#attendee-2"`, "Enter the name of the person this ticket is for.")
	if !regexp.MustCompile(`id="name"[^>]*aria-invalid="true" aria-describedby="name-error"`).MatchString(r.body) {
		t.Fatalf("the name field is not tied to its error:\n%s", r.body)
	}
	details := url.Values{"name": {"Zoë Łukasiewicz"}, "email": {"not an address"}, "provider": {"manual"},
		"attendee-1": {""}, "attendee-2": {"Ada"}, "attendee-3": {"Grace"}}
	s.post(checkout, details).want(t, 422, "Enter an e-mail address like name@example.com.", `value="Zoë Łukasiewicz"`)
	details.Set("email", "zoe@example.com")
	r = s.post(checkout, details)
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "/orders/ot_") {
		t.Fatalf("place order: %d %q\n%s", r.status, r.location, r.body)
	}
	order := r.location
	s.get(order).want(t, 200, "Waiting for payment", "IBAN AT61 1904 3002 3457 3201", "Please pay by <strong lang=\"en\">Saturday 2 March 2030, 13:00 CET</strong>", "€153.00",
		`readonly value="http://127.0.0.1`)
	// The checkout of an ordered hold leads to its order.
	if r := s.get(checkout); r.status != http.StatusSeeOther || r.location != order {
		t.Fatalf("checkout after ordering: %d %q", r.status, r.location)
	}
	// Paid by hand: the tickets appear with their QR codes.
	orderID := regexp.MustCompile(`od_[a-z2-7]{20}`).FindString(s.get(order).body)
	if _, err := s.m.Do(context.Background(), s.ev, &boxoffice.RecordPayment{OrderID: orderID, OrganizerID: formOrg,
		Provider: boxoffice.ProviderManual}, nil); err != nil {
		t.Fatal(err)
	}
	s.get(order).want(t, 200, "Your order is confirmed", "Ticket 2: Seated", "For Ada", `/qr.svg" alt="QR code of ticket 2, Seated, for Ada"`,
		"Download all tickets (PDF)")
	// A link cut short or made up is not found, in plain words.
	spoilt := order[:len(order)-1] + "a"
	if spoilt == order { // one link in 32 ends in "a" already
		spoilt = order[:len(order)-1] + "b"
	}
	s.get(spoilt).want(t, 404, "This order link is not right")
	s.get("/events/"+s.ev+"/orders/ot_short").want(t, 404)
}

func TestFreeOrderIsConfirmedAtOnce(t *testing.T) {
	s := newFormStack(t, 100)
	checkout := s.holdTickets(url.Values{"qty." + s.vip: {"2"}})
	s.get(checkout).want(t, 200, "Get my free tickets")
	r := s.post(checkout, url.Values{"name": {"Guest"}, "email": {"guest@example.com"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("free order: %d\n%s", r.status, r.body)
	}
	s.get(r.location).want(t, 200, "Your tickets", "Ticket 1: Guest list", "Ticket 2: Guest list", "Paid")
}

func TestExpiredAndReleasedHolds(t *testing.T) {
	s := newFormStack(t, 2)
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"2"}})
	s.clk.Advance(11 * time.Minute)
	eventually(t, func() bool { return strings.Contains(s.get(checkout).body, "Your hold has ended") })
	s.get(checkout).want(t, 200, "these tickets are still available", "Hold them again", `name="qty.`+s.standing+`" value="2"`)
	// Posting the form of an expired hold shows the same, not an error.
	s.post(checkout, url.Values{"name": {"A"}, "email": {"a@example.com"}, "provider": {"manual"}}).want(t, 200, "Your hold has ended")
	// Someone else takes the seats: the page says so.
	s.holdTickets(url.Values{"qty." + s.standing: {"2"}})
	s.get(checkout).want(t, 200, "have been sold meanwhile")
	// Releasing gives the tickets back and says so.
	s.clk.Advance(11 * time.Minute)
	eventually(t, func() bool { return !strings.Contains(s.get("/events/"+s.ev).body, "Sold out") })
	mine := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	r := s.post(mine+"/release", url.Values{})
	if r.status != http.StatusSeeOther || r.location != "/events/"+s.ev+"?released=1" {
		t.Fatalf("release: %d %q", r.status, r.location)
	}
	s.get(r.location).want(t, 200, "Your tickets were released.")
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMinutes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "1 minute", time.Minute: "1 minute", 10*time.Minute - time.Second: "10 minutes",
		119 * time.Minute: "119 minutes", 3 * time.Hour: "3 hours", 72 * time.Hour: "3 days", 0: "1 minute",
	} {
		if got := minutes(d); got != want {
			t.Errorf("minutes(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestBuyerLimitsInTheShop: the shop's holds and orders count against the
// event's buyer limits by the client key it is given.
func TestBuyerLimitsInTheShop(t *testing.T) {
	s := newFormStackWith(t, 100, func(c *Config) {
		c.ClientKey = func(r *http.Request, eventID string) string { return "c-" + eventID[:8] }
	})
	for range boxoffice.DefaultMaxHoldsPerClient {
		s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	}
	s.post("/events/"+s.ev+"/hold", url.Values{"qty." + s.standing: {"1"}}).want(t, http.StatusConflict,
		"active holds for this event")
}

// TestManualPaymentNearTheEvent: the checkout offers a bank transfer with
// its shortened deadline, and not at all close to the start.
func TestManualPaymentNearTheEvent(t *testing.T) {
	s := newFormStack(t, 100) // the event starts 48 hours after formT0
	for _, c := range []struct {
		after time.Duration // formT0
		want  string
	}{
		{0, "Pay within 24 hours of ordering"},
		{42 * time.Hour, "Pay within 3 hours of ordering"},
		{5 * time.Hour, "Bank transfer is no longer possible this close to the event."}, // 1 hour left
	} {
		s.clk.Advance(c.after)
		checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
		s.get(checkout).want(t, 200, c.want)
	}
}

func TestMoreTime(t *testing.T) {
	s := newFormStack(t, 10)
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	s.clk.Advance(8 * time.Minute)
	r := s.post(checkout+"/extend", url.Values{})
	if r.status != http.StatusSeeOther || r.location != checkout+"?extended=1" {
		t.Fatalf("extend: %d %q\n%s", r.status, r.location, r.body)
	}
	s.get(r.location).want(t, 200, "You have more time: your tickets are held until 13:18 CET.", "until <strong>13:18 CET</strong>")
	for range boxoffice.MaxHoldExtensions - 1 {
		s.clk.Advance(time.Minute)
		s.post(checkout+"/extend", url.Values{})
	}
	s.post(checkout+"/extend", url.Values{}).want(t, 409, "You cannot get more time for these tickets")
}

// useShop serves the stack's box office through a shop configured with c
// (its Offices, Clock and Log filled in) for the rest of the test.
func (s *formStack) useShop(c Config) {
	s.t.Helper()
	c.Offices, c.Clock, c.Log = s.m, s.clk, slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(New(c))
	orig := s.srv
	s.srv = srv
	s.t.Cleanup(func() { srv.Close(); s.srv = orig }) // the stack's cleanup closes its own server
}

// acceptCards makes the stack's event take card and bank transfer.
func (s *formStack) acceptCards() {
	s.t.Helper()
	if _, err := s.m.Do(context.Background(), s.ev, &boxoffice.UpdateEvent{OrganizerID: formOrg, Patch: boxoffice.EventPatch{
		PaymentProviders: []string{boxoffice.ProviderStripe, boxoffice.ProviderManual}}}, nil); err != nil {
		s.t.Fatal(err)
	}
}

// TestCardOrderPage: with Stripe's publishable key configured, a card
// order's page carries what Stripe's Payment Element needs, with the client
// secret the payments worker recorded in the order (the shop has no way to
// ask Stripe for it); without a PaymentIntent yet, it says so in plain words.
func TestCardOrderPage(t *testing.T) {
	s := newFormStack(t, 10)
	s.acceptCards()
	s.useShop(Config{CardPayments: func(context.Context, string) bool { return true }, StripePublishableKey: "pk_test_admit"})
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	r := s.post(checkout, url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "provider": {"stripe"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("card order: %d\n%s", r.status, r.body)
	}
	order := r.location
	s.get(order).want(t, 200, "We are preparing your card payment.")
	orderID := regexp.MustCompile(`od_[a-z2-7]{20}`).FindString(s.get(order).body)
	if _, err := s.m.Do(context.Background(), s.ev, &boxoffice.StartPayment{OrderID: orderID, PaymentIntentID: "pi_123",
		ClientSecret: "pi_123_secret_abc"}, nil); err != nil {
		t.Fatal(err)
	}
	page := s.get(order).want(t, 200, `data-stripe-key="pk_test_admit"`, `data-client-secret="pi_123_secret_abc"`,
		`<script src="https://js.stripe.com/v3/" defer></script>`, `/assets/pay.js`, "Pay €35.00", "<noscript>")
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://js.stripe.com") {
		t.Fatalf("CSP without Stripe.js: %q", csp)
	}
	s.get("/assets/pay.js").want(t, 200, "confirmPayment")
}

// TestCardOfferedOnlyWhenItCanBeTaken: the checkout offers card only when
// Stripe takes payments (breaker closed) and the order page can show its
// Payment Element (a publishable key); otherwise the card choice is shown
// disabled, with why, and a posted "stripe" is refused on the form. On a
// card order's page without the key, the buyer is not told to reload.
func TestCardOfferedOnlyWhenItCanBeTaken(t *testing.T) {
	radio := regexp.MustCompile(`<input type="radio" id="provider-stripe"[^>]*>`)
	for _, tt := range []struct {
		name    string
		key     string
		takes   bool
		offered bool
	}{
		{"no publishable key", "", true, false},
		{"breaker open", "pk_test_admit", false, false},
		{"both", "pk_test_admit", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFormStack(t, 10)
			s.acceptCards()
			s.useShop(Config{CardPayments: func(context.Context, string) bool { return tt.takes }, StripePublishableKey: tt.key})
			checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
			in := radio.FindString(s.get(checkout).want(t, 200, "Card").body)
			if in == "" {
				t.Fatal("no card choice on the checkout page")
			}
			if got := !strings.Contains(in, " disabled"); got != tt.offered {
				t.Fatalf("card offered: %v, want %v: %s", got, tt.offered, in)
			}
			r := s.post(checkout, url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "provider": {"stripe"}})
			if !tt.offered {
				r.want(t, http.StatusUnprocessableEntity, "Choose how you want to pay.", "Card payments are not available right now.")
				return
			}
			if r.status != http.StatusSeeOther {
				t.Fatalf("card order: %d\n%s", r.status, r.body)
			}
		})
	}

	// A card order made elsewhere (the API), shown by a shop without the key.
	s := newFormStack(t, 10)
	s.acceptCards()
	s.useShop(Config{CardPayments: func(context.Context, string) bool { return true }})
	h, err := s.m.Do(context.Background(), s.ev, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
		Items: []boxoffice.Item{{TicketTypeID: s.standing, Quantity: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	orderID, token := id.New("od", id.Short), id.Token("ot_")
	for _, c := range []boxoffice.Command{
		&boxoffice.PlaceOrder{OrderID: orderID, HoldID: h.Ref, Token: token, Buyer: boxoffice.Buyer{Name: "Ada",
			Email: "ada@example.com"}, Provider: boxoffice.ProviderStripe},
		&boxoffice.StartPayment{OrderID: orderID, PaymentIntentID: "pi_123", ClientSecret: "pi_123_secret_abc"},
	} {
		if _, err := s.m.Do(context.Background(), s.ev, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	page := s.get("/events/"+s.ev+"/orders/"+token).want(t, 200, "Card payment cannot be taken on this page.")
	if strings.Contains(page.body, "secret") || strings.Contains(page.body, "Reload") {
		t.Fatalf("the page shows the secret or says to reload:\n%s", page.body)
	}
}

// TestPagesInTheBuyersLanguage: amounts, dates and times are written in the
// language the browser asks for, among those admit formats; the words stay
// English, and a date in another language says which it is.
func TestPagesInTheBuyersLanguage(t *testing.T) {
	s := newFormStack(t, 100)
	ev := "/events/" + s.ev
	later := id.New("tt", id.Short)
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateTicketType{OrganizerID: formOrg, TicketTypeID: later, Details: boxoffice.TicketTypeDetails{
			Name: "Late bird", Price: boxoffice.Money{Amount: 123456, Currency: "EUR"}, MaxPerHold: 2,
			SalesStart: formT0.Add(25 * time.Hour)}},
		&boxoffice.CreateQuota{OrganizerID: formOrg, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Late", Capacity: 10, TicketTypeIDs: []string{later}}},
	} {
		if _, err := s.m.Do(context.Background(), s.ev, c, nil); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	de := []string{"Accept-Language", "de-AT,de;q=0.9,en;q=0.5"}
	r := s.send("GET", ev, nil, de...).want(t, 200, `<html lang="en">`,
		`<span lang="de">Sonntag, 3. März 2030, 13:00 CET</span>`, "35,00\u00a0€", "1.234,56\u00a0€", "Free",
		`Not on sale yet: from <span lang="de">Samstag, 2. März 2030, 14:00 CET</span>`)
	if strings.Contains(r.body, "EUR") {
		t.Errorf("the German page shows a currency code:\n%s", r.body)
	}
	s.send("GET", ev, nil, "Accept-Language", "fr-CH, en;q=0.1").want(t, 200, "35,00\u00a0€",
		`<span lang="fr">dimanche 3 mars 2030, 13:00 CET</span>`)
	s.send("GET", ev, nil, "Accept-Language", "nl").want(t, 200, "€\u00a035,00")
	s.send("GET", ev, nil, "Accept-Language", "pt-BR, ja;q=0.5").want(t, 200, "€35.00",
		`<span lang="en">Sunday 3 March 2030, 13:00 CET</span>`)

	hold := s.send("POST", ev+"/hold", url.Values{"qty." + s.standing: {"1"}, "qty." + s.vip: {"1"}}, de...)
	if hold.status != http.StatusSeeOther {
		t.Fatalf("hold: %d\n%s", hold.status, hold.body)
	}
	checkout := hold.location
	s.send("GET", checkout, nil, de...).want(t, 200, "<td>35,00\u00a0€</td>", "<td>Free</td>",
		"until <strong>13:10 CET</strong>", `<span lang="de">Sonntag, 3. März 2030, 13:00 CET</span>`)
	r = s.send("POST", checkout, url.Values{"name": {"Zoë"}, "email": {"zoe@example.com"}, "provider": {"manual"}}, de...)
	if r.status != http.StatusSeeOther {
		t.Fatalf("place order: %d\n%s", r.status, r.body)
	}
	s.send("GET", r.location, nil, de...).want(t, 200, "<dd>35,00\u00a0€</dd>",
		`Please pay by <strong lang="de">Samstag, 2. März 2030, 13:00 CET</strong>`)
	// The same order link in another browser reads in its language.
	s.send("GET", r.location, nil, "Accept-Language", "es").want(t, 200, "<dd>35,00\u00a0€</dd>",
		`<strong lang="es">sábado, 2 de marzo de 2030, 13:00 CET</strong>`)
}
