package boxoffice

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
)

// Decision is what a command decided: the entries to append, and which
// thing it created or changed.
type Decision struct {
	Entries   []Entry
	Ref       string // id of the event, ticket type, quota or hold concerned
	Replayed  bool   // an Idempotency-Key retry: nothing new, Ref is the first answer's
	Unchanged bool   // a repeat that changes nothing (releasing twice, a payment told again): no entries
}

// Decide checks cmd against s at time now. It returns the entries to append
// (apply them with Apply before deciding the next command), or an error of
// kind Invalid, NotFound, Conflict, SoldOut or HoldExpired. s is not changed.
func Decide(s *State, cmd Command, now time.Time) (Decision, error) {
	switch c := cmd.(type) {
	case *CreateHold:
		return s.decideCreateHold(c, now)
	case *ReleaseHold:
		return s.decideReleaseHold(c, now)
	case *ExtendHold:
		return s.decideExtendHold(c, now)
	case *CreateEvent:
		return s.decideCreateEvent(c, now)
	case *UpdateEvent:
		return s.decideUpdateEvent(c)
	case *ChangeStatus:
		return s.decideChangeStatus(c, now)
	case *CreateTicketType:
		return s.decideCreateTicketType(c, now)
	case *UpdateTicketType:
		return s.decideUpdateTicketType(c)
	case *CreateQuota:
		return s.decideCreateQuota(c, now)
	case *UpdateQuota:
		return s.decideUpdateQuota(c)
	case *PlaceOrder:
		return s.decidePlaceOrder(c, now)
	case *RecordPayment:
		return s.decideRecordPayment(c, now)
	case *StartPayment:
		return s.decideStartPayment(c)
	case *CancelOrder:
		return s.decideCancelOrder(c, now)
	case *RefundOrder:
		return s.decideRefundOrder(c, now)
	case *ResendTickets:
		return s.decideResendTickets(c, now)
	case *SettleRefund:
		return s.decideSettleRefund(c)
	case *AddSigningKey:
		return s.decideAddSigningKey(c, now)
	case *RetireSigningKey:
		return s.decideRetireSigningKey(c)
	case *CreateCheckinList:
		return s.decideCreateCheckinList(c, now)
	case *UpdateCheckinList:
		return s.decideUpdateCheckinList(c)
	case *AddDoorDevice:
		return s.decideAddDoorDevice(c, now)
	case *RevokeDoorDevice:
		return s.decideRevokeDoorDevice(c)
	case *ScanTicket:
		return s.decideScanTicket(c, now)
	case *AnnulScan:
		return s.decideAnnulScan(c)
	}
	return Decision{}, fault.New(fault.Internal, "boxoffice: unknown command %T", cmd)
}

// Expire returns the entry that expires hold id if it is active and due at
// now, or nil. A hold that became an order awaiting payment expires with
// its order (OrderExpired).
func Expire(s *State, id string, now time.Time) Entry {
	i, ok := s.activeHold(id)
	if !ok || now.Before(s.expiresAt(i)) {
		return nil
	}
	if orderID := s.orderOf(i); orderID != "" {
		return expireEntry(s, id, orderID)
	}
	return &HoldExpired{HoldID: id, Actor: access.SystemActor}
}

// Expiry returns the hold whose expiry time entry e sets, and that time.
func Expiry(e Entry) (holdID string, at time.Time, ok bool) {
	switch e := e.(type) {
	case *HoldCreated:
		return e.HoldID, e.ExpiresAt, true
	case *OrderPlaced:
		return e.HoldID, e.PayBy, true
	case *HoldExtended:
		return e.HoldID, e.ExpiresAt, true
	}
	return "", time.Time{}, false
}

func one(e Entry, ref string) (Decision, error) {
	return Decision{Entries: []Entry{e}, Ref: ref}, nil
}

// replay looks up an Idempotency-Key. It returns a replayed decision when
// the key was used for the same request, an error when it was used for
// another, and ok=false when the request is new.
func (s *State) replay(idem *IdemStamp, now time.Time) (d Decision, ok bool, err error) {
	if idem == nil {
		return Decision{}, false, nil
	}
	var keyStack [128]byte
	key := append(append(append(keyStack[:0], idem.Scope...), 0), idem.Key...)
	rec, found := s.idem[string(key)] // the same key as remember's, without allocating it
	if !found || now.Sub(rec.At) > IdemRetention {
		return Decision{}, false, nil
	}
	if rec.Hash != idem.Hash {
		return Decision{}, false, fault.Coded(fault.Invalid, "idempotency-key-reused",
			"this Idempotency-Key was already used for a different request")
	}
	return Decision{Ref: rec.Ref, Replayed: true}, true, nil
}

