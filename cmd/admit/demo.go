package main

import (
	"context"
	"fmt"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/office"
)

// demoEventID is the id of the organizer's demo event: the same on every
// start, so --demo seeds it once per organizer and data directory.
func demoEventID(organizerID string) string {
	return id.Derived("ev", id.Short, "admit demo event", organizerID)
}

// seedDemo puts the demo event on sale for the organizer, unless it has it,
// and returns the event's id. The organizer is the one whose token serve
// printed, so that token can see the demo's orders and mark them paid.
func seedDemo(ctx context.Context, offices *office.Manager, orgID string, card bool) (string, error) {
	eventID := demoEventID(orgID)
	v, err := offices.View(ctx, eventID)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return "", err
	}
	if v != nil {
		return eventID, nil
	}
	y, m, d := time.Now().AddDate(0, 0, 30).Date()
	starts := time.Date(y, m, d, 18, 0, 0, 0, time.UTC) // 19:00 or 20:00 in Vienna
	providers := []string{boxoffice.ProviderManual}
	if card {
		providers = append([]string{boxoffice.ProviderStripe}, providers...)
	}
	standing, seated, guest := id.New("tt", id.Short), id.New("tt", id.Short), id.New("tt", id.Short)
	eur := func(cents int64) boxoffice.Money { return boxoffice.Money{Amount: cents, Currency: "EUR"} }
	cmds := []boxoffice.Command{
		&boxoffice.CreateEvent{OrganizerID: orgID, Actor: "system", EventID: eventID, Currency: "EUR", Details: boxoffice.EventDetails{
			Name: "Open Air Night (demo)", Venue: "Riverside Park, Vienna", TimeZone: "Europe/Vienna",
			StartsAt: starts, EndsAt: starts.Add(4 * time.Hour), HoldTTLSeconds: 600, MaxTicketsPerHold: 8,
			PaymentSettings: boxoffice.PaymentSettings{PaymentProviders: providers,
				ManualPaymentInstructions: "Transfer the total to IBAN AT61 1904 3002 3457 3201, quoting your order number."}}},
		&boxoffice.CreateTicketType{OrganizerID: orgID, Actor: "system", TicketTypeID: standing, Details: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "Anywhere on the lawn.", Price: eur(3500), MaxPerHold: 8}},
		&boxoffice.CreateTicketType{OrganizerID: orgID, Actor: "system", TicketTypeID: seated, Details: boxoffice.TicketTypeDetails{
			Name: "Seated", Description: "A numbered seat on the terrace; one name per ticket.", Price: eur(5900),
			MaxPerHold: 4, AttendeeNames: true}},
		&boxoffice.CreateTicketType{OrganizerID: orgID, Actor: "system", TicketTypeID: guest, Details: boxoffice.TicketTypeDetails{
			Name: "Guest list", Description: "Free, for friends of the band.", Price: eur(0), MaxPerHold: 2}},
		&boxoffice.CreateQuota{OrganizerID: orgID, Actor: "system", QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Park", Capacity: 500, TicketTypeIDs: []string{standing, seated, guest}}},
		&boxoffice.CreateQuota{OrganizerID: orgID, Actor: "system", QuotaID: id.New("qu", id.Short), Details: boxoffice.QuotaDetails{
			Name: "Terrace", Capacity: 40, TicketTypeIDs: []string{seated}}},
		&boxoffice.ChangeStatus{OrganizerID: orgID, Actor: "system", Status: boxoffice.OnSale},
	}
	for _, c := range cmds {
		if _, err := offices.Do(ctx, eventID, c, nil); err != nil {
			return "", fmt.Errorf("demo event: %T: %w", c, err)
		}
	}
	return eventID, nil
}
