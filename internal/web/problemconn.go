package web

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
)

// problemConn answers the errors net/http's server writes by itself as
// problem+json, like every other error of admit. The server writes them
// straight to the connection, in one Write, before any handler runs and
// with no hook to change them: a request line or header it cannot parse
// (400), headers over MaxHeaderBytes (431), an unknown Transfer-Encoding
// (501), an HTTP version other than 1.x (505); and, through the response
// writer but without calling a handler, an Expect other than 100-continue
// (417, a status no handler of admit answers). Raising MaxHeaderBytes and
// checking the size in a handler would cover only the 431, so problemConn
// recognises that exact shape instead — a status line, then precisely
// "Content-Type: text/plain; charset=utf-8" and "Connection: close", no
// Date, then the text — which no response of a handler has (net/http adds
// a Date to each, and sorts the headers), and writes the problem in its
// place. Anything else passes through untouched.
type problemConn struct{ net.Conn }

// serverErrorHeaders is what follows the status line of the errors net/http
// writes by itself (net/http's server.go, conn.serve).
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *problemConn) Write(p []byte) (int, error) {
	b, ok := serverErrorProblem(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite half-closes the connection when it can, as net/http does
// after a 431 so that the client reads the answer before the connection
// closes.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// serverErrors maps the statuses net/http answers by itself to admit's
// problem codes, with what to say when net/http gives no reason.
var serverErrors = map[int]struct{ code, detail string }{
	http.StatusBadRequest:                  {"malformed-request", "the request is not valid HTTP/1.1"},
	http.StatusRequestHeaderFieldsTooLarge: {"headers-too-large", "the request line and headers must be at most 16 KiB"},
	http.StatusNotImplemented:              {"not-implemented", "the request's Transfer-Encoding is not supported"},
	http.StatusHTTPVersionNotSupported:     {"http-version-not-supported", "send HTTP/1.1 (or HTTP/1.0)"},
}

// expectationFailed starts net/http's answer to an Expect it does not know:
// a bodiless 417 (net/http's server.go, sendExpectationFailed).
const expectationFailed = "HTTP/1.1 417 Expectation Failed\r\n"

// serverErrorProblem returns the problem+json response to write instead of
// p, when p is one of net/http's own error responses.
func serverErrorProblem(p []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(proto)) {
		return nil, false
	}
	if bytes.HasPrefix(p, []byte(expectationFailed)) && bytes.HasSuffix(p, []byte("\r\nContent-Length: 0\r\n\r\n")) {
		return problemResponse(http.StatusExpectationFailed, "expectation-failed", "only Expect: 100-continue is supported")
	}
	end := bytes.IndexByte(p, '\r')
	if end < len(proto)+3 || !bytes.HasPrefix(p[end:], []byte(serverErrorHeaders)) {
		return nil, false
	}
	status, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	e, known := serverErrors[status]
	if err != nil || !known {
		return nil, false
	}
	// The text is "431 Request Header Fields Too Large", or
	// "400 Bad Request: <reason>" when net/http says why.
	text := p[end+len(serverErrorHeaders):]
	detail := e.detail
	if _, reason, ok := bytes.Cut(text, []byte(": ")); ok && len(reason) > 0 {
		detail = string(reason)
	}
	return problemResponse(status, e.code, detail)
}

// problemResponse is a whole HTTP/1.1 response carrying the problem code
// of the catalogue, closing the connection.
func problemResponse(status int, code, detail string) ([]byte, bool) {
	_, title, _ := ProblemType(code)
	body, err := json.Marshal(Problem{Type: ProblemBase + code, Title: title, Status: status,
		Detail: detail, Code: code})
	if err != nil {
		return nil, false
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	b.WriteString("Content-Type: application/problem+json\r\nCache-Control: no-store\r\n")
	b.WriteString("X-Content-Type-Options: nosniff\r\nConnection: close\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	return b.Bytes(), true
}
