package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/organizer"
)

// guessTokens sends n requests with wrong API tokens from 50 connections
// at once and counts the answers by status. It talks plain HTTP, so the
// server, not the contract check, is what is measured; one more request,
// through the checking client, shows the answer matches the contract.
func guessTokens(t *testing.T, base string, n int) (counts map[int]int, took time.Duration) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	var next atomic.Int64
	var mu sync.Mutex
	counts = map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range 50 {
		wrong, _ := organizer.NewToken()
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest("GET", base+"/api/v1/organizer", nil)
				req.Header.Set("Authorization", "Bearer "+wrong)
				status := 0
				if resp, err := hc.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				counts[status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took = time.Since(start)
	wrong, _ := organizer.NewToken()
	newClient(t, base, wrong).do("GET", "/api/v1/organizer", nil)
	return counts, took
}

func TestTokenGuessingIsRateLimited(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	counts, took := guessTokens(t, a.url, 3000)
	t.Logf("3,000 wrong tokens in %.2f s: %d answered 429, %d answered 401", took.Seconds(), counts[429], counts[401])
	if counts[401]+counts[429] != 3000 {
		t.Fatalf("answers %v, want only 401 and 429", counts)
	}
	// The default allows a burst of 10 failures and 1 a second after it.
	if most := defaultAuthBurst + int(took.Seconds()) + 1; counts[401] > most {
		t.Fatalf("%d wrong tokens answered 401 in %.1f s, want at most %d", counts[401], took.Seconds(), most)
	}
}

func TestAnonymousWritesAreRateLimited(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--rate-limit-writes", "1/m", "--rate-limit-writes-burst", "5")
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 100)
	pub := newClient(t, a.url, "")
	holds := "/api/v1/public/events/" + evID + "/holds"
	body := map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}}
	var holdID string
	for range 5 {
		holdID = pub.must(201, "POST", holds, body)["id"].(string)
	}
	r := pub.do("POST", holds, body)
	if r.status != 429 || r.json(t)["code"] != "rate-limited" {
		t.Fatalf("a hold beyond the burst: %d %s, want 429 rate-limited", r.status, r.body)
	}
	// One token a minute: the next comes a minute after the first was
	// spent, less the time the five holds took.
	retry, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || retry < 30 || retry > 60 || r.json(t)["retry_after_seconds"].(float64) != float64(retry) {
		t.Fatalf("Retry-After %q, retry_after_seconds %v; want the same whole seconds, up to 60", r.header.Get("Retry-After"), r.json(t)["retry_after_seconds"])
	}
	if got := r.header.Get("RateLimit-Policy"); got != `"writes";q=5;w=300` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	// Releasing, extending and ordering are writes too; reads are not limited.
	for _, w := range []struct{ method, path string }{
		{"DELETE", holds + "/" + holdID}, {"POST", holds + "/" + holdID + "/extend"},
	} {
		if r := pub.do(w.method, w.path, nil); r.status != 429 {
			t.Errorf("%s %s beyond the burst: %d %s", w.method, w.path, r.status, r.body)
		}
	}
	if r := pub.do("POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": holdID,
		"buyer": map[string]any{"name": "A", "email": "a@example.com"}}); r.status != 429 {
		t.Errorf("an order beyond the burst: %d %s", r.status, r.body)
	}
	pub.must(200, "GET", holds+"/"+holdID, nil)
	// The shop's forms count against the same limit, and say so in a page.
	resp, err := http.PostForm(a.url+"/events/"+evID+"/hold", url.Values{"qty." + ttID: {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("a shop form post beyond the burst: %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	// Organizers are not buyers: their writes are not limited.
	setupEvent(c, 1)
}

// TestLoopbackIsExemptOnlyWithTheFlag: the tests above, from loopback
// without the flag, are limited; with it nothing from loopback is.
func TestLoopbackIsExemptOnlyWithTheFlag(t *testing.T) {
	a := startAdmit(t, t.TempDir(), "--exempt-loopback", "--rate-limit-writes-burst", "2", "--rate-limit-auth-failures-burst", "2")
	c := newClient(t, a.url, a.token)
	evID, ttID := setupEvent(c, 100)
	pub := newClient(t, a.url, "")
	for range 20 {
		pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	}
	if counts, _ := guessTokens(t, a.url, 200); counts[401] != 200 {
		t.Fatalf("wrong tokens from an exempt loopback client: %v, want 200 answered 401", counts)
	}
}

func TestRateLimitFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--rate-limit-writes", "10/d"}, "--rate-limit-writes: \"10/d\" is not a rate"},
		{[]string{"serve", "--rate-limit-auth-failures", "fast"}, "--rate-limit-auth-failures: \"fast\" is not a rate"},
		{[]string{"serve", "--rate-limit-writes-burst", "-1"}, "must be at least 0"},
	} {
		err := run(context.Background(), tc.args, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("run %q: err = %v (exit %d), want a usage error containing %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}
