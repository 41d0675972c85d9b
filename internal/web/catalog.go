package web

import (
	"net/http"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/sqlite"
)

type moneyIn struct {
	Amount   opt[int64]  `json:"amount"`
	Currency opt[string] `json:"currency"`
}

type ticketTypeIn struct {
	Name        opt[string]    `json:"name"`
	Description opt[string]    `json:"description"`
	Price       opt[moneyIn]   `json:"price"`
	MinPerHold  opt[int]       `json:"min_per_hold"`
	MaxPerHold  opt[int]       `json:"max_per_hold"`
	SalesStart  opt[time.Time] `json:"sales_start"`
	SalesEnd    opt[time.Time] `json:"sales_end"`
	// AttendeeNames: orders must name the person each ticket admits.
	AttendeeNames opt[bool] `json:"attendee_names"`
}

// price checks a price object and returns it, or nil when absent.
func (in *ticketTypeIn) price(f *[]fault.FieldError) *boxoffice.Money {
	if !in.Price.Set || in.Price.Null {
		return nil
	}
	required(f, "/price/amount", &in.Price.V.Amount)
	required(f, "/price/currency", &in.Price.V.Currency)
	return &boxoffice.Money{Amount: in.Price.V.Amount.V, Currency: in.Price.V.Currency.V}
}

// bound returns a sales window bound: nil when absent, the zero time (no
// bound) when null.
func bound(o *opt[time.Time]) *time.Time {
	if !o.Set {
		return nil
	}
	t := time.Time{}
	if !o.Null {
		t = o.V.UTC()
	}
	return &t
}

func renderTicketType(s *boxoffice.State, d boxoffice.Decision) any {
	return ticketTypeOf(s.TicketType(d.Ref))
}

func renderQuota(s *boxoffice.State, d boxoffice.Decision) any { return quotaOf(s.Quota(d.Ref)) }

func (s *Server) createTicketType(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	var in ticketTypeIn
	loc := "/api/v1/events/" + r.PathValue("event_id") + "/ticket-types/"
	return s.organizerCommand(w, r, org, &in, http.StatusCreated, loc, func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		required(&f, "/name", &in.Name)
		notNull(&f, "/description", &in.Description)
		required(&f, "/price", &in.Price)
		price := in.price(&f)
		notNull(&f, "/min_per_hold", &in.MinPerHold)
		notNull(&f, "/max_per_hold", &in.MaxPerHold)
		positive(&f, "/min_per_hold", &in.MinPerHold)
		positive(&f, "/max_per_hold", &in.MaxPerHold)
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		notNull(&f, "/attendee_names", &in.AttendeeNames)
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		d := boxoffice.TicketTypeDetails{Name: in.Name.V, Description: in.Description.V, Price: *price,
			MinPerHold: in.MinPerHold.V, MaxPerHold: in.MaxPerHold.V, AttendeeNames: in.AttendeeNames.V}
		if b := bound(&in.SalesStart); b != nil {
			d.SalesStart = *b
		}
		if b := bound(&in.SalesEnd); b != nil {
			d.SalesEnd = *b
		}
		return &boxoffice.CreateTicketType{OrganizerID: org.ID, Actor: actorOf(r), TicketTypeID: id.New("tt", id.Short), Details: d,
			Idem: idem}, renderTicketType, nil
	})
}

// positive adds a field error for an explicit 0 or less, which the domain
// would otherwise read as "use the default".
func positive(f *[]fault.FieldError, field string, o *opt[int]) {
	if o.Set && !o.Null && o.V < 1 {
		*f = append(*f, fault.FieldError{Field: field, Message: "must be at least 1"})
	}
}

func (s *Server) updateTicketType(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	ttID := r.PathValue("ticket_type_id")
	if !id.Valid(ttID, "tt", id.Short) {
		return fault.New(fault.NotFound, "ticket type not found")
	}
	var in ticketTypeIn
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(*boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		notNull(&f, "/name", &in.Name)
		notNull(&f, "/description", &in.Description)
		notNull(&f, "/price", &in.Price)
		price := in.price(&f)
		notNull(&f, "/min_per_hold", &in.MinPerHold)
		notNull(&f, "/max_per_hold", &in.MaxPerHold)
		positive(&f, "/min_per_hold", &in.MinPerHold)
		positive(&f, "/max_per_hold", &in.MaxPerHold)
		notNull(&f, "/attendee_names", &in.AttendeeNames)
		if !in.Name.Set && !in.Description.Set && !in.Price.Set && !in.MinPerHold.Set && !in.MaxPerHold.Set &&
			!in.SalesStart.Set && !in.SalesEnd.Set && !in.AttendeeNames.Set && len(f) == 0 {
			f = append(f, fault.FieldError{Field: "", Message: "send at least one field to change"})
		}
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		p := boxoffice.TicketTypePatch{Name: in.Name.ptr(), Description: in.Description.ptr(), Price: price,
			MinPerHold: in.MinPerHold.ptr(), MaxPerHold: in.MaxPerHold.ptr(),
			SalesStart: bound(&in.SalesStart), SalesEnd: bound(&in.SalesEnd), AttendeeNames: in.AttendeeNames.ptr()}
		return &boxoffice.UpdateTicketType{OrganizerID: org.ID, TicketTypeID: ttID, Patch: p, Actor: actorOf(r)}, renderTicketType, nil
	})
}

type quotaIn struct {
	Name          opt[string]   `json:"name"`
	Capacity      opt[int]      `json:"capacity"`
	TicketTypeIDs opt[[]string] `json:"ticket_type_ids"`
}

func (s *Server) createQuota(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	var in quotaIn
	loc := "/api/v1/events/" + r.PathValue("event_id") + "/quotas/"
	return s.organizerCommand(w, r, org, &in, http.StatusCreated, loc, func(idem *boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		required(&f, "/name", &in.Name)
		required(&f, "/capacity", &in.Capacity)
		required(&f, "/ticket_type_ids", &in.TicketTypeIDs)
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		d := boxoffice.QuotaDetails{Name: in.Name.V, Capacity: in.Capacity.V, TicketTypeIDs: in.TicketTypeIDs.V}
		return &boxoffice.CreateQuota{OrganizerID: org.ID, Actor: actorOf(r), QuotaID: id.New("qu", id.Short), Details: d, Idem: idem},
			renderQuota, nil
	})
}

func (s *Server) updateQuota(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	quID := r.PathValue("quota_id")
	if !id.Valid(quID, "qu", id.Short) {
		return fault.New(fault.NotFound, "quota not found")
	}
	var in quotaIn
	return s.organizerCommand(w, r, org, &in, http.StatusOK, "", func(*boxoffice.IdemStamp) (boxoffice.Command, office.Render, error) {
		var f []fault.FieldError
		notNull(&f, "/name", &in.Name)
		notNull(&f, "/capacity", &in.Capacity)
		notNull(&f, "/ticket_type_ids", &in.TicketTypeIDs)
		if !in.Name.Set && !in.Capacity.Set && !in.TicketTypeIDs.Set && len(f) == 0 {
			f = append(f, fault.FieldError{Field: "", Message: "send at least one field to change"})
		}
		if err := fieldsErr(f); err != nil {
			return nil, nil, err
		}
		p := boxoffice.QuotaPatch{Name: in.Name.ptr(), Capacity: in.Capacity.ptr()}
		if in.TicketTypeIDs.Set {
			p.TicketTypeIDs = append([]string{}, in.TicketTypeIDs.V...)
		}
		return &boxoffice.UpdateQuota{OrganizerID: org.ID, QuotaID: quID, Patch: p, Actor: actorOf(r)}, renderQuota, nil
	})
}
