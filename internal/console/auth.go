package console

import (
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/password"
	"github.com/admit-org/admit/internal/sqlite"
)

type signInPage struct {
	page
	Email, Next string
	Error       string // the one message a failed sign-in gets, on the e-mail field
	Switch      bool   // a signed-in member's form to switch organizer
}

// next is where to go after signing in: a console path, never elsewhere.
func next(s string) string {
	if s == "" || !strings.HasPrefix(s, links.Console()) || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return links.Console()
	}
	return s
}

func (k *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if m, err := k.who(r); err == nil && m != nil {
		http.Redirect(w, r, next(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	k.render(w, "signin", http.StatusOK, signInPage{page: page{Title: "Sign in"}, Next: next(r.URL.Query().Get("next"))})
}

// signIn checks an e-mail and password against every member who joined
// with that e-mail, and begins a session for the one whose password it is;
// when it is the password of several (one address in several organizers),
// it asks which organizer (choose.go). Every failure reads the same and
// costs the same (a missing member is hashed against too), and counts
// against the client's failed authentications.
func (k *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if k.tooMany(w, r) {
		return
	}
	p := signInPage{page: page{Title: "Sign in"}, Email: strings.TrimSpace(r.PostFormValue("email")), Next: next(r.PostFormValue("next"))}
	pass := r.PostFormValue("password")
	email, err := organizer.NormalizeEmail(p.Email)
	if err != nil || pass == "" {
		p.Error = "Enter your e-mail address and your password."
		if err != nil && p.Email != "" {
			p.Error = "Enter an e-mail address such as ada@example.com."
		}
		p.Errors = []field{{ID: "email", Message: p.Error}}
		k.render(w, "signin", http.StatusUnprocessableEntity, p)
		return
	}
	members, err := k.cfg.Read.MembersByEmail(r.Context(), email)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	// Every membership's hash is checked, whichever match: the cost is one
	// hash per membership of the address (one for an address that is
	// nobody's), not a function of the password.
	var found []sqlite.MemberRow
	for _, mem := range members {
		if password.Check(mem.PasswordHash, pass) {
			found = append(found, mem)
		}
	}
	if len(members) == 0 {
		password.CheckNobody(pass)
	}
	if len(found) == 0 {
		if k.cfg.SignInFailed != nil {
			k.cfg.SignInFailed(r)
		}
		k.cfg.Log.Info("console: sign-in failed", "members", len(members))
		p.Error = "The e-mail address or the password is not right."
		p.Errors = []field{{ID: "email", Message: p.Error}}
		k.render(w, "signin", http.StatusUnauthorized, p)
		return
	}
	if len(found) > 1 {
		k.choose(w, r, found, p.Next)
		return
	}
	k.begin(w, r, found[0].ID, found[0].OrganizerID, p.Next)
}

// tooMany answers 429 and reports true when the request's client has
// failed to sign in too often to try again now.
func (k *Console) tooMany(w http.ResponseWriter, r *http.Request) bool {
	if k.cfg.SignInWait == nil {
		return false
	}
	wait := k.cfg.SignInWait(r)
	if wait <= 0 {
		return false
	}
	secs := seconds(wait)
	w.Header().Set("Retry-After", secs)
	k.problem(w, r, nil, http.StatusTooManyRequests, "Too many tries",
		"This address tried to sign in too often. Wait "+secs+" seconds, then go back and try again.")
	return true
}

// begin starts a new session (a new secret: the one a browser had before
// is ended) and sends the browser on.
func (k *Console) begin(w http.ResponseWriter, r *http.Request, memberID, organizerID, to string) {
	if c, err := r.Cookie(k.cookie); err == nil {
		k.cfg.Sessions.End(r.Context(), c.Value) // rotated: a fixed session is worth nothing
	}
	secret, _, err := k.cfg.Sessions.Begin(r.Context(), memberID, organizerID, k.cfg.Clock.Now())
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	k.keep(w, secret)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (k *Console) signOut(w http.ResponseWriter, r *http.Request) {
	m, err := k.who(r)
	if err == nil && !m.sessionCSRF(r.PostFormValue("csrf")) {
		k.problem(w, r, m, http.StatusForbidden, "This form has expired",
			"You are still signed in. Go back, reload the page and sign out again.")
		return
	}
	if err == nil {
		if err := k.cfg.Sessions.End(r.Context(), m.secret); err != nil {
			k.fail(w, r, m, err)
			return
		}
	}
	k.forget(w)
	http.Redirect(w, r, links.SignIn(), http.StatusSeeOther)
}

type invitationPage struct {
	page
	Secret                                             string
	OrganizerName                                      string
	Role                                               string
	AskEmail                                           bool // the invitation names no e-mail: the first owner's
	Email, Name                                        string
	NameError, EmailError, PasswordError, ConfirmError string
}

// invitation finds the open invitation of the secret in the path.
// Errors: NotFound.
func (k *Console) invitation(r *http.Request) (sqlite.MemberRow, error) {
	secret := r.PathValue("secret")
	gone := fault.New(fault.NotFound, "This invitation does not exist, was used or has expired; ask whoever invited you for a new one")
	if !strings.HasPrefix(secret, organizer.InvitePrefix) || len(secret) != len(organizer.InvitePrefix)+32 {
		return sqlite.MemberRow{}, gone
	}
	m, err := k.cfg.Read.MemberByInvite(r.Context(), organizer.HashToken(secret))
	if fault.Is(err, fault.NotFound) || err == nil && (!m.JoinedAt.IsZero() || !m.RemovedAt.IsZero() || !k.cfg.Clock.Now().Before(m.ExpiresAt)) {
		return sqlite.MemberRow{}, gone
	}
	return m, err
}

func (k *Console) invitationView(r *http.Request, inv sqlite.MemberRow) (invitationPage, error) {
	org, err := k.cfg.Read.Organizer(r.Context(), inv.OrganizerID)
	if err != nil {
		return invitationPage{}, err
	}
	return invitationPage{page: page{Title: "Join " + org.Name}, Secret: r.PathValue("secret"), OrganizerName: org.Name,
		Role: inv.Role.Label(), AskEmail: inv.Email == "", Email: inv.Email}, nil
}

func (k *Console) invitationPage(w http.ResponseWriter, r *http.Request) {
	inv, err := k.invitation(r)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	p, err := k.invitationView(r, inv)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	k.render(w, "invitation", http.StatusOK, p)
}

// acceptInvitation makes the invited person a member, with the name,
// e-mail (for an invitation without one) and password they chose, and
// signs them in.
func (k *Console) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	inv, err := k.invitation(r)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	p, err := k.invitationView(r, inv)
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	p.Name = strings.TrimSpace(r.PostFormValue("name"))
	if p.AskEmail {
		p.Email = strings.TrimSpace(r.PostFormValue("email"))
	}
	pass, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if p.Name == "" || len([]rune(p.Name)) > 200 {
		p.NameError = "Enter your name, up to 200 characters."
		p.Errors = append(p.Errors, field{"name", p.NameError})
	}
	if p.AskEmail {
		if _, err := organizer.NormalizeEmail(p.Email); err != nil {
			p.EmailError = "Enter an e-mail address such as ada@example.com."
			p.Errors = append(p.Errors, field{"email", p.EmailError})
		}
	}
	if err := password.Valid(pass); err != nil {
		p.PasswordError = "Choose a password of " + itoa(password.MinLength) + " to " + itoa(password.MaxLength) + " characters."
		p.Errors = append(p.Errors, field{"password", p.PasswordError})
	} else if confirm != pass {
		p.ConfirmError = "Type the same password again."
		p.Errors = append(p.Errors, field{"confirm", p.ConfirmError})
	}
	if len(p.Errors) > 0 {
		k.render(w, "invitation", http.StatusUnprocessableEntity, p)
		return
	}
	memberID, seq, err := k.cfg.Desk.Join(r.Context(), inv.OrganizerID, r.PathValue("secret"), p.Name, p.Email, pass)
	if fault.Is(err, fault.Conflict) || fault.Is(err, fault.Invalid) {
		p.EmailError = fault.As(err).Message + "."
		p.Errors = append(p.Errors, field{"email", p.EmailError})
		k.render(w, "invitation", http.StatusConflict, p)
		return
	}
	if err != nil {
		k.fail(w, r, nil, err)
		return
	}
	if err := k.cfg.Read.WaitFor(r.Context(), seq); err != nil {
		k.fail(w, r, nil, err)
		return
	}
	k.begin(w, r, memberID, inv.OrganizerID, links.Console())
}
