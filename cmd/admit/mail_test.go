package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/mail/mailpittest"
)

// TestServeSendsMail: admit serve with --smtp sends a buyer's free order's
// confirmation, with the tickets' PDF and the link to the order's page in
// the shop under --public-url (else the listen address), to the SMTP
// server; the link opens a page for a person, not the API's JSON.
func TestServeSendsMail(t *testing.T) {
	mp := mailpittest.Start(t)
	dir := t.TempDir()
	a := startAdmit(t, dir,
		"--smtp", fmt.Sprintf("smtp://%s:%d?from=Admit%%20%%3Ctickets@example.org%%3E", mp.SMTPHost, mp.SMTPPort),
		"--public-url", "https://tickets.example.org/")
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := freeEvent(c)
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}})
	o := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Zoë Łukasiewicz", "email": "zoe@example.com"}})
	orderID := o["id"].(string)

	msgs := mp.WaitMessages(t, 1, 20*time.Second)
	d := mp.Message(t, msgs[0].ID)
	if want := "Your tickets for Open Rehearsal (order " + orderID + ")"; d.Subject != want {
		t.Errorf("subject %q, want %q", d.Subject, want)
	}
	if len(d.To) != 1 || d.To[0].Address != "zoe@example.com" || d.To[0].Name != "Zoë Łukasiewicz" ||
		d.From.Address != "tickets@example.org" || d.From.Name != "Admit" {
		t.Errorf("from %v to %v", d.From, d.To)
	}
	token := o["order_url"].(string)[strings.LastIndex(o["order_url"].(string), "/")+1:]
	page := "/events/" + evID + "/orders/" + token
	for _, want := range []string{"2 x Guest list: €0.00", "https://tickets.example.org" + page + "\r\n",
		"Saturday 1 June 2030, 19:30 CEST"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("the text lacks %q:\n%s", want, d.Text)
		}
	}
	if len(d.Attachments) != 1 || d.Attachments[0].FileName != "tickets-"+orderID+".pdf" ||
		d.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v", d.Attachments)
	}
	if pdf := mp.Attachment(t, d.ID, d.Attachments[0].PartID); !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("the attachment is not a PDF: %.20q", pdf)
	}

	// A restart resumes after what was sent: the e-mail is not sent again.
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	b := startAdmit(t, dir, "--smtp", fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", mp.SMTPHost, mp.SMTPPort))
	pub = newClient(t, b.url, "")
	h = pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	msgs = mp.WaitMessages(t, 2, 20*time.Second)
	if len(msgs) != 2 || msgs[0].To[0].Address != "ada@example.com" || msgs[1].MessageID != d.MessageID {
		t.Fatalf("after the restart: %+v", msgs)
	}
	// Without --public-url the link is under the listen address, and it is
	// the shop's order page, whatever Host a request to it names.
	link := regexp.MustCompile(`http://\S+`).FindString(mp.Message(t, msgs[0].ID).Text)
	if !strings.HasPrefix(link, b.url+"/events/"+evID+"/orders/ot_") {
		t.Fatalf("the e-mail links to %q, want the order's page under %s", link, b.url)
	}
	req, err := http.NewRequest("GET", link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the e-mail's link answers %d %s, want a page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(html), `value="`+link+`"`) || strings.Contains(string(html), "attacker.example") {
		t.Fatalf("the order page's link is not %s:\n%s", link, html)
	}
}

