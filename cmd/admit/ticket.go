package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/ticket"
)

// ticketVerify checks a ticket secret offline, as a door scanner does.
func ticketVerify(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("ticket verify", `Checks a ticket secret (the text in its QR code) offline: its format, its
Ed25519 signature with the event's public key, and its validity at --at.
Quote the secret: secrets may hold spaces. The format is in docs/tickets.md.`, getenv, stderr)
	f.synopsis = "admit ticket verify --public-key KEY [--at TIME] 'AT1:…'"
	pubFlag := f.string("public-key", "ADMIT_TICKET_PUBLIC_KEY", "", "the event's Ed25519 public key, 32 bytes in hex or base64")
	at := f.String("at", "", "check validity at this time (RFC 3339; default now)")
	secrets, err := f.parseArgs(args, 1)
	if err != nil {
		return err
	}
	pub, err := parsePublicKey(*pubFlag)
	if err != nil {
		return &usageError{err.Error()}
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return &usageError{fmt.Sprintf("--at %q: want an RFC 3339 time such as 2030-06-01T19:30:00+02:00", *at)}
		}
	}
	keys := func(id ticket.KeyID) (ed25519.PublicKey, bool) { return pub, id == ticket.IDOf(pub) }
	c, err := ticket.Verify(strings.TrimSpace(secrets[0]), keys, now)
	if err == nil || errors.Is(err, ticket.ErrNotYetValid) || errors.Is(err, ticket.ErrExpired) {
		fmt.Fprintf(stdout, "event        %s\nticket type  %s\nticket       %s\nvalid        %s to %s\n",
			c.EventID, c.TicketTypeID, c.TicketID, c.ValidFrom.Format(time.RFC3339), c.ValidUntil.Format(time.RFC3339))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signature OK, valid at %s (check the ticket against the event's revocation list too)\n",
		now.Format(time.RFC3339))
	return nil
}

// parsePublicKey reads a 32-byte Ed25519 public key in hex or base64.
func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("--public-key is required: the event's Ed25519 public key")
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("--public-key: want 32 bytes in hex (64 characters) or base64, got %q", s)
}
