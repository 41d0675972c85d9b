package keyring

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/ticket"
)

func master(b byte) []byte { return bytes.Repeat([]byte{b}, MasterKeySize) }

// roundTrip makes a key in one keyring and opens it from another on the
// same store, as a second node would.
func roundTrip(t *testing.T, store Store) {
	ctx := context.Background()
	a, err := New(master(1), store)
	if err != nil {
		t.Fatal(err)
	}
	key, err := a.Create(ctx, "ev_one")
	if err != nil {
		t.Fatal(err)
	}
	keyID := ticket.IDOf(key.Public()).String()
	b, _ := New(master(1), store)
	got, err := b.Get(ctx, "ev_one", keyID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Seed(), key.Seed()) {
		t.Fatal("the opened key is not the one made")
	}
	secret, err := got.Sign(ticket.Claims{EventID: "ev_aaaaaaaaaaaaaaaaaaaa", TicketTypeID: "tt_aaaaaaaaaaaaaaaaaaaa",
		TicketID: "tk_aaaaaaaaaaaaaaaaaaaa", ValidFrom: time.Unix(0, 0).UTC(), ValidUntil: time.Unix(1<<31, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(id ticket.KeyID) (ed25519.PublicKey, bool) { return key.Public(), id == ticket.IDOf(key.Public()) }
	if _, err := ticket.Verify(secret, keys, time.Unix(1000, 0)); err != nil {
		t.Fatalf("a secret signed with the opened key does not verify: %v", err)
	}
	if _, err := b.Get(ctx, "ev_two", keyID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("another event's key: err = %v, want NotFound", err)
	}
	wrong, _ := New(master(2), store)
	if _, err := wrong.Get(ctx, "ev_one", keyID); err == nil || fault.Is(err, fault.NotFound) {
		t.Fatalf("opened with another master key: err = %v", err)
	}
}

func TestMemoryStore(t *testing.T) { roundTrip(t, &Memory{}) }

func TestKVStore(t *testing.T) {
	led, err := ledger.Open(context.Background(), ledger.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	kv, err := OpenKV(context.Background(), led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, kv)
	if _, err := kv.Get(context.Background(), "ev_x.00000000"); err != ErrNotFound {
		t.Fatalf("Get of nothing: %v, want ErrNotFound", err)
	}
	// Opening the bucket again finds it.
	if _, err := OpenKV(context.Background(), led.Conn(), 1); err != nil {
		t.Fatal(err)
	}
}

// TestSealedKeyIsBoundToItsName: a sealed key copied under another event's
// name does not open, nor does an altered one.
func TestSealedKeyIsBoundToItsName(t *testing.T) {
	ctx := context.Background()
	store := &Memory{}
	k, _ := New(master(1), store)
	key, err := k.Create(ctx, "ev_one")
	if err != nil {
		t.Fatal(err)
	}
	keyID := ticket.IDOf(key.Public()).String()
	sealed, _ := store.Get(ctx, name("ev_one", keyID))
	if bytes.Contains(sealed, key.Seed()) {
		t.Fatal("the seed is stored in clear")
	}
	store.Create(ctx, name("ev_two", keyID), sealed)
	fresh, _ := New(master(1), store)
	if _, err := fresh.Get(ctx, "ev_two", keyID); err == nil {
		t.Fatal("a key moved to another event opened")
	}
	sealed[len(sealed)-1] ^= 1
	altered := &Memory{}
	altered.Create(ctx, name("ev_one", keyID), sealed)
	fresh, _ = New(master(1), altered)
	if _, err := fresh.Get(ctx, "ev_one", keyID); err == nil {
		t.Fatal("an altered key opened")
	}
	if _, err := New(master(1)[:16], store); err == nil {
		t.Fatal("a short master key was accepted")
	}
}

func TestMasterKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := LoadMasterKeyFile(path, false); err == nil {
		t.Fatal("a missing file without create: no error")
	}
	k1, err := LoadMasterKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadMasterKeyFile(path, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %x, %v; want the same key", k2, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	os.WriteFile(path, []byte("not hex\n"), 0o600)
	if _, err := LoadMasterKeyFile(path, true); err == nil {
		t.Fatal("a bad file was accepted")
	}
	if _, err := ParseMasterKey("  " + string(bytes.Repeat([]byte("ab"), 32)) + "\n"); err != nil {
		t.Fatal(err)
	}
}

// TestDerive: a derived secret depends on the master key and the purpose
// alone, and is neither the master key nor another purpose's secret.
func TestDerive(t *testing.T) {
	a, err := New(master(1), &Memory{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := New(master(1), &Memory{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(master(2), &Memory{})
	if err != nil {
		t.Fatal(err)
	}
	x := a.Derive("client keys")
	if len(x) != 32 || !bytes.Equal(x, again.Derive("client keys")) {
		t.Fatalf("Derive = %x, %x: want the same 32 bytes on every node", x, again.Derive("client keys"))
	}
	for _, y := range [][]byte{a.Derive("something else"), other.Derive("client keys"), master(1)} {
		if bytes.Equal(x, y) {
			t.Fatalf("Derive(client keys) = %x equals %x", x, y)
		}
	}
}
