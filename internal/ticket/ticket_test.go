package ticket

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	t0     = time.Date(2030, 6, 1, 17, 0, 0, 0, time.UTC)
	claims = Claims{EventID: "ev_abcdefghijklmnopqrst", TicketTypeID: "tt_234567abcdefghijklmn",
		TicketID: "tk_zzzzzzzzzzzzzzzzzzzz", ValidFrom: t0, ValidUntil: t0.Add(6 * time.Hour)}
)

func ring(keys ...*SigningKey) Keys {
	return func(id KeyID) (ed25519.PublicKey, bool) {
		for _, k := range keys {
			if k.ID == id {
				return k.Public(), true
			}
		}
		return nil, false
	}
}

func newKey(t *testing.T) *SigningKey {
	t.Helper()
	k, err := NewSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerify(t *testing.T) {
	k := newKey(t)
	secret, err := k.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, Prefix) || len(secret) != len(Prefix)+secretBytes/2*3 {
		t.Errorf("secret %q: want %s and %d characters", secret, Prefix, len(Prefix)+secretBytes/2*3)
	}
	for _, c := range secret {
		if !strings.ContainsRune(base45, c) {
			t.Fatalf("secret has %q, outside a QR code's alphanumeric mode", c)
		}
	}
	got, err := Verify(secret, ring(k), t0.Add(time.Hour))
	if err != nil || got != claims {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, claims)
	}
	// An event in a ledger shard (ev_…_<k>) keeps its shard.
	for _, shard := range []string{"_1", "_15"} {
		c := claims
		c.EventID += shard
		secret, err := k.Sign(c)
		if err != nil {
			t.Fatalf("an event id in shard %s: %v", shard, err)
		}
		if got, err := Verify(secret, ring(k), t0.Add(time.Hour)); err != nil || got != c {
			t.Errorf("Verify = %+v, %v; want %+v", got, err, c)
		}
	}
	// Whole seconds, in UTC, whatever the time zone given.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	c := claims
	c.ValidFrom, c.ValidUntil = t0.In(berlin).Add(999*time.Millisecond), t0.Add(time.Hour).In(berlin)
	secret, _ = k.Sign(c)
	got, err = Verify(secret, ring(k), t0.Add(time.Minute))
	if err != nil || !got.ValidFrom.Equal(t0) || got.ValidFrom.Location() != time.UTC {
		t.Errorf("times: %+v, %v", got, err)
	}
}

// TestGolden pins the format: a fixed key and claims always give this
// secret (Ed25519 signatures are deterministic). docs/tickets.md shows it.
func TestGolden(t *testing.T) {
	k, err := SigningKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := k.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	const want = golden
	if secret != want {
		t.Errorf("the format changed:\n got %s\nwant %s", secret, want)
	}
	if k.ID.String() != goldenKeyID {
		t.Errorf("key id %s, want %s", k.ID, goldenKeyID)
	}
	again, _ := SigningKeyFromSeed(k.Seed())
	if s2, _ := again.Sign(claims); s2 != secret {
		t.Error("a key rebuilt from its seed signs differently")
	}
}

func TestVerifyRefuses(t *testing.T) {
	k, other := newKey(t), newKey(t)
	secret, _ := k.Sign(claims)
	during := t0.Add(time.Hour)

	if _, err := Verify(secret, ring(other), during); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	// A key ring that answers the id with another key: a forgery.
	liar := func(KeyID) (ed25519.PublicKey, bool) { return other.Public(), true }
	if _, err := Verify(secret, liar, during); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key under the same id: %v", err)
	}
	if c, err := Verify(secret, ring(k), t0.Add(-time.Second)); !errors.Is(err, ErrNotYetValid) || c.TicketID != claims.TicketID {
		t.Errorf("before: %+v, %v", c, err)
	}
	if c, err := Verify(secret, ring(k), claims.ValidUntil.Add(time.Second)); !errors.Is(err, ErrExpired) || c.TicketID != claims.TicketID {
		t.Errorf("after: %+v, %v", c, err)
	}
	if _, err := Verify(claims.ValidUntil.Format(time.RFC3339), ring(k), during); !errors.Is(err, ErrMalformed) {
		t.Errorf("not a secret: %v", err)
	}
	for _, bad := range []string{"", Prefix, "AT2:" + secret[4:], secret + "0", secret[:len(secret)-3], strings.ToLower(secret)} {
		if _, err := Verify(bad, ring(k), during); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}

	// Every single-byte change of the signed bytes is refused.
	raw, _ := decodeBase45(secret[len(Prefix):])
	for i := range raw {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(raw)
			b[i] ^= flip
			if c, err := Verify(Prefix+encodeBase45(b), ring(k), during); err == nil {
				t.Fatalf("byte %d ^ %#x accepted as %+v", i, flip, c)
			}
		}
	}
}

// TestRotation: a new key signs new tickets; tickets of the old one verify
// until it is retired.
func TestRotation(t *testing.T) {
	old, cur := newKey(t), newKey(t)
	oldSecret, _ := old.Sign(claims)
	newSecret, _ := cur.Sign(claims)
	during := t0.Add(time.Hour)
	for _, s := range []string{oldSecret, newSecret} {
		if _, err := Verify(s, ring(cur, old), during); err != nil {
			t.Errorf("both keys trusted: %v", err)
		}
	}
	if _, err := Verify(oldSecret, ring(cur), during); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old key retired: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	k := newKey(t)
	for _, c := range []Claims{
		{EventID: "ev_short", TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: t0, ValidUntil: t0},
		{EventID: claims.TicketTypeID, TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: t0, ValidUntil: t0},
		{EventID: claims.EventID + "_16", TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: t0, ValidUntil: t0},
		{EventID: claims.EventID, TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID + "_1", ValidFrom: t0, ValidUntil: t0},
		{EventID: claims.EventID, TicketTypeID: claims.TicketTypeID, TicketID: "tk_ABCDEFGHIJKLMNOPQRST", ValidFrom: t0, ValidUntil: t0},
		{EventID: claims.EventID, TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: t0, ValidUntil: t0.Add(-time.Second)},
		{EventID: claims.EventID, TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: time.Unix(-1, 0), ValidUntil: t0},
		{EventID: claims.EventID, TicketTypeID: claims.TicketTypeID, TicketID: claims.TicketID, ValidFrom: t0, ValidUntil: time.Unix(1<<32, 0)},
	} {
		if s, err := k.Sign(c); err == nil {
			t.Errorf("signed %+v as %s", c, s)
		}
	}
	if _, err := SigningKeyFromSeed(make([]byte, 31)); err == nil {
		t.Error("a 31-byte seed was taken")
	}
}

func FuzzVerify(f *testing.F) {
	k, _ := SigningKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	f.Add(golden)
	f.Add(Prefix + "0000")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Verify(s, ring(k), t0.Add(time.Hour))
		if err == nil && s != golden {
			t.Fatalf("%q verified as %+v", s, c)
		}
	})
}

func TestEventOf(t *testing.T) {
	k := newKey(t)
	for _, ev := range []string{claims.EventID, claims.EventID + "_7"} {
		c := claims
		c.EventID = ev
		secret, err := k.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := EventOf(secret); err != nil || got != ev {
			t.Errorf("EventOf = %q, %v; want %q", got, err, ev)
		}
	}
	for _, bad := range []string{"", "AT1:", "AT2:AAAA", "https://example.com", "AT1:" + strings.Repeat("0", 174)} {
		if _, err := EventOf(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("EventOf(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}