// organizerEvent checks that the event exists and belongs to the organizer.
// Another organizer's event is reported as not found, so as not to reveal it.
func (s *State) organizerEvent(organizerID string) error {
	if s.Event == nil || s.Event.OrganizerID != organizerID {
		return fault.New(fault.NotFound, "event not found")
	}
	return nil
}

// fieldErrs collects field errors.
type fieldErrs []fault.FieldError

func (f *fieldErrs) add(field, msg string) {
	*f = append(*f, fault.FieldError{Field: field, Message: msg})
}

func (f fieldErrs) err() error {
	if len(f) == 0 {
		return nil
	}
	return fault.Fields(f...)
}

// text checks a name or a line of text: valid UTF-8, from minLen to maxLen
// characters, and only what textRune allows on one line.
func (f *fieldErrs) text(field, v string, minLen, maxLen int) {
	f.textIn(field, v, minLen, maxLen, false)
}

func (f *fieldErrs) textIn(field, v string, minLen, maxLen int, lines bool) {
	problem := textProblem(v, lines)
	switch n := utf8.RuneCountInString(v); {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case problem != "":
		f.add(field, problem)
	case n < minLen:
		if minLen == 1 {
			f.add(field, "must not be empty")
		} else {
			f.add(field, "must be at least "+strconv.Itoa(minLen)+" characters")
		}
	case n > maxLen:
		f.add(field, "must be at most "+strconv.Itoa(maxLen)+" characters")
	}
}

func (f *fieldErrs) between(field string, v, lo, hi int) {
	if v < lo || v > hi {
		f.add(field, "must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
	}
}

func (f *fieldErrs) eventDetails(d *EventDetails) {
	f.text("/name", d.Name, 1, 200)
	f.text("/venue", d.Venue, 0, 200)
	f.text("/timezone", d.TimeZone, 1, 64)
	if d.StartsAt.IsZero() {
		f.add("/starts_at", "is required")
	} else {
		f.eventTime("/starts_at", d.StartsAt)
	}
	if d.EndsAt.IsZero() {
		f.add("/ends_at", "is required")
	} else if !d.EndsAt.After(d.StartsAt) {
		f.add("/ends_at", "must be after starts_at")
	} else {
		f.eventTime("/ends_at", d.EndsAt)
	}
	f.between("/hold_ttl_seconds", d.HoldTTLSeconds, MinHoldTTLSeconds, MaxHoldTTLSeconds)
	f.between("/max_tickets_per_hold", d.MaxTicketsPerHold, 1, MaxTicketsPerHoldLimit)
	f.paymentSettings(&d.PaymentSettings)
	f.buyerLimits(&d.BuyerLimits)
}

func (s *State) decideCreateEvent(c *CreateEvent, now time.Time) (Decision, error) {
	if s.Event != nil {
		if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
			return d, err
		}
		return Decision{}, fault.New(fault.Conflict, "event %s already exists", c.EventID)
	}
	d := c.Details
	if d.HoldTTLSeconds == 0 {
		d.HoldTTLSeconds = DefaultHoldTTLSeconds
	}
	if d.MaxTicketsPerHold == 0 {
		d.MaxTicketsPerHold = DefaultMaxTicketsPerHold
	}
	if d.ManualPaymentWindowSeconds == 0 {
		d.ManualPaymentWindowSeconds = DefaultManualPaymentWindowSeconds
	}
	d.PaymentSettings.WithDefaults()
	d.BuyerLimits.WithDefaults()
	var f fieldErrs
	f.eventDetails(&d)
	if _, ok := CurrencyDigits(c.Currency); !ok {
		f.add("/currency", "must be an active ISO 4217 currency code such as EUR")
	}
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&EventCreated{Actor: c.Actor, EventID: c.EventID, OrganizerID: c.OrganizerID, Currency: c.Currency,
		EventDetails: d, Idem: c.Idem}, c.EventID)
}

