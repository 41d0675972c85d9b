package stripe

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	stripego "github.com/stripe/stripe-go/v86"

	"github.com/admit-org/admit/internal/fault"
)

// Config configures a Client.
type Config struct {
	// SecretKey is the API key, "sk_test_…" or "sk_live_…" (a restricted
	// "rk_…" key works too if it may use PaymentIntents and Refunds). Required.
	SecretKey string
	// WebhookSecret is the endpoint's signing secret, "whsec_…". Only
	// ParseWebhook needs it.
	WebhookSecret string
	// APIBase is the API's base URL; "" means Stripe's. Tests point it at a
	// stripe-mock ("http://127.0.0.1:PORT").
	APIBase string
	// HTTPClient makes the requests; nil means one with a 10 s timeout.
	// New uses a copy whose Transport it wraps; this one is not changed.
	HTTPClient *http.Client
	// Breaker tunes the circuit breaker; the zero value is the default.
	Breaker BreakerSettings
}

// BreakerSettings tunes the circuit breaker around the calls to Stripe.
type BreakerSettings struct {
	// Failures is how many failures in a row open the breaker; 0 means 5.
	Failures uint32
	// OpenFor is how long the breaker stays open before it lets one probe
	// call through (half-open); 0 means 30 s. The probe's success closes
	// the breaker, its failure opens it again for OpenFor.
	OpenFor time.Duration
}

// The problem code and message of every error that says Stripe cannot be
// reached, whether the breaker is open or a call just failed.
const (
	codeUnavailable = "payment-provider-unavailable"
	msgUnavailable  = "the payment provider is unreachable; try again shortly"
)

// Client is admit's Stripe client. It is safe for concurrent use: it holds
// no state of its own but the circuit breaker, which has its own lock.
type Client struct {
	api           *stripego.Client
	webhookSecret string
	breaker       *gobreaker.CircuitBreaker[struct{}]
}

// keyPattern is what a Stripe secret or restricted key looks like.
var keyPattern = regexp.MustCompile(`^(sk|rk)_(test|live)_[0-9A-Za-z]+$`)

// New returns a Client for c. It fails with an Invalid error when the key is
// missing or ill-formed, the webhook secret is ill-formed, or APIBase is not
// an http(s) URL. It makes no request.
func New(c Config) (*Client, error) {
	switch {
	case c.SecretKey == "":
		return nil, fault.New(fault.Invalid, "stripe: no secret key")
	case !keyPattern.MatchString(c.SecretKey):
		// Never echo the key: it may be a real one with a typo.
		return nil, fault.New(fault.Invalid, "stripe: the secret key is not an sk_test_, sk_live_, rk_test_ or rk_live_ key")
	case c.WebhookSecret != "" && !strings.HasPrefix(c.WebhookSecret, "whsec_"):
		return nil, fault.New(fault.Invalid, "stripe: the webhook secret does not begin with whsec_")
	}
	base := stripego.APIURL
	if c.APIBase != "" {
		u, err := url.Parse(c.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fault.New(fault.Invalid, "stripe: the API base %q is not an http(s) URL", c.APIBase)
		}
		base = c.APIBase
	}

	hc := &http.Client{Timeout: 10 * time.Second}
	if c.HTTPClient != nil {
		copied := *c.HTTPClient
		hc = &copied
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = statusRecorder{next: next}

	backend := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{
		HTTPClient:        hc,
		URL:               stripego.String(base),
		MaxNetworkRetries: stripego.Int64(0),
		// The global default is true, whatever BackendConfig's comment says.
		EnableTelemetry: stripego.Bool(false),
		// Errors come back to the caller, who logs what is worth logging;
		// stripe-go's default logger would print every declined card.
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	})
	// admit makes API calls only: no Connect OAuth, uploads or meter events.
	backends := &stripego.Backends{API: backend}

	failures := c.Breaker.Failures
	if failures == 0 {
		failures = 5
	}
	openFor := c.Breaker.OpenFor
	if openFor == 0 {
		openFor = 30 * time.Second
	}
	breaker := gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "stripe",
		MaxRequests: 1, // one probe when half-open
		Timeout:     openFor,
		// gobreaker's default trips after more than 5 failures; say what we mean.
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		// A call fails the breaker exactly when admit answers Unavailable:
		// providerError maps network errors, timeouts, 5xx and 429 to it and
		// nothing else.
		IsSuccessful: func(err error) bool { return !fault.Is(err, fault.Unavailable) },
		// A caller that gave up says nothing about Stripe.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})

	return &Client{
		api:           stripego.NewClient(c.SecretKey, stripego.WithBackends(backends)),
		webhookSecret: c.WebhookSecret,
		breaker:       breaker,
	}, nil
}

// BreakerOpen reports whether the circuit breaker is open, that is whether
// calls to Stripe currently fail at once. The API uses it to refuse new
// orders early. It reports false while half-open, when a probe may pass.
func (c *Client) BreakerOpen() bool {
	return c.breaker.State() == gobreaker.StateOpen
}

// call runs fn, one request to Stripe, through the circuit breaker and
// returns its error mapped to a fault (see providerError). op names the
// operation in the error's cause. When the breaker refuses the call, fn
// does not run and call returns the Unavailable "payment-provider-unavailable"
// error.
func (c *Client) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	var status responseStatus
	ctx = context.WithValue(ctx, statusKey{}, &status)
	_, err := c.breaker.Execute(func() (struct{}, error) {
		err := fn(ctx)
		if err == nil {
			return struct{}{}, nil
		}
		return struct{}{}, providerError(ctx, op, err, status.code)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fault.Coded(fault.Unavailable, codeUnavailable, msgUnavailable)
	}
	return err
}

// responseStatus holds the HTTP status of a call's response, 0 if none came.
type responseStatus struct{ code int }

type statusKey struct{}

// statusRecorder notes each response's status in the request context's
// responseStatus, so that an error stripe-go cannot decode (an HTML 502 from
// a proxy) is still classified by its status. RoundTrip runs on the calling
// goroutine, so the note is visible when the call returns.
type statusRecorder struct{ next http.RoundTripper }

func (r statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.next.RoundTrip(req)
	if s, ok := req.Context().Value(statusKey{}).(*responseStatus); ok && res != nil {
		s.code = res.StatusCode
	}
	return res, err
}
