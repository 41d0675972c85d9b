package stripe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	stripego "github.com/stripe/stripe-go/v86"

	"github.com/admit-org/admit/internal/fault"
)

// providerError maps the error of one call to Stripe to admit's kinds:
//
//   - no answer (network error, timeout, the caller's context done), 5xx or
//     429: Unavailable, coded "payment-provider-unavailable" — the only
//     kind that counts against the circuit breaker;
//   - a card error (402): Conflict coded "payment-declined", with Stripe's
//     message, which is meant for the buyer;
//   - an idempotency key reused with other parameters: Conflict coded
//     "payment-idempotency-conflict"; a charge already refunded: Conflict;
//   - 404: NotFound; 409: Conflict; any other 4xx: Invalid — with Stripe's
//     message;
//   - 401 or 403 (our key is wrong or lacks a permission) and answers that
//     cannot be decoded: Internal.
//
// Every error wraps its cause. status is the response's HTTP status, 0 if
// none came.
func providerError(ctx context.Context, op string, err error, status int) error {
	var se *stripego.Error
	if errors.As(err, &se) {
		return apiFault(&apiError{op: op, err: se})
	}
	cause := fmt.Errorf("stripe: %s: %w", op, err)
	if done := ctx.Err(); done != nil && !errors.Is(err, done) {
		// Keep the context's error in the chain: the breaker ignores
		// calls whose caller gave up.
		cause = fmt.Errorf("stripe: %s: %w: %w", op, done, err)
	}
	var netErr net.Error
	switch {
	case ctx.Err() != nil, status == 0, status >= 500, status == http.StatusTooManyRequests,
		errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF):
		// No answer, or an answer cut short, or one that says Stripe is in
		// trouble even if its body is not Stripe's JSON.
		return unavailable(cause)
	}
	// An answer that stripe-go could not decode: a body that is not Stripe's.
	return fault.Wrap(fault.Internal, cause, "stripe: undecodable answer with status %d", status)
}

// apiFault maps an error answer of Stripe's API.
func apiFault(e *apiError) error {
	se := e.err
	msg := se.Msg
	switch {
	case se.HTTPStatusCode >= 500 || se.HTTPStatusCode == http.StatusTooManyRequests:
		return unavailable(e)
	case se.HTTPStatusCode == http.StatusPaymentRequired || se.Type == stripego.ErrorTypeCard:
		if msg == "" {
			msg = "the payment was declined"
		}
		return coded(fault.Conflict, "payment-declined", e, msg)
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		// Our configuration is wrong; nothing the caller can do.
		return fault.Wrap(fault.Internal, e, "stripe: the API key was refused")
	case se.Type == stripego.ErrorTypeIdempotency:
		return coded(fault.Conflict, "payment-idempotency-conflict", e,
			"this payment was already started with different details")
	case se.Code == stripego.ErrorCodeChargeAlreadyRefunded:
		return fault.Wrap(fault.Conflict, e, "%s", orDefault(msg, "the payment was already refunded"))
	case se.HTTPStatusCode == http.StatusNotFound:
		return fault.Wrap(fault.NotFound, e, "%s", orDefault(msg, "no such payment"))
	case se.HTTPStatusCode == http.StatusConflict:
		return fault.Wrap(fault.Conflict, e, "%s", orDefault(msg, "the payment provider reports a conflict"))
	}
	return fault.Wrap(fault.Invalid, e, "%s", orDefault(msg, "the payment provider refused the request"))
}

func unavailable(cause error) error {
	return coded(fault.Unavailable, codeUnavailable, cause, msgUnavailable)
}

// coded is fault.Coded with a cause.
func coded(k fault.Kind, code string, cause error, msg string) *fault.Error {
	return &fault.Error{Kind: k, Code: code, Message: msg, Cause: cause}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// apiError is an error answer of Stripe's API as admit logs it: the fields
// that help find it in Stripe's dashboard and none that leak. (stripe.Error's
// own Error marshals the whole answer, which for a declined PaymentIntent
// includes its client secret.)
type apiError struct {
	op  string
	err *stripego.Error
}

func (e *apiError) Error() string {
	se := e.err
	s := fmt.Sprintf("stripe: %s: %d %s", e.op, se.HTTPStatusCode, se.Type)
	if se.Code != "" {
		s += "/" + string(se.Code)
	}
	if se.DeclineCode != "" {
		s += "/" + string(se.DeclineCode)
	}
	if se.Param != "" {
		s += " (param " + se.Param + ")"
	}
	if se.RequestID != "" {
		s += " [" + se.RequestID + "]"
	}
	if se.Msg != "" {
		s += ": " + se.Msg
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }
