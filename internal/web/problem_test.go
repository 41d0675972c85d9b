package web

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

func TestProblemOf(t *testing.T) {
	secret := errors.New("disk on fire at /var/secret")
	for _, tc := range []struct {
		err    error
		status int
		code   string
		detail string
	}{
		{fault.New(fault.SoldOut, "not enough"), 409, "sold-out", "not enough"},
		{fault.New(fault.NotFound, "event not found"), 404, "not-found", "event not found"},
		{fault.New(fault.HoldExpired, "gone"), 409, "hold-expired", "gone"},
		{fault.Fields(fault.FieldError{Field: "/name", Message: "must not be empty"}), 422, "validation", "must not be empty"},
		{fault.Coded(fault.Invalid, "malformed-request", "bad JSON"), 400, "malformed-request", "bad JSON"},
		{fault.Coded(fault.Invalid, "idempotency-key-reused", "reused"), 422, "idempotency-key-reused", "reused"},
		{fault.New(fault.Unavailable, "busy"), 503, "unavailable", "busy"},
		{fault.New(fault.Unauthorized, "who"), 401, "unauthorized", "who"},
		{fmt.Errorf("wrapped: %w", fault.New(fault.Conflict, "no")), 409, "conflict", "no"},
		// Internal causes never reach the client.
		{secret, 500, "internal", "internal error"},
		{fault.Wrap(fault.Internal, secret, "boom"), 500, "internal", "internal error"},
		{fault.Coded(fault.Invalid, "no-such-code", "x"), 500, "internal", "internal error"},
		{context.DeadlineExceeded, 503, "unavailable", "the request took too long; try again"},
	} {
		p := problemOf(tc.err)
		if p.Status != tc.status || p.Code != tc.code || p.Detail != tc.detail || p.Type != ProblemBase+tc.code {
			t.Errorf("problemOf(%v) = %d %s %q %s, want %d %s %q", tc.err, p.Status, p.Code, p.Detail, p.Type,
				tc.status, tc.code, tc.detail)
		}
		if problemTypes[p.Code].title != p.Title {
			t.Errorf("problemOf(%v): title %q is not the catalogue's", tc.err, p.Title)
		}
	}
	if p := problemOf(fault.New(fault.RateLimited, "slow down")); p.RetryAfter != 1 {
		t.Errorf("rate-limited must say when to retry: %+v", p)
	}
}

func TestEveryKindHasACataloguedCode(t *testing.T) {
	for k, code := range kindCodes {
		if _, ok := problemTypes[code]; !ok {
			t.Errorf("kind %v maps to %q, which is not in the catalogue", fault.Kind(k), code)
		}
	}
}

func TestInFlightRefusesConcurrentDuplicates(t *testing.T) {
	var f inFlight
	a := &boxoffice.IdemStamp{Scope: "public", Key: "k"}
	end, err := f.begin("ev_1", a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.begin("ev_1", &boxoffice.IdemStamp{Scope: "public", Key: "k"}); fault.As(err) == nil || fault.As(err).Code != "idempotency-in-flight" {
		t.Fatalf("a duplicate in flight: %v, want idempotency-in-flight", err)
	}
	endOther, err := f.begin("ev_1", &boxoffice.IdemStamp{Scope: "or_x", Key: "k"})
	if err != nil {
		t.Fatalf("the same key in another scope must not collide: %v", err)
	}
	endOther()
	endOtherEvent, err := f.begin("ev_2", &boxoffice.IdemStamp{Scope: "public", Key: "k"})
	if err != nil {
		t.Fatalf("the same key on another event must not collide (the box office records it per event): %v", err)
	}
	endOtherEvent()
	end()
	end2, err := f.begin("ev_1", a)
	if err != nil {
		t.Fatalf("after the first finished, the key is free again: %v", err)
	}
	end2()
	if end, err := f.begin("ev_1", nil); err != nil || end == nil {
		t.Fatal("no key: nothing to track")
	}
}
