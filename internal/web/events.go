package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/sqlite"
)

type eventIn struct {
	Name              opt[string]    `json:"name"`
	Venue             opt[string]    `json:"venue"`
	TimeZone          opt[string]    `json:"timezone"`
	StartsAt          opt[time.Time] `json:"starts_at"`
	EndsAt            opt[time.Time] `json:"ends_at"`
	Currency          opt[string]    `json:"currency"`
	HoldTTLSeconds    opt[int]       `json:"hold_ttl_seconds"`
	MaxTicketsPerHold opt[int]       `json:"max_tickets_per_hold"`

	PaymentProviders           opt[[]string] `json:"payment_providers"`
	PaymentWindowSeconds       opt[int]      `json:"payment_window_seconds"`
	ManualPaymentWindowSeconds opt[int]      `json:"manual_payment_window_seconds"`
	ManualPaymentInstructions  opt[string]   `json:"manual_payment_instructions"`

	MaxHoldsPerClient        opt[int] `json:"max_holds_per_client"`
	MaxUnpaidOrdersPerClient opt[int] `json:"max_unpaid_orders_per_client"`
	MaxUnpaidOrdersPerEmail  opt[int] `json:"max_unpaid_orders_per_email"`
}

// limits checks the buyer limits of an event's body: 0 stands for the
// default, as leaving them out does.
func (in *eventIn) limits(f *[]fault.FieldError) {
	notNull(f, "/max_holds_per_client", &in.MaxHoldsPerClient)
	notNull(f, "/max_unpaid_orders_per_client", &in.MaxUnpaidOrdersPerClient)
	notNull(f, "/max_unpaid_orders_per_email", &in.MaxUnpaidOrdersPerEmail)
}

func (in *eventIn) anyLimits() bool {
	return in.MaxHoldsPerClient.Set || in.MaxUnpaidOrdersPerClient.Set || in.MaxUnpaidOrdersPerEmail.Set
}

func (in *eventIn) buyerLimits() boxoffice.BuyerLimits {
	return boxoffice.BuyerLimits{MaxHoldsPerClient: in.MaxHoldsPerClient.V,
		MaxUnpaidOrdersPerClient: in.MaxUnpaidOrdersPerClient.V, MaxUnpaidOrdersPerEmail: in.MaxUnpaidOrdersPerEmail.V}
}

// payments checks the payment settings of an event's body. An explicit 0
// would read as "the default" in the domain, so it is refused here.
func (in *eventIn) payments(f *[]fault.FieldError) {
	notNull(f, "/payment_providers", &in.PaymentProviders)
	notNull(f, "/payment_window_seconds", &in.PaymentWindowSeconds)
	notNull(f, "/manual_payment_window_seconds", &in.ManualPaymentWindowSeconds)
	notNull(f, "/manual_payment_instructions", &in.ManualPaymentInstructions)
	positive(f, "/payment_window_seconds", &in.PaymentWindowSeconds)
	positive(f, "/manual_payment_window_seconds", &in.ManualPaymentWindowSeconds)
	if in.PaymentProviders.Set && !in.PaymentProviders.Null && in.PaymentProviders.V == nil {
		in.PaymentProviders.V = []string{} // an empty list is refused by the domain, not taken for "unchanged"
	}
}

func (in *eventIn) anyPayments() bool {
	return in.PaymentProviders.Set || in.PaymentWindowSeconds.Set || in.ManualPaymentWindowSeconds.Set ||
		in.ManualPaymentInstructions.Set
}

// checkTimeZone adds a field error unless tz names an IANA time zone.
func checkTimeZone(f *[]fault.FieldError, o *opt[string]) {
	if !o.Set || o.Null {
		return
	}
	if _, err := time.LoadLocation(o.V); err != nil || o.V == "" || o.V == "Local" {
		*f = append(*f, fault.FieldError{Field: "/timezone", Message: "must be an IANA time zone such as Europe/Berlin"})
	}
}

func fieldsErr(f []fault.FieldError) error {
	if len(f) == 0 {
		return nil
	}
	return fault.Fields(f...)
}

// eventID returns the event id of a path, or NotFound if it cannot be one.
func eventID(r *http.Request) (string, error) {
	ev := r.PathValue("event_id")
	if !id.ValidSharded(ev, "ev", id.Short) {
		return "", fault.New(fault.NotFound, "event not found")
	}
	return ev, nil
}

