package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/ledger"
)

// client is the buyers' side of every HTTP target: the same requests, the
// same connection pool, the same parsing, so targets differ only in what
// answers them.
type client struct {
	base    string // e.g. http://127.0.0.1:8080
	eventID string
	http    *http.Client
	url     string     // the holds URL of the event
	bodies  [][][]byte // per ticket type, per quantity
	ids     []string   // per ticket type, its id
}

func newClient(base string, buyers int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        buyers + 64,
		MaxIdleConnsPerHost: buyers + 64,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &client{base: strings.TrimRight(base, "/"), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// prepare fixes the event and builds every hold body once.
func (c *client) prepare(eventID string, p *Plan) {
	c.eventID = eventID
	c.url = c.base + "/api/v1/public/events/" + eventID + "/holds"
	c.bodies = make([][][]byte, len(p.Types))
	c.ids = make([]string, len(p.Types))
	for t := range p.Types {
		c.ids[t] = p.Types[t].ID
		c.bodies[t] = make([][]byte, 11)
		for n := 1; n <= 10; n++ {
			c.bodies[t][n] = fmt.Appendf(nil, `{"items":[{"ticket_type_id":%q,"quantity":%d}]}`, p.Types[t].ID, n)
		}
	}
}

func (c *client) hold(ctx context.Context, t, n int) Answer { return c.holdKey(ctx, t, n, "") }

// holdKey is hold with an Idempotency-Key, unless key is "". A 409
// idempotency-in-flight (the key's first request is still being decided)
// is Shed: ask again.
func (c *client) holdKey(ctx context.Context, t, n int, key string) Answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.bodies[t][n]))
	if err != nil {
		return Answer{Outcome: Failed, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Answer{Outcome: Failed, Err: err, NotSent: notSent(err), Transport: true}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return Answer{Outcome: Failed, Err: err, Transport: true}
	}
	switch {
	case resp.StatusCode == http.StatusCreated:
		var h struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &h); err != nil || h.ID == "" {
			return Answer{Outcome: Failed, Err: fmt.Errorf("201 without a hold id: %.200s", body)}
		}
		return Answer{Outcome: Granted, HoldID: h.ID}
	case resp.StatusCode == http.StatusConflict && bytes.Contains(body, []byte(`"code":"sold-out"`)):
		var p struct {
			Available []struct {
				TicketTypeID string `json:"ticket_type_id"`
				Available    int    `json:"available"`
			} `json:"available"`
		}
		a := Answer{Outcome: SoldOut, Left: -1}
		if json.Unmarshal(body, &p) == nil {
			for _, l := range p.Available {
				if l.TicketTypeID == c.ids[t] {
					a.Left = l.Available
				}
			}
		}
		return a
	case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusConflict && bytes.Contains(body, []byte(`"code":"idempotency-in-flight"`)):
		after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return Answer{Outcome: Shed, RetryAfter: time.Duration(max(after, 0)) * time.Second}
	}
	return Answer{Outcome: Failed, Err: fmt.Errorf("%s: %.300s", resp.Status, body)}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// notSent reports whether err says the request never left: no connection
// could be made, so the server cannot have acted on it.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Admit is admit over HTTP, through its public API, with the event set up
// through the organizer API.
type Admit struct {
	c     *client
	token string
	// DataDir, when set, is the server's data directory: the audit then
	// stops the server with Stop and replays its ledger.
	DataDir string
	Stop    func() error
	plan    *Plan
}

// NewAdmit targets the admit server at base with an organizer API token.
func NewAdmit(base, token string, buyers int) *Admit {
	return &Admit{c: newClient(base, buyers), token: token}
}

// Name is "admit".
func (a *Admit) Name() string { return "admit" }

