package shop

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/flags"
	"github.com/admit-org/admit/internal/id"
)

// TestHoldsPaused: while the event's holds are paused, its page says so
// and offers nothing, and a posted hold is refused with the same words;
// the checkout of a hold made before goes on, and unpausing sells again.
func TestHoldsPaused(t *testing.T) {
	var paused atomic.Bool
	s := newFormStackWith(t, 10, func(c *Config) {
		c.PauseHolds = func(context.Context, string) error { // the stack has one event
			if paused.Load() {
				return flags.HoldsPausedError()
			}
			return nil
		}
	})
	checkout := s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
	paused.Store(true)
	page := s.get("/events/"+s.ev).want(t, 200, pausedText)
	if strings.Contains(page.body, `type="submit"`) {
		t.Error("a paused event's page offers to continue")
	}
	s.post("/events/"+s.ev+"/hold", url.Values{"qty." + s.standing: {"1"}}).want(t, http.StatusConflict, pausedText)
	r := s.post(checkout, url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "provider": {"manual"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("the order of a hold made before the pause: %d\n%s", r.status, r.body)
	}
	paused.Store(false)
	s.holdTickets(url.Values{"qty." + s.standing: {"1"}})
}

// TestLowStockCount: with the flag on for the event, a nearly sold-out
// ticket type says how many are left; off, "Few left".
func TestLowStockCount(t *testing.T) {
	var on atomic.Bool
	s := newFormStackWith(t, 10, func(c *Config) {
		c.LowStockCount = func(context.Context, string) bool { return on.Load() }
	})
	if _, err := s.m.Do(context.Background(), s.ev, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long),
		Items: []boxoffice.Item{{TicketTypeID: s.standing, Quantity: 6}, {TicketTypeID: s.seat, Quantity: 3}}}, nil); err != nil {
		t.Fatal(err)
	}
	page := s.get("/events/"+s.ev).want(t, 200, "Few left")
	if strings.Contains(page.body, "Only 1 left") {
		t.Error("the count is shown with the flag off")
	}
	on.Store(true)
	page = s.get("/events/"+s.ev).want(t, 200, "Only 1 left")
	if strings.Contains(page.body, "Few left") {
		t.Error(`"Few left" is still shown with the flag on`)
	}
}
