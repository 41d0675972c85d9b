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

func TestMembers(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	led := ledger.NewMemory()
	d := &Desk{Ledger: led, Now: func() time.Time { return now }}
	org, _, err := d.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	system := access.Actor{Kind: access.System, OrganizerID: org, Role: access.Owner}

	// The first owner: an invitation without an e-mail.
	first, err := d.Invite(ctx, system, org, "", access.Owner)
	if err != nil || !strings.HasPrefix(first.Token, InvitePrefix) || !strings.HasPrefix(first.MemberID, "mb_") {
		t.Fatalf("Invite: %+v, %v", first, err)
	}
	if _, _, err := d.Join(ctx, org, first.Token, "Ada", "", "a long passphrase"); !fault.Is(err, fault.Invalid) {
		t.Errorf("joining without an e-mail where the invitation has none: %v, want Invalid", err)
	}
	if _, _, err := d.Join(ctx, org, first.Token, "Ada", "ada@example.com", "short"); !fault.Is(err, fault.Invalid) {
		t.Errorf("a short password: %v, want Invalid", err)
	}
	ada, _, err := d.Join(ctx, org, first.Token, "Ada", " Ada@Example.com ", "a long passphrase")
	if err != nil || ada != first.MemberID {
		t.Fatalf("Join: %s, %v", ada, err)
	}
	if _, _, err := d.Join(ctx, org, first.Token, "Eve", "eve@example.com", "a long passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("an invitation used twice: %v, want NotFound", err)
	}
	adaActor := access.Actor{Kind: access.Member, ID: ada, OrganizerID: org, Role: access.Owner}

	// Invitations by e-mail, and who may make them.
	if _, err := d.Invite(ctx, adaActor, org, "ada@example.com", access.Viewer); !fault.Is(err, fault.Conflict) {
		t.Errorf("inviting a member again: %v, want Conflict", err)
	}
	if _, err := d.Invite(ctx, adaActor, org, "not an address", access.Viewer); !fault.Is(err, fault.Invalid) {
		t.Errorf("a bad e-mail: %v, want Invalid", err)
	}
	if _, err := d.Invite(ctx, adaActor, org, "bob@example.com", "root"); !fault.Is(err, fault.Invalid) {
		t.Errorf("a bad role: %v, want Invalid", err)
	}
	bobInv, err := d.Invite(ctx, adaActor, org, "bob@example.com", access.Admin)
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := d.Join(ctx, org, bobInv.Token, "Bob", "ignored@example.com", "another passphrase")
	if err != nil {
		t.Fatal(err)
	}
	bobActor := access.Actor{Kind: access.Member, ID: bob, OrganizerID: org, Role: access.Admin}
	if _, err := d.Invite(ctx, bobActor, org, "carol@example.com", access.Owner); !fault.Is(err, fault.Forbidden) {
		t.Errorf("an admin inviting an owner: %v, want Forbidden", err)
	}
	carolInv, err := d.Invite(ctx, bobActor, org, "carol@example.com", access.Door)
	if err != nil {
		t.Fatal(err)
	}
	doorActor := access.Actor{Kind: access.Member, ID: "mb_x", OrganizerID: org, Role: access.Door}
	if _, err := d.Invite(ctx, doorActor, org, "dan@example.com", access.Door); !fault.Is(err, fault.Forbidden) {
		t.Errorf("a door member inviting: %v, want Forbidden", err)
	}

	// Roles change; the last owner stays.
	if _, err := d.ChangeRole(ctx, bobActor, org, ada, access.Viewer); !fault.Is(err, fault.Forbidden) {
		t.Errorf("an admin demoting an owner: %v, want Forbidden", err)
	}
	if _, err := d.ChangeRole(ctx, adaActor, org, ada, access.Admin); !fault.Is(err, fault.Conflict) {
		t.Errorf("the only owner stepping down: %v, want Conflict", err)
	}
	if _, err := d.RemoveMember(ctx, adaActor, org, ada); !fault.Is(err, fault.Conflict) {
		t.Errorf("removing the only owner: %v, want Conflict", err)
	}
	if _, err := d.ChangeRole(ctx, adaActor, org, bob, access.Owner); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChangeRole(ctx, adaActor, org, ada, access.Admin); err != nil {
		t.Errorf("stepping down with another owner: %v", err)
	}
	if _, err := d.ChangeRole(ctx, adaActor, org, "mb_none", access.Admin); !fault.Is(err, fault.NotFound) {
		t.Errorf("an unknown member: %v, want NotFound", err)
	}

	// Removing withdraws an invitation too.
	if _, err := d.RemoveMember(ctx, bobActor, org, carolInv.MemberID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Join(ctx, org, carolInv.Token, "Carol", "", "a long passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("a withdrawn invitation: %v, want NotFound", err)
	}
	if _, err := d.RemoveMember(ctx, bobActor, org, carolInv.MemberID); !fault.Is(err, fault.NotFound) {
		t.Errorf("removing twice: %v, want NotFound", err)
	}

	// Invitations expire.
	late, err := d.Invite(ctx, adaActor, org, "late@example.com", access.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(InviteTerm)
	if _, _, err := d.Join(ctx, org, late.Token, "Late", "", "a long passphrase"); !fault.Is(err, fault.NotFound) {
		t.Errorf("an expired invitation: %v, want NotFound", err)
	}

	// What the ledger keeps: hashes, never secrets or passwords; actors.
	var joined []*MemberJoined
	if _, err := led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
		for _, s := range []string{first.Token, bobInv.Token, "a long passphrase", "another passphrase"} {
			if strings.Contains(string(r.Data), s) {
				t.Errorf("the ledger has %q in the clear", s)
			}
		}
		batch, err := DecodeBatch(r.Data)
		for _, e := range batch {
			switch e := e.Entry.(type) {
			case *MemberJoined:
				joined = append(joined, e)
			case *MemberInvited:
				if e.Actor == "" {
					t.Errorf("invitation %s names no actor", e.MemberID)
				}
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(joined) != 2 || joined[0].Email != "ada@example.com" || joined[1].Email != "bob@example.com" ||
		!password.Check(joined[0].PasswordHash, "a long passphrase") {
		t.Errorf("joined: %+v", joined)
	}
}

func TestKeyedSecrets(t *testing.T) {
	s := KeyedSecrets([]byte("server secret"))
	a := s("invitation", "mb_aaaaaaaaaaaaaaaaaaaa")
	if !strings.HasPrefix(a, InvitePrefix) || len(a) != len(InvitePrefix)+32 || s("invitation", "mb_aaaaaaaaaaaaaaaaaaaa") != a {
		t.Fatalf("secret %q: want %s and 32 characters, the same each time", a, InvitePrefix)
	}
	for _, other := range []string{s("invitation", "mb_bbbbbbbbbbbbbbbbbbbb"), KeyedSecrets([]byte("another"))("invitation", "mb_aaaaaaaaaaaaaaaaaaaa"),
		s("reset", "mb_aaaaaaaaaaaaaaaaaaaa")} {
		if strings.HasSuffix(other, a[len(InvitePrefix):]) {
			t.Errorf("two secrets alike: %q and %q", a, other)
		}
	}

	// A desk with Secrets makes the secret its e-mail worker makes again,
	// and says to send it when there is an address.
	ctx := context.Background()
	led := ledger.NewMemory()
	d := &Desk{Ledger: led, Now: time.Now, Secrets: s}
	org, _, err := d.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := d.Invite(ctx, owner(org), org, "bob@example.com", access.Door)
	if err != nil || inv.Token != s("invitation", inv.MemberID) {
		t.Fatalf("Invite: %+v, %v", inv, err)
	}
	open, err := d.Invite(ctx, owner(org), org, "", access.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var sends []bool
	led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
		batch, err := DecodeBatch(r.Data)
		for _, e := range batch {
			if mi, ok := e.Entry.(*MemberInvited); ok {
				sends = append(sends, mi.Send)
				if mi.MemberID == open.MemberID && mi.Send {
					t.Error("an invitation without an e-mail is to be sent")
				}
			}
		}
		return err
	})
	if len(sends) != 2 || !sends[0] || sends[1] {
		t.Errorf("send flags %v, want [true false]", sends)
	}
	if plain, err := (&Desk{Ledger: led, Now: time.Now}).Invite(ctx, owner(org), org, "carol@example.com", access.Door); err != nil || plain.Token == s("invitation", plain.MemberID) {
		t.Errorf("a desk without Secrets: %+v, %v; want a random secret", plain, err)
	}
}