// Setup creates the on-sale through the organizer API.
func (a *Admit) Setup(ctx context.Context, p *Plan) error {
	a.plan = p
	now := time.Now().UTC()
	var ev struct {
		ID string `json:"id"`
	}
	if err := a.api(ctx, "POST", "/api/v1/events", map[string]any{"name": "Stadium on-sale (admit bench)",
		"venue": "Stadium", "timezone": "Europe/Berlin", "currency": "EUR",
		"starts_at": now.Add(30 * 24 * time.Hour), "ends_at": now.Add(30*24*time.Hour + 3*time.Hour),
		"hold_ttl_seconds": 3600, "max_tickets_per_hold": 100}, &ev); err != nil {
		return err
	}
	for i := range p.Types {
		var tt struct {
			ID string `json:"id"`
		}
		if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/ticket-types", map[string]any{"name": p.Types[i].Name,
			"price": map[string]any{"amount": 5000, "currency": "EUR"}, "max_per_hold": 100}, &tt); err != nil {
			return err
		}
		p.Types[i].ID = tt.ID
	}
	for i := range p.Quotas {
		q := &p.Quotas[i]
		var tts []string
		for _, t := range q.Types {
			tts = append(tts, p.Types[t].ID)
		}
		var out struct {
			ID string `json:"id"`
		}
		if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/quotas", map[string]any{"name": q.Name,
			"capacity": q.Capacity, "ticket_type_ids": tts}, &out); err != nil {
			return err
		}
		q.ID = out.ID
	}
	if err := a.api(ctx, "POST", "/api/v1/events/"+ev.ID+"/status", map[string]any{"status": "on_sale"}, nil); err != nil {
		return err
	}
	a.c.prepare(ev.ID, p)
	return nil
}

// api calls the organizer API and decodes its JSON answer into out.
func (a *Admit) api(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return &statusError{code: resp.StatusCode, msg: fmt.Sprintf("%s %s: %s: %.300s", method, path, resp.Status, data)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// BaseURL is the server's.
func (a *Admit) BaseURL() string { return a.c.base }

// EventID is the event Setup created.
func (a *Admit) EventID() string { return a.c.eventID }

// Hold posts a hold to the public API.
func (a *Admit) Hold(ctx context.Context, t, n int) Answer { return a.c.hold(ctx, t, n) }

// Audit replays the server's ledger when it runs in-process; otherwise it
// reads the quotas through the organizer API.
func (a *Admit) Audit(ctx context.Context) (Recorded, error) {
	if a.DataDir == "" {
		return a.auditAPI(ctx)
	}
	if err := a.stop(); err != nil {
		return Recorded{}, fmt.Errorf("stop the server: %w", err)
	}
	led, err := ledger.Open(ctx, ledger.Config{DataDir: a.DataDir, Logger: discard})
	if err != nil {
		return Recorded{}, err
	}
	defer led.Close()
	st, err := Replay(ctx, led, a.c.eventID, nil)
	if err != nil {
		return Recorded{}, err
	}
	return recordedOf(st, a.plan, "ledger replay"), nil
}

func (a *Admit) auditAPI(ctx context.Context) (Recorded, error) {
	var ev struct {
		Quotas []struct {
			ID   string `json:"id"`
			Held int    `json:"held"`
			Sold int    `json:"sold"`
		} `json:"quotas"`
	}
	if err := a.api(ctx, "GET", "/api/v1/events/"+a.c.eventID, nil, &ev); err != nil {
		return Recorded{}, err
	}
	rec := Recorded{Source: "organizer API", Held: make([]int, len(a.plan.Quotas))}
	for _, q := range ev.Quotas {
		for i, pq := range a.plan.Quotas {
			if pq.ID == q.ID {
				rec.Held[i] = q.Held + q.Sold
			}
		}
	}
	return rec, nil
}

func (a *Admit) stop() error {
	if a.Stop == nil {
		return nil
	}
	stop := a.Stop
	a.Stop = nil
	return stop()
}

// Close stops an in-process server.
func (a *Admit) Close() error {
	a.c.close()
	return a.stop()
}

// statusError is an answer of the API outside 2xx.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }
