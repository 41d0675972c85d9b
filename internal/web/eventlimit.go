package web

import (
	"context"
	"sync"

	"github.com/admit-org/admit/internal/fault"
)

// eventCounts counts each organizer's events on this node, so that
// creating one need not wait for the read model: the first creation since
// the start counts the organizer's events in the read model, and each
// creation then adds to that count. Safe for concurrent use.
//
// In a cluster each node counts what it saw itself plus the read model at
// its first count, so creations spread over several nodes at once can pass
// the limit by the ones the others made meanwhile; it bounds what one
// organizer can take, it is not an exact quota.
type eventCounts struct {
	mu sync.Mutex
	n  map[string]int // organizer id → events, counting the creations in progress
}

// reserveEvent counts an event the organizer is about to create, or
// refuses it with event-limit-reached (Conflict) when the organizer has
// MaxEventsPerOrganizer already. A retry (an Idempotency-Key) of a creation
// that took effect is let through, to be replayed. The caller calls created
// with whether the event was created, once the box office answered.
func (s *Server) reserveEvent(ctx context.Context, organizerID, eventID string, retry bool) (created func(bool), err error) {
	if s.maxEvents <= 0 {
		return func(bool) {}, nil
	}
	c := &s.eventCounts
	c.mu.Lock()
	_, known := c.n[organizerID]
	c.mu.Unlock()
	if !known {
		if err := s.waitForOwnWrites(ctx); err != nil {
			return nil, err
		}
		counted, err := s.read.CountEvents(ctx, organizerID)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.n == nil {
			c.n = make(map[string]int)
		}
		if _, known = c.n[organizerID]; !known { // else another request counted first
			c.n[organizerID] = counted
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	n := c.n[organizerID]
	if n < s.maxEvents {
		c.n[organizerID] = n + 1
		c.mu.Unlock()
		return func(ok bool) {
			if !ok {
				c.mu.Lock()
				c.n[organizerID]--
				c.mu.Unlock()
			}
		}, nil
	}
	c.mu.Unlock()
	if retry {
		if v, err := s.offices.View(ctx, eventID); err == nil && v != nil && v.Event.OrganizerID == organizerID {
			return func(bool) {}, nil // the box office replays the creation
		}
	}
	return nil, fault.Coded(fault.Conflict, "event-limit-reached",
		"this organizer has %d events, the most this server allows; its operator can raise --max-events-per-organizer", n)
}
