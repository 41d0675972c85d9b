package boxoffice

import (
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// TicketGrace is how long after its event ends a ticket still admits. A
// ticket is valid from the second it is issued until then.
const TicketGrace = 6 * time.Hour

// The times an event may start and end at: a ticket's secret carries its
// validity as two unsigned 32-bit Unix times (1970 to early 2106), and the
// last one is TicketGrace after the event ends. docs/tickets.md.
var (
	EarliestEventTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestEventTime   = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxTicketTime is the last second a ticket secret can carry.
const maxTicketTime = 1<<32 - 1

// TicketsValidUntil is when the event's tickets stop admitting.
func (ev *Event) TicketsValidUntil() time.Time { return ev.EndsAt.Add(TicketGrace) }

// eventTime checks that t can be an event's start or end.
func (f *fieldErrs) eventTime(field string, t time.Time) {
	if t.Before(EarliestEventTime) || t.After(LatestEventTime) {
		f.add(field, "must be between "+EarliestEventTime.Format(time.RFC3339)+" and "+
			LatestEventTime.Format(time.RFC3339)+": tickets cannot carry other times")
	}
}

// issuable says why a ticket issued at now could never admit, if it
// could not: it would be valid from now until the event's
// TicketsValidUntil, and that range must not be empty (the event ended
// long ago, or was moved into the past) and must fit a ticket secret (an
// event written before its times were checked). Errors: Conflict.
func (s *State) issuable(now time.Time) error {
	until := s.Event.TicketsValidUntil()
	switch {
	case until.Unix() > maxTicketTime || now.Unix() < 0:
		return fault.New(fault.Conflict, "the event ends at %s, later than a ticket can be valid: correct its ends_at first",
			s.Event.EndsAt.UTC().Format(time.RFC3339))
	case !now.Truncate(time.Second).Before(until.Truncate(time.Second)):
		return fault.New(fault.Conflict, "the event ended at %s: a ticket issued now could never admit",
			s.Event.EndsAt.UTC().Format(time.RFC3339))
	}
	return nil
}
