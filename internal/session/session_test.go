package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/natstest"
)

func TestSessions(t *testing.T) {
	ctx := context.Background()
	srv := natstest.Start(t)
	st, err := Open(ctx, natstest.Connect(t, srv.ClientURL()), 1)
	if err != nil {
		t.Fatal(err)
	}
	secret, s, err := st.Begin(ctx, "mb_1", "or_1", time.Now())
	if err != nil || !strings.HasPrefix(secret, Prefix) || len(s.CSRF) != 32 {
		t.Fatalf("Begin: %q %+v %v", secret, s, err)
	}
	got, err := st.Get(ctx, secret)
	if err != nil || got != s {
		t.Fatalf("Get: %+v, %v; want %+v", got, err, s)
	}
	if !got.CheckCSRF(s.CSRF) || got.CheckCSRF("") || got.CheckCSRF(s.CSRF[1:]) {
		t.Error("CheckCSRF accepts the wrong secret or refuses the right one")
	}
	other, _, err := st.Begin(ctx, "mb_1", "or_1", time.Now())
	if err != nil || other == secret {
		t.Fatalf("a second session: %q, %v", other, err)
	}
	// The bucket holds the secret's hash, never the secret.
	keys, err := st.kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		if strings.Contains(k, secret[len(Prefix):]) || strings.Contains(k, other[len(Prefix):]) {
			t.Errorf("key %s holds a secret", k)
		}
	}
	if err := st.End(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, secret); !fault.Is(err, fault.NotFound) {
		t.Errorf("an ended session: %v, want NotFound", err)
	}
	if err := st.End(ctx, secret); err != nil {
		t.Errorf("ending twice: %v", err)
	}
	if _, err := st.Get(ctx, other); err != nil {
		t.Errorf("the other session ended too: %v", err)
	}
	for _, bad := range []string{"", "x", Prefix, Prefix + strings.Repeat("a", 32), secret + "a"} {
		if _, err := st.Get(ctx, bad); !fault.Is(err, fault.NotFound) {
			t.Errorf("Get(%q): %v, want NotFound", bad, err)
		}
	}
}
