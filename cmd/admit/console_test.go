package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
)

// visitor is a browser on the console: cookies kept, redirects not
// followed (the tests look at them).
type visitor struct {
	t    *testing.T
	base string
	http *http.Client
}

func newVisitor(t *testing.T, base string) *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &visitor{t: t, base: base, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	body     string
}

// get and post send what a browser on the site sends: a same-origin
// form post says so in Sec-Fetch-Site.
func (v *visitor) get(path string) page { return v.send("GET", path, nil, "same-origin") }

func (v *visitor) post(path string, form url.Values) page {
	return v.send("POST", path, form, "same-origin")
}

func (v *visitor) send(method, path string, form url.Values, site string) page {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, v.base+path, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", site)
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([a-z2-7]{32})"`)

// csrf is the session's form secret, from a page of the console.
func (v *visitor) csrf() string {
	v.t.Helper()
	p := v.get("/manage")
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		v.t.Fatalf("no form secret on /manage (%d):\n%s", p.status, p.body)
	}
	return m[1]
}

// join accepts the invitation at link as name with a password.
func (v *visitor) join(link, name, email string) {
	v.t.Helper()
	path := strings.TrimPrefix(link, v.base)
	form := url.Values{"name": {name}, "password": {"correct horse battery"}, "confirm": {"correct horse battery"}}
	if email != "" {
		form.Set("email", email)
	}
	if p := v.post(path, form); p.status != 303 || p.location != "/manage" {
		v.t.Fatalf("joining: %d %s\n%s", p.status, p.location, p.body)
	}
}

var invitedLink = regexp.MustCompile(`id="invited-link" type="text" readonly value="([^"]+)"`)

// invite makes an invitation from the team page and returns its link.
func (v *visitor) invite(email string, role access.Role) string {
	v.t.Helper()
	p := v.post("/manage/team/invitations", url.Values{"csrf": {v.csrf()}, "email": {email}, "role": {string(role)}})
	m := invitedLink.FindStringSubmatch(p.body)
	if p.status != 201 || m == nil {
		v.t.Fatalf("inviting %s as %s: %d\n%s", email, role, p.status, p.body)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestConsole: the first owner joins from the link admit serve prints,
// sees the events and an event's live numbers, invites a member who
// joins, signs out and in; forms without the session's secret or from
// another site change nothing; a removed member is signed out.
func TestConsole(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	link := firstOwnerLink(t, a)
	ada := newVisitor(t, a.url)
	if p := ada.get("/manage"); p.status != 303 || p.location != "/manage/sign-in?next=%2Fmanage" {
		t.Fatalf("signed out: %d %s", p.status, p.location)
	}
	path := strings.TrimPrefix(link, a.url)
	if p := ada.get(path); p.status != 200 || !strings.Contains(p.body, "Join My organization") || !strings.Contains(p.body, `id="email"`) {
		t.Fatalf("the invitation: %d\n%s", p.status, p.body)
	}
	bad := ada.post(path, url.Values{"name": {""}, "email": {"nope"}, "password": {"short"}, "confirm": {"short"}})
	for _, want := range []string{"There is a problem", `href="#name"`, `href="#email"`, `href="#password"`, `aria-invalid="true"`} {
		if bad.status != 422 || !strings.Contains(bad.body, want) {
			t.Fatalf("a bad form: %d, want 422 with %q\n%s", bad.status, want, bad.body)
		}
	}
	ada.join(link, "Ada Lovelace", "Ada@Example.com")
	if p := newVisitor(t, a.url).get(path); p.status != 404 {
		t.Errorf("the invitation used: %d, want 404", p.status)
	}

	home := ada.get("/manage")
	if home.status != 200 || !strings.Contains(home.body, "Ada Lovelace, Owner at My organization") || !strings.Contains(home.body, "No events yet") {
		t.Fatalf("the console: %d\n%s", home.status, home.body)
	}
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 100)
	newClient(t, a.url, "").must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 3}}})
	if p := ada.get("/manage"); !strings.Contains(p.body, "Night at the Opera") || !strings.Contains(p.body, "/manage/events/"+evID) {
		t.Fatalf("the events: %d\n%s", p.status, p.body)
	}
	dash := ada.get("/manage/events/" + evID)
	if dash.status != 200 || !regexp.MustCompile(`<th scope="row">Hall</th><td class="num">100</td><td class="num">0</td><td class="num">3</td><td class="num">97</td>`).MatchString(dash.body) {
		t.Fatalf("the dashboard, want 100 capacity, 0 sold, 3 held, 97 available:\n%s", dash.body)
	}

	// A member joins; what the door role sees.
	bobLink := ada.invite("bob@example.com", access.Door)
	bob := newVisitor(t, a.url)
	bob.join(bobLink, "Bob", "")
	if p := bob.get("/manage"); p.status != 200 || strings.Contains(p.body, `href="/manage/team"`) || !strings.Contains(p.body, "Bob, Door at") {
		t.Errorf("the door member's console: %d\n%s", p.status, p.body)
	}
	if p := bob.get("/manage/team"); p.status != 403 {
		t.Errorf("the door member on the team page: %d, want 403", p.status)
	}
	if p := bob.get("/manage/events/" + evID); p.status != 200 {
		t.Errorf("the door member on the dashboard: %d", p.status)
	}

	// Forms without the form secret, or from another site, change nothing.
	if p := ada.post("/manage/team/invitations", url.Values{"email": {"eve@example.com"}, "role": {"owner"}}); p.status != 403 {
		t.Errorf("an invitation without the form secret: %d, want 403", p.status)
	}
	if p := ada.send("POST", "/manage/team/invitations", url.Values{"csrf": {ada.csrf()}, "email": {"eve@example.com"}, "role": {"owner"}}, "cross-site"); p.status != 403 {
		t.Errorf("an invitation from another site: %d, want 403", p.status)
	}
	if strings.Contains(ada.get("/manage/team").body, "eve@example.com") {
		t.Error("a refused invitation was made")
	}
	if p := ada.post("/manage/team/invitations", url.Values{"csrf": {ada.csrf()}, "email": {"bob@example.com"}, "role": {"viewer"}}); p.status != 422 ||
		!strings.Contains(p.body, "already a member") {
		t.Errorf("inviting a member again: %d\n%s", p.status, p.body)
	}

	// Sign out, and in; a wrong password reads like an unknown e-mail.
	if p := ada.post("/manage/sign-out", url.Values{"csrf": {ada.csrf()}}); p.status != 303 || p.location != "/manage/sign-in" {
		t.Fatalf("sign out: %d %s", p.status, p.location)
	}
	if p := ada.get("/manage"); p.status != 303 {
		t.Fatalf("after signing out: %d", p.status)
	}
	wrong := ada.post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"not the password"}})
	nobody := ada.post("/manage/sign-in", url.Values{"email": {"nobody@example.com"}, "password": {"not the password"}})
	if wrong.status != 401 || nobody.status != 401 || !strings.Contains(wrong.body, "The e-mail address or the password is not right.") ||
		strings.ReplaceAll(wrong.body, "ada@example.com", "x") != strings.ReplaceAll(nobody.body, "nobody@example.com", "x") {
		t.Errorf("a wrong password (%d) and an unknown e-mail (%d) read differently:\n%s\n%s", wrong.status, nobody.status, wrong.body, nobody.body)
	}
	if p := ada.post("/manage/sign-in", url.Values{"email": {" ADA@example.com"}, "password": {"correct horse battery"}, "next": {"/manage/team"}}); p.status != 303 || p.location != "/manage/team" {
		t.Fatalf("sign in: %d %s\n%s", p.status, p.location, p.body)
	}
	if p := ada.post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"//evil.example/manage"}}); p.location != "/manage" {
		t.Errorf("sign in sends the browser to %q, want only console paths", p.location)
	}

	// Removing Bob signs him out.
	team := ada.get("/manage/team").body
	bobID := regexp.MustCompile(`bob@example.com</td>.*?action="/manage/team/(mb_[a-z2-7]{20})/remove"`).FindStringSubmatch(strings.ReplaceAll(team, "\n", " "))
	if bobID == nil {
		t.Fatalf("no way to remove Bob on the team page:\n%s", team)
	}
	if p := ada.post("/manage/team/"+bobID[1]+"/remove", url.Values{"csrf": {ada.csrf()}}); p.status != 200 || strings.Contains(p.body, "bob@example.com") {
		t.Fatalf("removing Bob: %d\n%s", p.status, p.body)
	}
	if p := bob.get("/manage"); p.status != 303 {
		t.Errorf("Bob after his removal: %d, want a redirect to sign in", p.status)
	}
}

