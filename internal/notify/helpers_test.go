package notify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on every machine

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/keyring"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/mail"
	"github.com/admit-org/admit/internal/mail/mailpittest"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/printer"
	"github.com/admit-org/admit/internal/worker"
)

// t0 is a Monday; three days later, 12:00 UTC is 13:00 in Berlin.
var t0 = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	org     = "or_aaaaaaaaaaaaaaaaaaaa"
	baseURL = "https://tickets.example.org"
	// mailWait bounds every wait for Mailpit and the worker.
	mailWait = 15 * time.Second
)

// logBuffer collects a logger's text output, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a box office on an in-memory ledger with a fake clock, a printer
// that signs with an in-memory keyring, and a real SMTP server.
type env struct {
	t     *testing.T
	led   testLedger
	clk   *clock.Fake
	m     *office.Manager
	print *printer.Printer
	mp    *mailpittest.Server
	smtp  *mail.SMTP
	logs  *logBuffer
	log   *slog.Logger
	// tune, when set, changes each Runner before it starts.
	tune func(*worker.Runner)
}

// testLedger is what the tests need of a ledger (*ledger.Memory,
// *ledger.JetStream).
type testLedger interface {
	office.Ledger
	worker.Follower
	Last(ctx context.Context) (ledger.Vector, error)
}

// newEnv starts it all; mailpitArgs go to Mailpit.
func newEnv(t *testing.T, mailpitArgs ...string) *env {
	t.Helper()
	return newEnvOn(t, ledger.NewMemory(), mailpitArgs...)
}

