package web

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

// TestReadBody: a body is read whole whether its length is declared or
// chunked, small or not, and one beyond MaxBodyBytes is refused either way.
func TestReadBody(t *testing.T) {
	small := `{"items":[{"ticket_type_id":"tt_x","quantity":1}]}`
	mid := `{"x":"` + strings.Repeat("a", 2*smallBody) + `"}`
	big := strings.Repeat("a", MaxBodyBytes+1)
	for _, c := range []struct {
		name    string
		body    string
		chunked bool
		code    string // "" for the body back
	}{
		{"small", small, false, ""},
		{"small chunked", small, true, ""},
		{"empty", "", false, ""},
		{"beyond one buffer", mid, false, ""},
		{"beyond one buffer chunked", mid, true, ""},
		{"too large", big, false, "body-too-large"},
		{"too large chunked", big, true, "body-too-large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(c.body)
			if c.chunked {
				r = io.MultiReader(r) // no length: httptest.NewRequest leaves ContentLength -1
			}
			req := httptest.NewRequest("POST", "/x", r)
			req.Header.Set("Content-Type", "application/json")
			got, err := readBody(httptest.NewRecorder(), req)
			if c.code == "" {
				if err != nil || string(got) != c.body {
					t.Fatalf("readBody = %.40q…, %v; want the body", got, err)
				}
				return
			}
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != c.code {
				t.Fatalf("readBody error = %v, want %s", err, c.code)
			}
		})
	}
}
