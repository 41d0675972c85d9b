package organizer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/password"
)

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	led := ledger.NewMemory()
	secrets := KeyedSecrets([]byte("k"))
	d := &Desk{Ledger: led, Now: func() time.Time { return now }, Secrets: secrets}
	org, _, err := d.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := d.Invite(ctx, owner(org), org, "ada@example.com", access.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RequestReset(ctx, org, inv.MemberID); !fault.Is(err, fault.NotFound) {
		t.Errorf("a reset for an invitation: %v, want NotFound", err)
	}
	ada, _, err := d.Join(ctx, org, inv.Token, "Ada", "", "the first passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Desk{Ledger: led, Now: time.Now}).RequestReset(ctx, org, ada); !fault.Is(err, fault.Unavailable) {
		t.Errorf("a desk that cannot send it: %v, want Unavailable", err)
	}
	resets := func() (out []*ResetRequested) {
		led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
			batch, err := DecodeBatch(r.Data)
			for _, e := range batch {
				if rr, ok := e.Entry.(*ResetRequested); ok {
					out = append(out, rr)
				}
			}
			return err
		})
		return out
	}
	if _, err := d.RequestReset(ctx, org, ada); err != nil {
		t.Fatal(err)
	}
	first := resets()[0]
	if first.Email != "ada@example.com" || first.ResetHash != HashToken(secrets("reset", first.ResetID)) || !first.ExpiresAt.Equal(now.Add(ResetTerm)) {
		t.Fatalf("the reset %+v", first)
	}
	firstSecret := secrets("reset", first.ResetID)
	if !strings.HasPrefix(firstSecret, ResetPrefix) {
		t.Errorf("secret %q", firstSecret)
	}
	// A newer reset replaces it.
	if _, err := d.RequestReset(ctx, org, ada); err != nil {
		t.Fatal(err)
	}
	second := secrets("reset", resets()[1].ResetID)
	if _, _, err := d.ResetPassword(ctx, org, firstSecret, "a new passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("the older link: %v, want NotFound", err)
	}
	if _, _, err := d.ResetPassword(ctx, org, second, "short"); !fault.Is(err, fault.Invalid) {
		t.Errorf("a short password: %v, want Invalid", err)
	}
	got, seq, err := d.ResetPassword(ctx, org, second, "a new passphrase")
	if err != nil || got != ada || seq == 0 {
		t.Fatalf("ResetPassword: %s %d %v", got, seq, err)
	}
	if _, _, err := d.ResetPassword(ctx, org, second, "another passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("the link used twice: %v, want NotFound", err)
	}
	var set *PasswordSet
	led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
		batch, _ := DecodeBatch(r.Data)
		for _, e := range batch {
			if ps, ok := e.Entry.(*PasswordSet); ok {
				set = ps
			}
		}
		return nil
	})
	if set == nil || set.MemberID != ada || !password.Check(set.PasswordHash, "a new passphrase") {
		t.Errorf("password set: %+v", set)
	}
	// Expired.
	if _, err := d.RequestReset(ctx, org, ada); err != nil {
		t.Fatal(err)
	}
	late := secrets("reset", resets()[2].ResetID)
	now = now.Add(ResetTerm)
	if _, _, err := d.ResetPassword(ctx, org, late, "a new passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("an expired link: %v, want NotFound", err)
	}
}