// newEnvOn is newEnv on the ledger led.
func newEnvOn(t *testing.T, led testLedger, mailpitArgs ...string) *env {
	t.Helper()
	e := &env{t: t, led: led, clk: clock.NewFake(t0), logs: &logBuffer{}}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	e.m = office.NewManager(e.led, e.clk, office.Local{}, slog.New(slog.NewTextHandler(io.Discard, nil)), office.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}), make(chan struct{})
	go func() { e.m.Run(ctx, started); close(done) }()
	<-started
	t.Cleanup(func() { cancel(); <-done })

	keys, err := keyring.New(bytes.Repeat([]byte{7}, keyring.MasterKeySize), &keyring.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	e.print = &printer.Printer{Offices: e.m, Keys: keys}
	e.mp = mailpittest.Start(t, mailpitArgs...)
	e.smtp, err = mail.NewSMTP(mail.Config{Host: e.mp.SMTPHost, Port: e.mp.SMTPPort,
		From: mail.Address{Name: "Admit", Email: "tickets@example.org"}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// runner follows the ledger with a Notifier until stopped; Run must end
// without an error.
// Cancelling ctx stops it too, as a crash would.
func (e *env) runner(ctx context.Context, sender mail.Sender, pos worker.Positions, marks Marks) (stop func()) {
	e.t.Helper()
	base, err := links.Parse(baseURL + "/")
	if err != nil {
		e.t.Fatal(err)
	}
	n := New(Config{Sender: sender, Printer: e.print, Links: base, Sent: marks, Log: e.log})
	r := &worker.Runner{Name: "mail", Ledger: e.led, Positions: pos, Handle: n.Handle, Log: e.log,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}
	if e.tune != nil {
		e.tune(r)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("runner: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// caughtUp waits until the worker's position is the ledger's last
// sequence: every entry has been handled.
func (e *env) caughtUp(pos worker.Positions) {
	e.t.Helper()
	ctx := context.Background()
	last, err := e.led.Last(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(mailWait)
	for {
		got, err := pos.Get(ctx, "mail")
		if err != nil {
			e.t.Fatal(err)
		}
		if got.CoversAll(last) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the worker is at %d after %s, want %d", got, mailWait, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) do(evID string, cmd boxoffice.Command) office.Result {
	e.t.Helper()
	res, err := e.m.Do(context.Background(), evID, cmd, nil)
	if err != nil {
		e.t.Fatalf("%T: %v", cmd, err)
	}
	return res
}

// event creates an event on sale with one ticket type at price in a quota
// of capacity.
func (e *env) event(name string, price boxoffice.Money, capacity int, pay boxoffice.PaymentSettings) (evID, ttID string) {
	e.t.Helper()
	return e.eventOf(org, name, price, capacity, pay)
}

// eventOf is event for the organizer organizerID.
func (e *env) eventOf(organizerID, name string, price boxoffice.Money, capacity int, pay boxoffice.PaymentSettings) (evID, ttID string) {
	e.t.Helper()
	evID, ttID = id.New("ev", id.Short), id.New("tt", id.Short)
	e.do(evID, &boxoffice.CreateEvent{OrganizerID: organizerID, EventID: evID, Currency: price.Currency,
		Details: boxoffice.EventDetails{Name: name, Venue: "Stadthalle", TimeZone: "Europe/Berlin",
			StartsAt: t0.Add(30 * 24 * time.Hour), EndsAt: t0.Add(30*24*time.Hour + 3*time.Hour), HoldTTLSeconds: 600,
			PaymentSettings: pay}})
	e.do(evID, &boxoffice.CreateTicketType{OrganizerID: organizerID, TicketTypeID: ttID, Details: boxoffice.TicketTypeDetails{
		Name: "Standing", Price: price, MinPerHold: 1, MaxPerHold: 10}})
	e.do(evID, &boxoffice.CreateQuota{OrganizerID: organizerID, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
		Name: "Hall", Capacity: capacity, TicketTypeIDs: []string{ttID}}})
	e.do(evID, &boxoffice.ChangeStatus{OrganizerID: organizerID, Status: boxoffice.OnSale})
	return evID, ttID
}

// order holds n tickets and orders them; it returns the order id and its
// secret link token.
func (e *env) order(evID, ttID string, n int, provider string, buyer boxoffice.Buyer) (orderID, token string) {
	e.t.Helper()
	holdID := id.New("ho", id.Long)
	e.do(evID, &boxoffice.CreateHold{HoldID: holdID, Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: n}}})
	orderID, token = id.New("od", id.Short), id.Token("ot_")
	e.do(evID, &boxoffice.PlaceOrder{OrderID: orderID, HoldID: holdID, Token: token, Buyer: buyer, Provider: provider})
	return orderID, token
}

// mails waits until Mailpit holds n messages, fails unless it holds
// exactly n, and returns them, newest first.
func (e *env) mails(n int) []mailpittest.Summary {
	e.t.Helper()
	msgs := e.mp.WaitMessages(e.t, n, mailWait)
	if len(msgs) != n {
		e.t.Fatalf("Mailpit holds %d messages, want %d: %s", len(msgs), n, subjects(msgs))
	}
	return msgs
}

// mail waits until Mailpit holds n messages and returns the one whose
// subject starts with subject.
func (e *env) mail(n int, subject string) mailpittest.Detail {
	e.t.Helper()
	msgs := e.mails(n)
	for _, m := range msgs {
		if strings.HasPrefix(m.Subject, subject) {
			return e.mp.Message(e.t, m.ID)
		}
	}
	e.t.Fatalf("no message with a subject starting %q among %s", subject, subjects(msgs))
	return mailpittest.Detail{}
}

func subjects(msgs []mailpittest.Summary) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("\n  " + m.MessageID + " to " + m.To[0].Address + ": " + m.Subject)
	}
	return b.String()
}

// contains fails the test unless the message's text part has every want.
func contains(t *testing.T, d mailpittest.Detail, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(d.Text, w) {
			t.Errorf("%q: the text lacks %q:\n%s", d.Subject, w, d.Text)
		}
	}
}

// setChaos sets Mailpit's chaos triggers (Mailpit started with
// --chaos-triggers); "{}" turns them off.
func setChaos(t *testing.T, mp *mailpittest.Server, triggers string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, mp.APIURL+"/api/v1/chaos", strings.NewReader(triggers))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/v1/chaos: %s %s", resp.Status, body)
	}
}

// recorder is a sender that passes messages on and records each attempt's
// outcome. before, when set, runs first and may fail the attempt itself.
type recorder struct {
	next   mail.Sender
	before func(attempt int, m mail.Message) error
	after  func(attempt int, m mail.Message, err error) error

	mu   sync.Mutex
	errs []error // one per attempt, nil for success
}

func (r *recorder) Send(ctx context.Context, m mail.Message) error {
	r.mu.Lock()
	attempt := len(r.errs) + 1
	r.mu.Unlock()
	var err error
	if r.before != nil {
		err = r.before(attempt, m)
	}
	if err == nil {
		err = r.next.Send(ctx, m)
	}
	if r.after != nil {
		err = r.after(attempt, m, err)
	}
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	return err
}

func (r *recorder) attempts() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}
