package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DoorConfig is one run of the door benchmark.
type DoorConfig struct {
	Devices   int // concurrent door clients, each a door device of its own
	Tickets   int // tickets sold, then scanned
	Presented int // times each ticket is presented, at random doors
	// Settle, if set, is called once the tickets are sold and before the
	// doors open: it waits for the server to be quiet (the tickets' e-mails
	// rendered), so that the scans are measured alone.
	Settle   func(ctx context.Context) error
	Progress io.Writer // nil: quiet
}

// DoorResult is what a door run measured.
type DoorResult struct {
	Devices   int           `json:"devices"`
	Tickets   int           `json:"tickets"`
	Scans     int           `json:"scans"`
	Retries   int           `json:"retries"` // scans sent again with their nonce, answered as the first time
	Sell      time.Duration `json:"sell_ns"` // selling the tickets and fetching their secrets
	Duration  time.Duration `json:"duration_ns"`
	PerSecond float64       `json:"scans_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	// The audit: tickets answered ok exactly once, and the list's counts.
	AdmittedOnce int `json:"admitted_once"`
	CountedIn    int `json:"counted_in"`
}

// Door sells cfg.Tickets free tickets through the admit server at base
// (organizer API token token), makes cfg.Devices door devices, and has
// each scan its share of the tickets, every ticket presented
// cfg.Presented times in a random order, one scan in seven sent twice
// with its nonce (an answer lost). It measures scans per second and each
// scan's latency, and audits that every ticket was admitted exactly once,
// by the answers and by the list's counts. Any other answer fails the run.
func Door(ctx context.Context, base, token string, cfg DoorConfig) (res DoorResult, err error) {
	if cfg.Presented < 1 {
		cfg.Presented = 1
	}
	a := NewAdmit(base, token, cfg.Devices)
	defer a.c.close()
	res.Devices, res.Tickets = cfg.Devices, cfg.Tickets
	start := time.Now()
	evID, secrets, err := sellDoorTickets(ctx, a, cfg.Tickets, cfg.Progress)
	if err != nil {
		return res, err
	}
	res.Sell = time.Since(start)
	tokens := make([]string, cfg.Devices)
	for i := range tokens {
		var d struct {
			Token string `json:"token"`
		}
		if err := a.api(ctx, "POST", "/api/v1/events/"+evID+"/door-devices", map[string]any{"name": fmt.Sprintf("Door %d", i+1)}, &d); err != nil {
			return res, err
		}
		tokens[i] = d.Token
	}
	if cfg.Settle != nil {
		if err := cfg.Settle(ctx); err != nil {
			return res, err
		}
	}
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	var queue []string
	for range cfg.Presented {
		queue = append(queue, ids...)
	}
	rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "doors open: %d devices, %d scans\n", cfg.Devices, len(queue))
	}
	url := base + "/api/v1/events/" + evID + "/check-in-lists/default/scans"
	var (
		mu       sync.Mutex
		admitted = make(map[string]int, len(ids))
		lat      = make([][]time.Duration, cfg.Devices)
		retries  atomic.Int64
		wg       sync.WaitGroup
		failed   = make(chan error, cfg.Devices)
	)
	start = time.Now()
	for k := range cfg.Devices {
		wg.Go(func() {
			for i := k; i < len(queue); i += cfg.Devices {
				id := queue[i]
				body := map[string]any{"secret": secrets[id], "nonce": fmt.Sprintf("d%d-%d", k, i)}
				t0 := time.Now()
				ans, err := doorScan(ctx, a.c.http, url, tokens[k], body)
				lat[k] = append(lat[k], time.Since(t0))
				if err == nil && (ans.Ticket == nil || ans.Ticket.ID != id) {
					err = fmt.Errorf("a scan of %s answered for %+v", id, ans.Ticket)
				}
				if err == nil && ans.Result != "ok" && ans.Result != "already_checked_in" {
					err = fmt.Errorf("a scan of %s answered %s", id, ans.Result)
				}
				if err != nil {
					failed <- err
					return
				}
				if ans.Result == "ok" {
					mu.Lock()
					admitted[id]++
					mu.Unlock()
				}
				if i%7 == 0 {
					again, err := doorScan(ctx, a.c.http, url, tokens[k], body)
					if err == nil && (!again.Replayed || again.Result != ans.Result) {
						err = fmt.Errorf("a retry of a scan of %s answered %s (replayed %t), first %s", id, again.Result, again.Replayed, ans.Result)
					}
					if err != nil {
						failed <- err
						return
					}
					retries.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res.Duration = time.Since(start)
	close(failed)
	if err := <-failed; err != nil {
		return res, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.Scans, res.Retries = len(all), int(retries.Load())
	res.PerSecond = float64(res.Scans+res.Retries) / res.Duration.Seconds()
	res.P50, res.P90, res.P99, res.Max = quantile(all, 0.5), quantile(all, 0.9), quantile(all, 0.99), all[len(all)-1]
	for _, id := range ids {
		switch admitted[id] {
		case 1:
			res.AdmittedOnce++
		case 0:
			return res, fmt.Errorf("audit: ticket %s was never admitted", id)
		default:
			return res, fmt.Errorf("audit: ticket %s was admitted %d times", id, admitted[id])
		}
	}
	var list struct {
		Counts struct {
			In int `json:"in"`
		} `json:"counts"`
	}
	if err := a.api(ctx, "GET", "/api/v1/events/"+evID+"/check-in-lists/default", nil, &list); err != nil {
		return res, err
	}
	if res.CountedIn = list.Counts.In; res.CountedIn != len(ids) {
		return res, fmt.Errorf("audit: the list counts %d people in, want %d", res.CountedIn, len(ids))
	}
	return res, nil
}

// sellDoorTickets sells n free tickets of a new event in orders of up to
// 100 and returns the event and each ticket's secret, read from the
// buyers' orders.
func sellDoorTickets(ctx context.Context, a *Admit, n int, progress io.Writer) (string, map[string]string, error) {
	now := time.Now().UTC()
	var ev, tt struct {
		ID string `json:"id"`
	}
	if err := a.api(ctx, "POST", "/api/v1/events", map[string]any{"name": "Doors open (admit bench)",
		"venue": "Arena", "timezone": "Europe/Berlin", "currency": "EUR", "max_tickets_per_hold": 100,
		"starts_at": now.Add(time.Hour), "ends_at": now.Add(4 * time.Hour)}, &ev); err != nil {
		return "", nil, err
	}
	if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/ticket-types", map[string]any{"name": "Standing",
		"price": map[string]any{"amount": 0, "currency": "EUR"}, "max_per_hold": 100}, &tt); err != nil {
		return "", nil, err
	}
	if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/quotas", map[string]any{"name": "Arena",
		"capacity": n, "ticket_type_ids": []string{tt.ID}}, nil); err != nil {
		return "", nil, err
	}
	if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/status", map[string]any{"status": "on_sale"}, nil); err != nil {
		return "", nil, err
	}
	pub := &Admit{c: a.c} // the public API: no token
	secrets := make(map[string]string, n)
	for sold := 0; sold < n; {
		q := min(100, n-sold)
		var h struct {
			ID string `json:"id"`
		}
		if err := pub.api(ctx, "POST", "/api/v1/public/events/"+ev.ID+"/holds",
			map[string]any{"items": []any{map[string]any{"ticket_type_id": tt.ID, "quantity": q}}}, &h); err != nil {
			return "", nil, err
		}
		var o struct {
			OrderURL string `json:"order_url"`
		}
		if err := pub.api(ctx, "POST", "/api/v1/public/events/"+ev.ID+"/orders", map[string]any{"hold_id": h.ID,
			"buyer": map[string]any{"name": "Door Bench", "email": "bench@example.com"}}, &o); err != nil {
			return "", nil, err
		}
		var order struct {
			Tickets []struct {
				ID     string `json:"id"`
				Secret string `json:"secret"`
			} `json:"tickets"`
		}
		if err := pub.api(ctx, "GET", strings.TrimPrefix(o.OrderURL, a.c.base), nil, &order); err != nil {
			return "", nil, err
		}
		for _, t := range order.Tickets {
			if t.Secret == "" {
				return "", nil, errors.New("the buyer's order shows no ticket secret: is the server's keyring set up?")
			}
			secrets[t.ID] = t.Secret
		}
		sold += q
		if progress != nil && sold%10_000 == 0 {
			fmt.Fprintf(progress, "sold %d tickets\n", sold)
		}
	}
	return ev.ID, secrets, nil
}

type doorAnswer struct {
	Result string `json:"result"`
	Ticket *struct {
		ID string `json:"id"`
	} `json:"ticket"`
	Replayed bool `json:"replayed"`
}

// doorScan posts a scan with a door device's token.
func doorScan(ctx context.Context, hc *http.Client, url, token string, body any) (doorAnswer, error) {
	var ans doorAnswer
	b, err := json.Marshal(body)
	if err != nil {
		return ans, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return ans, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return ans, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return ans, err
	}
	if resp.StatusCode != http.StatusOK {
		return ans, fmt.Errorf("scan: %s: %.300s", resp.Status, data)
	}
	return ans, json.Unmarshal(data, &ans)
}
