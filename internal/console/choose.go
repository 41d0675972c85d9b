package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/sqlite"
)

// Choosing an organizer. An e-mail address can be a member of several
// organizers, each membership with its own password. When the password
// signing in is that of more than one of them, the console shows "Choose
// an organizer": one button per membership whose password it is, in a
// form that carries a choice, not the password.
//
// A choice is "v1.<issued, unix nanoseconds>.<member ids, comma-separated>.<mac>",
// the MAC an HMAC-SHA256 under Config.ChoiceKey of everything before it
// and of the SHA-256 of a random secret kept in a cookie (HttpOnly,
// SameSite=Lax, as long as the choice lasts). So a choice is good only:
// for the memberships whose password was given (a button naming another
// member is refused), for choiceLifetime, in the browser that signed in
// (a choice copied from the page alone is worth nothing), once in that
// browser (choosing, or a refused choice, removes the cookie; nothing is
// kept on the server, so whoever copied both the page and the cookie could
// still use it until it expires), and not after any of its members' sessions were ended
// (a password reset since). Like the sign-in form, its post is refused
// when it comes from another site.
const choiceLifetime = 5 * time.Minute

// choiceCookie is the name of the cookie that binds a choice to its
// browser, and choiceVersion the first part of a choice.
const (
	choiceCookie  = "admit_choice"
	choiceVersion = "v1"
)

// chooserPage is "Choose an organizer".
type chooserPage struct {
	page
	Choice, Next string
	Options      []chooserOption
}

// chooserOption is one membership of the chooser: a button.
type chooserOption struct {
	MemberID, OrganizerName, Role string
}

// choiceMAC is the MAC of a choice's body, bound to the browser's secret.
func (k *Console) choiceMAC(body, browser string) string {
	sum := sha256.Sum256([]byte(browser))
	mac := hmac.New(sha256.New, k.choiceKey)
	mac.Write([]byte(body))
	mac.Write([]byte{0})
	mac.Write(sum[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// makeChoice is a choice among the members, for the browser whose secret
// (its cookie) is browser, made now.
func (k *Console) makeChoice(memberIDs []string, browser string) string {
	body := choiceVersion + "." + strconv.FormatInt(k.cfg.Clock.Now().UnixNano(), 10) + "." + strings.Join(memberIDs, ",")
	return body + "." + k.choiceMAC(body, browser)
}

// choose shows the organizers of members (each a membership whose
// password was given) to choose from, and sets the cookie that binds the
// choice to this browser.
func (k *Console) choose(w http.ResponseWriter, r *http.Request, members []sqlite.MemberRow, to string) {
	p := chooserPage{page: page{Title: "Choose an organizer"}, Next: to}
	ids := make([]string, len(members))
	for i, mem := range members {
		org, err := k.cfg.Read.Organizer(r.Context(), mem.OrganizerID)
		if err != nil {
			k.fail(w, r, nil, err)
			return
		}
		ids[i] = mem.ID
		p.Options = append(p.Options, chooserOption{MemberID: mem.ID, OrganizerName: org.Name, Role: mem.Role.Label()})
	}
	browser := rand.Text()
	p.Choice = k.makeChoice(ids, browser)
	http.SetCookie(w, &http.Cookie{Name: k.choiceCookieName(), Value: browser, Path: "/", HttpOnly: true, Secure: k.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(choiceLifetime / time.Second)})
	k.render(w, "chooser", http.StatusOK, p)
}

func (k *Console) choiceCookieName() string {
	if k.secure {
		return "__Host-" + choiceCookie
	}
	return choiceCookie
}

// chosen signs in to the organizer chosen on "Choose an organizer": the
// member of the button pressed, if the choice names them, is this
// browser's, has not expired, and the member may still sign in. Anything
// else is refused (403) with a page that says to sign in again, and
// counts as a failed sign-in.
func (k *Console) chosen(w http.ResponseWriter, r *http.Request) {
	if k.tooMany(w, r) {
		return
	}
	memberID, ok := k.checkChoice(r)
	var mem sqlite.MemberRow
	var err error
	if ok {
		mem, err = k.cfg.Read.Member(r.Context(), memberID)
		ok = err == nil && !mem.JoinedAt.IsZero() && mem.RemovedAt.IsZero() && !k.choiceIssued(r).Before(mem.SessionsAfter)
	}
	http.SetCookie(w, &http.Cookie{Name: k.choiceCookieName(), Value: "", Path: "/", HttpOnly: true, Secure: k.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	if !ok {
		if k.cfg.SignInFailed != nil {
			k.cfg.SignInFailed(r)
		}
		k.problem(w, r, nil, http.StatusForbidden, "This choice has expired",
			"Choosing an organizer works for "+strconv.Itoa(int(choiceLifetime/time.Minute))+
				" minutes after signing in, once, in the browser you signed in with. Nobody was signed in: sign in again.")
		return
	}
	k.begin(w, r, mem.ID, mem.OrganizerID, next(r.PostFormValue("next")))
}

// checkChoice returns the member chosen by the form of r, and whether the
// choice is good (signed, this browser's, not expired, naming them).
func (k *Console) checkChoice(r *http.Request) (string, bool) {
	c, err := r.Cookie(k.choiceCookieName())
	if err != nil || c.Value == "" {
		return "", false
	}
	choice := r.PostFormValue("choice")
	i := strings.LastIndexByte(choice, '.')
	if i < 0 || !hmac.Equal([]byte(choice[i+1:]), []byte(k.choiceMAC(choice[:i], c.Value))) {
		return "", false
	}
	parts := strings.Split(choice[:i], ".")
	if len(parts) != 3 || parts[0] != choiceVersion {
		return "", false
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || k.cfg.Clock.Now().After(time.Unix(0, issued).Add(choiceLifetime)) {
		return "", false
	}
	memberID := r.PostFormValue("member")
	return memberID, memberID != "" && slices.Contains(strings.Split(parts[2], ","), memberID)
}

// choiceIssued is when the (checked) choice of r's form was made.
func (k *Console) choiceIssued(r *http.Request) time.Time {
	parts := strings.Split(r.PostFormValue("choice"), ".")
	issued, _ := strconv.ParseInt(parts[1], 10, 64)
	return time.Unix(0, issued)
}

// switchOrganizer is the sign-in form again, for a member whose e-mail
// address has other memberships: their password once more, and "Choose an
// organizer" follows. The session goes on until the new one begins.
func (k *Console) switchOrganizer(w http.ResponseWriter, r *http.Request, m *who) {
	p := signInPage{page: pageFor(m, "Switch organizer", "switch"), Email: m.Email, Next: links.Console(), Switch: true}
	k.render(w, "signin", http.StatusOK, p)
}
