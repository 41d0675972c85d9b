// Package fault is admit's one error type: a closed set of kinds that every
// layer agrees on. The domain returns them, adapters wrap their causes in
// them, and the HTTP layer maps each kind to a status and an RFC 9457
// problem type in exactly one place.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds. Internal is the zero value's meaning for unclassified errors.
const (
	Internal     Kind = iota // a bug or an outside failure; the user sees "internal error"
	Invalid                  // the input breaks a rule; Fields says which
	NotFound                 // the thing does not exist (or is not the caller's to see)
	Conflict                 // the request contradicts the current state
	SoldOut                  // not enough capacity left; Available says what is left
	HoldExpired              // the hold ran out of time
	Unauthorized             // no or bad credentials
	Forbidden                // credentials fine, but not allowed
	RateLimited              // too many requests
	Unavailable              // overloaded or a dependency is down; retry later
)

var kindNames = [...]string{"internal", "invalid", "not found", "conflict", "sold out",
	"hold expired", "unauthorized", "forbidden", "rate limited", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind is the Kind whose String is s; false when none is.
func ParseKind(s string) (Kind, bool) {
	for k, name := range kindNames {
		if name == s {
			return Kind(k), true
		}
	}
	return Internal, false
}

// FieldError names one invalid input field by JSON pointer ("/items/0/quantity").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Left is how many tickets of a ticket type are still available, carried by
// SoldOut errors so a client can offer what remains.
type Left struct {
	TicketTypeID string `json:"ticket_type_id"`
	Available    int64  `json:"available"`
}

// Error is admit's error. Message is safe to show to users for every kind but
// Internal, whose cause is logged and never shown.
type Error struct {
	Kind      Kind
	Code      string // optional: a more specific stable problem code than the kind's own
	Message   string
	Fields    []FieldError // Invalid only
	Available []Left       // SoldOut only
	Cause     error
}

func (e *Error) Error() string {
	switch {
	case e.Cause != nil && e.Message != "":
		return e.Message + ": " + e.Cause.Error()
	case e.Cause != nil:
		return e.Cause.Error()
	case e.Message != "":
		return e.Message
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of kind k with a user-facing message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k that wraps cause. cause must not be nil.
func Wrap(k Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// Coded returns an error of kind k with a specific stable problem code.
func Coded(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields returns an Invalid error listing the invalid fields.
func Fields(fields ...FieldError) *Error {
	msg := "the request is invalid"
	if len(fields) == 1 {
		msg = fields[0].Message
	}
	return &Error{Kind: Invalid, Message: msg, Fields: fields}
}

// KindOf returns the kind of the first *Error in err's chain, Internal if
// there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an admit error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