func (s *State) decideUpdateEvent(c *UpdateEvent) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	ev := s.Event
	if ev.Status == Cancelled {
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	d := EventDetails{Name: ev.Name, Venue: ev.Venue, TimeZone: ev.TimeZone, StartsAt: ev.StartsAt,
		EndsAt: ev.EndsAt, HoldTTLSeconds: ev.HoldTTLSeconds, MaxTicketsPerHold: ev.MaxTicketsPerHold,
		PaymentSettings: ev.PaymentSettings, BuyerLimits: ev.BuyerLimits}
	p := c.Patch
	set(&d.Name, p.Name)
	set(&d.Venue, p.Venue)
	set(&d.TimeZone, p.TimeZone)
	set(&d.StartsAt, p.StartsAt)
	set(&d.EndsAt, p.EndsAt)
	set(&d.HoldTTLSeconds, p.HoldTTLSeconds)
	set(&d.MaxTicketsPerHold, p.MaxTicketsPerHold)
	set(&d.PaymentWindowSeconds, p.PaymentWindowSeconds)
	set(&d.ManualPaymentWindowSeconds, p.ManualPaymentWindowSeconds)
	set(&d.ManualPaymentInstructions, p.ManualPaymentInstructions)
	set(&d.MaxHoldsPerClient, p.MaxHoldsPerClient)
	set(&d.MaxUnpaidOrdersPerClient, p.MaxUnpaidOrdersPerClient)
	set(&d.MaxUnpaidOrdersPerEmail, p.MaxUnpaidOrdersPerEmail)
	d.BuyerLimits.WithDefaults() // 0 sets a limit back to its default
	if p.PaymentProviders != nil {
		d.PaymentProviders = slices.Clone(p.PaymentProviders)
	}
	var f fieldErrs
	f.eventDetails(&d)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&EventUpdated{Actor: c.Actor, EventID: ev.ID, EventDetails: d}, ev.ID)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// transitions lists the allowed status changes.
var transitions = map[Status][]Status{
	Draft:       {OnSale, Cancelled},
	OnSale:      {SalesClosed, Cancelled},
	SalesClosed: {OnSale, Cancelled},
}

func (s *State) decideChangeStatus(c *ChangeStatus, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	switch c.Status {
	case Draft, OnSale, SalesClosed, Cancelled:
	default:
		return Decision{}, fault.Fields(fault.FieldError{Field: "/status",
			Message: "must be one of draft, on_sale, sales_closed, cancelled"})
	}
	from := s.Event.Status
	allowed := false
	for _, to := range transitions[from] {
		allowed = allowed || to == c.Status
	}
	if !allowed {
		return Decision{}, fault.New(fault.Conflict, "an event that is %s cannot become %s", from, c.Status)
	}
	if c.Status == OnSale {
		if !s.sellable() {
			return Decision{}, fault.New(fault.Conflict,
				"the event needs at least one ticket type in a quota before it can go on sale")
		}
		if !now.Before(s.Event.EndsAt) {
			return Decision{}, fault.New(fault.Conflict, "the event has already ended")
		}
	}
	return one(&EventStatusChanged{Actor: c.Actor, EventID: s.Event.ID, From: from, Status: c.Status, Idem: c.Idem}, s.Event.ID)
}

// sellable reports whether some ticket type belongs to a quota.
func (s *State) sellable() bool {
	for _, tt := range s.TicketTypes {
		if len(tt.quotas) > 0 {
			return true
		}
	}
	return false
}

func (s *State) checkTicketType(f *fieldErrs, d *TicketTypeDetails) {
	f.text("/name", d.Name, 1, 200)
	f.freeText("/description", d.Description, 0, 2000)
	if d.Price.Amount < 0 || d.Price.Amount > MaxPriceAmount {
		f.add("/price/amount", "must be between 0 and "+strconv.FormatInt(MaxPriceAmount, 10)+" minor units")
	}
	if d.Price.Currency != s.Event.Currency {
		f.add("/price/currency", "must be the event's currency, "+s.Event.Currency)
	}
	f.between("/min_per_hold", d.MinPerHold, 1, MaxTicketsPerHoldLimit)
	f.between("/max_per_hold", d.MaxPerHold, 1, MaxTicketsPerHoldLimit)
	if d.MaxPerHold < d.MinPerHold {
		f.add("/max_per_hold", "must not be less than min_per_hold")
	}
	if !d.SalesStart.IsZero() && !d.SalesEnd.IsZero() && !d.SalesEnd.After(d.SalesStart) {
		f.add("/sales_end", "must be after sales_start")
	}
}

