package web

import (
	"net/http"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
)

// publicView returns the view of an event buyers may see: not a draft.
func (s *Server) publicView(r *http.Request) (*boxoffice.View, error) {
	evID, err := eventID(r)
	if err != nil {
		return nil, err
	}
	v, err := s.offices.View(r.Context(), evID)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Event.Status == boxoffice.Draft {
		return nil, fault.New(fault.NotFound, "event not found")
	}
	return v, nil
}

func (s *Server) publicEvent(w http.ResponseWriter, r *http.Request) error {
	v, err := s.publicView(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, publicEventOf(v, s.clock.Now()))
}

func (s *Server) availability(w http.ResponseWriter, r *http.Request) error {
	v, err := s.publicView(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, availabilityOf(v, s.clock.Now()))
}

type holdIn struct {
	Items opt[[]holdItemIn] `json:"items"`
}

type holdItemIn struct {
	TicketTypeID opt[string] `json:"ticket_type_id"`
	Quantity     opt[int]    `json:"quantity"`
}

func (s *Server) createHold(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitWrite(r); err != nil {
		return err
	}
	evID, err := eventID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	idem, err := idempotency(r, publicScope, body)
	if err != nil {
		return err
	}
	if err := s.holdsPaused(r, evID, idem); err != nil {
		return err
	}
	in, ok := parseHoldFast(body)
	if !ok {
		if err := decodeJSON(body, &in); err != nil {
			return err
		}
	}
	var f []fault.FieldError
	required(&f, "/items", &in.Items)
	if err := fieldsErr(f); err != nil {
		return err
	}
	if len(in.Items.V) == 0 || len(in.Items.V) > boxoffice.MaxHoldItems {
		return fault.Fields(fault.FieldError{Field: "/items", Message: "must list between 1 and 20 ticket types"})
	}
	items := make([]boxoffice.Item, len(in.Items.V))
	for i, it := range in.Items.V {
		p := "/items/" + itoa(uint64(i))
		required(&f, p+"/ticket_type_id", &it.TicketTypeID)
		required(&f, p+"/quantity", &it.Quantity)
		if it.TicketTypeID.Set && !id.Valid(it.TicketTypeID.V, "tt", id.Short) {
			f = append(f, fault.FieldError{Field: p + "/ticket_type_id", Message: "is not a ticket type id"})
		}
		if it.Quantity.Set && (it.Quantity.V < 1 || it.Quantity.V > boxoffice.MaxTicketsPerHoldLimit) {
			f = append(f, fault.FieldError{Field: p + "/quantity", Message: "must be between 1 and 100"})
		}
		items[i] = boxoffice.Item{TicketTypeID: it.TicketTypeID.V, Quantity: it.Quantity.V}
	}
	if err := fieldsErr(f); err != nil {
		return err
	}
	// Sold out is answered from the published view, without queueing behind
	// the box office. Not for a retry with an Idempotency-Key: its first
	// answer may be a hold that the box office must give back.
	if idem == nil {
		if v, err := s.offices.View(r.Context(), evID); err == nil && v != nil {
			if err := v.SoldOut(items); err != nil {
				return err
			}
		}
	}
	end, err := s.inFlight.begin(evID, idem)
	if err != nil {
		return err
	}
	defer end()
	cmd := &boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Items: items, Idem: idem, Client: s.ClientKey(r, evID)}
	res, err := s.offices.Do(r.Context(), evID, cmd, func(st *boxoffice.State, d boxoffice.Decision) any {
		return holdOf(evID, st.Hold(d.Ref))
	})
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusCreated, res, "/api/v1/public/events/"+evID+"/holds/"+res.Ref, res.Value)
}

// holdsPaused is the error a new hold on the event gets while its holds
// are paused, nil otherwise and for the retry of a hold made before (its
// Idempotency-Key is remembered): that one gets its hold back.
func (s *Server) holdsPaused(r *http.Request, evID string, idem *boxoffice.IdemStamp) error {
	if s.pauseHolds == nil {
		return nil
	}
	err := s.pauseHolds(r.Context(), evID)
	if err == nil || idem == nil {
		return err
	}
	now := s.clock.Now()
	made, rerr := s.offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		return st.Remembers(idem, now)
	})
	if rerr == nil && made == true {
		return nil
	}
	return err
}

// holdPath returns the event and hold ids of a hold's path, or NotFound.
func holdPath(r *http.Request) (evID, holdID string, err error) {
	evID, err = eventID(r)
	if err != nil {
		return "", "", err
	}
	holdID = r.PathValue("hold_id")
	if !id.Valid(holdID, "ho", id.Long) {
		return "", "", fault.New(fault.NotFound, "hold not found")
	}
	return evID, holdID, nil
}

var errHoldNotFound = fault.New(fault.NotFound, "hold not found")

func (s *Server) getHold(w http.ResponseWriter, r *http.Request) error {
	evID, holdID, err := holdPath(r)
	if err != nil {
		return err
	}
	v, err := s.offices.Read(r.Context(), evID, func(st *boxoffice.State, _ boxoffice.Decision) any {
		if h := st.Hold(holdID); h != nil {
			return holdOf(evID, h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h, ok := v.(holdJSON)
	if !ok {
		return errHoldNotFound
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitWrite(r); err != nil {
		return err
	}
	evID, holdID, err := holdPath(r)
	if err != nil {
		return err
	}
	res, err := s.offices.Do(r.Context(), evID, &boxoffice.ReleaseHold{HoldID: holdID},
		func(st *boxoffice.State, d boxoffice.Decision) any { return holdOf(evID, st.Hold(d.Ref)) })
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, res, "", res.Value)
}

// extendHold gives the hold the event's hold time again, from now.
func (s *Server) extendHold(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitWrite(r); err != nil {
		return err
	}
	evID, holdID, err := holdPath(r)
	if err != nil {
		return err
	}
	res, err := s.offices.Do(r.Context(), evID, &boxoffice.ExtendHold{HoldID: holdID},
		func(st *boxoffice.State, d boxoffice.Decision) any { return holdOf(evID, st.Hold(d.Ref)) })
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, res, "", res.Value)
}
