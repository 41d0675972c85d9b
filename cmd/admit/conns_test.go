package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeConnectionsAndServerErrors: with --max-conns taken by idle
// keep-alive connections, /readyz and a hold still answer at once; and the
// errors the HTTP server answers by itself are problem+json.
func TestServeConnectionsAndServerErrors(t *testing.T) {
	const maxConns = 4
	a := startAdmit(t, t.TempDir(), "--max-conns", "4")
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 10)
	addr := strings.TrimPrefix(a.url, "http://")
	send := func(conn net.Conn, r *bufio.Reader, req string) *http.Response {
		t.Helper()
		conn.SetDeadline(time.Now().Add(10 * time.Second)) // far below the 60 s idle timeout
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%.40q: %v", req, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	dial := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn, bufio.NewReader(conn)
	}
	for range maxConns {
		conn, r := dial()
		resp := send(conn, r, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
		io.Copy(io.Discard, resp.Body)
	}
	conn, r := dial()
	if resp := send(conn, r, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("/readyz at the cap: %s", resp.Status)
	}
	body := `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1}]}`
	conn, r = dial()
	if resp := send(conn, r, "POST /api/v1/public/events/"+evID+"/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body); resp.StatusCode != 201 {
		t.Fatalf("a hold at the cap: %s", resp.Status)
	}
	for _, tc := range []struct {
		req    string
		status int
		code   string
	}{
		{"GET /livez HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 32<<10) + "\r\n\r\n", 431, "headers-too-large"},
		{"GET /livez HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n", 400, "malformed-request"},
	} {
		conn, r := dial()
		resp := send(conn, r, tc.req)
		var p map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != tc.status ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p["code"] != tc.code {
			t.Errorf("%.40q: %s %q %v (%v)", tc.req, resp.Status, resp.Header.Get("Content-Type"), p, err)
		}
	}
}
