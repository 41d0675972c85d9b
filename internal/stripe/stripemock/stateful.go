package stripemock

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/admit-org/admit/internal/stripe/sandbox"
)

// Stateful is the sandbox proxy in front of a stripe-mock, served for a
// test: point the client's APIBase at URL.
type Stateful struct {
	*sandbox.Proxy
	URL string
	t   testing.TB
}

// NewStateful serves a sandbox proxy to the stripe-mock at apiBase until
// the test ends.
func NewStateful(t testing.TB, apiBase string) *Stateful {
	p := sandbox.New(apiBase)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &Stateful{Proxy: p, URL: srv.URL, t: t}
}

// Succeed marks the PaymentIntent as paid, failing the test if it cannot.
func (s *Stateful) Succeed(id string) {
	s.t.Helper()
	if err := s.Proxy.Succeed(context.Background(), id); err != nil {
		s.t.Error(err)
	}
}
