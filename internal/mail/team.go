package mail

import (
	"bytes"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/admit-org/admit/internal/fault"
)

// The e-mails to an organizer's people, not to buyers.
const (
	MemberInvitation Kind = "member_invitation" // an invitation to join the organizer's console
	PasswordReset    Kind = "password_reset"    // a link to choose a new password
)

// teamKinds lists the kinds ComposeTeam renders.
var teamKinds = []Kind{MemberInvitation, PasswordReset}

// Team is the view model of an e-mail to an organizer's person. Every
// string is formatted by the caller.
type Team struct {
	To            Address
	OrganizerName string
	Role          string // MemberInvitation: the role, as people read it ("Box office")
	Link          string // the secret link the e-mail is for
	Expires       string // when the link stops working
}

type teamView struct {
	Team
	Subject string
}

var teamTemplates = parseTeamTemplates()

func parseTeamTemplates() map[Kind]kindTemplates {
	m := make(map[Kind]kindTemplates, len(teamKinds))
	for _, k := range teamKinds {
		m[k] = kindTemplates{
			text: texttemplate.Must(texttemplate.New(string(k)).ParseFS(templateFS, "templates/"+string(k)+".txt")),
			html: htmltemplate.Must(htmltemplate.New(string(k)).ParseFS(templateFS, "templates/"+string(k)+".html")),
		}
	}
	return m
}

// ComposeTeam renders an e-mail of the team: subject, plain text and HTML
// for v, addressed to v.To. Errors: Invalid for an unknown kind, a missing
// address, organizer name or expiry, or a link that is not absolute
// http(s); Internal when a template fails. Safe for concurrent use.
func ComposeTeam(kind Kind, v Team) (Message, error) {
	t, ok := teamTemplates[kind]
	if !ok {
		return Message{}, fault.New(fault.Invalid, "mail: unknown kind of team e-mail %q", kind)
	}
	if p := addressProblem(Address{Email: v.To.Email}); p != "" {
		return Message{}, fault.New(fault.Invalid, "mail: To: %s", p)
	}
	if strings.TrimSpace(v.OrganizerName) == "" || strings.TrimSpace(v.Expires) == "" {
		return Message{}, fault.New(fault.Invalid, "mail: the %s e-mail needs OrganizerName and Expires", kind)
	}
	if u, err := url.Parse(v.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Message{}, fault.New(fault.Invalid, "mail: Link must be an absolute http(s) link")
	}
	tv := teamView{Team: v}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", tv); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the subject of %s", kind)
	}
	tv.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := t.text.ExecuteTemplate(&text, "text", tv); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the text of %s", kind)
	}
	if err := t.html.ExecuteTemplate(&html, "html", tv); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the HTML of %s", kind)
	}
	return Message{To: Address{Name: oneLine(v.To.Name), Email: v.To.Email}, Subject: tv.Subject,
		Text: text.String(), HTML: html.String()}, nil
}
