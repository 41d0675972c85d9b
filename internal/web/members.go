package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

// TeamDesk changes an organizer's team and profile (*organizer.Desk).
type TeamDesk interface {
	Invite(ctx context.Context, actor access.Actor, organizerID, email string, role access.Role) (organizer.Invitation, error)
	ChangeRole(ctx context.Context, actor access.Actor, organizerID, memberID string, role access.Role) (uint64, error)
	RemoveMember(ctx context.Context, actor access.Actor, organizerID, memberID string) (uint64, error)
	UpdateProfile(ctx context.Context, actor access.Actor, organizerID string, p organizer.Profile) (uint64, error)
}

// TeamReader reads an organizer's team and profile (*sqlite.DB).
type TeamReader interface {
	ListMembers(ctx context.Context, organizerID string) ([]sqlite.MemberRow, error)
	Member(ctx context.Context, id string) (sqlite.MemberRow, error)
	Profile(ctx context.Context, organizerID string) (organizer.Profile, error)
}

var (
	_ TeamDesk   = (*organizer.Desk)(nil)
	_ TeamReader = (*sqlite.DB)(nil)
)

type memberJSON struct {
	ID            string     `json:"id"`
	Email         string     `json:"email,omitempty"`
	Name          string     `json:"name,omitempty"`
	Role          string     `json:"role"`
	Status        string     `json:"status"` // invited, member, removed
	InvitedAt     time.Time  `json:"invited_at"`
	ExpiresAt     *time.Time `json:"invitation_expires_at,omitempty"`
	JoinedAt      *time.Time `json:"joined_at,omitempty"`
	RemovedAt     *time.Time `json:"removed_at,omitempty"`
	InvitationURL string     `json:"invitation_url,omitempty"` // only in the answer that invites
}

func memberOf(m sqlite.MemberRow) memberJSON {
	out := memberJSON{ID: m.ID, Email: m.Email, Name: m.Name, Role: string(m.Role), Status: "member", InvitedAt: utc(m.InvitedAt),
		JoinedAt: optTime(m.JoinedAt), RemovedAt: optTime(m.RemovedAt)}
	if m.JoinedAt.IsZero() {
		out.Status, out.ExpiresAt = "invited", optTime(m.ExpiresAt)
	}
	if !m.RemovedAt.IsZero() {
		out.Status = "removed"
	}
	return out
}

// teamReady returns Unavailable on a node that was not given the team's
// desk and reader.
func (s *Server) teamReady() error {
	if s.teamDesk == nil || s.team == nil {
		return fault.New(fault.Unavailable, "the team cannot be managed on this node")
	}
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	if err := s.teamReady(); err != nil {
		return err
	}
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	rows, err := s.team.ListMembers(r.Context(), org.ID)
	if err != nil {
		return err
	}
	out := struct {
		Items []memberJSON `json:"items"`
	}{Items: make([]memberJSON, len(rows))}
	for i, m := range rows {
		out.Items[i] = memberOf(m)
	}
	return writeJSON(w, http.StatusOK, out)
}

// inviteMember makes an invitation and answers its link, this once (the
// e-mail worker sends it to the address too). Like a token, it takes no
// Idempotency-Key: its secret is not kept to answer a replay with.
func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.teamReady(); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if _, present := r.Header["Idempotency-Key"]; present {
		return fault.Coded(fault.Invalid, "idempotency-key-invalid",
			"inviting takes no Idempotency-Key: the invitation's link is shown once; if an answer is lost, list the members and remove the invitation you did not get")
	}
	var in struct {
		Email opt[string] `json:"email"`
		Role  opt[string] `json:"role"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/email", &in.Email)
	required(&f, "/role", &in.Role)
	if in.Role.Set && !slices.Contains(access.Roles, access.Role(in.Role.V)) {
		f = append(f, fault.FieldError{Field: "/role", Message: "must be one of owner, admin, box_office, door, viewer"})
	}
	if len(f) > 0 {
		return fault.Fields(f...)
	}
	inv, err := s.teamDesk.Invite(r.Context(), actor, org.ID, in.Email.V, access.Role(in.Role.V))
	if err != nil {
		return err
	}
	s.noteWrite(inv.Seq)
	m, err := s.member(r.Context(), org.ID, inv.MemberID)
	if err != nil {
		return err
	}
	out := memberOf(m)
	out.InvitationURL = s.links.URL(links.Invitation(inv.Token))
	return s.writeResult(w, http.StatusCreated, office.Result{Seq: inv.Seq}, "/api/v1/organizer/members/"+inv.MemberID, out)
}

func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.teamReady(); err != nil {
		return err
	}
	memberID, err := memberID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Role opt[string] `json:"role"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/role", &in.Role)
	if len(f) > 0 {
		return fault.Fields(f...)
	}
	if _, err := s.member(r.Context(), org.ID, memberID); err != nil {
		return err
	}
	seq, err := s.teamDesk.ChangeRole(r.Context(), actor, org.ID, memberID, access.Role(in.Role.V))
	if err != nil {
		return err
	}
	s.noteWrite(seq)
	m, err := s.member(r.Context(), org.ID, memberID)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, office.Result{Seq: seq}, "", memberOf(m))
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.teamReady(); err != nil {
		return err
	}
	memberID, err := memberID(r)
	if err != nil {
		return err
	}
	if _, err := s.member(r.Context(), org.ID, memberID); err != nil {
		return err
	}
	seq, err := s.teamDesk.RemoveMember(r.Context(), actor, org.ID, memberID)
	if err != nil {
		return err
	}
	s.noteWrite(seq)
	m, err := s.member(r.Context(), org.ID, memberID)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, office.Result{Seq: seq}, "", memberOf(m))
}

// member returns one of the organizer's members from the read model, once
// it has this node's writes. Errors: NotFound; Unavailable.
func (s *Server) member(ctx context.Context, organizerID, memberID string) (sqlite.MemberRow, error) {
	if err := s.waitForOwnWrites(ctx); err != nil {
		return sqlite.MemberRow{}, err
	}
	m, err := s.team.Member(ctx, memberID)
	if fault.Is(err, fault.NotFound) || err == nil && m.OrganizerID != organizerID {
		return sqlite.MemberRow{}, fault.New(fault.NotFound, "organizer %s has no member %s", organizerID, memberID)
	}
	return m, err
}

func memberID(r *http.Request) (string, error) {
	v := r.PathValue("member_id")
	if !id.Valid(v, "mb", id.Short) {
		return "", fault.New(fault.NotFound, "no member %q", v)
	}
	return v, nil
}
