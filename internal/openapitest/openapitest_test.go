package openapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/admit-org/admit/internal/openapitest"
)

const specPath = "../../api/openapi.yaml"

const (
	eventPath = "/api/v1/public/events/ev_k3n7q2xw4bzm5rtd6fha"
	holdsPath = eventPath + "/holds"
	holdPath  = holdsPath + "/ho_p7w3kx2mq5zr4bn6hta3dfykqe"
	problems  = "https://github.com/admit-org/admit/blob/main/docs/problems.md#"
)

const (
	holdRequest = `{"items":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","quantity":2}]}`
	activeHold  = `{"id":"ho_p7w3kx2mq5zr4bn6hta3dfykqe","event_id":"ev_k3n7q2xw4bzm5rtd6fha","status":"active",` +
		`"items":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","quantity":2}],"quantity":2,` +
		`"created_at":"2027-03-01T08:00:03Z","expires_at":"2027-03-01T08:10:03Z","extended":0}`
	releasedHold = `{"id":"ho_p7w3kx2mq5zr4bn6hta3dfykqe","event_id":"ev_k3n7q2xw4bzm5rtd6fha","status":"released",` +
		`"items":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","quantity":2}],"quantity":2,` +
		`"created_at":"2027-03-01T08:00:03Z","expires_at":"2027-03-01T08:10:03Z","released_at":"2027-03-01T08:04:41Z","extended":0}`
	soldOut = `{"type":"` + problems + `sold-out","title":"Not enough tickets left","status":409,` +
		`"detail":"not enough tickets left","instance":"` + holdsPath + `","code":"sold-out",` +
		`"request_id":"5f0c9a7e21b4d3c8","available":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","available":1}]}`
	ticketType = `{"id":"tt_a4m2zq7xk3wb5nrd6hfe","name":"Standing","description":"","price":{"amount":4900,"currency":"EUR"},` +
		`"min_per_hold":1,"max_per_hold":4,"attendee_names":false,"created_at":"2027-02-01T10:05:00Z","updated_at":"2027-02-01T10:05:00Z"}`
)

// problem returns a problem+json body.
func problem(code string, status int, extra string) string {
	return fmt.Sprintf(`{"type":%q,"title":"t","status":%d,"code":%q%s}`, problems+code, status, code, extra)
}

// answer is what a hard-coded handler replies.
type answer struct {
	status int
	header map[string]string
	body   string
}

