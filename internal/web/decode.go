package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// MaxBodyBytes is the largest request body admit reads.
const MaxBodyBytes = 64 << 10

// smallBody is the largest declared body readBody makes its buffer for at
// once; a hold is about 70 bytes.
const smallBody = 4 << 10

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

// UnmarshalJSONFrom is the strict decoder's (decodeJSON) way in: it reads
// the value from dec, so the decoder's options (exact names, no duplicate
// keys, RFC 3339 times) reach the members of o.V too.
func (o *opt[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	o.Set = true
	if dec.PeekKind() == 'n' {
		o.Null = true
		_, err := dec.ReadToken()
		return err
	}
	return jsonv2.UnmarshalDecode(dec, &o.V)
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

// readBody reads a JSON request body, at most MaxBodyBytes. Errors:
// unsupported-media-type for a body that is not JSON, or JSON in another
// charset than UTF-8 (RFC 8259 §8.1: JSON is UTF-8), body-too-large,
// malformed-request.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" { // else nothing to parse
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, fault.Coded(fault.Invalid, "unsupported-media-type",
				"send the body as application/json (got %q)", ct)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return nil, fault.Coded(fault.Invalid, "unsupported-media-type",
				"send the body as UTF-8: JSON has no other charset (got charset=%s)", cs)
		}
	}
	if n := r.ContentLength; n > MaxBodyBytes {
		return nil, fault.Coded(fault.Invalid, "body-too-large", "the body must be at most %d bytes", MaxBodyBytes)
	} else if n >= 0 && n <= smallBody {
		// net/http ends the body after Content-Length bytes: one read of
		// the right size, instead of ReadAll's growing buffer. Only for
		// small bodies: a buffer made for what a client merely declares
		// would let slow clients tie up memory they never send.
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, malformed("could not read the body")
		}
		return body, nil
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

// strictJSON are the options decodeJSON decodes with. encoding/json
// matches member names case-insensitively, keeps the last of duplicate
// keys and replaces invalid UTF-8, so a body the contract refuses
// (additionalProperties: false, one value per member) would be read as
// something else. github.com/go-json-experiment/json, the code that became
// encoding/json/v2 (still behind GOEXPERIMENT=jsonv2 in this Go), does none
// of that by default: names match exactly, a duplicate name, invalid UTF-8
// or a lone surrogate escape is a syntax error. Here it also refuses
// unknown members, and reads times as RFC 3339 with a lowercase t or z
// allowed (§5.6), which time.Time's own decoder refuses.
var strictJSON = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(unmarshalTime)),
)

// unmarshalTime reads an RFC 3339 time as time.Time does, but with the
// lowercase "t" and "z" that RFC 3339 §5.6 allows.
func unmarshalTime(dec *jsontext.Decoder, t *time.Time) error {
	if dec.PeekKind() != '"' {
		return jsonv2.SkipFunc // the default decoder reports the type error
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	b := []byte(tok.String())
	if len(b) > 10 && b[10] == 't' {
		b[10] = 'T'
	}
	if n := len(b); n > 0 && b[n-1] == 'z' {
		b[n-1] = 'Z'
	}
	return t.UnmarshalText(b)
}

// decodeJSON decodes body into v strictly (strictJSON): one JSON object,
// member names exactly as the contract spells them, each once, no unknown
// members, valid UTF-8, nothing after it. Errors: malformed-request, its
// detail naming the member as a JSON Pointer.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("the body is empty; send a JSON object")
	}
	err := jsonv2.Unmarshal(body, v, strictJSON)
	if err == nil {
		return nil
	}
	var semErr *jsonv2.SemanticError
	var synErr *jsontext.SyntacticError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &synErr) && errors.Is(err, jsontext.ErrDuplicateName):
		return malformed("member %q appears twice", string(synErr.JSONPointer))
	case errors.As(err, &synErr) && synErr.JSONPointer == "" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) && json.Valid(body[:synErr.ByteOffset]):
		return malformed("the body must hold exactly one JSON object")
	case errors.As(err, &synErr):
		return malformed("the body is not valid JSON (at byte %d%s): %v", synErr.ByteOffset, at(synErr.JSONPointer), synErr.Err)
	case errors.As(err, &semErr) && errors.Is(err, jsonv2.ErrUnknownName):
		return malformed("%q is not a known member; names are case-sensitive", string(semErr.JSONPointer))
	case errors.As(err, &timeErr):
		return malformed("member %q: times must be RFC 3339, such as 2027-06-01T19:30:00+02:00 (got %q)",
			string(semErr.JSONPointer), timeErr.Value)
	case errors.As(err, &semErr) && semErr.JSONPointer == "":
		return malformed("the body must be a JSON object")
	case errors.As(err, &semErr) && semErr.GoType == reflect.TypeFor[time.Time]():
		return malformed("member %q must be an RFC 3339 time, such as 2027-06-01T19:30:00+02:00", string(semErr.JSONPointer))
	case errors.As(err, &semErr) && semErr.GoType != nil:
		return malformed("member %q must be %s", string(semErr.JSONPointer), jsonKind(semErr.GoType.Kind().String()))
	}
	return malformed("the body could not be read as JSON: %v", err)
}

// at names a place in the body for an error message, "" for the top.
func at(p jsontext.Pointer) string {
	if p == "" {
		return ""
	}
	return ", member " + strconv.Quote(string(p))
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
