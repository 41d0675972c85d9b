package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

// TokenDesk is what the token routes need to change an organizer's API
// tokens (*organizer.Desk).
type TokenDesk interface {
	CreateToken(ctx context.Context, actor access.Actor, organizerID, name string, role access.Role) (organizer.Issued, error)
	RevokeToken(ctx context.Context, actor access.Actor, organizerID, tokenID string) (uint64, error)
}

// TokenLister lists and finds API tokens in the read model (*sqlite.DB).
type TokenLister interface {
	ListTokens(ctx context.Context, organizerID string) ([]sqlite.TokenRow, error)
	Token(ctx context.Context, id string) (sqlite.TokenRow, error)
}

var (
	_ TokenDesk   = (*organizer.Desk)(nil)
	_ TokenLister = (*sqlite.DB)(nil)
)

type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Token     string     `json:"token,omitempty"` // only in the answer that creates it
}

type tokenListJSON struct {
	Items []tokenJSON `json:"items"`
}

type tokenIn struct {
	Name opt[string] `json:"name"`
	Role opt[string] `json:"role"`
}

func tokenOf(t sqlite.TokenRow) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Role: string(t.Role), CreatedAt: t.CreatedAt.UTC()}
	if !t.RevokedAt.IsZero() {
		r := t.RevokedAt.UTC()
		out.RevokedAt = &r
	}
	return out
}

// tokensReady returns the desk and lister, or Unavailable on a node that
// was not given them.
func (s *Server) tokensReady() error {
	if s.tokenDesk == nil || s.tokenList == nil {
		return fault.New(fault.Unavailable, "API tokens cannot be managed on this node")
	}
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	if err := s.tokensReady(); err != nil {
		return err
	}
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	rows, err := s.tokenList.ListTokens(r.Context(), org.ID)
	if err != nil {
		return err
	}
	out := tokenListJSON{Items: make([]tokenJSON, len(rows))}
	for i, t := range rows {
		out.Items[i] = tokenOf(t)
	}
	return writeJSON(w, http.StatusOK, out)
}

// createToken makes a token and answers its secret, once. It takes no
// Idempotency-Key: a replay would have to answer the secret again, and the
// secret is never stored.
// A token gets the role asked for, else its maker's (access.MayGrant
// decides which the maker may give).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.tokensReady(); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if _, present := r.Header["Idempotency-Key"]; present {
		return fault.Coded(fault.Invalid, "idempotency-key-invalid",
			"creating an API token takes no Idempotency-Key: its secret is shown once and never stored, so it cannot be replayed; "+
				"if an answer is lost, list the tokens and revoke the one you did not get")
	}
	var in tokenIn
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	var f []fault.FieldError
	required(&f, "/name", &in.Name)
	role := actor.Role
	if in.Role.Set {
		if role = access.Role(in.Role.V); !slices.Contains(access.Roles, role) {
			f = append(f, fault.FieldError{Field: "/role", Message: "must be one of owner, admin, box_office, door, viewer"})
		}
	}
	if len(f) > 0 {
		return fault.Fields(f...)
	}
	issued, err := s.tokenDesk.CreateToken(r.Context(), actor, org.ID, in.Name.V, role)
	if err != nil {
		return err
	}
	s.noteWrite(issued.Seq) // before s.token, so it waits for this write
	row, err := s.token(r.Context(), org.ID, issued.TokenID)
	if err != nil {
		return err
	}
	out := tokenOf(row)
	out.Token = issued.Token
	return s.writeResult(w, http.StatusCreated, office.Result{Seq: issued.Seq}, "", out)
}

// revokeToken revokes one of the organizer's tokens, the caller's own
// included. It answers once this node's read model has the revocation, so
// the token is refused from the next request on.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, actor access.Actor) error {
	if err := s.tokensReady(); err != nil {
		return err
	}
	tokenID := r.PathValue("token_id")
	seq, err := s.tokenDesk.RevokeToken(r.Context(), actor, org.ID, tokenID)
	if err != nil {
		return err
	}
	s.noteWrite(seq) // before s.token, so it waits for this write
	row, err := s.token(r.Context(), org.ID, tokenID)
	if err != nil {
		return err
	}
	return s.writeResult(w, http.StatusOK, office.Result{Seq: seq}, "", tokenOf(row))
}

// token returns one of the organizer's tokens from the read model, once it
// has this node's writes. Errors: NotFound; Unavailable while it catches up.
func (s *Server) token(ctx context.Context, organizerID, tokenID string) (sqlite.TokenRow, error) {
	if err := s.waitForOwnWrites(ctx); err != nil {
		return sqlite.TokenRow{}, err
	}
	t, err := s.tokenList.Token(ctx, tokenID)
	if fault.Is(err, fault.NotFound) || err == nil && t.OrganizerID != organizerID {
		return sqlite.TokenRow{}, fault.New(fault.NotFound, "organizer %s has no API token %s", organizerID, tokenID)
	}
	if err != nil {
		return sqlite.TokenRow{}, err
	}
	return t, nil
}
