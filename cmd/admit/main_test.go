package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/openapitest"
)

// syncBuffer is an io.Writer that tests can read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

// instance is an admit serve started by a test.
type instance struct {
	url   string
	token string // only on the first start of a data directory
	out   *syncBuffer
	logs  *syncBuffer
	stop  func() error
}

// startAdmit runs `admit serve` on a free port with the data directory.
func startAdmit(t *testing.T, dir string, extra ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, extra...)
	go func() { done <- run(ctx, args, noEnv, out, logs) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("admit serve: %v", err)
		}
		if t.Failed() {
			t.Logf("admit serve logs:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := out.String()
		if url, ok := lineAfter(s, "admit is running at "); ok {
			token, _ := lineAfter(s, "organizer API token (shown once, keep it): ")
			return &instance{url: url, token: token, out: out, logs: logs, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("admit serve exited early: %v\nlogs:\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("admit serve did not start; output:\n%s\nlogs:\n%s", s, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// client talks to an instance, validating every exchange against the
// OpenAPI contract.
type client struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

var spec struct {
	once sync.Once
	v    *openapitest.Validator
}

func newClient(t *testing.T, base, token string) *client {
	t.Helper()
	spec.once.Do(func() { spec.v = openapitest.Load(t, "../../api/openapi.yaml") })
	return &client{t: t, base: base, token: token,
		http: &http.Client{Transport: spec.v.Transport(t, http.DefaultTransport), Timeout: 30 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON). headers are pairs of name, value.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body, headers...)
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	if len(r.body) == 0 || r.body[0] != '{' {
		return nil
	}
	return r.json(c.t)
}

// setupEvent creates an event on sale with one ticket type in a quota.
func setupEvent(c *client, capacity int) (evID, ttID string) {
	c.t.Helper()
	ev := c.must(201, "POST", "/api/v1/events", map[string]any{
		"name": "Night at the Opera", "venue": "Stadthalle", "timezone": "Europe/Vienna",
		"starts_at": "2030-06-01T19:30:00+02:00", "ends_at": "2030-06-01T23:00:00+02:00", "currency": "EUR"})
	evID = ev["id"].(string)
	tt := c.must(201, "POST", "/api/v1/events/"+evID+"/ticket-types", map[string]any{
		"name": "Standing", "price": map[string]any{"amount": 4500, "currency": "EUR"}, "max_per_hold": 6})
	ttID = tt["id"].(string)
	c.must(201, "POST", "/api/v1/events/"+evID+"/quotas", map[string]any{
		"name": "Hall", "capacity": capacity, "ticket_type_ids": []string{ttID}})
	c.must(200, "POST", "/api/v1/events/"+evID+"/status", map[string]any{"status": "on_sale"})
	return evID, ttID
}

// freeEvent creates "Open Rehearsal" (Stadthalle, 1 June 2030, 19:30 in
// Vienna) on sale, with a free "Guest list" ticket type in a quota of 10.
func freeEvent(c *client) (evID, ttID string) {
	c.t.Helper()
	ev := c.must(201, "POST", "/api/v1/events", map[string]any{
		"name": "Open Rehearsal", "venue": "Stadthalle", "timezone": "Europe/Vienna",
		"starts_at": "2030-06-01T19:30:00+02:00", "ends_at": "2030-06-01T23:00:00+02:00", "currency": "EUR"})
	evID = ev["id"].(string)
	tt := c.must(201, "POST", "/api/v1/events/"+evID+"/ticket-types", map[string]any{
		"name": "Guest list", "price": map[string]any{"amount": 0, "currency": "EUR"}})
	ttID = tt["id"].(string)
	c.must(201, "POST", "/api/v1/events/"+evID+"/quotas", map[string]any{
		"name": "Hall", "capacity": 10, "ticket_type_ids": []string{ttID}})
	c.must(200, "POST", "/api/v1/events/"+evID+"/status", map[string]any{"status": "on_sale"})
	return evID, ttID
}

func TestServeTourAndRestart(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	if a.token == "" {
		t.Fatalf("the first start must print an API token; output:\n%s", a.out.String())
	}
	c := newClient(t, a.url, a.token)
	org := c.must(200, "GET", "/api/v1/organizer", nil)
	if org["id"] == "" {
		t.Fatalf("organizer: %v", org)
	}
	evID, ttID := setupEvent(c, 5)

	pub := newClient(t, a.url, "")
	pe := pub.must(200, "GET", "/api/v1/public/events/"+evID, nil)
	if tts := pe["ticket_types"].([]any); len(tts) != 1 || tts[0].(map[string]any)["available"].(float64) != 5 {
		t.Fatalf("public event: %v", pe)
	}
	h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 3}}})
	holdID := h["id"].(string)
	if h["status"] != "active" || h["quantity"].(float64) != 3 {
		t.Fatalf("hold: %v", h)
	}
	r := pub.do("POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 3}}})
	if r.status != 409 || r.json(t)["code"] != "sold-out" {
		t.Fatalf("second hold of 3 out of 5: %d %s", r.status, r.body)
	}
	if left := r.json(t)["available"].([]any)[0].(map[string]any)["available"].(float64); left != 2 {
		t.Fatalf("sold-out problem says %v left, want 2", left)
	}
	av := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	if got := av["ticket_types"].([]any)[0].(map[string]any)["available"].(float64); got != 2 {
		t.Fatalf("availability: %v", av)
	}
	list := c.must(200, "GET", "/api/v1/events", nil)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["status"] != "on_sale" {
		t.Fatalf("list right after the writes (read-your-writes): %v", list)
	}

	// Restart: the hold is still there, still active, with the same expiry.
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	b := startAdmit(t, dir)
	if b.token != "" {
		t.Fatalf("a restart must not make a new organizer")
	}
	pub = newClient(t, b.url, "")
	h2 := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/holds/"+holdID, nil)
	if h2["status"] != "active" || h2["expires_at"] != h["expires_at"] {
		t.Fatalf("hold after restart: %v, before: %v", h2, h)
	}
	c = newClient(t, b.url, a.token)
	if list := c.must(200, "GET", "/api/v1/events", nil); len(list["items"].([]any)) != 1 {
		t.Fatalf("list after restart: %v", list)
	}
	rel := pub.must(200, "DELETE", "/api/v1/public/events/"+evID+"/holds/"+holdID, nil)
	if rel["status"] != "released" {
		t.Fatalf("release: %v", rel)
	}
	av = pub.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	if got := av["ticket_types"].([]any)[0].(map[string]any)["available"].(float64); got != 5 {
		t.Fatalf("availability after release: %v", av)
	}
}

func TestBootstrapTokenFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "token")
	a := startAdmit(t, dir, "--bootstrap-token-file", file)
	if a.token != "" || !strings.Contains(a.out.String(), "written to "+file) {
		t.Fatalf("the token must go to the file, not stdout; output:\n%s", a.out.String())
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	c := newClient(t, a.url, strings.TrimSpace(string(data)))
	c.must(200, "GET", "/api/v1/organizer", nil)
}

func TestOrganizersAreIsolated(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	tokenA := a.token
	a.stop()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"organizer", "create", "--name", "Other org", "--data", dir}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tokenB, ok := lineAfter(out.String(), "token: ")
	if !ok {
		t.Fatalf("organizer create output: %s", out.String())
	}
	orgB, _ := lineAfter(out.String(), "organizer: ")
	out.Reset()
	if err := run(context.Background(), []string{"token", "create", "--organizer", orgB, "--data", dir}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tokenB2 := strings.TrimSpace(out.String())

	b := startAdmit(t, dir)
	ca, cb := newClient(t, b.url, tokenA), newClient(t, b.url, tokenB)
	evID, ttID := setupEvent(ca, 10)
	if got := newClient(t, b.url, tokenB2).must(200, "GET", "/api/v1/organizer", nil)["id"]; got != orgB {
		t.Fatalf("second token of B belongs to %v, want %s", got, orgB)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/events/" + evID, nil},
		{"PATCH", "/api/v1/events/" + evID, map[string]any{"name": "Mine now"}},
		{"POST", "/api/v1/events/" + evID + "/status", map[string]any{"status": "cancelled"}},
		{"POST", "/api/v1/events/" + evID + "/ticket-types", map[string]any{"name": "X", "price": map[string]any{"amount": 1, "currency": "EUR"}}},
		{"PATCH", "/api/v1/events/" + evID + "/ticket-types/" + ttID, map[string]any{"name": "Y"}},
		{"POST", "/api/v1/events/" + evID + "/quotas", map[string]any{"name": "Q", "capacity": 1, "ticket_type_ids": []string{ttID}}},
	} {
		if r := cb.do(tc.method, tc.path, tc.body); r.status != 404 {
			t.Errorf("organizer B: %s %s = %d, want 404\n%s", tc.method, tc.path, r.status, r.body)
		}
	}
	if items := cb.must(200, "GET", "/api/v1/events", nil)["items"].([]any); len(items) != 0 {
		t.Errorf("organizer B lists A's events: %v", items)
	}
	if ev := ca.must(200, "GET", "/api/v1/events/"+evID, nil); ev["name"] != "Night at the Opera" || ev["status"] != "on_sale" {
		t.Errorf("A's event was changed by B: %v", ev)
	}
}

func TestReindexIsIdentical(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 50)
	pub := newClient(t, a.url, "")
	var holdID string
	for i := range 6 {
		h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1 + i%3}}})
		holdID = h["id"].(string)
		if i%2 == 0 {
			pub.must(200, "DELETE", "/api/v1/public/events/"+evID+"/holds/"+holdID, nil)
		}
	}
	// Holds are the box office's; the order of the last one is the read model's.
	pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders",
		map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "Ada", "email": "ada@example.com"}})
	c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{"venue": "Arena"})
	c.must(200, "GET", "/api/v1/events", nil) // waits for the projection to catch up
	a.stop()
	live := dumpReadModel(t, dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"reindex", "--data", dir}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "read model rebuilt") {
		t.Fatalf("reindex output: %s", out.String())
	}
	if rebuilt := dumpReadModel(t, dir); rebuilt != live {
		t.Fatalf("rebuilt read model differs from the live one:\nlive:\n%s\nrebuilt:\n%s", live, rebuilt)
	}
	if !strings.Contains(live, "Arena") || !strings.Contains(live, `"`+holdID+`"`) || !strings.Contains(live, "pending_payment") {
		t.Fatalf("the dump does not show the changes:\n%s", live)
	}
	wantActors(t, everyEntryNamesItsActor(t, dir), map[string][]string{
		"admit.hold.created.v1":  {"buyer"},
		"admit.hold.released.v1": {"buyer"},
		"admit.event.updated.v1": {"token"},
	})
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"bogus"}, "unknown command"},
		{[]string{"serve", "--nope"}, "flag provided but not defined"},
		{[]string{"serve", "extra"}, "unexpected argument"},
		{[]string{"token"}, "needs a subcommand"},
		{[]string{"token", "create"}, "--organizer is required"},
		{[]string{"serve", "--log-format", "xml"}, "log format"},
	} {
		err := run(context.Background(), tc.args, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("run %q: err = %v (exit %d), want a usage error containing %q", tc.args, err, exitCode(err), tc.want)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, noEnv, &out, io.Discard); err != errHelp || !strings.Contains(out.String(), "admit serve") {
		t.Errorf("help: %v %q", err, out.String())
	}
	env := func(k string) string {
		if k == "ADMIT_UNSAFE_LAZY_FSYNC" {
			return "maybe"
		}
		return ""
	}
	if err := run(context.Background(), []string{"serve"}, env, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "ADMIT_UNSAFE_LAZY_FSYNC") {
		t.Errorf("bad env var: %v", err)
	}
}

func TestDataDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	startAdmit(t, dir)
	err := run(context.Background(), []string{"reindex", "--data", dir}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "in use by another admit process") {
		t.Fatalf("reindex while serving: %v, want a clear lock error", err)
	}
}

func dumpReadModel(t *testing.T, dir string) string {
	t.Helper()
	db, err := openReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	if err := db.Dump(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
