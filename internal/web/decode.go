package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// MaxBodyBytes is the largest request body admit reads.
const MaxBodyBytes = 64 << 10

// opt is a JSON field that tells "absent" from "null" from a value.
type opt[T any] struct {
	Set, Null bool
	V         T
}

func (o *opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// ptr returns the value's address when it was given, nil when absent.
// A null is reported by the caller's validation.
func (o *opt[T]) ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	return &o.V
}

// required adds a field error when the field is absent or null.
func required[T any](f *[]fault.FieldError, field string, o *opt[T]) {
	if !o.Set || o.Null {
		*f = append(*f, fault.FieldError{Field: field, Message: "is required"})
	}
}

// notNull adds a field error when the field is null.
func notNull[T any](f *[]fault.FieldError, field string, o *opt[T]) {
	if o.Null {
		*f = append(*f, fault.FieldError{Field: field, Message: "must not be null"})
	}
}

func malformed(format string, args ...any) error {
	return fault.Coded(fault.Invalid, "malformed-request", format, args...)
}

// readBody reads a JSON request body, at most MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, fault.Coded(fault.Invalid, "unsupported-media-type",
			"send the body as application/json (got %q)", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fault.Coded(fault.Invalid, "body-too-large", "the body must be at most %d bytes", MaxBodyBytes)
	}
	if err != nil {
		return nil, malformed("could not read the body")
	}
	return body, nil
}

// readCommand reads a JSON command's body into in, with its
// Idempotency-Key in scope (nil when none). Errors: the body's, the key's,
// or the decoding's, as problems.
func readCommand(w http.ResponseWriter, r *http.Request, scope string, in any) (*boxoffice.IdemStamp, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	idem, err := idempotency(r, scope, body)
	if err != nil {
		return nil, err
	}
	return idem, decodeJSON(body, in)
}

// decodeJSON decodes body into v strictly: one JSON object, no unknown
// fields, nothing after it.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("the body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		var timeErr *time.ParseError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return malformed("field %q must be %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
		case errors.As(err, &typeErr):
			return malformed("the body must be a JSON object")
		case errors.As(err, &syntaxErr):
			return malformed("the body is not valid JSON (at byte %d)", syntaxErr.Offset)
		case errors.As(err, &timeErr):
			return malformed("times must be RFC 3339, such as 2027-06-01T19:30:00+02:00 (got %q)", timeErr.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json reports unknown fields only as text.
			return malformed("%s is not a known field", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return malformed("the body could not be read as JSON: %v", err)
	}
	if dec.More() {
		return malformed("the body must hold exactly one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("the body must hold exactly one JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint64":
		return "an integer"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
