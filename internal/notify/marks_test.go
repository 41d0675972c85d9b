package notify

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/mail"
)

// testMarks is the contract of Marks, run against each implementation.
func testMarks(t *testing.T, m Marks) {
	ctx := context.Background()
	const a, b = "ev_aaaaaaaaaaaaaaaaaaaa/12.0", "ev_aaaaaaaaaaaaaaaaaaaa/12.0/refund"
	claim := func(id string, want bool) {
		t.Helper()
		already, err := m.Claim(ctx, id)
		if err != nil || already != want {
			t.Fatalf("Claim(%s) = %v, %v; want %v", id, already, err, want)
		}
	}
	claim(a, false) // new
	claim(a, false) // "sending": a send that was cut short is claimed again
	if err := m.Done(ctx, a); err != nil {
		t.Fatal(err)
	}
	claim(a, true)
	claim(a, true)
	if err := m.Done(ctx, a); err != nil { // twice is once
		t.Fatal(err)
	}
	claim(a, true)
	claim(b, false) // marks apart from a's
	if err := m.Done(ctx, b); err != nil {
		t.Fatal(err)
	}
	claim(b, true)

	// Many goroutines claiming one e-mail: none is told it was sent.
	const c = "ev_aaaaaaaaaaaaaaaaaaaa/13.0"
	var wg sync.WaitGroup
	var sent atomic.Int32
	for range 20 {
		wg.Go(func() {
			already, err := m.Claim(ctx, c)
			if err != nil {
				t.Error(err)
			}
			if already {
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	if n := sent.Load(); n != 0 {
		t.Errorf("%d claims of an e-mail never sent said it was", n)
	}
}

func TestMemoryMarks(t *testing.T) { testMarks(t, &MemoryMarks{}) }

func TestKVMarks(t *testing.T) {
	ctx := context.Background()
	led, err := ledger.Open(ctx, ledger.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	m, err := OpenKVMarks(ctx, led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	testMarks(t, m)

	// Opening the bucket again finds the marks.
	again, err := OpenKVMarks(ctx, led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if already, err := again.Claim(ctx, "ev_aaaaaaaaaaaaaaaaaaaa/12.0"); err != nil || !already {
		t.Fatalf("Claim after reopening = %v, %v; want true", already, err)
	}
	js, err := jetstream.New(led.Conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 0 || st.History() != 1 || st.BackingStore() != "JetStream" {
		t.Errorf("bucket: ttl %s, history %d, store %s", st.TTL(), st.History(), st.BackingStore())
	}
	e, err := kv.Get(ctx, "ev_aaaaaaaaaaaaaaaaaaaa.12.0.refund")
	if err != nil || string(e.Value()) != "sent" {
		t.Fatalf("the refund e-mail's key: %v", err)
	}
}

// Message-IDs are stable, valid, and distinct for distinct e-mails.
func TestMessageID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"ev_abcdefghijklmnopqrst/12.0", "ev_abcdefghijklmnopqrst.12.0@admit"},
		{"ev_abcdefghijklmnopqrst/12.0/refund", "ev_abcdefghijklmnopqrst.12.0.refund@admit"},
		{"ev_abcdefghijklmnopqrst/120.0", "ev_abcdefghijklmnopqrst.120.0@admit"},
		{"a b<c>@d//e.", "a.b.c.d.e@admit"},
		{"", "_@admit"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := messageID(tt.id)
		if got != tt.want {
			t.Errorf("messageID(%q) = %q, want %q", tt.id, got, tt.want)
		}
		if seen[got] {
			t.Errorf("messageID(%q) = %q repeats another's", tt.id, got)
		}
		seen[got] = true
		m := mail.Message{ID: got, To: mail.Address{Email: "ada@example.com"}, Subject: "s", Text: "t"}
		if err := m.Validate(); err != nil {
			t.Errorf("messageID(%q): %v", tt.id, err)
		}
	}
}
