package forward

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/admit-org/admit/internal/natstest"
)

func TestEventID(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/events/ev_1":              "ev_1",
		"/api/v1/events/ev_1/orders/od_2":  "ev_1",
		"/api/v1/public/events/ev_1/holds": "ev_1",
		"/events/ev_1":                     "ev_1",
		"/events/ev_1/checkout":            "ev_1",
		"/api/v1/events":                   "",
		"/api/v1/events/":                  "",
		"/api/v1/webhooks/stripe":          "",
		"/assets/shop.css":                 "",
		"/":                                "",
	} {
		if got := EventID(path); got != want {
			t.Errorf("EventID(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestForwarding: node a forwards a request for an event node b runs and
// relays b's answer as it came; a request already forwarded, or for an
// event nobody runs, is answered by a itself; an answer too big for NATS
// is refused with a problem.
func TestForwarding(t *testing.T) {
	ns := natstest.Start(t)
	conn := func() *nats.Conn {
		nc := natstest.Connect(t, ns.ClientURL())
		return nc
	}
	problem := func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(503)
		io.WriteString(w, `{"code":"unavailable","detail":"`+err.Error()+`"}`)
	}
	log := slog.New(slog.DiscardHandler)
	handler := func(node string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/events/ev_big" {
				io.WriteString(w, strings.Repeat("x", 2<<20))
				return
			}
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Answered-By", node)
			w.Header().Set("Client", r.RemoteAddr)
			w.WriteHeader(201)
			w.Write(body)
		})
	}
	holders := map[string]string{"ev_1": "b", "ev_big": "b"}
	newNode := func(node string, runs map[string]bool) *Forwarder {
		f := New(Config{Conn: conn(), Node: node, Local: handler(node), MaxBody: 1 << 16, Problem: problem, Log: log,
			BodyRoutes: map[string]BodyRoute{"POST /hook": {Max: 32, Event: func(body []byte) string {
				ev, _ := strings.CutPrefix(string(body), "event=")
				return ev
			}}},
			Runs:   func(ev string) bool { return runs[ev] },
			Holder: func(_ context.Context, ev string) (string, error) { return holders[ev], nil }})
		if err := f.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return f
	}
	a := newNode("a", nil)
	b := newNode("b", map[string]bool{"ev_1": true, "ev_big": true})

	doBody := func(path, body string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.RemoteAddr = "203.0.113.7:5555"
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		return w
	}
	do := func(path string, header ...string) *httptest.ResponseRecorder {
		return doBody(path, `{"items":[]}`, header...)
	}
	w := do("/api/v1/public/events/ev_1/holds")
	if w.Code != 201 || w.Header().Get("Answered-By") != "b" || w.Body.String() != `{"items":[]}` ||
		w.Header().Get("Client") != "203.0.113.7:5555" {
		t.Errorf("forwarded: %d, answered by %q for client %q: %s", w.Code, w.Header().Get("Answered-By"),
			w.Header().Get("Client"), w.Body.String())
	}
	if a.Forwarded() != 1 {
		t.Errorf("Forwarded() = %d, want 1", a.Forwarded())
	}
	if w := do("/api/v1/public/events/ev_1/holds", ForwardedBy, "c"); w.Header().Get("Answered-By") != "a" {
		t.Errorf("a request forwarded already was answered by %q, want a itself", w.Header().Get("Answered-By"))
	}
	if w := do("/api/v1/public/events/ev_nobody/holds"); w.Header().Get("Answered-By") != "a" {
		t.Errorf("an event nobody runs was answered by %q, want a", w.Header().Get("Answered-By"))
	}
	if w := do("/api/v1/events/ev_big"); w.Code != 503 || !strings.Contains(w.Body.String(), "too large") {
		t.Errorf("an answer too big for NATS: %d %.80s", w.Code, w.Body.String())
	}
	// A path naming no event, whose body does.
	if w := doBody("/hook", "event=ev_1"); w.Header().Get("Answered-By") != "b" || w.Body.String() != "event=ev_1" {
		t.Errorf("a body naming ev_1: answered by %q: %q", w.Header().Get("Answered-By"), w.Body.String())
	}
	for _, body := range []string{"event=ev_nobody", "nothing", "event=ev_1" + strings.Repeat(" ", 32)} {
		if w := doBody("/hook", body); w.Header().Get("Answered-By") != "a" || w.Body.String() != body {
			t.Errorf("a body %.20q: answered by %q: %.20q", body, w.Header().Get("Answered-By"), w.Body.String())
		}
	}
	// Node b stops taking forwarded requests (it stopped, or died): a
	// answers itself rather than fail.
	b.Stop()
	start := time.Now()
	if w := do("/api/v1/public/events/ev_1/holds"); w.Header().Get("Answered-By") != "a" {
		t.Errorf("with node b gone, answered by %q, want a", w.Header().Get("Answered-By"))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("with node b gone, the answer took %s", took)
	}
}

// TestForwardingNoticesSilence: an owner that took a request and went
// silent (the request or its answer lost with a NATS server) costs the
// forwarding node about 2 s, not Timeout; one still working on its
// answer keeps saying so, however long it takes.
func TestForwardingNoticesSilence(t *testing.T) {
	ns := natstest.Start(t)
	conn := func() *nats.Conn {
		nc := natstest.Connect(t, ns.ClientURL())
		return nc
	}
	log := slog.New(slog.DiscardHandler)
	slow := make(chan struct{})
	handler := func(node string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if node == "b" {
				<-slow
			}
			w.Header().Set("Answered-By", node)
		})
	}
	newNode := func(node string) *Forwarder {
		f := New(Config{Conn: conn(), Node: node, Local: handler(node), MaxBody: 1 << 16, Log: log,
			Problem: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(503) },
			Runs:    func(ev string) bool { return ev == "ev_"+node },
			Holder: func(_ context.Context, ev string) (string, error) {
				return strings.TrimPrefix(ev, "ev_"), nil
			}})
		if err := f.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Stop)
		return f
	}
	a, _ := newNode("a"), newNode("b")
	// Node c takes its requests and never answers.
	sink := conn()
	if _, err := sink.Subscribe(Subject("c"), func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	sink.Flush()
	do := func(ev string) (string, time.Duration) {
		start := time.Now()
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/events/"+ev, nil))
		return w.Header().Get("Answered-By"), time.Since(start)
	}
	by, took := do("ev_c")
	if by != "a" || took < silence || took > silence+time.Second {
		t.Errorf("a silent owner: answered by %q after %s, want a itself after about %s", by, took, silence)
	}
	go func() {
		time.Sleep(silence + time.Second) // node b works longer than the silence
		close(slow)
	}()
	if by, took := do("ev_b"); by != "b" {
		t.Errorf("a slow owner: answered by %q after %s, want b", by, took)
	}
}