// TestConsoleSignInLimit: failed sign-ins count against the client like
// failed API authentications, and past the limit the form says to wait.
func TestConsoleSignInLimit(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--rate-limit-auth-failures", "1/m", "--rate-limit-auth-failures-burst", "3")
	v := newVisitor(t, a.url)
	var statuses []int
	for range 5 {
		statuses = append(statuses, v.post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"guess guess guess"}}).status)
	}
	if want := []int{401, 401, 401, 429, 429}; !equalInts(statuses, want) {
		t.Errorf("five wrong sign-ins: %v, want %v", statuses, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// firstOwnerLink is the first owner's invitation that the first start of
// a's data directory printed.
func firstOwnerLink(t *testing.T, a *instance) string {
	t.Helper()
	link, ok := lineAfter(a.out.String(), firstOwnerLine)
	if !ok || !strings.HasPrefix(link, a.url+"/manage/invitations/admitinv_") {
		t.Fatalf("no first owner's link in the output:\n%s", a.out.String())
	}
	return link
}

// firstOwner joins as the first owner from the link admit serve printed.
func firstOwner(t *testing.T, a *instance) *visitor {
	t.Helper()
	v := newVisitor(t, a.url)
	v.join(firstOwnerLink(t, a), "Ada Lovelace", "ada@example.com")
	return v
}

// TestConsoleEvents: an event made, given a ticket type and a quota, and
// put on sale from the console, sells in the shop; mistakes are shown on
// their fields and change nothing.
func TestConsoleEvents(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	if p := ada.get("/manage"); !strings.Contains(p.body, `href="/manage/events/new"`) {
		t.Fatalf("no way to a new event:\n%s", p.body)
	}
	if p := ada.get("/manage/events/new"); p.status != 200 || !strings.Contains(p.body, `type="datetime-local"`) {
		t.Fatalf("the new event form: %d\n%s", p.status, p.body)
	}
	bad := ada.post("/manage/events", url.Values{"csrf": {ada.csrf()}, "name": {""}, "timezone": {"Mars/Olympus"},
		"starts_at": {"tomorrow"}, "ends_at": {"2030-06-01T23:00"}, "currency": {"EUR"}, "hold_minutes": {"10"}})
	for _, want := range []string{`href="#timezone"`, `href="#starts_at"`, `id="timezone-error"`} {
		if bad.status != 422 || !strings.Contains(bad.body, want) {
			t.Fatalf("a bad event: %d, want 422 with %q\n%s", bad.status, want, bad.body)
		}
	}
	noName := ada.post("/manage/events", url.Values{"csrf": {ada.csrf()}, "name": {""}, "timezone": {"Europe/Vienna"},
		"starts_at": {"2030-06-01T19:30"}, "ends_at": {"2030-06-01T23:00"}, "currency": {"EUR"}, "hold_minutes": {"10"}, "manual": {"1"}})
	if noName.status != 422 || !strings.Contains(noName.body, `href="#name"`) {
		t.Fatalf("an event without a name: %d\n%s", noName.status, noName.body)
	}
	made := ada.post("/manage/events", url.Values{"csrf": {ada.csrf()}, "name": {"Spring Ball"}, "venue": {"Stadthalle"},
		"timezone": {"Europe/Vienna"}, "starts_at": {"2030-06-01T19:30"}, "ends_at": {"2030-06-01T23:00"}, "currency": {"EUR"},
		"hold_minutes": {"10"}, "manual": {"1"}})
	if made.status != 303 || !strings.HasPrefix(made.location, "/manage/events/ev_") {
		t.Fatalf("creating the event: %d %s\n%s", made.status, made.location, made.body)
	}
	dash := ada.get(made.location)
	if !strings.Contains(dash.body, "Sat 1 Jun 2030, 19:30 CEST") && !strings.Contains(dash.body, "Saturday 1 June 2030, 19:30 CEST") ||
		!strings.Contains(dash.body, "Status: <strong>Draft</strong>") {
		t.Fatalf("the new event's page:\n%s", dash.body)
	}
	evPath := made.location
	evID := strings.TrimPrefix(evPath, "/manage/events/")
	if p := ada.post(evPath+"/ticket-types", url.Values{"csrf": {ada.csrf()}, "type-name": {"Standing"}, "price": {"35,5"}, "max_per_order": {"6"}}); p.status != 200 ||
		!strings.Contains(p.body, "€35.50") {
		t.Fatalf("adding a ticket type: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath+"/ticket-types", url.Values{"csrf": {ada.csrf()}, "type-name": {"Bad"}, "price": {"-3"}, "max_per_order": {"6"}}); p.status != 422 ||
		!strings.Contains(p.body, `href="#price"`) || !strings.Contains(p.body, `id="price-error"`) || !strings.Contains(p.body, `value="Bad"`) {
		t.Errorf("a negative price: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath+"/ticket-types", url.Values{"csrf": {ada.csrf()}, "type-name": {""}, "price": {"3"}, "max_per_order": {"6"}}); p.status != 422 ||
		!strings.Contains(p.body, `href="#type-name"`) || !strings.Contains(p.body, `id="type-name-error"`) {
		t.Errorf("a ticket type without a name: %d\n%s", p.status, p.body)
	}
	ttID := regexp.MustCompile(`name="ticket_type" value="(tt_[a-z2-7]{20})"`).FindStringSubmatch(ada.get(evPath).body)
	if ttID == nil {
		t.Fatal("no ticket type to put in a quota")
	}
	if p := ada.post(evPath+"/quotas", url.Values{"csrf": {ada.csrf()}, "quota-name": {"Hall"}, "capacity": {"50"}, "ticket_type": {ttID[1]}}); p.status != 200 ||
		!strings.Contains(p.body, `<th scope="row">Hall</th><td class="num">50</td>`) {
		t.Fatalf("adding a quota: %d\n%s", p.status, p.body)
	}
	// Changed: the quota's capacity and the ticket type's price.
	quID := regexp.MustCompile(`href="/manage/events/` + evID + `/quotas/(qu_[a-z2-7]{20})"`).FindStringSubmatch(ada.get(evPath).body)
	if quID == nil {
		t.Fatal("no way to change the quota")
	}
	if p := ada.get(evPath + "/quotas/" + quID[1]); p.status != 200 || !strings.Contains(p.body, `value="50"`) {
		t.Fatalf("the quota's form: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath+"/quotas/"+quID[1], url.Values{"csrf": {ada.csrf()}, "quota-name": {"Hall"}, "capacity": {"lots"}, "ticket_type": {ttID[1]}}); p.status != 422 ||
		!strings.Contains(p.body, `href="#capacity"`) {
		t.Errorf("a capacity that is not a number: %d", p.status)
	}
	if p := ada.post(evPath+"/quotas/"+quID[1], url.Values{"csrf": {ada.csrf()}, "quota-name": {"Hall"}, "capacity": {"60"}, "ticket_type": {ttID[1]}}); p.status != 303 {
		t.Fatalf("saving the quota: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath+"/ticket-types/"+ttID[1], url.Values{"csrf": {ada.csrf()}, "type-name": {"Standing"}, "price": {"39"}, "max_per_order": {"6"}}); p.status != 303 {
		t.Fatalf("saving the ticket type: %d\n%s", p.status, p.body)
	}
	if p := ada.get(evPath); !strings.Contains(p.body, `<th scope="row">Hall</th><td class="num">60</td>`) || !strings.Contains(p.body, "€39.00") {
		t.Errorf("the event after the changes:\n%s", p.body)
	}
	if p := ada.post(evPath+"/status", url.Values{"csrf": {ada.csrf()}, "status": {"on_sale"}}); p.status != 200 || !strings.Contains(p.body, "The event is on sale.") {
		t.Fatalf("putting it on sale: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath+"/status", url.Values{"csrf": {ada.csrf()}, "status": {"draft"}}); p.status != 422 {
		t.Errorf("back to draft: %d, want 422", p.status)
	}
	if p := ada.post(evPath+"/status", url.Values{"csrf": {ada.csrf()}, "status": {"cancelled"}}); p.status != 422 ||
		!strings.Contains(p.body, "cannot be undone") || !strings.Contains(p.body, "Status: <strong>On sale</strong>") {
		t.Errorf("cancelling without ticking the box: %d\n%s", p.status, p.body)
	}
	// It sells in the shop, and the read model lists it.
	newClient(t, a.url, "").must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID[1], "quantity": 2}}})
	if p := ada.get(evPath); !strings.Contains(p.body, `<th scope="row">Hall</th><td class="num">60</td><td class="num">0</td><td class="num">2</td><td class="num">58</td>`) {
		t.Errorf("the dashboard after a hold:\n%s", p.body)
	}
	if p := ada.get("/manage"); !strings.Contains(p.body, "Spring Ball") || !strings.Contains(p.body, "On sale") {
		t.Errorf("the events list:\n%s", p.body)
	}

	// Its details changed.
	edit := ada.get(evPath + "/edit")
	if edit.status != 200 || !strings.Contains(edit.body, `value="2030-06-01T19:30"`) || !strings.Contains(edit.body, `value="Spring Ball"`) ||
		strings.Contains(edit.body, `id="currency"`) {
		t.Fatalf("the edit form, want it filled in, without the currency:\n%s", edit.body)
	}
	if p := ada.post(evPath, url.Values{"csrf": {ada.csrf()}, "name": {"Spring Ball"}, "timezone": {"Europe/Vienna"},
		"starts_at": {"2030-06-01T20:00"}, "ends_at": {"2030-06-01T19:00"}, "hold_minutes": {"10"}, "manual": {"1"}}); p.status != 422 ||
		!strings.Contains(p.body, `href="#ends_at"`) {
		t.Errorf("an end before the start: %d\n%s", p.status, p.body)
	}
	if p := ada.post(evPath, url.Values{"csrf": {ada.csrf()}, "name": {"Spring Ball (sold out)"}, "venue": {"Konzerthaus"},
		"timezone": {"Europe/Vienna"}, "starts_at": {"2030-06-01T20:00"}, "ends_at": {"2030-06-01T23:30"}, "hold_minutes": {"15"},
		"manual": {"1"}}); p.status != 303 || p.location != evPath {
		t.Fatalf("saving the changes: %d %s\n%s", p.status, p.location, p.body)
	}
	if p := ada.get(evPath); !strings.Contains(p.body, "Spring Ball (sold out)") || !strings.Contains(p.body, "Konzerthaus") || !strings.Contains(p.body, "20:00 CEST") {
		t.Errorf("the changed event:\n%s", p.body)
	}

	// Its settings' history names every change and who made it.
	hist := ada.get(evPath + "/history")
	var steps []string
	for _, m := range regexp.MustCompile(`<li><strong>([^<]+)</strong><br><span class="hint">[^<]+ · by ([^<]+)</span></li>`).FindAllStringSubmatch(hist.body, -1) {
		steps = append(steps, m[1]+" / "+m[2])
	}
	want := []string{"Event created: Spring Ball / Ada Lovelace (Owner)", "Ticket type Standing added, €35.50 / Ada Lovelace (Owner)",
		"Quota Hall added, capacity 50 / Ada Lovelace (Owner)", "Quota Hall changed, capacity 60 / Ada Lovelace (Owner)",
		"Ticket type Standing changed / Ada Lovelace (Owner)", "Status: On sale / Ada Lovelace (Owner)", "Details changed / Ada Lovelace (Owner)"}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("the history:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}

// TestConsoleTicketTypeDetails: every detail of a ticket type is set from
// the event page's form and changed from the ticket type's own, the sales
// window in the event's time zone (Vienna), and read back through the API;
// an emptied sales start clears it; mistakes show at their fields.
func TestConsoleTicketTypeDetails(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	c := newClient(t, a.url, a.token)
	evID, _ := setupEvent(c, 100)
	evPath := "/manage/events/" + evID
	vienna, err := time.LoadLocation("Europe/Vienna")
	if err != nil {
		t.Fatal(err)
	}
	// earlyBird is the API's Early bird ticket type.
	earlyBird := func() map[string]any {
		t.Helper()
		for _, tt := range c.must(200, "GET", "/api/v1/events/"+evID, nil)["ticket_types"].([]any) {
			if tt := tt.(map[string]any); tt["name"] == "Early bird" {
				return tt
			}
		}
		t.Fatal("no Early bird in the API's event")
		return nil
	}
	at := func(tt map[string]any, key string) time.Time {
		t.Helper()
		s, ok := tt[key].(string)
		if !ok {
			t.Fatalf("no %s in %v", key, tt)
		}
		when, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return when
	}

	if p := ada.get(evPath); !strings.Contains(p.body, `id="min_per_order" name="min_per_order" value="1"`) || !strings.Contains(p.body, `type="datetime-local" id="sales_start"`) ||
		!strings.Contains(p.body, "In the event&#39;s time zone, Europe/Vienna.") || !strings.Contains(p.body, `<textarea id="type-description"`) {
		t.Fatalf("the add form, want every detail with the event's zone:\n%s", p.body)
	}
	full := url.Values{"csrf": {ada.csrf()}, "type-name": {"Early bird"}, "type-description": {"Until the end of April."}, "price": {"20"},
		"min_per_order": {"2"}, "max_per_order": {"4"}, "sales_start": {"2030-03-01T10:00"}, "sales_end": {"2030-05-01T00:00"}, "attendee_names": {"1"}}
	if p := ada.post(evPath+"/ticket-types", full); p.status != 200 || !strings.Contains(p.body, "Ticket type Early bird added.") {
		t.Fatalf("adding Early bird: %d\n%s", p.status, p.body)
	}
	tt := earlyBird()
	if tt["description"] != "Until the end of April." || tt["min_per_hold"] != 2.0 || tt["max_per_hold"] != 4.0 || tt["attendee_names"] != true ||
		tt["price"].(map[string]any)["amount"] != 2000.0 {
		t.Errorf("Early bird in the API: %v", tt)
	}
	if got, want := at(tt, "sales_start"), time.Date(2030, 3, 1, 10, 0, 0, 0, vienna); !got.Equal(want) {
		t.Errorf("sales start %v, want %v", got, want)
	}
	if got, want := at(tt, "sales_end"), time.Date(2030, 5, 1, 0, 0, 0, 0, vienna); !got.Equal(want) {
		t.Errorf("sales end %v, want %v (summer time)", got, want)
	}

	// Its own form shows what it is; changed, the emptied start is gone.
	ttPath := evPath + "/ticket-types/" + tt["id"].(string)
	form := ada.get(ttPath)
	for _, want := range []string{`>Until the end of April.</textarea>`, `id="min_per_order" name="min_per_order" value="2"`, `id="sales_start" name="sales_start" value="2030-03-01T10:00"`,
		`id="sales_end" name="sales_end" value="2030-05-01T00:00"`, `name="attendee_names" value="1" aria-describedby="attendee_names-hint" checked`} {
		if form.status != 200 || !strings.Contains(form.body, want) {
			t.Fatalf("Early bird's form: %d, want %q\n%s", form.status, want, form.body)
		}
	}
	changed := url.Values{"csrf": {ada.csrf()}, "type-name": {"Early bird"}, "type-description": {"Before May."}, "price": {"22.50"},
		"min_per_order": {"1"}, "max_per_order": {"8"}, "sales_start": {""}, "sales_end": {"2030-05-15T12:00"}}
	if p := ada.post(ttPath, changed); p.status != 303 {
		t.Fatalf("changing Early bird: %d\n%s", p.status, p.body)
	}
	tt = earlyBird()
	if _, ok := tt["sales_start"]; ok || tt["description"] != "Before May." || tt["min_per_hold"] != 1.0 || tt["max_per_hold"] != 8.0 ||
		tt["attendee_names"] != false || tt["price"].(map[string]any)["amount"] != 2250.0 {
		t.Errorf("Early bird changed, want no sales start: %v", tt)
	}
	if got, want := at(tt, "sales_end"), time.Date(2030, 5, 15, 12, 0, 0, 0, vienna); !got.Equal(want) {
		t.Errorf("sales end %v, want %v", got, want)
	}

	// Mistakes, on the add form and on the ticket type's own.
	for _, bad := range []struct {
		path, name, field, msg string
		set                    url.Values
	}{
		{ttPath, "an end before the start", "sales_end", "Must be after the sales start.", url.Values{"sales_start": {"2030-05-01T10:00"}, "sales_end": {"2030-04-01T10:00"}}},
		{evPath + "/ticket-types", "an end before the start, added", "sales_end", "Must be after the sales start.", url.Values{"type-name": {"Late"}, "sales_start": {"2030-05-01T10:00"}, "sales_end": {"2030-05-01T09:00"}}},
		{ttPath, "fewest above most", "max_per_order", "Must not be less than the fewest per order.", url.Values{"min_per_order": {"5"}, "max_per_order": {"3"}}},
		{evPath + "/ticket-types", "fewest above most, added", "max_per_order", "Must not be less than the fewest per order.", url.Values{"type-name": {"Late"}, "min_per_order": {"5"}, "max_per_order": {"3"}}},
		{ttPath, "a start that is no time", "sales_start", "Enter when sales start as a date and a time", url.Values{"sales_start": {"soon"}}},
		{ttPath, "fewest none", "min_per_order", "Must be between 1 and", url.Values{"min_per_order": {"0"}}},
	} {
		f := url.Values{}
		for k, v := range changed {
			f[k] = v
		}
		for k, v := range bad.set {
			f[k] = v
		}
		f.Set("csrf", ada.csrf())
		p := ada.post(bad.path, f)
		for _, want := range []string{`href="#` + bad.field + `"`, `id="` + bad.field + `-error"`, bad.msg, `id="` + bad.field + `" name="` + bad.field + `" value="` + f.Get(bad.field) + `"`} {
			if p.status != 422 || !strings.Contains(p.body, want) {
				t.Errorf("%s: %d, want 422 with %q\n%s", bad.name, p.status, want, p.body)
			}
		}
	}
	if tt := earlyBird(); tt["max_per_hold"] != 8.0 || tt["sales_start"] != nil {
		t.Errorf("refused changes changed Early bird: %v", tt)
	}
}

// twoOrganizers serves a data directory with two organizers, My
// organization and Second Stage, of each of which ada@example.com
// ("correct horse battery") is the owner: as Ada Lovelace in the first and
// Ada L. in the second. first runs on the first organizer's only node
// before the second is made, with its API token. It returns the serving
// node and the second organizer's API token.
func twoOrganizers(t *testing.T, first func(*instance)) (*instance, string) {
	t.Helper()
	dir := t.TempDir()
	a := startAdmit(t, dir)
	firstPath := strings.TrimPrefix(firstOwnerLink(t, a), a.url)
	first(a)
	a.stop()
	out := admin(t, dir, "organizer", "create", "--name", "Second Stage")
	secondPath, _ := lineAfter(out, "first owner's invitation (open it on the server's public URL): ")
	secondToken, _ := lineAfter(out, "token: ")
	b := startAdmit(t, dir)
	newVisitor(t, b.url).join(b.url+firstPath, "Ada Lovelace", "ada@example.com")
	newVisitor(t, b.url).join(b.url+secondPath, "Ada L.", "ada@example.com")
	return b, secondToken
}

// TestConsoleOrganizerChoice: one e-mail address, a member of two
// organizers with the same password, signs in, chooses the second and
// sees its events and not the first's; switches back; a choice changed,
// used twice or taken to another browser is refused and signs nobody in.
func TestConsoleOrganizerChoice(t *testing.T) {
	b, secondToken := twoOrganizers(t, func(a *instance) {
		setupEvent(newClient(t, a.url, a.token), 10) // "Night at the Opera", of My organization
	})
	newClient(t, b.url, secondToken).must(201, "POST", "/api/v1/events", map[string]any{"name": "Quiet Evening", "timezone": "Europe/Vienna",
		"starts_at": "2030-07-01T19:30:00+02:00", "ends_at": "2030-07-01T22:00:00+02:00", "currency": "EUR"})

	choiceField := regexp.MustCompile(`name="choice" value="([^"]+)"`)
	button := regexp.MustCompile(`name="member" value="(mb_[a-z2-7]{20})">([^<]+)</button>`)
	// chooser signs v in and returns its choice and its buttons' members
	// by organizer name.
	chooser := func(v *visitor) (string, map[string]string) {
		t.Helper()
		p := v.post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"/manage"}})
		choice := choiceField.FindStringSubmatch(p.body)
		if p.status != 200 || !strings.Contains(p.body, "<h1>Choose an organizer</h1>") || choice == nil || strings.Contains(p.body, "correct horse battery") {
			t.Fatalf("signing in with two memberships: %d\n%s", p.status, p.body)
		}
		members := map[string]string{}
		for _, m := range button.FindAllStringSubmatch(p.body, -1) {
			members[m[2]] = m[1]
		}
		if len(members) != 2 || members["My organization (as Owner)"] == "" || members["Second Stage (as Owner)"] == "" {
			t.Fatalf("the organizers to choose from: %v\n%s", members, p.body)
		}
		return strings.ReplaceAll(choice[1], "&#43;", "+"), members
	}
	ada := newVisitor(t, b.url)
	choice, members := chooser(ada)
	second := members["Second Stage (as Owner)"]
	if p := ada.post("/manage/sign-in/organizer", url.Values{"choice": {choice}, "member": {second}, "next": {"/manage"}}); p.status != 303 || p.location != "/manage" {
		t.Fatalf("choosing Second Stage: %d %s %d\n%s", p.status, p.location, len(p.body), p.body)
	}
	home := ada.get("/manage")
	if home.status != 200 || !strings.Contains(home.body, "Quiet Evening") || strings.Contains(home.body, "Night at the Opera") ||
		!strings.Contains(home.body, "Ada L., Owner at Second Stage") || !strings.Contains(home.body, `href="/manage/switch-organizer"`) {
		t.Fatalf("the console of Second Stage: %d\n%s", home.status, home.body)
	}
	// The choice once used is gone with its cookie.
	if p := ada.post("/manage/sign-in/organizer", url.Values{"choice": {choice}, "member": {members["My organization (as Owner)"]}}); p.status != 403 ||
		!strings.Contains(p.body, "This choice has expired") {
		t.Errorf("a choice used again: %d\n%s", p.status, p.body)
	}
	if p := ada.get("/manage"); !strings.Contains(p.body, "at Second Stage") {
		t.Errorf("a refused choice changed the session:\n%s", p.body)
	}

	// Switching goes through the password again, and back to the first.
	if p := ada.get("/manage/switch-organizer"); p.status != 200 || !strings.Contains(p.body, `value="ada@example.com"`) || !strings.Contains(p.body, "<h1>Switch organizer</h1>") {
		t.Fatalf("switching: %d\n%s", p.status, p.body)
	}
	choice, members = chooser(ada)
	if p := ada.post("/manage/sign-in/organizer", url.Values{"choice": {choice}, "member": {members["My organization (as Owner)"]}}); p.status != 303 {
		t.Fatalf("choosing My organization: %d\n%s", p.status, p.body)
	}
	if p := ada.get("/manage"); !strings.Contains(p.body, "Night at the Opera") || strings.Contains(p.body, "Quiet Evening") {
		t.Errorf("the console of My organization:\n%s", p.body)
	}

	// Changed, or in another browser: refused, and nobody is signed in.
	eve := newVisitor(t, b.url)
	choice, members = chooser(eve)
	tampered := []url.Values{
		{"choice": {choice}, "member": {members["My organization (as Owner)"][:len(second)-1] + "a"}},
		{"choice": {strings.Replace(choice, ".", ".9", 1)}, "member": {second}},
		{"choice": {choice[:len(choice)-2] + "AA"}, "member": {second}},
	}
	for i, f := range tampered {
		if p := eve.post("/manage/sign-in/organizer", f); p.status != 403 || !strings.Contains(p.body, "This choice has expired") || !strings.Contains(p.body, "sign in again") {
			t.Errorf("tampered choice %d: %d\n%s", i, p.status, p.body)
		}
	}
	if p := newVisitor(t, b.url).post("/manage/sign-in/organizer", url.Values{"choice": {choice}, "member": {second}}); p.status != 403 {
		t.Errorf("a choice in another browser: %d, want 403", p.status)
	}
	if p := eve.get("/manage"); p.status != 303 {
		t.Errorf("after refused choices: %d, want a redirect to sign in", p.status)
	}
}

// TestConsoleOrders: a buyer's order found in the console, marked paid,
// partly refunded there and cancelled with an API token; its timeline
// names every step and who took it.
func TestConsoleOrders(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 100) // manual payment: the organizer marks orders paid
	pub := newClient(t, a.url, "")
	order := func(name string, n int) string {
		h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": n}}})
		return pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": h["id"],
			"buyer": map[string]any{"name": name, "email": strings.ToLower(strings.Fields(name)[0]) + "@example.com"}})["id"].(string)
	}
	grace, alan := order("Grace Hopper", 2), order("Alan Turing", 1)

	list := ada.get("/manage/events/" + evID + "/orders")
	if list.status != 200 || !strings.Contains(list.body, "Grace Hopper") || !strings.Contains(list.body, "Alan Turing") || !strings.Contains(list.body, "€90.00") {
		t.Fatalf("the orders: %d\n%s", list.status, list.body)
	}
	if p := ada.get("/manage/events/" + evID + "/orders?q=grace"); strings.Contains(p.body, "Alan Turing") || !strings.Contains(p.body, "Grace Hopper") {
		t.Errorf("searching for grace:\n%s", p.body)
	}
	if p := ada.get("/manage/events/" + evID + "/orders?status=paid"); strings.Contains(p.body, "Grace Hopper") {
		t.Errorf("paid orders before any is paid:\n%s", p.body)
	}
	path := "/manage/events/" + evID + "/orders/" + grace
	if p := ada.get(path); p.status != 200 || !strings.Contains(p.body, "Awaiting payment") || !strings.Contains(p.body, "Mark paid") {
		t.Fatalf("Grace's order: %d\n%s", p.status, p.body)
	}
	paid := ada.post(path+"/mark-paid", url.Values{"csrf": {ada.csrf()}})
	if paid.status != 200 || !strings.Contains(paid.body, "<strong>Paid</strong>") || !strings.Contains(paid.body, "by Ada Lovelace (Owner)") {
		t.Fatalf("marking paid: %d\n%s", paid.status, paid.body)
	}
	tickets := regexp.MustCompile(`name="ticket" value="([a-z0-9_]+)"`).FindAllStringSubmatch(paid.body, -1)
	if len(tickets) != 2 {
		t.Fatalf("want two tickets to refund:\n%s", paid.body)
	}
	if p := ada.post(path+"/resend", url.Values{"csrf": {ada.csrf()}}); p.status != 200 || !strings.Contains(p.body, "Tickets e-mailed to the buyer again") {
		t.Fatalf("sending the tickets again: %d\n%s", p.status, p.body)
	}
	if p := ada.post(path+"/refund", url.Values{"csrf": {ada.csrf()}, "ticket": {tickets[0][1]}}); p.status != 422 || !strings.Contains(p.body, "cannot be undone") {
		t.Errorf("a refund not confirmed: %d", p.status)
	}
	refunded := ada.post(path+"/refund", url.Values{"csrf": {ada.csrf()}, "ticket": {tickets[0][1]}, "refund-reason": {"cannot come"}, "confirm": {"1"}})
	if refunded.status != 200 || !strings.Contains(refunded.body, "Refunded €45.00: cannot come") || !strings.Contains(refunded.body, "€45.00 refunded") {
		t.Fatalf("refunding a ticket: %d\n%s", refunded.status, refunded.body)
	}
	if p := ada.post(path+"/refund", url.Values{"csrf": {ada.csrf()}, "confirm": {"1"}}); p.status != 422 || !strings.Contains(p.body, "Choose the tickets to refund.") {
		t.Errorf("a refund of nothing: %d", p.status)
	}
	c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+alan+"/cancel", map[string]any{"reason": "asked to"})
	alanPage := ada.get("/manage/events/" + evID + "/orders/" + alan)
	var steps []string
	for _, m := range regexp.MustCompile(`<li><strong>([^<]+)</strong><br><span class="hint">[^<]+ · by ([^<]+)</span></li>`).FindAllStringSubmatch(alanPage.body, -1) {
		steps = append(steps, m[1]+" / "+m[2])
	}
	want := []string{"Order placed, €45.00 / the buyer", "Cancelled: asked to / API token bootstrap"}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("Alan's timeline:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(alanPage.body, "Mark paid") || strings.Contains(alanPage.body, "Cancel the order") {
		t.Errorf("a cancelled order offers changes:\n%s", alanPage.body)
	}

	// Cancelling Grace's order needs its box ticked.
	if p := ada.post(path+"/cancel", url.Values{"csrf": {ada.csrf()}}); p.status != 422 || !strings.Contains(p.body, "cannot be undone") {
		t.Errorf("cancelling without ticking the box: %d", p.status)
	}
	if p := ada.post(path+"/cancel", url.Values{"csrf": {ada.csrf()}, "confirm": {"1"}, "reason": {"moved"}}); p.status != 200 ||
		!strings.Contains(p.body, "<strong>Cancelled</strong>") || !strings.Contains(p.body, "Cancelled: moved") {
		t.Errorf("cancelling: %d\n%s", p.status, p.body)
	}

	// The exports, from the links on the orders page.
	if !strings.Contains(list.body, `href="/manage/events/`+evID+`/exports/orders.csv"`) {
		t.Fatalf("no export link on the orders page:\n%s", list.body)
	}
	csvFile := ada.get("/manage/events/" + evID + "/exports/attendees.csv")
	if csvFile.status != 200 || !strings.HasPrefix(csvFile.body, "ticket_id,order_id,") || strings.Count(csvFile.body, "Grace Hopper") != 2 {
		t.Errorf("attendees.csv: %d\n%s", csvFile.status, csvFile.body)
	}
}

// TestConsoleDoor: a door device made in the console scans with the token
// its setup link carries, until it is revoked there; the door page counts
// who is in.
func TestConsoleDoor(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	c := newClient(t, a.url, a.token)
	evID, _, secrets := doorEvent(t, c, 2)
	path := "/manage/events/" + evID + "/door"
	if p := ada.get(path); p.status != 200 || !regexp.MustCompile(`<td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">2</td>`).MatchString(p.body) {
		t.Fatalf("the door page: %d\n%s", p.status, p.body)
	}
	made := ada.post(path+"/devices", url.Values{"csrf": {ada.csrf()}, "device-name": {"Gate A"}})
	link := regexp.MustCompile(`id="setup-link" type="text" readonly value="([^"]+)"`).FindStringSubmatch(made.body)
	if made.status != 201 || link == nil || !strings.Contains(made.body, "<svg") {
		t.Fatalf("adding a device: %d\n%s", made.status, made.body)
	}
	token := regexp.MustCompile(`token=(admitdoor_[a-z2-7]{32})`).FindStringSubmatch(strings.ReplaceAll(link[1], "&amp;", "&"))
	if token == nil {
		t.Fatalf("no token in the setup link %s", link[1])
	}
	gate := newClient(t, a.url, token[1])
	gate.must(200, "GET", "/api/v1/events/"+evID+"/door-bundle", nil)
	for _, secret := range secrets {
		gate.must(200, "POST", "/api/v1/events/"+evID+"/check-in-lists/default/scans",
			map[string]any{"secret": secret, "nonce": "first-scan"})
		break
	}
	if p := ada.get(path); !regexp.MustCompile(`<td class="num">1</td><td class="num">0</td><td class="num">1</td><td class="num">2</td>`).MatchString(p.body) {
		t.Errorf("the counts after a scan, want 1 in, 0 out, 1 admitted of 2:\n%s", p.body)
	}
	devID := regexp.MustCompile(`/door/devices/(dd_[a-z2-7]{20})/revoke`).FindStringSubmatch(ada.get(path).body)
	if devID == nil {
		t.Fatal("no device to revoke")
	}
	if p := ada.post(path+"/devices/"+devID[1]+"/revoke", url.Values{"csrf": {ada.csrf()}}); p.status != 200 || !strings.Contains(p.body, "Revoked") {
		t.Fatalf("revoking: %d\n%s", p.status, p.body)
	}
	if r := gate.do("GET", "/api/v1/events/"+evID+"/door-bundle", nil); r.status != 401 {
		t.Errorf("the revoked device's bundle: %d, want 401", r.status)
	}
}

// TestConsoleTokens: an API token made in the console, with a role, works
// as that role until it is revoked there.
func TestConsoleTokens(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	if p := ada.get("/manage/tokens"); p.status != 200 || !strings.Contains(p.body, "bootstrap") {
		t.Fatalf("the tokens page: %d\n%s", p.status, p.body)
	}
	if p := ada.post("/manage/tokens", url.Values{"csrf": {ada.csrf()}, "token-name": {""}, "role": {"door"}}); p.status != 422 {
		t.Errorf("a token without a name: %d", p.status)
	}
	made := ada.post("/manage/tokens", url.Values{"csrf": {ada.csrf()}, "token-name": {"door laptop"}, "role": {"door"}})
	secret := regexp.MustCompile(`id="made-token" type="text" readonly value="(admit_[a-z2-7]{32})"`).FindStringSubmatch(made.body)
	if made.status != 201 || secret == nil {
		t.Fatalf("making a token: %d\n%s", made.status, made.body)
	}
	door := newClient(t, a.url, secret[1])
	door.must(200, "GET", "/api/v1/organizer", nil)
	if r := door.do("GET", "/api/v1/organizer/tokens", nil); r.status != 403 {
		t.Errorf("the door token on the tokens: %d, want 403", r.status)
	}
	id := regexp.MustCompile(`action="/manage/tokens/(tk_[a-z2-7]{20})/revoke"`).FindAllStringSubmatch(made.body, -1)
	if len(id) != 2 {
		t.Fatalf("want the bootstrap and the new token revocable:\n%s", made.body)
	}
	newID := id[1][1] // listed oldest first
	if p := ada.post("/manage/tokens/"+newID+"/revoke", url.Values{"csrf": {ada.csrf()}}); p.status != 200 || !strings.Contains(p.body, "Revoked") {
		t.Fatalf("revoking: %d\n%s", p.status, p.body)
	}
	if r := door.do("GET", "/api/v1/organizer", nil); r.status != 401 {
		t.Errorf("the revoked token: %d, want 401", r.status)
	}
}

// TestMemberCommands: an operator lets someone in from the command line
// (the owners forgot their passwords), and lists the members.
func TestMemberCommands(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	a.stop()
	path := strings.TrimSpace(admin(t, dir, "member", "invite", "--organizer", "My organization", "--email", "Rescue@Example.com"))
	if !strings.HasPrefix(path, "/manage/invitations/admitinv_") {
		t.Fatalf("member invite printed %q, want an invitation's path", path)
	}
	b := startAdmit(t, dir)
	v := newVisitor(t, b.url)
	v.join(b.url+path, "Rescuer", "")
	if p := v.get("/manage/team"); !strings.Contains(p.body, "Rescuer (you)") || !strings.Contains(p.body, "rescue@example.com") {
		t.Errorf("the rescuer's team page:\n%s", p.body)
	}
	b.stop()
	if list := admin(t, dir, "member", "list", "--organizer", "My organization"); !strings.Contains(list, "rescue@example.com") ||
		!strings.Contains(list, "owner") || strings.Count(list, "invited") != 1 /* the first owner's, never opened */ {
		t.Errorf("member list:\n%s", list)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"member", "invite", "--organizer", "My organization", "--role", "root"}, "--role"},
		{[]string{"member", "invite"}, "--organizer is required"},
		{[]string{"member", "invite", "--organizer", "Nobody"}, "no organizer has the id or name"},
		{[]string{"member", "invite", "--organizer", "My organization", "--email", "nope"}, "e-mail"},
		{[]string{"member"}, "needs a subcommand"},
	} {
		err := run(context.Background(), append(tc.args, "--data", dir), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admit %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestConsoleProfile: the organizer's public profile, set in the console,
// is on its events' pages in the shop; a bad address is refused on its
// field.
func TestConsoleProfile(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	evID, _ := setupEvent(newClient(t, a.url, a.token), 10)
	shopPage := func() string {
		v := newVisitor(t, a.url)
		return v.get("/events/" + evID).body
	}
	if p := shopPage(); !strings.Contains(p, "Sold by My organization") || strings.Contains(p, "mailto:") {
		t.Errorf("the shop before a profile:\n%s", p)
	}
	bad := ada.post("/manage/profile", url.Values{"csrf": {ada.csrf()}, "name": {"Hall & Co"}, "website": {"javascript:alert(1)"}})
	if bad.status != 422 || !strings.Contains(bad.body, `href="#website"`) {
		t.Fatalf("a bad website: %d\n%s", bad.status, bad.body)
	}
	if strings.Contains(shopPage(), "Hall &amp; Co") {
		t.Error("a refused profile reached the shop")
	}
	good := ada.post("/manage/profile", url.Values{"csrf": {ada.csrf()}, "name": {"Hall & Co"}, "contact_email": {"Tickets@Hall.example"},
		"terms_url": {"https://hall.example/terms"}})
	if good.status != 200 || !strings.Contains(good.body, "Saved") {
		t.Fatalf("saving the profile: %d\n%s", good.status, good.body)
	}
	p := shopPage()
	for _, want := range []string{"Sold by Hall &amp; Co", `href="mailto:tickets@hall.example"`, `href="https://hall.example/terms"`, "Terms of sale"} {
		if !strings.Contains(p, want) {
			t.Errorf("the shop's event page lacks %q:\n%s", want, p)
		}
	}
	if strings.Contains(p, "Privacy policy") {
		t.Error("the shop links a privacy policy the profile does not have")
	}
}

// TestConsoleAttendeesAndKeys: the attendees page finds tickets by whom
// they admit; the signing keys page makes a new key and retires an old one.
func TestConsoleAttendeesAndKeys(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	evID, _, _ := doorEvent(t, newClient(t, a.url, a.token), 3) // three free tickets for "Ada Lovelace"
	att := ada.get("/manage/events/" + evID + "/attendees")
	if att.status != 200 || strings.Count(att.body, `<th scope="row">Ada Lovelace</th>`) != 3 {
		t.Fatalf("the attendees: %d\n%s", att.status, att.body)
	}
	if p := ada.get("/manage/events/" + evID + "/attendees?q=nobody"); !strings.Contains(p.body, "No tickets match.") {
		t.Errorf("a search for nobody:\n%s", p.body)
	}
	keys := "/manage/events/" + evID + "/keys"
	first := ada.get(keys)
	if first.status != 200 || !strings.Contains(first.body, "Signs new tickets") {
		t.Fatalf("the keys: %d\n%s", first.status, first.body)
	}
	if p := ada.post(keys, url.Values{"csrf": {ada.csrf()}}); p.status != 200 || strings.Count(p.body, "Verifies its tickets") != 1 {
		t.Fatalf("a new key: %d\n%s", p.status, p.body)
	}
	old := regexp.MustCompile(`<th scope="row">([0-9a-f]{8})</th><td>[^<]+</td><td>Verifies its tickets`).FindStringSubmatch(ada.get(keys).body)
	if old == nil {
		t.Fatal("no older key to retire")
	}
	if p := ada.post(keys+"/"+old[1]+"/retire", url.Values{"csrf": {ada.csrf()}}); p.status != 200 || !strings.Contains(p.body, "Retired") {
		t.Fatalf("retiring: %d\n%s", p.status, p.body)
	}
	if p := ada.get("/manage/events/" + evID + "/history"); !strings.Contains(p.body, "Ticket signing key "+old[1]+" retired") {
		t.Errorf("the history lacks the retirement:\n%s", p.body)
	}
}

// postFile posts a multipart form with one file, as a browser on the site.
func (v *visitor) postFile(path string, fields url.Values, field, name string, data []byte) page {
	v.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, x := range vs {
			mw.WriteField(k, x)
		}
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		v.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", v.base+path, &body)
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

// TestConsoleLogo: a logo uploaded in the console is made to fit, kept in
// the ledger, and shown on the organizer's events' pages; a file that is no
// image is refused on its field; removing it removes it. A form too large
// for the console is refused.
func TestConsoleLogo(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	ada := firstOwner(t, a)
	evID, _ := setupEvent(newClient(t, a.url, a.token), 10)
	img := image.NewRGBA(image.Rect(0, 0, 1000, 250))
	for x := range 1000 {
		img.Set(x, x%250, color.RGBA{200, 30, 30, 255})
	}
	var file bytes.Buffer
	png.Encode(&file, img)
	fields := url.Values{"csrf": {ada.csrf()}, "name": {"Hall & Co"}}
	if p := ada.postFile("/manage/profile", fields, "logo", "x.png", []byte("not an image")); p.status != 422 || !strings.Contains(p.body, `href="#logo"`) {
		t.Errorf("a file that is no image: %d\n%s", p.status, p.body)
	}
	if p := ada.postFile("/manage/profile", fields, "logo", "logo.png", file.Bytes()); p.status != 200 || !strings.Contains(p.body, "The logo now") {
		t.Fatalf("uploading the logo: %d\n%s", p.status, p.body)
	}
	shopPage := newVisitor(t, a.url).get("/events/" + evID).body
	src := regexp.MustCompile(`<img src="(/organizers/or_[a-z2-7]{20}/logo/[0-9a-f]{64})" alt="Hall &amp; Co"`).FindStringSubmatch(shopPage)
	if src == nil {
		t.Fatalf("no logo on the shop's page:\n%s", shopPage)
	}
	resp, err := http.Get(a.url + src[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := png.Decode(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") ||
		err != nil || got.Bounds().Dx() != 480 || got.Bounds().Dy() != 120 {
		t.Errorf("the logo: %d %s %s, %v, %v; want a 480×120 PNG", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), got, err)
	}
	if r, _ := http.Get(a.url + src[1][:len(src[1])-1] + "0"); r.StatusCode != 404 {
		t.Errorf("another image's address: %d, want 404", r.StatusCode)
	}
	if p := ada.post("/manage/profile", url.Values{"csrf": {ada.csrf()}, "name": {"Hall & Co"}, "remove_logo": {"1"}}); p.status != 200 || strings.Contains(p.body, "The logo now") {
		t.Errorf("removing the logo: %d", p.status)
	}
	if strings.Contains(newVisitor(t, a.url).get("/events/"+evID).body, "/logo/") {
		t.Error("the removed logo is still on the shop's page")
	}
	big := url.Values{"csrf": {ada.csrf()}, "email": {strings.Repeat("x", 100<<10)}}
	if p := ada.post("/manage/team/invitations", big); p.status != 413 {
		t.Errorf("a form of 100 KiB: %d, want 413", p.status)
	}
}
