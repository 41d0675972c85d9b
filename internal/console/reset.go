package console

import (
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/password"
	"github.com/admit-org/admit/internal/sqlite"
)

type resetAskPage struct {
	page
	Email, Error string
	Sent         bool
}

func (k *Console) resetAskPage(w http.ResponseWriter, r *http.Request) {
	k.render(w, "resetask", http.StatusOK, resetAskPage{page: page{Title: "Forgot your password?"}})
}

// askReset records a password reset for every member who joined with the
// e-mail, for the e-mail worker to send each a link. It answers the same
// whether the address is a member's or not, and counts against the
// client's failed sign-ins, so it tells nobody which addresses have
// accounts and floods nobody's inbox.
func (k *Console) askReset(w http.ResponseWriter, r *http.Request) {
	if k.cfg.SignInWait != nil {
		if wait := k.cfg.SignInWait(r); wait > 0 {
			secs := seconds(wait)
			w.Header().Set("Retry-After", secs)
			k.problem(w, r, nil, http.StatusTooManyRequests, "Too many tries",
				"This address asked too often. Wait "+secs+" seconds, then go back and try again.")
			return
		}
	}
	p := resetAskPage{page: page{Title: "Forgot your password?"}, Email: strings.TrimSpace(r.PostFormValue("email"))}
	email, err := organizer.NormalizeEmail(p.Email)
	if err != nil {
		p.Error = "Enter an e-mail address such as ada@example.com."
		p.Errors = []field{{ID: "email", Message: p.Error}}
		k.render(w, "resetask", http.StatusUnprocessableEntity, p)
		return
	}
	if k.cfg.SignInFailed != nil {
		k.cfg.SignInFailed(r)
	}
	members, err := k.cfg.Read.MembersByEmail(r.Context(), email)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	for _, m := range members {
		if _, err := k.cfg.Desk.RequestReset(r.Context(), m.OrganizerID, m.ID); err != nil && !fault.Is(err, fault.NotFound) {
			k.fail(w, r, nil, err)
			return
		}
	}
	p.Sent = true
	p.Notice = "If " + email + " belongs to a member, a link to choose a new password is on its way there. It works for an hour."
	k.render(w, "resetask", http.StatusOK, p)
}

type resetPage struct {
	page
	Secret, Name                string
	PasswordError, ConfirmError string
}

// reset finds the open reset of the secret in the path. Errors: NotFound.
func (k *Console) reset(r *http.Request) (sqlite.MemberRow, error) {
	secret := r.PathValue("secret")
	gone := fault.New(fault.NotFound, "This link does not work: it was used, it has expired or a newer one was sent. Ask for a new one")
	if !strings.HasPrefix(secret, organizer.ResetPrefix) || len(secret) != len(organizer.ResetPrefix)+32 {
		return sqlite.MemberRow{}, gone
	}
	m, expires, err := k.cfg.Read.MemberByReset(r.Context(), organizer.HashToken(secret))
	if fault.Is(err, fault.NotFound) || err == nil && (!k.cfg.Clock.Now().Before(expires) || !m.RemovedAt.IsZero()) {
		return sqlite.MemberRow{}, gone
	}
	return m, err
}

func (k *Console) resetPage(w http.ResponseWriter, r *http.Request) {
	m, err := k.reset(r)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	k.render(w, "reset", http.StatusOK, resetPage{page: page{Title: "Choose a new password"}, Secret: r.PathValue("secret"), Name: m.Name})
}

// setPassword gives the member of the reset their new password, ends their
// other sessions (the ledger's entry says so to every node) and signs them
// in.
func (k *Console) setPassword(w http.ResponseWriter, r *http.Request) {
	m, err := k.reset(r)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	p := resetPage{page: page{Title: "Choose a new password"}, Secret: r.PathValue("secret"), Name: m.Name}
	pass, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if err := password.Valid(pass); err != nil {
		p.PasswordError = "Choose a password of " + itoa(password.MinLength) + " to " + itoa(password.MaxLength) + " characters."
		p.Errors = []field{{"password", p.PasswordError}}
	} else if confirm != pass {
		p.ConfirmError = "Type the same password again."
		p.Errors = []field{{"confirm", p.ConfirmError}}
	}
	if len(p.Errors) > 0 {
		k.render(w, "reset", http.StatusUnprocessableEntity, p)
		return
	}
	memberID, seq, err := k.cfg.Desk.ResetPassword(r.Context(), m.OrganizerID, p.Secret, pass)
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), seq)
	}
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	k.begin(w, r, memberID, m.OrganizerID, "/manage")
}