func (s *State) decideCreateTicketType(c *CreateTicketType, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if s.Event.Status == Cancelled {
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	if s.ticketTypes[c.TicketTypeID] != nil {
		return Decision{}, fault.New(fault.Conflict, "ticket type %s already exists", c.TicketTypeID)
	}
	if len(s.TicketTypes) >= MaxTicketTypes {
		return Decision{}, fault.New(fault.Conflict, "an event can have at most %d ticket types", MaxTicketTypes)
	}
	d := c.Details
	if d.MinPerHold == 0 {
		d.MinPerHold = 1
	}
	if d.MaxPerHold == 0 {
		d.MaxPerHold = max(d.MinPerHold, min(DefaultMaxTicketsPerHold, s.Event.MaxTicketsPerHold))
	}
	var f fieldErrs
	s.checkTicketType(&f, &d)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&TicketTypeCreated{Actor: c.Actor, TicketTypeID: c.TicketTypeID, TicketTypeDetails: d, Idem: c.Idem}, c.TicketTypeID)
}

func (s *State) decideUpdateTicketType(c *UpdateTicketType) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	tt := s.ticketTypes[c.TicketTypeID]
	if tt == nil {
		return Decision{}, fault.New(fault.NotFound, "ticket type not found")
	}
	if s.Event.Status == Cancelled {
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	d := TicketTypeDetails{Name: tt.Name, Description: tt.Description, Price: tt.Price, MinPerHold: tt.MinPerHold,
		MaxPerHold: tt.MaxPerHold, SalesStart: tt.SalesStart, SalesEnd: tt.SalesEnd, AttendeeNames: tt.AttendeeNames}
	p := c.Patch
	set(&d.AttendeeNames, p.AttendeeNames)
	set(&d.Name, p.Name)
	set(&d.Description, p.Description)
	set(&d.Price, p.Price)
	set(&d.MinPerHold, p.MinPerHold)
	set(&d.MaxPerHold, p.MaxPerHold)
	set(&d.SalesStart, p.SalesStart)
	set(&d.SalesEnd, p.SalesEnd)
	var f fieldErrs
	s.checkTicketType(&f, &d)
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	return one(&TicketTypeUpdated{Actor: c.Actor, TicketTypeID: tt.ID, TicketTypeDetails: d}, tt.ID)
}

// checkQuota validates quota details and returns the seats already held of
// its ticket types, which the capacity must cover.
func (s *State) checkQuota(d *QuotaDetails) error {
	var f fieldErrs
	f.text("/name", d.Name, 1, 200)
	f.between("/capacity", d.Capacity, 0, MaxQuotaCapacity)
	if len(d.TicketTypeIDs) == 0 || len(d.TicketTypeIDs) > MaxQuotaTicketTypes {
		f.add("/ticket_type_ids", "must list between 1 and "+strconv.Itoa(MaxQuotaTicketTypes)+" ticket types")
	}
	for i, id := range d.TicketTypeIDs {
		field := "/ticket_type_ids/" + strconv.Itoa(i)
		if s.ticketTypes[id] == nil {
			f.add(field, "no such ticket type in this event")
		}
		for _, prev := range d.TicketTypeIDs[:i] {
			if prev == id {
				f.add(field, "is listed twice")
				break
			}
		}
	}
	if err := f.err(); err != nil {
		return err
	}
	if held := s.heldOf(d.TicketTypeIDs) + s.soldOf(d.TicketTypeIDs); held > d.Capacity {
		return fault.New(fault.Conflict,
			"capacity %d is below the %d tickets of these ticket types already held or sold", d.Capacity, held)
	}
	return nil
}

// heldOf counts the tickets of the given ticket types in active holds.
func (s *State) heldOf(ids []string) int {
	n := 0
	for i := range s.holds {
		if s.holds[i].status != stActive {
			continue
		}
		s.eachItem(uint32(i), func(tt *TicketType, q int) {
			if slices.Contains(ids, tt.ID) {
				n += q
			}
		})
	}
	return n
}

// soldOf counts the valid tickets of the given ticket types.
func (s *State) soldOf(ids []string) int {
	n := 0
	for _, t := range s.tickets {
		if t.Status == TicketValid && slices.Contains(ids, t.TicketTypeID) {
			n++
		}
	}
	return n
}

