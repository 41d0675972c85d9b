package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/mail/mailpittest"
	"github.com/admit-org/admit/internal/worker"
)

// TestPoisonEntryDoesNotHoldBackOthers: organizer A's confirmation cannot
// be sent, because A moved the event into the past after its tickets were
// issued, so they cannot be printed. The e-mail worker, on a real
// JetStream, parks that entry (at once: retrying cannot help) and goes on:
// organizer B's e-mail, placed after it, arrives within a few seconds. Once A has
// corrected the event, an operator's retry sends A's e-mail, with its
// tickets, and unparks it.
func TestPoisonEntryDoesNotHoldBackOthers(t *testing.T) {
	ctx := context.Background()
	led, err := ledger.Open(ctx, ledger.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	e := newEnvOn(t, led)
	parking, err := worker.OpenKVParking(ctx, led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := worker.OpenKV(ctx, led.Conn(), 1)
	if err != nil {
		t.Fatal(err)
	}
	e.tune = func(r *worker.Runner) {
		r.Parking, r.MinBackoff, r.MaxBackoff, r.ParkAttempts, r.ParkAfter = parking, 50*time.Millisecond, time.Second, 3, 2*time.Second
	}

	const orgB = "or_bbbbbbbbbbbbbbbbbbbb"
	free := boxoffice.Money{Currency: "EUR"}
	evA, ttA := e.event("Gig of A", free, 10, boxoffice.PaymentSettings{})
	a, _ := e.order(evA, ttA, 1, "", ada) // free: paid, its ticket issued now
	past := t0.Add(-48 * time.Hour)
	e.do(evA, &boxoffice.UpdateEvent{OrganizerID: org, Patch: boxoffice.EventPatch{StartsAt: &past, EndsAt: ptrTo(past.Add(time.Hour))}})
	e.runner(ctx, e.smtp, pos, &MemoryMarks{})

	evB, ttB := e.eventOf(orgB, "Gig of B", free, 10, boxoffice.PaymentSettings{})
	placed := time.Now()
	b, _ := e.order(evB, ttB, 1, "", bob)
	e.mail(1, "Your tickets for Gig of B (order "+b+")")
	delay := time.Since(placed)
	t.Logf("B's e-mail arrived %s after its order, behind A's poison entry", delay.Round(time.Millisecond))
	if delay > 5*time.Second {
		t.Errorf("B's e-mail took %s, want at most a few seconds", delay)
	}

	list, err := parking.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].EventID != evA || list[0].Type != "admit.order.paid.v1" || list[0].Attempts != 1 ||
		!strings.Contains(list[0].Error, "cannot admit anyone") {
		t.Fatalf("parked: %+v, want A's confirmation", list)
	}
	if !strings.Contains(e.logs.String(), "parked an entry") {
		t.Error("the parking is not logged")
	}

	// A corrects the event; the operator retries; the e-mail goes out.
	future := t0.Add(30 * 24 * time.Hour)
	e.do(evA, &boxoffice.UpdateEvent{OrganizerID: org, Patch: boxoffice.EventPatch{StartsAt: &future, EndsAt: ptrTo(future.Add(time.Hour))}})
	if _, err := parking.Retry(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	d := e.mail(2, "Your tickets for Gig of A (order "+a+")")
	checkPDF(t, e.mp, d, a)
	deadline := time.Now().Add(mailWait)
	for {
		list, err := parking.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still parked after the retry sent it: %+v", list)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.caughtUp(pos)
	if got := e.mails(2); !slices.ContainsFunc(got, func(m mailpittest.Summary) bool { return m.To[0].Address == bob.Email }) {
		t.Errorf("B's e-mail is gone: %s", subjects(got))
	}
}

func ptrTo[T any](v T) *T { return &v }