func (a answer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

var (
	jsonType    = map[string]string{"Content-Type": "application/json"}
	problemType = map[string]string{"Content-Type": "application/problem+json"}
	holdCreated = map[string]string{"Content-Type": "application/json", "Location": holdPath, "Admit-Ledger-Seq": "42"}
	bearer      = map[string]string{"Authorization": "Bearer admit_abcdefghijklmnopqrstuvwxyz234567"}
)

// fatalRecorder also records Fatalf, and ends the goroutine as Fatalf does.
type fatalRecorder struct {
	recorder
	fatal string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// recorder is a testing.TB that records Errorf calls instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errors, "\n---\n")
}

func TestLoadValidatesTheContract(t *testing.T) {
	v := openapitest.Load(t, specPath)
	if v == nil {
		t.Fatal("Load returned nil")
	}
}

func TestLoadRejectsAnInvalidDocument(t *testing.T) {
	// Load stops the test with Fatalf, which ends its goroutine: run it in
	// a goroutine of its own.
	path := t.TempDir() + "/bad.yaml"
	doc := `openapi: 3.1.0
info: {title: x, version: '1'}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: integer}
              example: not a number
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &fatalRecorder{recorder: recorder{TB: t}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		openapitest.Load(rec, path)
	}()
	<-done
	if !strings.Contains(rec.fatal, "not a valid OpenAPI document") {
		t.Errorf("Load of an invalid document: got fatal %q, want it reported as not valid", rec.fatal)
	}
}

func TestCheck(t *testing.T) {
	v := openapitest.Load(t, specPath)
	tests := []struct {
		name    string
		method  string
		path    string
		header  map[string]string
		body    string
		answer  answer
		wantErr string // a part of the reported mismatch; "" when the exchange matches
	}{
		{
			name:   "a hold is created",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer: answer{201, holdCreated, activeHold},
		},
		{
			name:   "an idempotent replay of a hold",
			method: "POST", path: holdsPath,
			header: map[string]string{"Content-Type": "application/json", "Idempotency-Key": "9b1f4c2e-7a3d-4e8b-a1c5-6d2f0e9b8a73"},
			body:   holdRequest,
			answer: answer{201, map[string]string{"Content-Type": "application/json", "Location": holdPath,
				"Admit-Ledger-Seq": "42", "Idempotent-Replayed": "true"}, activeHold},
		},
		{
			name:   "a hold without its expiry",
			method: "GET", path: holdPath,
			answer:  answer{200, jsonType, strings.Replace(activeHold, `,"expires_at":"2027-03-01T08:10:03Z"`, "", 1)},
			wantErr: "expires_at",
		},
		{
			name:   "a hold with a member the contract does not know",
			method: "GET", path: holdPath,
			answer:  answer{200, jsonType, strings.Replace(activeHold, `"quantity":2,`, `"quantity":2,"price":4900,`, 1)},
			wantErr: "price",
		},
		{
			name:   "a released hold without released_at",
			method: "DELETE", path: holdPath,
			answer:  answer{200, map[string]string{"Content-Type": "application/json", "Admit-Ledger-Seq": "43"}, strings.Replace(activeHold, `"active"`, `"released"`, 1)},
			wantErr: "released_at",
		},
		{
			name:   "a released hold",
			method: "DELETE", path: holdPath,
			answer: answer{200, map[string]string{"Content-Type": "application/json", "Admit-Ledger-Seq": "43"}, releasedHold},
		},
		{
			name:   "a created hold without Admit-Ledger-Seq",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer:  answer{201, map[string]string{"Content-Type": "application/json", "Location": holdPath}, activeHold},
			wantErr: "Admit-Ledger-Seq",
		},
		{
			name:   "sold out",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer: answer{409, problemType, soldOut},
		},
		{
			name:   "sold out as plain JSON",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer:  answer{409, jsonType, soldOut},
			wantErr: "application/json",
		},
		{
			name:   "a problem whose status is not the response's",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer:  answer{409, problemType, strings.Replace(soldOut, `"status":409`, `"status":400`, 1)},
			wantErr: "status",
		},
		{
			name:   "a code that this operation does not answer with",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer:  answer{409, problemType, problem("hold-expired", 409, "")},
			wantErr: "code",
		},
		{
			name:   "a problem whose type is not its code's",
			method: "POST", path: holdsPath, header: jsonType, body: holdRequest,
			answer:  answer{409, problemType, strings.Replace(soldOut, problems+"sold-out", problems+"conflict", 1)},
			wantErr: "type",
		},
		{
			name:   "a validation problem without errors",
			method: "POST", path: holdsPath, header: jsonType, body: `{"items":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","quantity":99}]}`,
			answer:  answer{422, problemType, problem("validation", 422, "")},
			wantErr: "errors",
		},
		{
			name:   "a validation problem",
			method: "POST", path: holdsPath, header: jsonType, body: `{"items":[{"ticket_type_id":"tt_a4m2zq7xk3wb5nrd6hfe","quantity":99}]}`,
			answer: answer{422, problemType, problem("validation", 422, `,"errors":[{"field":"/items/0/quantity","message":"must be between 1 and 4"}]`)},
		},
		{
			name:   "malformed JSON, rejected",
			method: "POST", path: holdsPath, header: jsonType, body: `{"items":`,
			answer: answer{400, problemType, problem("malformed-request", 400, "")},
		},
		{
			name:   "malformed JSON, accepted",
			method: "POST", path: holdsPath, header: jsonType, body: `{"items":`,
			answer:  answer{201, holdCreated, activeHold},
			wantErr: "the request does not match",
		},
		{
			name:   "an unknown member, accepted",
			method: "POST", path: holdsPath, header: jsonType, body: `{"items":[],"coupon":"x"}`,
			answer:  answer{201, holdCreated, activeHold},
			wantErr: "the request does not match",
		},
		{
			name:   "a status the operation does not document",
			method: "GET", path: holdPath,
			answer:  answer{418, problemType, problem("internal", 418, "")},
			wantErr: "status is not supported",
		},
		{
			name:   "an organizer route with a bearer token",
			method: "PATCH", path: "/api/v1/events/ev_k3n7q2xw4bzm5rtd6fha/ticket-types/tt_a4m2zq7xk3wb5nrd6hfe",
			header: map[string]string{"Content-Type": "application/json", "Authorization": bearer["Authorization"]},
			body:   `{"sales_end":null}`,
			answer: answer{200, map[string]string{"Content-Type": "application/json", "Admit-Ledger-Seq": "7"}, ticketType},
		},
		{
			name:   "an organizer route without a token, accepted",
			method: "PATCH", path: "/api/v1/events/ev_k3n7q2xw4bzm5rtd6fha/ticket-types/tt_a4m2zq7xk3wb5nrd6hfe",
			header: jsonType, body: `{"sales_end":null}`,
			answer:  answer{200, map[string]string{"Content-Type": "application/json", "Admit-Ledger-Seq": "7"}, ticketType},
			wantErr: "security",
		},
		{
			name:   "an organizer route without a token, refused",
			method: "GET", path: "/api/v1/organizer",
			answer: answer{401, map[string]string{"Content-Type": "application/problem+json", "WWW-Authenticate": `Bearer realm="admit"`},
				problem("unauthorized", 401, "")},
		},
		{
			name:   "a 401 without WWW-Authenticate",
			method: "GET", path: "/api/v1/organizer",
			answer:  answer{401, problemType, problem("unauthorized", 401, "")},
			wantErr: "WWW-Authenticate",
		},
		{
			name:   "an empty PATCH, accepted",
			method: "PATCH", path: "/api/v1/events/ev_k3n7q2xw4bzm5rtd6fha/ticket-types/tt_a4m2zq7xk3wb5nrd6hfe",
			header:  map[string]string{"Content-Type": "application/json", "Authorization": bearer["Authorization"]},
			body:    `{}`,
			answer:  answer{200, map[string]string{"Content-Type": "application/json", "Admit-Ledger-Seq": "7"}, ticketType},
			wantErr: "the request does not match",
		},
		{
			name:   "an event list with a bad limit, accepted",
			method: "GET", path: "/api/v1/events?limit=500", header: bearer,
			answer:  answer{200, jsonType, `{"items":[]}`},
			wantErr: "limit",
		},
		{
			name:   "liveness",
			method: "GET", path: "/livez",
			answer: answer{200, map[string]string{"Content-Type": "text/plain; charset=utf-8"}, "ok\n"},
		},
		{
			name:   "not ready",
			method: "GET", path: "/readyz",
			answer: answer{503, map[string]string{"Content-Type": "application/problem+json", "Retry-After": "1"},
				problem("unavailable", 503, `,"retry_after_seconds":1`)},
		},
		{
			name:   "not ready without Retry-After",
			method: "GET", path: "/readyz",
			answer:  answer{503, problemType, problem("unavailable", 503, "")},
			wantErr: "Retry-After",
		},
		{
			name:   "a path the contract does not list",
			method: "GET", path: "/api/v1/nothing-here",
			answer: answer{404, problemType, problem("not-found", 404, "")},
		},
		{
			name:   "a path the contract does not list, answered",
			method: "GET", path: "/api/v1/nothing-here",
			answer:  answer{200, jsonType, `{}`},
			wantErr: "no operation",
		},
		{
			name:   "a method the contract does not list",
			method: "PUT", path: holdPath,
			answer: answer{405, map[string]string{"Content-Type": "application/problem+json", "Allow": "DELETE, GET, HEAD"},
				problem("method-not-allowed", 405, "")},
		},
		{
			name:   "a 405 without Allow",
			method: "PUT", path: holdPath,
			answer:  answer{405, problemType, problem("method-not-allowed", 405, "")},
			wantErr: "Allow",
		},
		{
			name:   "a HEAD request",
			method: "HEAD", path: eventPath,
			answer: answer{200, jsonType, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.answer)
			defer srv.Close()
			rec := &recorder{TB: t}
			client := &http.Client{Transport: v.Transport(rec, nil)}

			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, val := range tt.header {
				req.Header.Set(k, val)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tt.method != "HEAD" && string(got) != tt.answer.body {
				t.Errorf("the caller read body %q, want %q", got, tt.answer.body)
			}

			reported := rec.reported()
			switch {
			case tt.wantErr == "" && reported != "":
				t.Errorf("a matching exchange was reported:\n%s", reported)
			case tt.wantErr != "" && reported == "":
				t.Errorf("a mismatch (%s) was not reported", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(reported, tt.wantErr):
				t.Errorf("the report does not mention %q:\n%s", tt.wantErr, reported)
			}
		})
	}
}

// TestCheckServerSideRequest checks an exchange recorded in a handler test,
// where the request has a path but no scheme or host.
func TestCheckServerSideRequest(t *testing.T) {
	v := openapitest.Load(t, specPath)
	req := httptest.NewRequest("POST", holdsPath, strings.NewReader(holdRequest))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	answer{201, holdCreated, activeHold}.ServeHTTP(w, req)
	resp := w.Result()
	rec := &recorder{TB: t}
	v.Check(rec, req, []byte(holdRequest), resp, w.Body.Bytes())
	if got := rec.reported(); got != "" {
		t.Errorf("a matching exchange was reported:\n%s", got)
	}

	bad := []byte(strings.Replace(activeHold, `"quantity":2,`, "", 1))
	v.Check(rec, req, []byte(holdRequest), resp, bad)
	if got := rec.reported(); !strings.Contains(got, "quantity") {
		t.Errorf("a hold without quantity: got report %q, want it to mention quantity", got)
	}
}

// TestTransportForwardsRequestBody checks that the server still gets the
// request body that the transport read.
func TestTransportForwardsRequestBody(t *testing.T) {
	v := openapitest.Load(t, specPath)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		answer{201, holdCreated, activeHold}.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := &http.Client{Transport: v.Transport(t, nil)}
	resp, err := client.Post(srv.URL+holdsPath, "application/json", strings.NewReader(holdRequest))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != holdRequest {
		t.Errorf("server got body %q, want %q", got, holdRequest)
	}
}

// TestTransportConcurrent checks exchanges from many goroutines at once
// (run with -race).
func TestTransportConcurrent(t *testing.T) {
	v := openapitest.Load(t, specPath)
	srv := httptest.NewServer(answer{409, problemType, soldOut})
	defer srv.Close()
	rec := &recorder{TB: t}
	client := &http.Client{Transport: v.Transport(rec, nil)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := client.Post(srv.URL+holdsPath, "application/json", strings.NewReader(holdRequest))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if got := rec.reported(); got != "" {
		t.Errorf("matching exchanges were reported:\n%s", got)
	}
}

// TestServedDocumentMatchesItself checks GET /api/openapi.yaml answered with
// the document itself.
func TestServedDocumentMatchesItself(t *testing.T) {
	v := openapitest.Load(t, specPath)
	doc, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(answer{200, map[string]string{"Content-Type": "application/yaml"}, string(doc)})
	defer srv.Close()
	rec := &recorder{TB: t}
	resp, err := (&http.Client{Transport: v.Transport(rec, nil)}).Get(srv.URL + "/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := rec.reported(); got != "" {
		t.Errorf("the served document was reported:\n%s", got)
	}
}