func (s *State) decideCreateQuota(c *CreateQuota, now time.Time) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	if s.Event.Status == Cancelled {
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	if s.quotas[c.QuotaID] != nil {
		return Decision{}, fault.New(fault.Conflict, "quota %s already exists", c.QuotaID)
	}
	if len(s.Quotas) >= MaxQuotas {
		return Decision{}, fault.New(fault.Conflict, "an event can have at most %d quotas", MaxQuotas)
	}
	d := c.Details
	d.TicketTypeIDs = append([]string(nil), d.TicketTypeIDs...)
	if err := s.checkQuota(&d); err != nil {
		return Decision{}, err
	}
	return one(&QuotaCreated{Actor: c.Actor, QuotaID: c.QuotaID, QuotaDetails: d, Idem: c.Idem}, c.QuotaID)
}

func (s *State) decideUpdateQuota(c *UpdateQuota) (Decision, error) {
	if err := s.organizerEvent(c.OrganizerID); err != nil {
		return Decision{}, err
	}
	q := s.quotas[c.QuotaID]
	if q == nil {
		return Decision{}, fault.New(fault.NotFound, "quota not found")
	}
	if s.Event.Status == Cancelled {
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled and can no longer be changed")
	}
	d := QuotaDetails{Name: q.Name, Capacity: q.Capacity, TicketTypeIDs: q.TicketTypeIDs}
	set(&d.Name, c.Patch.Name)
	set(&d.Capacity, c.Patch.Capacity)
	if c.Patch.TicketTypeIDs != nil {
		d.TicketTypeIDs = c.Patch.TicketTypeIDs
	}
	d.TicketTypeIDs = append([]string(nil), d.TicketTypeIDs...)
	if err := s.checkQuota(&d); err != nil {
		return Decision{}, err
	}
	return one(&QuotaUpdated{Actor: c.Actor, QuotaID: q.ID, QuotaDetails: d}, q.ID)
}

// demand is the number of tickets a hold asks of one quota.
type demand struct {
	q *Quota
	n int
}

// newHold is a hold's entry with the storage its Decision needs, so that
// deciding a hold of one item, the most common, takes one allocation.
type newHold struct {
	entry   HoldCreated
	entries [1]Entry
	items   [1]Item
}

// itemField is the JSON pointer to a field of a hold's i-th item.
func itemField(i int, name string) string { return "/items/" + strconv.Itoa(i) + "/" + name }

func (s *State) decideCreateHold(c *CreateHold, now time.Time) (Decision, error) {
	ev := s.Event
	if ev == nil || ev.Status == Draft {
		return Decision{}, fault.New(fault.NotFound, "event not found")
	}
	if d, ok, err := s.replay(c.Idem, now); ok || err != nil {
		return d, err
	}
	switch {
	case ev.Status == Cancelled:
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled")
	case ev.Status != OnSale:
		return Decision{}, fault.New(fault.Conflict, "tickets for this event are not on sale")
	case !now.Before(ev.EndsAt):
		return Decision{}, fault.New(fault.Conflict, "the event has ended")
	}
	if err := s.checkHoldLimit(c.Client); err != nil {
		return Decision{}, err
	}
	if len(c.Items) == 0 || len(c.Items) > MaxHoldItems {
		return Decision{}, fault.Fields(fault.FieldError{Field: "/items",
			Message: "must list between 1 and " + strconv.Itoa(MaxHoldItems) + " ticket types"})
	}
	if _, ok := s.holdIndex.find(s.holds, c.HoldID); ok {
		return Decision{}, fault.New(fault.Conflict, "hold %s already exists", c.HoldID)
	}
	var f fieldErrs
	var ttStack [MaxHoldItems]*TicketType
	tts := ttStack[:0] // of each item, once all are known
	var demandStack [8]demand
	demands := demandStack[:0]
	total := 0
	for i, it := range c.Items {
		tt := s.ticketTypes[it.TicketTypeID]
		if tt == nil {
			f.add(itemField(i, "ticket_type_id"), "no such ticket type in this event")
			continue
		}
		tts = append(tts, tt)
		for _, prev := range c.Items[:i] {
			if prev.TicketTypeID == it.TicketTypeID {
				f.add(itemField(i, "ticket_type_id"), "is listed twice")
				break
			}
		}
		if it.Quantity < tt.MinPerHold || it.Quantity > tt.MaxPerHold {
			f.add(itemField(i, "quantity"), "must be between "+strconv.Itoa(tt.MinPerHold)+" and "+
				strconv.Itoa(tt.MaxPerHold)+" for "+tt.Name)
			continue
		}
		total += it.Quantity
		for _, q := range tt.quotas {
			found := false
			for j := range demands {
				if demands[j].q == q {
					demands[j].n += it.Quantity
					found = true
				}
			}
			if !found {
				demands = append(demands, demand{q, it.Quantity})
			}
		}
	}
	if total > ev.MaxTicketsPerHold {
		f.add("/items", "at most "+strconv.Itoa(ev.MaxTicketsPerHold)+" tickets per hold")
	}
	if err := f.err(); err != nil {
		return Decision{}, err
	}
	for _, tt := range tts {
		switch {
		case !tt.SalesStart.IsZero() && now.Before(tt.SalesStart):
			return Decision{}, fault.New(fault.Conflict, "sales for %s have not started yet", tt.Name)
		case !tt.SalesEnd.IsZero() && !now.Before(tt.SalesEnd):
			return Decision{}, fault.New(fault.Conflict, "sales for %s have ended", tt.Name)
		case len(tt.quotas) == 0:
			return Decision{}, fault.New(fault.Conflict, "%s is not available", tt.Name)
		}
	}
	for _, d := range demands {
		if d.n > d.q.Available() {
			return Decision{}, s.soldOut(c.Items)
		}
	}
	nh := &newHold{entry: HoldCreated{HoldID: c.HoldID, ExpiresAt: now.Add(time.Duration(ev.HoldTTLSeconds) * time.Second),
		Idem: c.Idem, Client: c.Client, Actor: access.BuyerActor}}
	if len(c.Items) <= len(nh.items) {
		nh.entry.Items = append(nh.items[:0], c.Items...)
	} else {
		nh.entry.Items = append([]Item(nil), c.Items...)
	}
	nh.entries[0] = &nh.entry
	return Decision{Entries: nh.entries[:], Ref: c.HoldID}, nil
}

