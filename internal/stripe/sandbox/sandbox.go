package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"
)

// Proxy is an http.Handler; safe for concurrent use.
type Proxy struct {
	// Webhook, when set, is where Succeed sends the signed
	// payment_intent.succeeded event, with WebhookSecret.
	Webhook, WebhookSecret string

	backend string
	mu      sync.Mutex
	byKey   map[string][]byte // answers by Idempotency-Key
	intents map[string]*intent
	creates int // PaymentIntent create requests, repeats included
	refunds int // refund requests, repeats included
}

type intent struct {
	status, currency string
	amount           json.Number
	metadata         map[string]string
}

// New returns a proxy to the stripe-mock at apiBase.
func New(apiBase string) *Proxy {
	return &Proxy{backend: strings.TrimRight(apiBase, "/"), byKey: map[string][]byte{}, intents: map[string]*intent{}}
}

// Succeed marks the PaymentIntent as paid, as the buyer's card would, and
// sends the webhook if one is set. Errors: an unknown PaymentIntent; a
// webhook that was not answered with 2xx.
func (s *Proxy) Succeed(ctx context.Context, id string) error {
	s.mu.Lock()
	in := s.intents[id]
	if in != nil {
		in.status = "succeeded"
	}
	s.mu.Unlock()
	if in == nil {
		return fmt.Errorf("sandbox: no PaymentIntent %s", id)
	}
	if s.Webhook == "" {
		return nil
	}
	// The event carries the PaymentIntent as it is now, as Stripe's do.
	s.mu.Lock()
	object, err := json.Marshal(map[string]any{"id": id, "object": "payment_intent", "status": in.status,
		"amount": in.amount, "currency": in.currency, "metadata": in.metadata})
	s.mu.Unlock()
	if err != nil {
		return err
	}
	payload := fmt.Sprintf(`{"id":"evt_sandbox_%s_%d","object":"event","type":"payment_intent.succeeded","created":%d,`+
		`"data":{"object":%s}}`, id, time.Now().UnixNano(), time.Now().Unix(), object)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: s.WebhookSecret,
		Timestamp: time.Now()})
	req, err := http.NewRequestWithContext(ctx, "POST", s.Webhook, bytes.NewReader(signed.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signed.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: webhook: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sandbox: webhook answered %d: %s", resp.StatusCode, body)
	}
	return nil
}

// Intents is how many distinct PaymentIntents were created.
func (s *Proxy) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.intents)
}

// Creates is how many PaymentIntent create requests came, repeats
// included.
func (s *Proxy) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Refunds is how many refund requests came, repeats included.
func (s *Proxy) Refunds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refunds
}

// ServeHTTP proxies the Stripe API to stripe-mock, and takes
// POST /sandbox/payment_intents/{id}/succeed to play a buyer paying.
func (s *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/sandbox/payment_intents/"); ok && r.Method == "POST" {
		id, ok = strings.CutSuffix(id, "/succeed")
		if !ok {
			http.NotFound(w, r)
			return
		}
		if err := s.Succeed(r.Context(), id); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"id\":%q,\"status\":\"succeeded\"}\n", id)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/payment_intents/"); ok && r.Method == "GET" && !strings.Contains(id, "/") {
		s.mu.Lock()
		known := s.intents[id] != nil
		s.mu.Unlock()
		if !known { // stripe-mock answers a fixture for any id; Stripe says it has none
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			msg, _ := json.Marshal("No such payment_intent: '" + id + "'")
			fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":%s}}`, msg)
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	isCreate := r.Method == "POST" && r.URL.Path == "/v1/payment_intents"
	s.mu.Lock()
	if isCreate {
		s.creates++
	}
	if r.Method == "POST" && r.URL.Path == "/v1/refunds" {
		s.refunds++
	}
	if cached, ok := s.byKey[r.Method+r.URL.Path+key]; ok && key != "" {
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.Write(cached)
		return
	}
	s.mu.Unlock()

	status, answer := s.forward(r, body)
	if status == http.StatusOK {
		answer = s.patch(r, body, answer)
		if key != "" && r.Method == "POST" {
			s.mu.Lock()
			s.byKey[r.Method+r.URL.Path+key] = answer
			s.mu.Unlock()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(answer)
}

func (s *Proxy) forward(r *http.Request, body []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, s.backend+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"error":{"message":"sandbox: bad request"}}`)
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusBadGateway, []byte(`{"error":{"message":"stripe-mock unreachable"}}`)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// patch writes the remembered state of a PaymentIntent into stripe-mock's
// answer about it.
func (s *Proxy) patch(r *http.Request, body, answer []byte) []byte {
	var obj map[string]any
	if json.Unmarshal(answer, &obj) != nil || obj["object"] != "payment_intent" {
		return answer
	}
	id, _ := obj["id"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == "POST" && r.URL.Path == "/v1/payment_intents" {
		form, _ := url.ParseQuery(string(body))
		in := &intent{status: "requires_payment_method", currency: form.Get("currency"),
			amount: json.Number(form.Get("amount")), metadata: map[string]string{}}
		for k, v := range form {
			if name, ok := strings.CutPrefix(k, "metadata["); ok && len(v) > 0 {
				in.metadata[strings.TrimSuffix(name, "]")] = v[0]
			}
		}
		s.intents[id] = in
	}
	if strings.HasPrefix(r.URL.Path, "/v1/payment_intents/") {
		id = strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")
	}
	in := s.intents[id]
	if in == nil {
		return answer
	}
	obj["id"], obj["status"], obj["currency"], obj["amount"], obj["metadata"] = id, in.status, in.currency, in.amount, in.metadata
	if cs, ok := obj["client_secret"].(string); ok {
		if _, rest, found := strings.Cut(cs, "_secret_"); found {
			obj["client_secret"] = id + "_secret_" + rest // as Stripe's are: the PaymentIntent's own
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return answer
	}
	return out
}
