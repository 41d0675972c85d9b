package boxoffice

import (
	"fmt"
	"slices"
	"time"
)

// Apply folds entry e, decided at time at, into s. It returns an error only
// for an entry that cannot follow the state (a corrupt or foreign ledger);
// s is then unchanged.
func Apply(s *State, e Entry, at time.Time) error {
	switch e := e.(type) {
	case *HoldCreated:
		return s.applyHoldCreated(e, at)
	case *HoldReleased:
		return s.endHold(e.HoldID, stReleased, at)
	case *HoldExpired:
		return s.endHold(e.HoldID, stExpired, at)
	case *HoldExtended:
		i, ok := s.activeHold(e.HoldID)
		if !ok {
			return fmt.Errorf("boxoffice: apply %s: hold %s is not active", e.Type(), e.HoldID)
		}
		s.setTimes(i, nil, &e.ExpiresAt, nil)
		s.holds[i].extended++
	case *EventCreated:
		if s.Event != nil {
			return fmt.Errorf("boxoffice: apply %s: event %s exists", e.Type(), e.EventID)
		}
		s.Event = &Event{ID: e.EventID, OrganizerID: e.OrganizerID, Currency: e.Currency, Status: Draft,
			CreatedAt: at}
		s.Event.setDetails(&e.EventDetails, at)
		s.addDefaultList(at)
		s.remember(e.Idem, e.EventID, at)
	case *EventUpdated:
		if s.Event == nil {
			return fmt.Errorf("boxoffice: apply %s: no event", e.Type())
		}
		s.Event.setDetails(&e.EventDetails, at)
	case *EventStatusChanged:
		if s.Event == nil {
			return fmt.Errorf("boxoffice: apply %s: no event", e.Type())
		}
		s.Event.Status = e.Status
		s.Event.UpdatedAt = at
		s.remember(e.Idem, e.EventID, at)
	case *TicketTypeCreated:
		if s.Event == nil || s.ticketTypes[e.TicketTypeID] != nil {
			return fmt.Errorf("boxoffice: apply %s: cannot create %s", e.Type(), e.TicketTypeID)
		}
		tt := &TicketType{ID: e.TicketTypeID, CreatedAt: at, index: len(s.TicketTypes)}
		tt.setDetails(&e.TicketTypeDetails, at)
		s.TicketTypes = append(s.TicketTypes, tt)
		s.ticketTypes[tt.ID] = tt
		s.remember(e.Idem, tt.ID, at)
	case *TicketTypeUpdated:
		tt := s.ticketTypes[e.TicketTypeID]
		if tt == nil {
			return fmt.Errorf("boxoffice: apply %s: no ticket type %s", e.Type(), e.TicketTypeID)
		}
		tt.setDetails(&e.TicketTypeDetails, at)
	case *QuotaCreated:
		if s.Event == nil || s.quotas[e.QuotaID] != nil {
			return fmt.Errorf("boxoffice: apply %s: cannot create %s", e.Type(), e.QuotaID)
		}
		if err := s.knownTicketTypes(e.Type(), e.TicketTypeIDs); err != nil {
			return err
		}
		q := &Quota{ID: e.QuotaID, CreatedAt: at}
		s.Quotas = append(s.Quotas, q)
		s.quotas[q.ID] = q
		s.setQuota(q, &e.QuotaDetails, at)
		s.remember(e.Idem, q.ID, at)
	case *QuotaUpdated:
		q := s.quotas[e.QuotaID]
		if q == nil {
			return fmt.Errorf("boxoffice: apply %s: no quota %s", e.Type(), e.QuotaID)
		}
		if err := s.knownTicketTypes(e.Type(), e.TicketTypeIDs); err != nil {
			return err
		}
		s.setQuota(q, &e.QuotaDetails, at)
	case *CheckinListCreated, *CheckinListUpdated, *DoorDeviceAdded, *DoorDeviceRevoked, *TicketScanned, *ScanAnnulled:
		return s.applyCheckinEntry(e, at)
	default:
		return s.applyOrderEntry(e, at)
	}
	return nil
}

