package console

import (
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
)

type tokenRow struct {
	ID, Name, Role, Created, Revoked string
	CanRevoke                        bool
}

type tokensPage struct {
	page
	Tokens    []tokenRow
	Roles     []roleOption // those the member may give
	NameError string
	// The token just made, shown once.
	Made, MadeName string
}

func (k *Console) tokensView(r *http.Request, m *who) (tokensPage, error) {
	rows, err := k.cfg.Read.ListTokens(r.Context(), m.OrganizerID)
	if err != nil {
		return tokensPage{}, err
	}
	p := tokensPage{page: pageFor(m, "API tokens", "tokens")}
	manage := access.Allow(m.Actor, m.OrganizerID, access.ManageTeam) == nil
	for _, t := range rows {
		row := tokenRow{ID: t.ID, Name: t.Name, Role: t.Role.Label(), Created: when(t.CreatedAt, "UTC")}
		if !t.RevokedAt.IsZero() {
			row.Revoked = when(t.RevokedAt, "UTC")
		}
		row.CanRevoke = manage && row.Revoked == "" && access.MayGrant(m.Actor, t.Role) == nil
		p.Tokens = append(p.Tokens, row)
	}
	for _, role := range access.Roles {
		if manage && access.MayGrant(m.Actor, role) == nil {
			p.Roles = append(p.Roles, roleOption{Value: string(role), Label: role.Label(), Selected: role == access.Viewer})
		}
	}
	return p, nil
}

func (k *Console) tokens(w http.ResponseWriter, r *http.Request, m *who) {
	p, err := k.tokensView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "tokens", http.StatusOK, p)
}

// makeToken makes an API token with a role and shows its secret, once.
func (k *Console) makeToken(w http.ResponseWriter, r *http.Request, m *who) {
	name := strings.TrimSpace(r.PostFormValue("token-name"))
	issued, err := k.cfg.Desk.CreateToken(r.Context(), m.Actor, m.OrganizerID, name, access.Role(r.PostFormValue("role")))
	if fault.Is(err, fault.Invalid) {
		p, verr := k.tokensView(r, m)
		if verr != nil {
			k.fail(w, r, m, verr)
			return
		}
		p.NameError = "Enter a name for the token, up to 200 characters, and choose a role."
		p.Errors = []field{{ID: "token-name", Message: p.NameError}}
		k.render(w, "tokens", http.StatusUnprocessableEntity, p)
		return
	}
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), issued.Seq)
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p, err := k.tokensView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p.Made, p.MadeName = issued.Token, name
	p.Notice = "API token " + name + " made. Copy it now: it is shown only this once."
	k.render(w, "tokens", http.StatusCreated, p)
}

func (k *Console) revokeToken(w http.ResponseWriter, r *http.Request, m *who) {
	seq, err := k.cfg.Desk.RevokeToken(r.Context(), m.Actor, m.OrganizerID, r.PathValue("token_id"))
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), seq)
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p, err := k.tokensView(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p.Notice = "The token is revoked: requests made with it are refused."
	k.render(w, "tokens", http.StatusOK, p)
}