// TestServeMailFlags: a malformed --smtp or --public-url is a usage error,
// before anything starts; the environment sets them too.
func TestServeMailFlags(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"--smtp", "http://mail.example.com"}, want: "--smtp: mail: SMTP URL: scheme"},
		{args: []string{"--smtp", "smtp://mail.example.com"}, want: "the From address is missing"},
		{env: map[string]string{"ADMIT_SMTP_URL": "smtp://:secret@"}, want: "--smtp:"},
		{args: []string{"--public-url", "ftp://tickets.example.org"}, want: "--public-url"},
		{args: []string{"--public-url", "tickets.example.org"}, want: "--public-url"},
		{env: map[string]string{"ADMIT_PUBLIC_URL": "https://tickets.example.org/?a=b"}, want: "--public-url"},
	}
	for _, tt := range tests {
		args := append([]string{"serve", "--data", t.TempDir()}, tt.args...)
		getenv := func(k string) string { return tt.env[k] }
		err := run(t.Context(), args, getenv, io.Discard, io.Discard)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve %v with %v: %v, want a usage error saying %q", tt.args, tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestWithoutSMTPTheLogSaysNotSent: without --smtp, the log says an e-mail
// was logged and not sent, and never that it was sent.
func TestWithoutSMTPTheLogSaysNotSent(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c, pub := newClient(t, a.url, a.token), newClient(t, a.url, "")
	evID, ttID := freeEvent(c)
	h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(a.logs.String(), `"msg":"notify: `) {
		if time.Now().After(deadline) {
			t.Fatalf("no e-mail was logged:\n%s", a.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	logs := a.logs.String()
	if strings.Contains(logs, `"msg":"notify: sent"`) || !strings.Contains(logs, `"msg":"mail: logged, not sent`) ||
		!strings.Contains(logs, `"msg":"notify: logged, not sent`) {
		t.Fatalf("the log must say the e-mail was logged, not sent:\n%s", logs)
	}
}

// TestInvitationIsMailed: an invitation made in the console is e-mailed to
// the address it names, with the link the console showed; the link lets
// that person join.
func TestInvitationIsMailed(t *testing.T) {
	mp := mailpittest.Start(t)
	a := startAdmit(t, t.TempDir(), "--smtp", fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", mp.SMTPHost, mp.SMTPPort))
	ada := firstOwner(t, a)
	shown := ada.invite("bob@example.com", access.BoxOffice)
	msgs := mp.WaitMessages(t, 1, 20*time.Second)
	d := mp.Message(t, msgs[0].ID)
	if d.Subject != "You are invited to My organization on admit" || len(d.To) != 1 || d.To[0].Address != "bob@example.com" {
		t.Fatalf("the invitation e-mail: %q to %v", d.Subject, d.To)
	}
	if !strings.Contains(d.Text, shown) || !strings.Contains(d.Text, "as Box office") {
		t.Fatalf("the e-mail does not carry the link the console showed (%s):\n%s", shown, d.Text)
	}
	bob := newVisitor(t, a.url)
	bob.join(shown, "Bob", "")
	if p := bob.get("/manage"); !strings.Contains(p.body, "Bob, Box office at My organization") {
		t.Errorf("Bob's console:\n%s", p.body)
	}
	// The first owner's invitation named no address: it was printed, not sent.
	if n := len(mp.Messages(t)); n != 1 {
		t.Errorf("%d e-mails, want the one invitation", n)
	}
}

// TestPasswordReset: a member who forgot their password asks for a link,
// gets it by e-mail, chooses a new password with it and is signed in; the
// sessions begun before are over, the old password no longer works, and
// the link works once. An address that is nobody's gets the same answer
// and no e-mail.
func TestPasswordReset(t *testing.T) {
	mp := mailpittest.Start(t)
	dir := t.TempDir()
	a := startAdmit(t, dir, "--smtp", fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", mp.SMTPHost, mp.SMTPPort))
	ada := firstOwner(t, a) // ada@example.com, "correct horse battery"
	forgetful := newVisitor(t, a.url)
	if p := forgetful.get("/manage/sign-in"); !strings.Contains(p.body, `href="/manage/password-reset"`) {
		t.Fatalf("no way to a reset on the sign-in page:\n%s", p.body)
	}
	nobody := forgetful.post("/manage/password-reset", url.Values{"email": {"nobody@example.com"}})
	asked := forgetful.post("/manage/password-reset", url.Values{"email": {"Ada@Example.com"}})
	if asked.status != 200 || strings.ReplaceAll(asked.body, "ada@example.com", "x") != strings.ReplaceAll(nobody.body, "nobody@example.com", "x") {
		t.Errorf("asking for a member (%d) and for nobody (%d) read differently:\n%s\n%s", asked.status, nobody.status, asked.body, nobody.body)
	}
	msgs := mp.WaitMessages(t, 1, 20*time.Second)
	d := mp.Message(t, msgs[0].ID)
	link := regexp.MustCompile(`http://[^\s]+/manage/password-reset/admitpwr_[a-z2-7]{32}`).FindString(d.Text)
	if d.Subject != "Choose a new password for My organization on admit" || d.To[0].Address != "ada@example.com" || link == "" {
		t.Fatalf("the reset e-mail: %q to %v:\n%s", d.Subject, d.To, d.Text)
	}
	path := strings.TrimPrefix(link, a.url)
	if p := forgetful.post(path, url.Values{"password": {"new one"}, "confirm": {"new one"}}); p.status != 422 {
		t.Errorf("a short new password: %d", p.status)
	}
	if p := forgetful.post(path, url.Values{"password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}); p.status != 303 || p.location != "/manage" {
		t.Fatalf("setting the password: %d %s\n%s", p.status, p.location, p.body)
	}
	if p := forgetful.get("/manage"); p.status != 200 || !strings.Contains(p.body, "Ada Lovelace, Owner") {
		t.Errorf("signed in after the reset: %d", p.status)
	}
	if p := ada.get("/manage"); p.status != 303 {
		t.Errorf("the session from before the reset: %d, want a redirect to sign in", p.status)
	}
	if p := newVisitor(t, a.url).post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}); p.status != 401 {
		t.Errorf("the old password: %d, want 401", p.status)
	}
	if p := newVisitor(t, a.url).post("/manage/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"a brand new passphrase"}}); p.status != 303 {
		t.Errorf("the new password: %d, want 303", p.status)
	}
	if p := newVisitor(t, a.url).get(path); p.status != 404 {
		t.Errorf("the link used: %d, want 404", p.status)
	}
	if n := len(mp.Messages(t)); n != 1 {
		t.Errorf("%d e-mails, want the one reset", n)
	}
	a.stop()
	wantActors(t, everyEntryNamesItsActor(t, dir), map[string][]string{
		"admit.organizer.created.v1":      {"system"},
		"admit.member.invited.v1":         {"system"},
		"admit.member.joined.v1":          {"member"},
		"admit.member.reset_requested.v1": {"anonymous"},
		"admit.member.password_set.v1":    {"member"},
	})
}
