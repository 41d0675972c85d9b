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

// TestMembersOverTheAPI: the team and the public profile through the API,
// under the same rules as the console.
func TestMembersOverTheAPI(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	inv := c.must(201, "POST", "/api/v1/organizer/members", map[string]any{"email": "Bob@Example.com", "role": "box_office"})
	link, _ := inv["invitation_url"].(string)
	if inv["status"] != "invited" || inv["email"] != "bob@example.com" || !strings.Contains(link, "/manage/invitations/admitinv_") {
		t.Fatalf("invited %v", inv)
	}
	if r := c.do("POST", "/api/v1/organizer/members", map[string]any{"email": "x@example.com", "role": "viewer"}, "Idempotency-Key", randomKey(t)); r.status != 400 {
		t.Errorf("an invitation with an Idempotency-Key: %d", r.status)
	}
	if r := c.do("POST", "/api/v1/organizer/members", map[string]any{"email": "nope", "role": "viewer"}); r.status != 422 {
		t.Errorf("a bad address: %d %s", r.status, r.body)
	}
	bob := newVisitor(t, a.url)
	bob.join(link, "Bob", "")
	id := inv["id"].(string)
	items := c.must(200, "GET", "/api/v1/organizer/members", nil)["items"].([]any)
	var got map[string]any
	for _, it := range items {
		if m := it.(map[string]any); m["id"] == id {
			got = m
		}
	}
	if got == nil || got["status"] != "member" || got["name"] != "Bob" || got["invitation_url"] != nil {
		t.Fatalf("Bob in the list: %v", got)
	}
	if m := c.must(200, "PATCH", "/api/v1/organizer/members/"+id, map[string]any{"role": "door"}); m["role"] != "door" {
		t.Errorf("the role changed to %v", m["role"])
	}
	if p := bob.get("/manage"); !strings.Contains(p.body, "Bob, Door at") {
		t.Errorf("Bob's role in the console after the change:\n%s", p.body)
	}
	adm := newClient(t, a.url, c.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "a", "role": "admin"})["token"].(string))
	if r := adm.do("POST", "/api/v1/organizer/members", map[string]any{"email": "o@example.com", "role": "owner"}); r.status != 403 {
		t.Errorf("an admin inviting an owner: %d", r.status)
	}
	if m := c.must(200, "DELETE", "/api/v1/organizer/members/"+id, nil); m["status"] != "removed" {
		t.Errorf("removed: %v", m)
	}
	if p := bob.get("/manage"); p.status != 303 {
		t.Errorf("Bob after his removal: %d", p.status)
	}
	if r := c.do("DELETE", "/api/v1/organizer/members/mb_aaaaaaaaaaaaaaaaaaaa", nil); r.status != 404 {
		t.Errorf("an unknown member: %d", r.status)
	}

	// The public profile.
	org := c.must(200, "PATCH", "/api/v1/organizer", map[string]any{"contact_email": "tickets@example.org", "terms_url": "https://example.org/terms"})
	if org["contact_email"] != "tickets@example.org" || org["terms_url"] != "https://example.org/terms" || org["name"] != "My organization" {
		t.Errorf("the profile: %v", org)
	}
	if r := c.do("PATCH", "/api/v1/organizer", map[string]any{"website": "ftp://x"}); r.status != 422 || !strings.Contains(string(r.body), "/website") {
		t.Errorf("a bad website: %d %s", r.status, r.body)
	}
	if got := c.must(200, "GET", "/api/v1/organizer", nil); got["terms_url"] != "https://example.org/terms" {
		t.Errorf("GET the organizer: %v", got)
	}
}
