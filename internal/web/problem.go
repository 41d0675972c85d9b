package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/admit-org/admit/internal/fault"
)

// ProblemBase is the URI that problem type codes are appended to.
const ProblemBase = "https://github.com/admit-org/admit/blob/main/docs/problems.md#"

// problemTypes is the catalogue: every code a client may see, its status and
// title. docs/problems.md documents the same codes.
var problemTypes = map[string]struct {
	status int
	title  string
}{
	"malformed-request":            {http.StatusBadRequest, "The request could not be read"},
	"validation":                   {http.StatusUnprocessableEntity, "The request is not valid"},
	"body-too-large":               {http.StatusRequestEntityTooLarge, "The request body is too large"},
	"unsupported-media-type":       {http.StatusUnsupportedMediaType, "The request body must be JSON"},
	"unauthorized":                 {http.StatusUnauthorized, "Authentication is required"},
	"forbidden":                    {http.StatusForbidden, "Not allowed"},
	"not-found":                    {http.StatusNotFound, "Not found"},
	"method-not-allowed":           {http.StatusMethodNotAllowed, "Method not allowed"},
	"conflict":                     {http.StatusConflict, "The request conflicts with the current state"},
	"sold-out":                     {http.StatusConflict, "Not enough tickets left"},
	"hold-expired":                 {http.StatusConflict, "The hold has expired"},
	"hold-ordered":                 {http.StatusConflict, "The hold already became an order"},
	"payment-declined":             {http.StatusConflict, "The payment was declined"},
	"payment-provider-unavailable": {http.StatusServiceUnavailable, "The payment provider cannot be reached"},
	"webhook-signature-invalid":    {http.StatusUnauthorized, "The webhook signature is not valid"},
	"idempotency-in-flight":        {http.StatusConflict, "A request with this Idempotency-Key is still in progress"},
	"idempotency-key-reused":       {http.StatusUnprocessableEntity, "The Idempotency-Key was used for another request"},
	"idempotency-key-invalid":      {http.StatusBadRequest, "The Idempotency-Key header is not valid"},
	"rate-limited":                 {http.StatusTooManyRequests, "Too many requests"},
	"hold-limit-reached":           {http.StatusConflict, "Too many active holds for one buyer"},
	"holds-paused":                 {http.StatusConflict, "Sales of this event are paused"},
	"order-limit-reached":          {http.StatusConflict, "Too many unpaid orders for one buyer"},
	"manual-payment-closed":        {http.StatusConflict, "Manual payment is closed for this event"},
	"event-limit-reached":          {http.StatusConflict, "The organizer has as many events as the server allows"},
	"unavailable":                  {http.StatusServiceUnavailable, "Temporarily unavailable"},
	"internal":                     {http.StatusInternalServerError, "Internal error"},
	// Written for net/http's own errors (problemConn).
	"headers-too-large":          {http.StatusRequestHeaderFieldsTooLarge, "The request headers are too large"},
	"not-implemented":            {http.StatusNotImplemented, "Not implemented"},
	"http-version-not-supported": {http.StatusHTTPVersionNotSupported, "HTTP version not supported"},
	"expectation-failed":         {http.StatusExpectationFailed, "The Expect header cannot be met"},
}

// ProblemType returns the status and title of a problem code of the
// catalogue; ok is false for a code it does not have.
func ProblemType(code string) (status int, title string, ok bool) {
	t, ok := problemTypes[code]
	return t.status, t.title, ok
}

var kindCodes = [...]string{
	fault.Internal:     "internal",
	fault.Invalid:      "validation",
	fault.NotFound:     "not-found",
	fault.Conflict:     "conflict",
	fault.SoldOut:      "sold-out",
	fault.HoldExpired:  "hold-expired",
	fault.Unauthorized: "unauthorized",
	fault.Forbidden:    "forbidden",
	fault.RateLimited:  "rate-limited",
	fault.Unavailable:  "unavailable",
}

// Problem is an RFC 9457 problem details object with admit's extensions.
type Problem struct {
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Status     int                `json:"status"`
	Detail     string             `json:"detail,omitempty"`
	Instance   string             `json:"instance,omitempty"`
	Code       string             `json:"code"`
	RequestID  string             `json:"request_id,omitempty"`
	Errors     []fault.FieldError `json:"errors,omitempty"`
	Available  []fault.Left       `json:"available,omitempty"`
	RetryAfter int                `json:"retry_after_seconds,omitempty"`
}

// problemOf maps an error to its problem: the one place where error kinds
// become HTTP statuses.
func problemOf(err error) Problem {
	code, detail := "internal", "internal error"
	var fe *fault.Error
	switch {
	case errors.As(err, &fe):
		code = kindCodes[fe.Kind]
		if fe.Code != "" {
			code = fe.Code
		}
		if fe.Kind != fault.Internal {
			detail = fe.Message
		}
	case errors.Is(err, context.DeadlineExceeded):
		code, detail = "unavailable", "the request took too long; try again"
	}
	t, ok := problemTypes[code]
	if !ok {
		code, t, detail = "internal", problemTypes["internal"], "internal error"
	}
	p := Problem{Type: ProblemBase + code, Title: t.title, Status: t.status, Detail: detail, Code: code}
	if fe != nil && code != "internal" {
		p.Errors, p.Available = fe.Fields, fe.Available
	}
	if t.status == http.StatusServiceUnavailable || t.status == http.StatusTooManyRequests {
		p.RetryAfter = 1
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		p.RetryAfter = rl.seconds()
	}
	return p
}

// writeProblem answers with err as problem+json. Internal errors are logged
// with their cause; the client sees only "internal error" and the request id.
// WriteProblem answers r with err as a problem, as the API's own routes
// do, logging nothing: for handlers in front of the API (a cluster's
// forwarding).
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) { writeProblem(w, r, quiet, err) }

func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problemOf(err)
	p.Instance = r.URL.Path
	p.RequestID = w.Header().Get("X-Request-Id")
	if p.Status >= 500 && !errors.Is(err, context.Canceled) {
		// 503 is a condition the client is told to wait out (load shed, a
		// shutdown, a box office moving between nodes): a warning; the
		// rest is a failure of admit's.
		level := slog.LevelError
		if p.Status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID,
			"status", p.Status, "err", err)
	}
	h := w.Header()
	h["Content-Type"] = headerProblem
	h["Cache-Control"] = headerNoStore
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		policy, state := rl.headers()
		h.Set("RateLimit-Policy", policy)
		h.Set("RateLimit", state)
	}
	if p.Status == http.StatusUnauthorized && p.Code == "unauthorized" { // a webhook signature is not a bearer token
		h.Set("WWW-Authenticate", `Bearer realm="admit"`)
	}
	w.WriteHeader(p.Status)
	encodeProblem(w, &p)
}

var headerProblem = []string{"application/problem+json"}
