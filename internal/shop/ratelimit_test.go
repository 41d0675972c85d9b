package shop

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRateLimitedFormPost(t *testing.T) {
	s := newFormStack(t, 3)
	var asked int
	limited := httptest.NewServer(New(Config{Offices: s.m, Clock: s.clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LimitWrite: func(*http.Request) time.Duration { asked++; return 2500 * time.Millisecond }}))
	t.Cleanup(limited.Close)
	resp, err := http.PostForm(limited.URL+"/events/"+s.ev+"/hold", url.Values{"qty." + s.standing: {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "wait 3 seconds") {
		t.Fatalf("a limited form post: %d, Retry-After %q, %s\n%s", resp.StatusCode, resp.Header.Get("Retry-After"),
			resp.Header.Get("Content-Type"), b)
	}
	// Nothing was held, and pages are not limited.
	v, err := s.m.View(context.Background(), s.ev)
	if err != nil || v.TicketTypes[0].Available != 3 {
		t.Fatalf("after the limited post: %v, available %d, want 3", err, v.TicketTypes[0].Available)
	}
	r, err := http.Get(limited.URL + "/events/" + s.ev)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK || asked != 1 {
		t.Fatalf("a page from the limited shop: %d, the limit asked %d times, want 200 and once (for the post)", r.StatusCode, asked)
	}
}
