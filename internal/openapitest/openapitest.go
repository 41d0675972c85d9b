package openapitest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// problemBase is what every problem type URI of admit starts with; the
// problem's code follows it.
const problemBase = "https://github.com/admit-org/admit/blob/main/docs/problems.md#"

// problemMediaType is the media type of RFC 9457 problem details.
const problemMediaType = "application/problem+json"

// maxShownBody is how much of a body a failure message shows.
const maxShownBody = 2048

// Validator checks HTTP exchanges against one OpenAPI document. It is not
// changed after Load and is safe for concurrent use.
type Validator struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema // components.schemas.Problem
}

// formats defines, once, the string formats whose kin-openapi checks are
// narrower than their standard; every Load passes through it before any
// validation reads them.
var formats sync.Once

// rfc3339DateTime is kin-openapi's date-time pattern with the lowercase "t"
// and "z" that RFC 3339 §5.6 allows (and admit accepts).
const rfc3339DateTime = `^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])[Tt]([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|(\+|-)[0-9]{2}:[0-9]{2})$`

func defineFormats() {
	openapi3.DefineStringFormatValidator("date-time", openapi3.NewRegexpFormatValidator(rfc3339DateTime))
}

// Load parses and validates the OpenAPI document at path (tests pass the
// path relative to their package, such as "../../api/openapi.yaml"). It
// stops the test with t.Fatalf when the document cannot be read or is not a
// valid OpenAPI document, its examples included.
//
// Validating the examples takes a good part of a second, so Load remembers
// the Validator of each path and content for the rest of the test binary:
// loading the same document again in another test costs only a file read.
func Load(t testing.TB, path string) *Validator {
	t.Helper()
	formats.Do(defineFormats)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	sum := sha256.Sum256(data)
	key := abs + "\x00" + hex.EncodeToString(sum[:])
	if v, ok := loaded.Load(key); ok {
		return v.(*Validator)
	}

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: filepath.ToSlash(abs)})
	if err != nil {
		t.Fatalf("openapitest: load %s: %v", path, err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableMultiError()); err != nil {
		t.Fatalf("openapitest: %s is not a valid OpenAPI document: %v", path, err)
	}
	// NewRouter validates the document again; its examples were just checked.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatalf("openapitest: route %s: %v", path, err)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		t.Fatalf("openapitest: %s has no components.schemas.Problem", path)
	}
	v, _ := loaded.LoadOrStore(key, &Validator{doc: doc, router: router, problem: problem.Value})
	return v.(*Validator)
}

// loaded holds the Validators that Load made, by absolute path and SHA-256
// of the document. A Validator never changes once made, so sharing one
// between tests is safe; this memo is the package's only state.
var loaded sync.Map

// Check validates one recorded exchange against the document: that the
// request's route is an operation of the document; when the response status
// is below 400, that the request matches that operation (authentication
// aside: any bearer token is accepted); and always, that the response status
// is documented for the operation and that the response's headers and body
// match what is documented for it. A problem+json body must also repeat the
// HTTP status in "status" and have the type URI of its "code".
//
// reqBody and respBody are the bodies as sent and received; req.Body and
// resp.Body are not read. Every mismatch is reported with t.Errorf.
func (v *Validator) Check(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	ex := exchange{req: req, status: resp.StatusCode, respBody: respBody}
	ctx := context.Background()

	// The document's server is "/": its paths are relative to wherever it is
	// served. kin's router compares the server URL with the request URL as a
	// string, so route on the path alone, as a server sees it.
	routeReq := req.Clone(ctx)
	routeReq.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	if req.Method == http.MethodHead {
		// net/http answers HEAD wherever it answers GET; the contract lists GET only.
		routeReq.Method = http.MethodGet
	}
	route, pathParams, err := v.router.FindRoute(routeReq)
	if err != nil {
		v.checkUnrouted(t, ex, resp.Header)
		return
	}
	if req.Method == http.MethodHead {
		if route.Operation.Responses.Status(resp.StatusCode) == nil {
			t.Errorf("%s: status %d is not documented for GET %s", ex, resp.StatusCode, route.Path)
		}
		return
	}

	in := &openapi3filter.RequestValidationInput{
		Request:    withBody(routeReq, reqBody),
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:                acceptAnyBearer,
			MultiError:                        true,
			SkipSettingDefaults:               true,
			RejectWhenRequestBodyNotSpecified: true,
		},
	}
	if resp.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s: the request does not match %s %s of the contract, yet was accepted:\n%v\nrequest body: %s",
				ex, route.Method, route.Path, err, shown(reqBody))
		}
	}

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: the response does not match %s %s of the contract:\n%v\nresponse body: %s",
			ex, route.Method, route.Path, err, shown(respBody))
	}
	if isProblem(resp.Header) {
		if err := checkProblemMembers(resp.StatusCode, respBody, ""); err != nil {
			t.Errorf("%s: %v\nresponse body: %s", ex, err, shown(respBody))
		}
	}
}

