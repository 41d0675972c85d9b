package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/mail/mailpittest"
)

// TestWorkerParkedAndRetry: an e-mail the SMTP server refuses for good is
// parked and the next one goes out; the parked entry is still there after
// serve stops, "admit worker parked" lists it, "admit worker retry" asks
// for it again, and the next serve, whose SMTP server takes it, sends it
// and unparks it.
func TestWorkerParkedAndRetry(t *testing.T) {
	picky := mailpittest.Start(t, "--smtp-allowed-recipients", `^ok@example\.com$`)
	smtp := func(mp *mailpittest.Server) string {
		return fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", mp.SMTPHost, mp.SMTPPort)
	}
	dir := t.TempDir()
	a := startAdmit(t, dir, "--smtp", smtp(picky))
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := freeEvent(c)
	order := func(pub *client, email string) string {
		base := "/api/v1/public/events/" + evID
		h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
		o := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"],
			"buyer": map[string]any{"name": "Someone", "email": email}})
		return o["id"].(string)
	}
	refused := order(pub, "nobody@example.com")
	order(pub, "ok@example.com")
	if msgs := picky.WaitMessages(t, 1, 20*time.Second); len(msgs) != 1 || msgs[0].To[0].Address != "ok@example.com" {
		t.Fatalf("the next e-mail did not go out: %+v", msgs)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	admit := func(sub string, args ...string) string { t.Helper(); return workerCommand(t, dir, sub, args...) }
	list := admit("parked")
	id := regexp.MustCompile(`(?m)^(mail\.` + evID + `\.\d+\.\d+) +admit\.order\.paid\.v1 +1 `).FindStringSubmatch(list)
	if id == nil || !strings.Contains(list, "550") || !strings.Contains(list, "1 parked") {
		t.Fatalf("admit worker parked:\n%s", list)
	}
	if out := admit("retry", id[1]); !strings.Contains(out, "retry asked for "+id[1]) {
		t.Fatalf("admit worker retry: %s", out)
	}
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"worker", "retry", "--data", dir, "mail.ev_nosuchevent.1.0"}, noEnv,
		&bytes.Buffer{}, &errOut); err == nil || !strings.Contains(err.Error(), "no parked entry") {
		t.Errorf("retry of an entry that is not parked: %v", err)
	}

	// The next start, with an SMTP server that takes the address, sends it.
	open := mailpittest.Start(t)
	b := startAdmit(t, dir, "--smtp", smtp(open))
	msgs := open.WaitMessages(t, 1, 20*time.Second)
	if len(msgs) != 1 || msgs[0].To[0].Address != "nobody@example.com" || !strings.Contains(msgs[0].Subject, refused) {
		t.Fatalf("after the retry: %+v", msgs)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(b.logs.String(), "worker: a parked entry succeeded") {
		if time.Now().After(deadline) {
			t.Fatal("the retried entry was not unparked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
	if list := admit("parked"); !strings.Contains(list, "no parked entries") {
		t.Fatalf("still parked after it was sent:\n%s", list)
	}
}

// TestWorkerRetryWhileServing: on a single node, admit worker parked and
// retry reach the running serve's store through the data directory, and
// its worker takes the retry at once.
func TestWorkerRetryWhileServing(t *testing.T) {
	picky := mailpittest.Start(t, "--smtp-allowed-recipients", `^ok@example\.com$`)
	dir := t.TempDir()
	a := startAdmit(t, dir, "--smtp", fmt.Sprintf("smtp://%s:%d?from=tickets@example.org", picky.SMTPHost, picky.SMTPPort))
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := freeEvent(c)
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Someone", "email": "nobody@example.com"}})
	admit := func(sub string, args ...string) string { t.Helper(); return workerCommand(t, dir, sub, args...) }
	var id []string
	waitUntil(t, "the refused e-mail to be parked", 20*time.Second, func() bool {
		id = regexp.MustCompile(`(?m)^(mail\.` + evID + `\.\d+\.\d+) +admit\.order\.paid\.v1 `).FindStringSubmatch(admit("parked"))
		return id != nil
	})
	if out := admit("retry", id[1]); !strings.Contains(out, "retry asked for "+id[1]) {
		t.Fatalf("admit worker retry: %s", out)
	}
	waitUntil(t, "the running worker to retry it", 20*time.Second, func() bool {
		return strings.Contains(a.logs.String(), `"msg":"worker: retrying a parked entry","worker":"mail","parked":"`+id[1]+`"`)
	})
}

// workerCommand runs admit worker sub on the data directory dir, and
// returns what it printed.
func workerCommand(t *testing.T, dir, sub string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"worker", sub, "--data", dir}, args...)
	if err := run(context.Background(), args, noEnv, &out, &errOut); err != nil {
		t.Fatalf("admit %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}
