package printer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/keyring"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/ticket"
)

const org = "or_aaaaaaaaaaaaaaaaaaaa"

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// paidOrder makes an event with a paid order of two tickets and returns
// the printer, the event id and the order id.
func paidOrder(t *testing.T) (*Printer, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := office.NewManager(ledger.NewMemory(), clock.NewFake(t0), office.Local{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		office.Config{})
	started, done := make(chan struct{}), make(chan struct{})
	go func() { m.Run(ctx, started); close(done) }()
	<-started
	t.Cleanup(func() { cancel(); <-done })
	keys, err := keyring.New(bytes.Repeat([]byte{7}, keyring.MasterKeySize), &keyring.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	evID, ttID, holdID, orderID := id.New("ev", id.Short), id.New("tt", id.Short), id.New("ho", id.Long), id.New("od", id.Short)
	for _, c := range []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: org, EventID: evID, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Concert", TimeZone: "Europe/Berlin", StartsAt: t0.Add(24 * time.Hour), EndsAt: t0.Add(27 * time.Hour)}},
		&boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: ttID, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Price: boxoffice.Money{Amount: 2500, Currency: "EUR"}}},
		&boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Hall", Capacity: 10, TicketTypeIDs: []string{ttID}}},
		&boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale},
		&boxoffice.CreateHold{HoldID: holdID, Items: []boxoffice.Item{{TicketTypeID: ttID, Quantity: 2}}},
		&boxoffice.PlaceOrder{OrderID: orderID, HoldID: holdID, Token: id.Token("ot_"),
			Buyer: boxoffice.Buyer{Name: "Ada", Email: "ada@example.com"}},
	} {
		if _, err := m.Do(ctx, evID, c, nil); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	return &Printer{Offices: m, Keys: keys}, evID, orderID
}

func (p *Printer) find(t *testing.T, evID, orderID string) *Order {
	t.Helper()
	o, err := p.Find(context.Background(), evID, func(s *boxoffice.State) *boxoffice.Order { return s.Order(orderID) },
		fault.New(fault.NotFound, "no order"))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestPrinter: nothing prints before payment; then each ticket's secret
// verifies with the event's one key, made on first use and kept; a revoked
// ticket prints no more.
func TestPrinter(t *testing.T) {
	p, evID, orderID := paidOrder(t)
	ctx := context.Background()
	if _, err := p.PDF(ctx, p.find(t, evID, orderID)); !fault.Is(err, fault.Conflict) {
		t.Fatalf("PDF of an unpaid order: %v", err)
	}
	if _, err := p.Offices.Do(ctx, evID, &boxoffice.RecordPayment{OrderID: orderID, OrganizerID: org,
		Provider: boxoffice.ProviderManual}, nil); err != nil {
		t.Fatal(err)
	}
	o := p.find(t, evID, orderID)
	secret, err := p.Secret(ctx, o, o.Tickets[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.Secret(ctx, o, o.Tickets[1].ID)
	v, _ := p.Offices.View(ctx, evID)
	if len(v.Keys) != 1 || again != secret {
		t.Fatalf("keys %d; secrets %q, %q: want one key and the same secret", len(v.Keys), secret, again)
	}
	pub := ed25519.PublicKey(v.Keys[0].PublicKey)
	claims, err := ticket.Verify(secret, func(k ticket.KeyID) (ed25519.PublicKey, bool) { return pub, k == ticket.IDOf(pub) },
		t0.Add(25*time.Hour))
	if err != nil || claims.TicketID != o.Tickets[1].ID || !claims.ValidUntil.Equal(t0.Add(27*time.Hour+boxoffice.TicketGrace)) {
		t.Fatalf("claims %+v, %v", claims, err)
	}
	doc, err := p.PDF(ctx, o)
	if err != nil || !bytes.HasPrefix(doc, []byte("%PDF-")) {
		t.Fatalf("PDF: %v", err)
	}
	if _, err := p.Secret(ctx, o, "tk_aaaaaaaaaaaaaaaaaaaa"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("a ticket of another order: %v", err)
	}
	if _, err := p.Offices.Do(ctx, evID, &boxoffice.RefundOrder{OrganizerID: org, OrderID: orderID,
		TicketIDs: []string{o.Tickets[0].ID}, RefundID: id.New("rf", id.Short)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Secret(ctx, p.find(t, evID, orderID), o.Tickets[0].ID); !fault.Is(err, fault.Conflict) {
		t.Fatalf("a refunded ticket: %v", err)
	}
	if EventWhen(&o.Event) != "Wednesday 2 January 2030, 13:00 CET" {
		t.Fatalf("EventWhen = %q", EventWhen(&o.Event))
	}
}

// TestTicketThatCannotAdmit: a ticket whose event was moved to end before
// it was issued has no validity a secret can carry: its QR code and the
// PDF are a Conflict that says so, never an internal error.
func TestTicketThatCannotAdmit(t *testing.T) {
	p, evID, orderID := paidOrder(t)
	ctx := context.Background()
	if _, err := p.Offices.Do(ctx, evID, &boxoffice.RecordPayment{OrderID: orderID, OrganizerID: org,
		Provider: boxoffice.ProviderManual}, nil); err != nil {
		t.Fatal(err)
	}
	past := t0.Add(-48 * time.Hour)
	end := past.Add(time.Hour)
	if _, err := p.Offices.Do(ctx, evID, &boxoffice.UpdateEvent{OrganizerID: org,
		Patch: boxoffice.EventPatch{StartsAt: &past, EndsAt: &end}}, nil); err != nil {
		t.Fatal(err)
	}
	o := p.find(t, evID, orderID)
	if _, err := p.Secret(ctx, o, o.Tickets[0].ID); !fault.Is(err, fault.Conflict) || !strings.Contains(err.Error(), "cannot admit") {
		t.Errorf("Secret: %v (kind %v), want a Conflict", err, fault.KindOf(err))
	}
	if _, err := p.PDF(ctx, o); !fault.Is(err, fault.Conflict) {
		t.Errorf("PDF: %v (kind %v), want a Conflict", err, fault.KindOf(err))
	}
	// A copy of an event from before event times were checked, ending in 2200.
	o.Event.EndsAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := p.Secret(ctx, o, o.Tickets[0].ID); !fault.Is(err, fault.Conflict) {
		t.Errorf("Secret of a ticket valid until 2200: %v (kind %v), want a Conflict", err, fault.KindOf(err))
	}
}

// TestFirstKeyOnce: signings that race to make an event's first key end
// with one key, and every one of them signs with it.
func TestFirstKeyOnce(t *testing.T) {
	p, evID, _ := paidOrder(t)
	const n = 8
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			k, err := p.Signer(context.Background(), evID)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- boxoffice.KeyID(k.Public())
		})
	}
	wg.Wait()
	close(ids)
	v, err := p.Offices.View(context.Background(), evID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(v.Keys))
	}
	for id := range ids {
		if id != v.Keys[0].ID {
			t.Errorf("a signer got key %s, the event's is %s", id, v.Keys[0].ID)
		}
	}
}