// checkUnrouted checks the answer to a request that the document has no
// operation for: only a not-found or method-not-allowed problem is right.
func (v *Validator) checkUnrouted(t testing.TB, ex exchange, header http.Header) {
	t.Helper()
	var code string
	switch ex.status {
	case http.StatusNotFound:
		code = "not-found"
	case http.StatusMethodNotAllowed:
		code = "method-not-allowed"
		if header.Get("Allow") == "" {
			t.Errorf("%s: a 405 answer must say in Allow which methods are allowed", ex)
		}
	default:
		t.Errorf("%s: the contract has no operation %s %s (only a 404 or 405 problem may answer it)",
			ex, ex.req.Method, ex.req.URL.Path)
		return
	}
	if !isProblem(header) {
		t.Errorf("%s: the answer must be %s, not %q", ex, problemMediaType, header.Get("Content-Type"))
		return
	}
	var body any
	if err := json.Unmarshal(ex.respBody, &body); err != nil {
		t.Errorf("%s: the problem is not JSON: %v\nresponse body: %s", ex, err, shown(ex.respBody))
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}
	if v.doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := v.problem.VisitJSON(body, opts...); err != nil {
		t.Errorf("%s: the body does not match the Problem schema of the contract:\n%v\nresponse body: %s",
			ex, err, shown(ex.respBody))
	}
	if err := checkProblemMembers(ex.status, ex.respBody, code); err != nil {
		t.Errorf("%s: %v\nresponse body: %s", ex, err, shown(ex.respBody))
	}
}

// checkProblemMembers checks what the schema cannot: that a problem repeats
// the HTTP status, that its type is the URI of its code, and, when wantCode is
// not empty, that its code is wantCode.
func checkProblemMembers(status int, body []byte, wantCode string) error {
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("the problem is not a JSON object: %v", err)
	}
	var errs []error
	if p.Status != status {
		errs = append(errs, fmt.Errorf("the problem says status %d, the response has %d", p.Status, status))
	}
	if want := problemBase + p.Code; p.Type != want {
		errs = append(errs, fmt.Errorf("the problem's type is %q; for code %q it must be %q", p.Type, p.Code, want))
	}
	if wantCode != "" && p.Code != wantCode {
		errs = append(errs, fmt.Errorf("the problem's code is %q, want %q", p.Code, wantCode))
	}
	return errors.Join(errs...)
}

// Transport returns an http.RoundTripper that sends requests with base
// (http.DefaultTransport when nil) and runs Check on every exchange. It reads
// request and response bodies whole and hands the caller a response whose
// body can still be read. Transport errors are returned as they are, without
// a check. It is safe for concurrent use, but only while t's test runs: a
// check after the test has ended would report to a finished test.
func (v *Validator) Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{v: v, t: t, base: base}
}

type transport struct {
	v    *Validator
	t    testing.TB
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read request body: %w", err)
		}
		reqBody = b
		req = withBody(req, reqBody)
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("openapitest: read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	tr.v.Check(tr.t, req, reqBody, resp, respBody)
	return resp, nil
}

// withBody returns a shallow copy of req whose body reads body.
func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return r
}

// acceptAnyBearer stands in for authentication, which other tests cover: it
// accepts any bearer token, but a request without one does not meet a
// bearer security requirement.
func acceptAnyBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("openapitest checks only bearer tokens, not security scheme %q", in.SecuritySchemeName)
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token in the Authorization header")
	}
	return nil
}

func isProblem(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == problemMediaType
}

// exchange is what checkUnrouted needs of an exchange; it names the
// exchange in failure messages.
type exchange struct {
	req      *http.Request
	status   int
	respBody []byte
}

func (ex exchange) String() string {
	return fmt.Sprintf("%s %s → %d", ex.req.Method, ex.req.URL.RequestURI(), ex.status)
}

// shown returns body for a failure message, cut to a readable length.
func shown(body []byte) string {
	if len(body) == 0 {
		return "(empty)"
	}
	if len(body) > maxShownBody {
		return string(body[:maxShownBody]) + "…"
	}
	return string(body)
}

// Operation is one method of one path of the document.
type Operation struct {
	Method, Path string // "POST", "/api/v1/events/{event_id}/quotas"
}

// Secured returns the document's operations that the security scheme
// named scheme (such as "bearerAuth") admits, sorted by path and method:
// those whose security, or the document's when they name none, lists it.
func (v *Validator) Secured(scheme string) []Operation {
	var out []Operation
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			sec := v.doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			for _, req := range sec {
				if _, ok := req[scheme]; ok {
					out = append(out, Operation{Method: method, Path: path})
					break
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	})
	return out
}