func renderEvent(s *boxoffice.State, _ boxoffice.Decision) any { return eventOf(s.View()) }

func (s *Server) getOrganizer(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	out, err := s.organizerOf(r.Context(), org)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// organizerOf is the organizer with its public profile, when this node
// can read it.
func (s *Server) organizerOf(ctx context.Context, org sqlite.Organizer) (organizerJSON, error) {
	out := organizerJSON{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt.UTC()}
	if s.team == nil {
		return out, nil
	}
	p, err := s.team.Profile(ctx, org.ID)
	if err != nil {
		return organizerJSON{}, err
	}
	out.Name, out.ContactEmail, out.Website, out.TermsURL, out.PrivacyURL = p.Name, p.ContactEmail, p.Website, p.TermsURL, p.PrivacyURL
	return out, nil
}

// updateOrganizer changes the organizer's public profile: the fields sent,
// the others as they are ("" clears one but the name).
func (s *Server) updateOrganizer(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.teamReady(); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Name         opt[string] `json:"name"`
		ContactEmail opt[string] `json:"contact_email"`
		Website      opt[string] `json:"website"`
		TermsURL     opt[string] `json:"terms_url"`
		PrivacyURL   opt[string] `json:"privacy_url"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	for _, o := range []struct {
		field string
		v     *opt[string]
	}{{"/name", &in.Name}, {"/contact_email", &in.ContactEmail}, {"/website", &in.Website}, {"/terms_url", &in.TermsURL}, {"/privacy_url", &in.PrivacyURL}} {
		notNull(&f, o.field, o.v)
	}
	if !in.Name.Set && !in.ContactEmail.Set && !in.Website.Set && !in.TermsURL.Set && !in.PrivacyURL.Set {
		f = append(f, fault.FieldError{Field: "", Message: "send at least one field to change"})
	}
	if len(f) > 0 {
		return fault.Fields(f...)
	}
	p, err := s.team.Profile(r.Context(), org.ID)
	if err != nil {
		return err
	}
	for _, o := range []struct {
		v   opt[string]
		dst *string
	}{{in.Name, &p.Name}, {in.ContactEmail, &p.ContactEmail}, {in.Website, &p.Website}, {in.TermsURL, &p.TermsURL}, {in.PrivacyURL, &p.PrivacyURL}} {
		if o.v.Set {
			*o.dst = o.v.V
		}
	}
	seq, err := s.teamDesk.UpdateProfile(r.Context(), actor, org.ID, p)
	if err != nil {
		return err
	}
	s.noteWrite(seq)
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	out, err := s.organizerOf(r.Context(), org)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, office.Result{Seq: seq}, "", out)
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	var in eventIn
	idem, err := readCommand(w, r, org.ID, &in)
	if err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/name", &in.Name)
	notNull(&f, "/venue", &in.Venue)
	required(&f, "/timezone", &in.TimeZone)
	checkTimeZone(&f, &in.TimeZone)
	required(&f, "/starts_at", &in.StartsAt)
	required(&f, "/ends_at", &in.EndsAt)
	required(&f, "/currency", &in.Currency)
	notNull(&f, "/hold_ttl_seconds", &in.HoldTTLSeconds)
	notNull(&f, "/max_tickets_per_hold", &in.MaxTicketsPerHold)
	if in.HoldTTLSeconds.Set && in.HoldTTLSeconds.V == 0 {
		f = append(f, fault.FieldError{Field: "/hold_ttl_seconds", Message: "must be between 60 and 3600"})
	}
	if in.MaxTicketsPerHold.Set && in.MaxTicketsPerHold.V == 0 {
		f = append(f, fault.FieldError{Field: "/max_tickets_per_hold", Message: "must be between 1 and 100"})
	}
	in.payments(&f)
	in.limits(&f)
	if err := fieldsErr(f); err != nil {
		return err
	}
	cmd := &boxoffice.CreateEvent{OrganizerID: org.ID, Currency: in.Currency.V, Idem: idem, Actor: actorOf(r),
		Details: boxoffice.EventDetails{Name: in.Name.V, Venue: in.Venue.V, TimeZone: in.TimeZone.V,
			StartsAt: in.StartsAt.V.UTC(), EndsAt: in.EndsAt.V.UTC(), HoldTTLSeconds: in.HoldTTLSeconds.V,
			MaxTicketsPerHold: in.MaxTicketsPerHold.V, PaymentSettings: boxoffice.PaymentSettings{
				PaymentProviders: in.PaymentProviders.V, PaymentWindowSeconds: in.PaymentWindowSeconds.V,
				ManualPaymentWindowSeconds: in.ManualPaymentWindowSeconds.V,
				ManualPaymentInstructions:  in.ManualPaymentInstructions.V},
			BuyerLimits: in.buyerLimits()}}
	res, err := s.newEvent(r.Context(), cmd)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusCreated, res, "/api/v1/events/"+cmd.EventID, res.Value.(eventJSON))
}

// CreateEvent makes a new event for the organizer from the console, as
// POST /api/v1/events does without an Idempotency-Key, and returns its id
// and the ledger position of its creation. Errors: Invalid (the details,
// with fields named as in the API), Conflict (event-limit-reached),
// Unavailable.
func (s *Server) CreateEvent(ctx context.Context, actor access.Actor, organizerID, currency string, d boxoffice.EventDetails) (eventID string, seq uint64, err error) {
	cmd := &boxoffice.CreateEvent{OrganizerID: organizerID, Currency: currency, Details: d, Actor: actor.String()}
	res, err := s.newEvent(ctx, cmd)
	if err != nil {
		return "", 0, err
	}
	s.noteWrite(res.Seq)
	return cmd.EventID, res.Seq, nil
}

// newEvent gives cmd its event id (derived from its Idempotency-Key when
// it has one, so a retry reaches the same event) with the event's ledger
// shard in it, counts it against the organizer's limit of events, and
// runs it.
func (s *Server) newEvent(ctx context.Context, cmd *boxoffice.CreateEvent) (office.Result, error) {
	evID := id.New("ev", id.Short)
	if cmd.Idem != nil {
		evID = id.Derived("ev", id.Short, cmd.OrganizerID, cmd.Idem.Key)
	}
	// The event's ledger shard is fixed here, in its id, for good.
	evID = id.InShard(evID, id.PickShard(evID, s.ledgerShards))
	cmd.EventID = evID
	end, err := s.inFlight.begin(evID, cmd.Idem)
	if err != nil {
		return office.Result{}, err
	}
	defer end()
	created, err := s.reserveEvent(ctx, cmd.OrganizerID, evID, cmd.Idem != nil)
	if err != nil {
		return office.Result{}, err
	}
	res, err := s.offices.Do(ctx, evID, cmd, renderEvent)
	created(err == nil && len(res.Entries) > 0)
	if err != nil {
		return office.Result{}, err
	}
	if res.Value.(eventJSON).OrganizerID != cmd.OrganizerID { // a derived id that collides with another organizer's event
		return office.Result{}, fault.New(fault.Conflict, "use another Idempotency-Key")
	}
	return res, nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	q := r.URL.Query()
	var f []fault.FieldError
	limit := limitParam(&f, q.Get("limit"), 200)
	status := q.Get("status")
	switch boxoffice.Status(status) {
	case "", boxoffice.Draft, boxoffice.OnSale, boxoffice.SalesClosed, boxoffice.Cancelled:
	default:
		f = append(f, fault.FieldError{Field: "status", Message: "must be one of draft, on_sale, sales_closed, cancelled"})
	}
	if len(f) > 0 {
		return badQuery(f)
	}
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	rows, next, err := s.read.ListEvents(r.Context(), org.ID, status, limit, q.Get("cursor"))
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		return badQuery(fe.Fields)
	}
	if err != nil {
		return err
	}
	out := eventListJSON{Items: make([]eventSummaryJSON, len(rows)), NextCursor: next}
	for i, e := range rows {
		out.Items[i] = eventSummaryJSON{ID: e.ID, Name: e.Name, Venue: e.Venue, TimeZone: e.TimeZone,
			StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(), Currency: e.Currency, Status: e.Status,
			CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	}
	return writeJSON(w, http.StatusOK, out)
}

// organizerView returns the event's view if it belongs to the organizer.
func (s *Server) organizerView(r *http.Request, org sqlite.Organizer) (*boxoffice.View, error) {
	evID, err := eventID(r)
	if err != nil {
		return nil, err
	}
	v, err := s.offices.View(r.Context(), evID)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Event.OrganizerID != org.ID {
		return nil, fault.New(fault.NotFound, "event not found")
	}
	return v, nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	v, err := s.organizerView(r, org)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, eventOf(v))
}

func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var in eventIn
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	if in.Currency.Set {
		f = append(f, fault.FieldError{Field: "/currency", Message: "cannot be changed after the event is created"})
	}
	notNull(&f, "/name", &in.Name)
	notNull(&f, "/venue", &in.Venue)
	notNull(&f, "/timezone", &in.TimeZone)
	checkTimeZone(&f, &in.TimeZone)
	notNull(&f, "/starts_at", &in.StartsAt)
	notNull(&f, "/ends_at", &in.EndsAt)
	notNull(&f, "/hold_ttl_seconds", &in.HoldTTLSeconds)
	notNull(&f, "/max_tickets_per_hold", &in.MaxTicketsPerHold)
	in.payments(&f)
	in.limits(&f)
	if !in.Name.Set && !in.Venue.Set && !in.TimeZone.Set && !in.StartsAt.Set && !in.EndsAt.Set &&
		!in.HoldTTLSeconds.Set && !in.MaxTicketsPerHold.Set && !in.anyPayments() && !in.anyLimits() && len(f) == 0 {
		f = append(f, fault.FieldError{Field: "", Message: "send at least one field to change"})
	}
	if err := fieldsErr(f); err != nil {
		return err
	}
	p := boxoffice.EventPatch{Name: in.Name.ptr(), Venue: in.Venue.ptr(), TimeZone: in.TimeZone.ptr(),
		StartsAt: utcPtr(in.StartsAt.ptr()), EndsAt: utcPtr(in.EndsAt.ptr()),
		HoldTTLSeconds: in.HoldTTLSeconds.ptr(), MaxTicketsPerHold: in.MaxTicketsPerHold.ptr(),
		PaymentProviders: in.PaymentProviders.V, PaymentWindowSeconds: in.PaymentWindowSeconds.ptr(),
		ManualPaymentWindowSeconds: in.ManualPaymentWindowSeconds.ptr(),
		ManualPaymentInstructions:  in.ManualPaymentInstructions.ptr(),
		MaxHoldsPerClient:          in.MaxHoldsPerClient.ptr(), MaxUnpaidOrdersPerClient: in.MaxUnpaidOrdersPerClient.ptr(),
		MaxUnpaidOrdersPerEmail: in.MaxUnpaidOrdersPerEmail.ptr()}
	res, err := s.offices.Do(r.Context(), evID, &boxoffice.UpdateEvent{OrganizerID: org.ID, Patch: p, Actor: actorOf(r)}, renderEvent)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, res, "", res.Value)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) changeStatus(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	var in struct {
		Status opt[string] `json:"status"`
	}
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		required(&f, "/status", &in.Status)
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		return &boxoffice.ChangeStatus{OrganizerID: org.ID, Status: boxoffice.Status(in.Status.V), Idem: idem, Actor: actorOf(r)}, renderEvent, nil
	})
}

// organizerCommand is the common shape of an organizer's POST on an event:
// read the body into in, build the command, run it, answer its result.
func (s *Server) organizerCommand(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, in any, status int,
	location string, build func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error)) error {
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	idem, err := readCommand(w, r, org.ID, in)
	if err != nil {
		return err
	}
	cmd, render, err := build(idem)
	if err != nil {
		return err
	}
	end, err := s.inFlight.begin(evID, idem)
	if err != nil {
		return err
	}
	defer end()
	res, err := s.offices.Do(r.Context(), evID, cmd, render)
	if err != nil {
		return err
	}
	if location != "" {
		location += res.Ref
	}
	return s.writeResult(w, status, res, location, res.Value)
}

// limitParam reads a list's limit query parameter: 50 when absent, else a
// whole number from 1 to most.
func limitParam(f *[]fault.FieldError, v string, most int) int {
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		*f = append(*f, fault.FieldError{Field: "limit", Message: "must be an integer between 1 and " + strconv.Itoa(most)})
	}
	return n
}

// badQuery is the problem for query parameters that cannot be used. The
// problem's errors point into the body only, so the parameters are named in
// the detail.
func badQuery(f []fault.FieldError) error {
	msg := make([]string, len(f))
	for i, fe := range f {
		msg[i] = "query parameter " + fe.Field + " " + fe.Message
	}
	return fault.Coded(fault.Invalid, "malformed-request", "%s", strings.Join(msg, "; "))
}
