package organizer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

func TestTokens(t *testing.T) {
	tok, hash := NewToken()
	if !LooksLikeToken(tok) || !strings.HasPrefix(tok, TokenPrefix) {
		t.Fatalf("token %q does not look like one", tok)
	}
	if HashToken(tok) != hash || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Fatalf("hash %q of %q", hash, tok)
	}
	if other, _ := NewToken(); other == tok {
		t.Fatal("two tokens alike")
	}
	for _, bad := range []string{"", "admit_", tok + "a", "admit_" + strings.Repeat("A", 32), "xdmit_" + tok[6:], "admit_" + strings.Repeat("1", 32)} {
		if LooksLikeToken(bad) {
			t.Errorf("LooksLikeToken(%q) = true", bad)
		}
	}
}

func TestDesk(t *testing.T) {
	led := ledger.NewMemory()
	d := &Desk{Ledger: led, Now: func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }}
	ctx := context.Background()
	org, tok, err := d.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := d.CreateToken(ctx, owner(org), org, "ci", access.Owner)
	if err != nil {
		t.Fatal(err)
	}
	tok2 := issued.Token
	if !LooksLikeToken(tok2) || !strings.HasPrefix(issued.TokenID, "tk_") || issued.Seq == 0 {
		t.Fatalf("issued %+v", issued)
	}
	var types []string
	var hashes []string
	if _, err := led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
		batch, err := DecodeBatch(r.Data)
		for _, e := range batch {
			types = append(types, e.Entry.Type())
			if tc, ok := e.Entry.(*TokenCreated); ok {
				hashes = append(hashes, tc.Hash)
			}
		}
		if strings.Contains(string(r.Data), tok) || strings.Contains(string(r.Data), tok2) {
			t.Error("a token is stored in the clear")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := "admit.organizer.created.v1 admit.api_token.created.v1 admit.api_token.created.v1"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("entries %q, want %q", got, want)
	}
	if hashes[0] != HashToken(tok) || hashes[1] != HashToken(tok2) {
		t.Fatal("stored hashes do not match the tokens")
	}
	if _, err := d.CreateToken(ctx, owner("or_aaaaaaaaaaaaaaaaaaaa"), "or_aaaaaaaaaaaaaaaaaaaa", "x", access.Owner); !fault.Is(err, fault.NotFound) {
		t.Fatalf("token for an unknown organizer: %v, want NotFound", err)
	}
	if _, _, err := d.Create(ctx, "", "x"); !fault.Is(err, fault.Invalid) {
		t.Fatalf("organizer without a name: %v, want Invalid", err)
	}
	if _, err := d.CreateToken(ctx, owner(org), org, strings.Repeat("n", 201), access.Owner); !fault.Is(err, fault.Invalid) {
		t.Fatalf("token name too long: %v, want Invalid", err)
	}
}

// fencedLedger lets a test interleave another writer between Read and Append.
type fencedLedger struct{ *ledger.Memory }

func (f fencedLedger) Append(ctx context.Context, m ledger.Message, after uint64) (uint64, error) {
	return 0, ledger.ErrFenced
}

// TestDeskRacesDecideAgain: changes to one organizer made at the same
// moment (by several nodes, in a cluster) all succeed, each decided again
// on what the others wrote when it lost the race.
func TestDeskRacesDecideAgain(t *testing.T) {
	ctx := context.Background()
	mem := ledger.NewMemory()
	d := &Desk{Ledger: mem, Now: time.Now}
	org, _, err := d.Create(ctx, "A", "t")
	if err != nil {
		t.Fatal(err)
	}
	const racers = deskAttempts // each loses at most once to each other one
	errs := make(chan error, racers)
	var start sync.WaitGroup
	start.Add(1)
	for range racers {
		go func() {
			start.Wait()
			_, err := d.CreateToken(ctx, owner(org), org, "racer", access.Admin)
			errs <- err
		}()
	}
	start.Done()
	for range racers {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent token: %v", err)
		}
	}
	st, err := d.read(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.tokens) != racers+1 {
		t.Errorf("%d tokens, want %d", len(st.tokens), racers+1)
	}
}

func TestDeskConflictIsRetryable(t *testing.T) {
	mem := ledger.NewMemory()
	d := &Desk{Ledger: mem, Now: time.Now}
	org, _, err := d.Create(context.Background(), "A", "t")
	if err != nil {
		t.Fatal(err)
	}
	d.Ledger = fencedLedger{mem}
	_, err = d.CreateToken(context.Background(), owner(org), org, "t2", access.Viewer)
	if !fault.Is(err, fault.Conflict) || !errors.Is(err, ledger.ErrFenced) {
		t.Fatalf("a concurrent change: %v, want Conflict wrapping ErrFenced", err)
	}
}

func TestRevokeToken(t *testing.T) {
	led := ledger.NewMemory()
	d := &Desk{Ledger: led, Now: time.Now}
	ctx := context.Background()
	org, _, err := d.Create(ctx, "A", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := d.Create(ctx, "B", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := d.CreateToken(ctx, owner(org), org, "ci", access.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RevokeToken(ctx, owner(other), other, issued.TokenID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("revoking another organizer's token: %v, want NotFound", err)
	}
	if _, err := d.RevokeToken(ctx, owner(org), org, "tk_aaaaaaaaaaaaaaaaaaaa"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("revoking an unknown token: %v, want NotFound", err)
	}
	seq, err := d.RevokeToken(ctx, owner(org), org, issued.TokenID)
	if err != nil || seq == 0 {
		t.Fatalf("revoke: seq %d, %v", seq, err)
	}
	if again, err := d.RevokeToken(ctx, owner(org), org, issued.TokenID); err != nil || again != seq {
		t.Fatalf("revoking twice: seq %d, %v; want the first revocation's %d", again, err, seq)
	}
	var revoked []string
	if _, err := led.Read(ctx, Subject(org), 0, func(r ledger.Record) error {
		batch, err := DecodeBatch(r.Data)
		for _, e := range batch {
			if tr, ok := e.Entry.(*TokenRevoked); ok {
				revoked = append(revoked, tr.OrganizerID+"/"+tr.TokenID)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := org + "/" + issued.TokenID; len(revoked) != 1 || revoked[0] != want {
		t.Fatalf("revocations %v, want [%s]", revoked, want)
	}
}

// owner is an owner of the organizer, as an actor.
func owner(organizerID string) access.Actor {
	return access.Actor{Kind: access.Member, ID: "mb_owner", OrganizerID: organizerID, Role: access.Owner}
}
