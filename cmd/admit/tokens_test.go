package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// admin runs an admin command against the data directory and returns its
// standard output.
func admin(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append(args, "--data", dir), noEnv, &out, io.Discard); err != nil {
		t.Fatalf("admit %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// TestTakenPortCreatesNothing: a first start that cannot listen fails before
// it makes the organizer, so the next start still shows the token.
func TestTakenPortCreatesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	err = run(context.Background(), []string{"serve", "--addr", taken.Addr().String(), "--data", dir, "--demo", "--log-format", "json"},
		noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("serve on a taken port: %v, want a listen error", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("serve that could not listen made the data directory (%v)", err)
	}
	a := startAdmit(t, dir)
	if a.token == "" {
		t.Fatalf("the first start that listened must print the token; output:\n%s", a.out.String())
	}
	newClient(t, a.url, a.token).must(200, "GET", "/api/v1/organizer", nil)
}

// TestTokenRecovery: with serve stopped, an operator who lost the token
// lists the organizers, makes a token by the organizer's name, lists the
// tokens (never their secrets) and revokes the lost one.
func TestTokenRecovery(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	lost := a.token
	orgID := newClient(t, a.url, lost).must(200, "GET", "/api/v1/organizer", nil)["id"].(string)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	orgs := admin(t, dir, "organizer", "list")
	if !strings.Contains(orgs, orgID) || !strings.Contains(orgs, "My organization") {
		t.Fatalf("organizer list:\n%s", orgs)
	}
	token := strings.TrimSpace(admin(t, dir, "token", "create", "--organizer", "My organization", "--name", "recovered"))
	byID := strings.TrimSpace(admin(t, dir, "token", "create", "--organizer", orgID))
	list := admin(t, dir, "token", "list")
	if strings.Contains(list, "admit_") {
		t.Fatalf("token list shows a secret:\n%s", list)
	}
	var bootstrapID string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[2] == "bootstrap" {
			bootstrapID = f[0]
		}
	}
	if bootstrapID == "" || !strings.Contains(list, "recovered") || strings.Count(list, orgID) != 3 || strings.Count(list, " owner ") != 3 {
		t.Fatalf("token list, want the bootstrap, recovered and cli tokens of %s:\n%s", orgID, list)
	}
	if out := admin(t, dir, "token", "revoke", bootstrapID); !strings.Contains(out, "revoked API token "+bootstrapID) {
		t.Fatalf("token revoke: %s", out)
	}
	if line := lineWith(admin(t, dir, "token", "list", "--organizer", orgID), bootstrapID); strings.HasSuffix(line, "-") {
		t.Fatalf("the revoked token is listed as valid: %s", line)
	}

	b := startAdmit(t, dir)
	if r := newClient(t, b.url, lost).do("GET", "/api/v1/organizer", nil); r.status != 401 {
		t.Fatalf("the revoked token: %d %s, want 401", r.status, r.body)
	}
	for _, tok := range []string{token, byID} {
		if got := newClient(t, b.url, tok).must(200, "GET", "/api/v1/organizer", nil)["id"]; got != orgID {
			t.Fatalf("a recovered token acts for %v, want %s", got, orgID)
		}
	}
}

func TestTokenCommandMistakes(t *testing.T) {
	dir := t.TempDir()
	admin(t, dir, "organizer", "create", "--name", "Twin")
	admin(t, dir, "organizer", "create", "--name", "Twin")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "create", "--organizer", "Twin"}, "2 organizers are named"},
		{[]string{"token", "create", "--organizer", "Nobody"}, "no organizer has the id or name"},
		{[]string{"token", "revoke", "tk_aaaaaaaaaaaaaaaaaaaa"}, "no API token"},
		{[]string{"token", "revoke", "admit_" + strings.Repeat("a", 32)}, "that is a token's secret"},
		{[]string{"token", "revoke"}, "want 1 argument(s), got 0"},
	} {
		err := run(context.Background(), append(tc.args, "--data", dir), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admit %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestTokensOverTheAPI: an organizer makes, lists and revokes its tokens;
// a revoked token is refused from the next request on; another
// organizer's token cannot be touched.
func TestTokensOverTheAPI(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	c := newClient(t, a.url, a.token)
	made := c.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "ci"})
	secret, id := made["token"].(string), made["id"].(string)
	if secret == "" || made["name"] != "ci" {
		t.Fatalf("created token: %v", made)
	}
	ci := newClient(t, a.url, secret)
	items := ci.must(200, "GET", "/api/v1/organizer/tokens", nil)["items"].([]any)
	if len(items) != 2 || items[1].(map[string]any)["id"] != id {
		t.Fatalf("tokens: %v", items)
	}
	if r := c.do("GET", "/api/v1/organizer/tokens", nil); strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), "admit_") {
		t.Fatalf("the list shows a secret: %s", r.body)
	}
	if r := c.do("POST", "/api/v1/organizer/tokens", map[string]any{"name": "x"}, "Idempotency-Key", "0c3f5f0e-5a3b-4b8e-9a57-7d2f1c9b6a10"); r.status != 400 ||
		r.json(t)["code"] != "idempotency-key-invalid" {
		t.Fatalf("a token with an Idempotency-Key: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/api/v1/organizer/tokens", map[string]any{}); r.status != 422 {
		t.Fatalf("a token without a name: %d %s", r.status, r.body)
	}

	// Another organizer can neither see nor revoke them.
	a.stop()
	other := admin(t, dir, "organizer", "create", "--name", "Other")
	otherToken, _ := lineAfter(other, "token: ")
	b := startAdmit(t, dir)
	c, ci = newClient(t, b.url, a.token), newClient(t, b.url, secret)
	o := newClient(t, b.url, otherToken)
	if r := o.do("DELETE", "/api/v1/organizer/tokens/"+id, nil); r.status != 404 {
		t.Fatalf("another organizer revokes the token: %d %s", r.status, r.body)
	}
	if items := o.must(200, "GET", "/api/v1/organizer/tokens", nil)["items"].([]any); len(items) != 1 {
		t.Fatalf("another organizer lists %v", items)
	}

	// The token revokes itself; the next request with it is refused.
	revoked := ci.must(200, "DELETE", "/api/v1/organizer/tokens/"+id, nil)
	if revoked["revoked_at"] == nil {
		t.Fatalf("revoked token: %v", revoked)
	}
	if r := ci.do("GET", "/api/v1/organizer", nil); r.status != 401 {
		t.Fatalf("the revoked token right after: %d %s, want 401", r.status, r.body)
	}
	if again := c.must(200, "DELETE", "/api/v1/organizer/tokens/"+id, nil); again["revoked_at"] != revoked["revoked_at"] {
		t.Fatalf("revoking again changed it: %v, was %v", again, revoked)
	}
	c.must(200, "GET", "/api/v1/organizer", nil)
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