func (s *State) soldOut(items []Item) error {
	left := make([]fault.Left, len(items))
	for i, it := range items {
		left[i] = fault.Left{TicketTypeID: it.TicketTypeID, Available: int64(s.ticketTypes[it.TicketTypeID].available())}
	}
	return soldOutError(left)
}

func soldOutError(left []fault.Left) error {
	return &fault.Error{Kind: fault.SoldOut, Message: "not enough tickets left", Available: left}
}

func (s *State) decideReleaseHold(c *ReleaseHold, now time.Time) (Decision, error) {
	h := s.Hold(c.HoldID)
	if h == nil {
		return Decision{}, fault.New(fault.NotFound, "hold not found")
	}
	switch {
	case h.Status == Released && h.OrderID == "":
		return Decision{Ref: h.ID, Unchanged: true}, nil // releasing twice is the same as once
	case h.OrderID != "":
		return Decision{}, fault.Coded(fault.Conflict, "hold-ordered",
			"this hold became order %s; the organizer can cancel the order", h.OrderID)
	case h.Status == Expired || !now.Before(h.ExpiresAt):
		return Decision{}, fault.New(fault.HoldExpired, "the hold expired at %s", h.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return one(&HoldReleased{HoldID: h.ID, Actor: access.BuyerActor}, h.ID)
}

func (s *State) decideExtendHold(c *ExtendHold, now time.Time) (Decision, error) {
	h := s.Hold(c.HoldID)
	switch {
	case h == nil:
		return Decision{}, fault.New(fault.NotFound, "hold not found")
	case h.OrderID != "":
		return Decision{}, fault.Coded(fault.Conflict, "hold-ordered", "this hold became order %s", h.OrderID)
	case h.Status != Active || !now.Before(h.ExpiresAt):
		return Decision{}, fault.New(fault.HoldExpired, "the hold expired at %s", h.ExpiresAt.UTC().Format(time.RFC3339))
	case h.Extended >= MaxHoldExtensions:
		return Decision{}, fault.New(fault.Conflict, "this hold was extended %d times already, the most it can be", h.Extended)
	case s.Event.Status == Cancelled:
		return Decision{}, fault.New(fault.Conflict, "the event is cancelled")
	}
	until := now.Add(time.Duration(s.Event.HoldTTLSeconds) * time.Second)
	if !until.After(h.ExpiresAt) {
		return Decision{Ref: h.ID, Unchanged: true}, nil // it lasts longer already
	}
	return one(&HoldExtended{HoldID: h.ID, ExpiresAt: until, Actor: access.BuyerActor}, h.ID)
}
