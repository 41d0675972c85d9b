package web

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerErrorsAreProblems: the errors net/http's server answers by
// itself, before any handler, are problem+json with a catalogued code.
func TestServerErrorsAreProblems(t *testing.T) {
	addr, _ := serveLimited(t, 8, okHandler())
	for _, tc := range []struct {
		name, req string
		status    int
		code      string
	}{
		{"headers over the limit", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", 431, "headers-too-large"},
		{"malformed header", "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400, "malformed-request"},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400, "malformed-request"},
		{"malformed request line", "GET\r\nHost: x\r\n\r\n", 400, "malformed-request"},
		{"space in header name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400, "malformed-request"},
		{"unknown transfer encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not-implemented"},
		{"HTTP/2 in plain text", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http-version-not-supported"},
		{"unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417, "expectation-failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, tc.req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("%s %q: body is not a problem: %v", resp.Status, resp.Header.Get("Content-Type"), err)
			}
			status, title, ok := ProblemType(p.Code)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" ||
				p.Code != tc.code || p.Status != tc.status || !ok || status != tc.status || p.Title != title ||
				p.Type != ProblemBase+tc.code || p.Detail == "" {
				t.Fatalf("%s %q: %+v", resp.Status, resp.Header.Get("Content-Type"), p)
			}
		})
	}
}

// TestServerErrorProblemLeavesResponsesAlone: only net/http's own error
// shape is rewritten, not a handler's plain-text answer.
func TestServerErrorProblemLeavesResponsesAlone(t *testing.T) {
	for _, p := range []string{
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\nno",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nok",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nX: y\r\n\r\n400 Bad Request",
		"HTTP/1.1 40",
		"{\"items\":[]}",
	} {
		if b, ok := serverErrorProblem([]byte(p)); ok {
			t.Errorf("%q rewritten as %q", p, b)
		}
	}
}
