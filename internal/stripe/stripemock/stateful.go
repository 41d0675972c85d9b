package stripemock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Stateful is a proxy in front of stripe-mock that adds the state
// stripe-mock leaves out by design, so tests can play a payment through:
// it answers a repeated Idempotency-Key with the first answer (as Stripe
// does, for 24 hours), remembers each PaymentIntent's amount, currency and
// metadata, and lets the test say when one succeeded. Everything else is
// stripe-mock's: validation of every request, and the shape of every
// answer.
type Stateful struct {
	URL string // point the client's APIBase here

	t       testing.TB
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

// NewStateful starts the proxy in front of the stripe-mock at apiBase.
func NewStateful(t testing.TB, apiBase string) *Stateful {
	s := &Stateful{t: t, backend: strings.TrimRight(apiBase, "/"), byKey: map[string][]byte{}, intents: map[string]*intent{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Succeed marks the PaymentIntent as paid, as the buyer's card would.
func (s *Stateful) Succeed(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.intents[id]; in != nil {
		in.status = "succeeded"
	} else {
		s.t.Errorf("stripemock: no PaymentIntent %s to succeed", id)
	}
}

// Intents is how many distinct PaymentIntents were created.
func (s *Stateful) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.intents)
}

// Creates is how many create requests came, repeats included; Refunds
// likewise for refunds.
func (s *Stateful) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Refunds is how many refund requests came, repeats included.
func (s *Stateful) Refunds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refunds
}

func (s *Stateful) serve(w http.ResponseWriter, r *http.Request) {
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

func (s *Stateful) forward(r *http.Request, body []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, s.backend+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		s.t.Errorf("stripemock: %v", err)
		return http.StatusInternalServerError, nil
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
func (s *Stateful) patch(r *http.Request, body, answer []byte) []byte {
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
