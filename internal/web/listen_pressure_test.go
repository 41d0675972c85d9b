package web

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// serveLimited serves h as admit does (NewHTTPServer on a LimitListener of
// n connections) and returns its address.
func serveLimited(t *testing.T, n int, h http.Handler) (string, *limitListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(ln, n).(*limitListener)
	srv := NewHTTPServer(h, nil)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), l
}

// rawRequest sends req on c and reads the answer.
func rawRequest(t *testing.T, c net.Conn, r *bufio.Reader, req string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// eventually polls cond until it holds, or fails the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (l *limitListener) idleConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := l.oldest; c != nil; c = c.next {
		n++
	}
	return n
}

// quickClient makes new connections only, and gives up long before the
// 60 s an idle connection would otherwise keep its place.
func quickClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			w.WriteHeader(http.StatusCreated)
		}
	})
}

// TestIdleConnsGiveWay: with every place taken by idle keep-alive
// connections, a health check and a hold still get in at once, and the
// connection idle the longest is the one that makes room.
func TestIdleConnsGiveWay(t *testing.T) {
	const n = 4
	addr, l := serveLimited(t, n, okHandler())
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if resp := rawRequest(t, c, bufio.NewReader(c), "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 {
			t.Fatalf("keep-alive request: %s", resp.Status)
		}
		conns[i] = c
		eventually(t, "the connection is idle", func() bool { return l.idleConns() == i+1 })
	}
	// Two newcomers on connections they keep: each takes the place of the
	// connection idle the longest, and is answered at once (the deadline
	// of rawRequest is far below the 60 s idle timeout).
	start := time.Now()
	for _, req := range []string{
		"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /api/v1/public/events/ev_x/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if resp := rawRequest(t, c, bufio.NewReader(c), req); resp.StatusCode/100 != 2 {
			t.Fatalf("%q with %d idle connections: %s", req, n, resp.Status)
		}
	}
	t.Logf("answered in %v", time.Since(start))
	// The two oldest idle connections were closed for them, the others not.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		closed := err == io.EOF
		if want := i < 2; closed != want {
			t.Errorf("connection %d: closed %v, want %v (%v)", i, closed, want, err)
		}
	}
}

// TestHealthAnswersWhenAllConnsBusy: with every place taken by requests
// in progress, /livez and /readyz still answer, on the spare connections,
// and other requests get a quick 503 problem instead of waiting.
func TestHealthAnswersWhenAllConnsBusy(t *testing.T) {
	const n = 3
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(n)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered.Done()
			<-release
		}
	})
	addr, _ := serveLimited(t, n, h)
	var done sync.WaitGroup
	for range n {
		done.Go(func() {
			resp, err := http.Get("http://" + addr + "/slow")
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	defer done.Wait()
	defer close(release)
	entered.Wait()
	cl := quickClient()
	for range SpareConns + 2 { // the spares turn over: more checks than spares
		for _, path := range []string{"/livez", "/readyz"} {
			resp, err := cl.Get("http://" + addr + path)
			if err != nil {
				t.Fatalf("%s with every connection busy: %v", path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %s", path, resp.Status)
			}
		}
	}
	resp, err := cl.Get("http://" + addr + "/api/v1/public/events/ev_x")
	if err != nil {
		t.Fatalf("a request with every connection busy: %v", err)
	}
	defer resp.Body.Close()
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != 503 || p.Code != "unavailable" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("on a spare connection: %s %q %+v (%v)", resp.Status, resp.Header.Get("Content-Type"), p, err)
	}
}