func (s *State) applyHoldCreated(e *HoldCreated, at time.Time) error {
	if _, dup := s.holdIndex.find(s.holds, e.HoldID); dup {
		return fmt.Errorf("boxoffice: apply %s: hold %s exists", e.Type(), e.HoldID)
	}
	var ttStack [MaxHoldItems]*TicketType
	tts := ttStack[:0] // of each item
	quantity := 0
	for _, it := range e.Items {
		tt := s.ticketTypes[it.TicketTypeID]
		if tt == nil {
			return fmt.Errorf("boxoffice: apply %s: no ticket type %s", e.Type(), it.TicketTypeID)
		}
		tts = append(tts, tt)
		quantity += it.Quantity
	}
	// The record keeps its own copy of the items: the entry's may be reused.
	i := s.addHold(&Hold{ID: e.HoldID, Items: e.Items, Quantity: quantity, Status: Active, CreatedAt: at,
		ExpiresAt: e.ExpiresAt, Client: e.Client}, tts)
	for i, it := range e.Items {
		for _, q := range tts[i].quotas {
			q.Held += it.Quantity
		}
	}
	s.activeHolds++
	count(s.counts.holds, s.clientOf(i), 1) // the state's copy of the key, which the hold keeps anyway
	s.remember(e.Idem, e.HoldID, at)
	return nil
}

// activeHold returns the place of the hold with the id if it is active.
func (s *State) activeHold(id string) (uint32, bool) {
	i, ok := s.holdIndex.find(s.holds, id)
	return i, ok && s.holds[i].status == stActive
}

func (s *State) endHold(id string, status holdStatus, at time.Time) error {
	i, ok := s.activeHold(id)
	if !ok {
		return fmt.Errorf("boxoffice: end hold %s: not active", id)
	}
	s.holds[i].status = status
	s.setTimes(i, nil, nil, &at)
	s.eachItem(i, func(tt *TicketType, n int) {
		for _, q := range tt.quotas {
			q.Held -= n
		}
	})
	s.activeHolds--
	if s.orderOf(i) == "" {
		count(s.counts.holds, s.clientOf(i), -1)
	}
	return nil
}

func (s *State) remember(idem *IdemStamp, ref string, at time.Time) {
	if idem != nil {
		s.idem[idem.Scope+"\x00"+idem.Key] = idemRecord{Hash: idem.Hash, Ref: ref, At: at}
	}
}

func (ev *Event) setDetails(d *EventDetails, at time.Time) {
	ev.Name, ev.Venue, ev.TimeZone = d.Name, d.Venue, d.TimeZone
	ev.StartsAt, ev.EndsAt = d.StartsAt, d.EndsAt
	ev.HoldTTLSeconds, ev.MaxTicketsPerHold = d.HoldTTLSeconds, d.MaxTicketsPerHold
	ev.PaymentSettings = d.PaymentSettings
	ev.PaymentProviders = slices.Clone(d.PaymentProviders)
	ev.PaymentSettings.WithDefaults()
	ev.BuyerLimits = d.BuyerLimits
	ev.BuyerLimits.WithDefaults()
	ev.UpdatedAt = at
}

func (tt *TicketType) setDetails(d *TicketTypeDetails, at time.Time) {
	tt.Name, tt.Description, tt.Price = d.Name, d.Description, d.Price
	tt.MinPerHold, tt.MaxPerHold = d.MinPerHold, d.MaxPerHold
	tt.SalesStart, tt.SalesEnd = d.SalesStart, d.SalesEnd
	tt.AttendeeNames = d.AttendeeNames
	tt.UpdatedAt = at
}

// setQuota changes a quota's details and recounts what its ticket types hold.
func (s *State) setQuota(q *Quota, d *QuotaDetails, at time.Time) {
	q.Name, q.Capacity = d.Name, d.Capacity
	q.TicketTypeIDs = append([]string(nil), d.TicketTypeIDs...)
	q.UpdatedAt = at
	q.Held = s.heldOf(q.TicketTypeIDs)
	q.Sold = s.soldOf(q.TicketTypeIDs)
	s.reindexQuotas()
}

// knownTicketTypes checks that a quota entry names only existing ticket types.
func (s *State) knownTicketTypes(typ string, ids []string) error {
	for _, id := range ids {
		if s.ticketTypes[id] == nil {
			return fmt.Errorf("boxoffice: apply %s: no ticket type %s", typ, id)
		}
	}
	return nil
}
