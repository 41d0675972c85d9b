package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/ticket"
)

// The example of docs/tickets.md: seed 32 × 0x07.
const docSecret = "AT1:FB0%EGIC2/R89S2FH8P1NOAQTZC/7RHBS260SEP8U3DLA*HQVREIATL4QR$J%D7JRELGEOPRMGE8*5X%SAS8P 2HEGB E/YMRS2JOQO81SS8UFPG4A:Q7:KP:G493D4BN2+2VE99CU-3BEWMAHRL6M1YT+8FLQ3LJND81ZATAF7YWJ"

func TestTicketVerify(t *testing.T) {
	k, err := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub := hex.EncodeToString(k.Public())
	verify := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"ticket", "verify"}, args...), noEnv, &out, &errOut)
		return out.String(), err
	}
	out, err := verify("--public-key", pub, "--at", "2030-06-01T20:00:00+02:00", docSecret)
	if err != nil || !strings.Contains(out, "ticket       tk_zzzzzzzzzzzzzzzzzzzz") || !strings.Contains(out, "signature OK") {
		t.Errorf("valid secret: %v\n%s", err, out)
	}
	out, err = verify("--public-key", pub, "--at", "2030-06-02T20:00:00Z", docSecret)
	if err == nil || exitCode(err) != 1 || !strings.Contains(out, "tk_zzzzzzzzzzzzzzzzzzzz") {
		t.Errorf("expired secret: %v\n%s", err, out)
	}
	other, _ := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	if _, err := verify("--public-key", hex.EncodeToString(other.Public()), docSecret); err == nil || exitCode(err) != 1 {
		t.Errorf("another event's key: %v", err)
	}
	for _, args := range [][]string{
		{docSecret},
		{"--public-key", "abcd", docSecret},
		{"--public-key", pub},
		{"--public-key", pub, docSecret, "extra"},
		{"--public-key", pub, "--at", "tomorrow", docSecret},
	} {
		if _, err := verify(args...); exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"ticket"}, noEnv, &bytes.Buffer{}, &bytes.Buffer{}); exitCode(err) != 2 {
		t.Errorf("admit ticket: %v", err)
	}
}
