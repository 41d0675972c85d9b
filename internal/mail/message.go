package mail

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/admit-org/admit/internal/fault"
)

// Address is a mailbox: a display name, which may be empty, and an e-mail
// address such as "ada@example.com".
type Address struct {
	Name, Email string
}

// Attachment is a file sent with a message, such as the tickets' PDF.
type Attachment struct {
	Name        string // file name shown to the recipient, e.g. "tickets.pdf"
	ContentType string // e.g. "application/pdf"; empty: application/octet-stream
	Data        []byte
}

// Message is one e-mail to one recipient.
type Message struct {
	// ID is the Message-ID without angle brackets, such as
	// "<ledger entry id>@admit". The same message always gets the same ID, so
	// that a retried send can be recognised as a duplicate.
	ID          string
	From        Address // zero: the sender's configured From
	To          Address
	Subject     string
	Text, HTML  string // plain text (required) and HTML (optional) versions of the same content
	Attachments []Attachment
}

// Validate reports whether m can be sent: it has a well-formed ID, a
// recipient and a subject, a plain-text part, and attachments with names.
// The error is a fault.Invalid naming every problem. Both senders call it.
func (m Message) Validate() error {
	var problems []string
	if !validMessageID(m.ID) {
		problems = append(problems, fmt.Sprintf("ID %q is not a Message-ID (left@right, no angle brackets or spaces)", m.ID))
	}
	if p := addressProblem(m.To); p != "" {
		problems = append(problems, "To: "+p)
	}
	if m.From != (Address{}) {
		if p := addressProblem(m.From); p != "" {
			problems = append(problems, "From: "+p)
		}
	}
	if strings.TrimSpace(m.Subject) == "" {
		problems = append(problems, "the subject is empty")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		problems = append(problems, "the subject has a line break")
	}
	if strings.TrimSpace(m.Text) == "" {
		problems = append(problems, "the plain-text part is empty")
	}
	for i, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" || strings.ContainsAny(a.Name, "\r\n\"/\\") {
			problems = append(problems, fmt.Sprintf("attachment %d has no usable file name", i))
		}
		if strings.ContainsAny(a.ContentType, "\r\n") {
			problems = append(problems, fmt.Sprintf("attachment %d has a line break in its content type", i))
		}
	}
	if len(problems) > 0 {
		return fault.New(fault.Invalid, "mail: message %q cannot be sent: %s", m.ID, strings.Join(problems, "; "))
	}
	return nil
}

// addressProblem says what is wrong with a, or "" when a's Email is one
// plain address as net/mail parses it and its Name has no line break.
func addressProblem(a Address) string {
	if strings.ContainsAny(a.Name, "\r\n") {
		return "the name has a line break"
	}
	p, err := mail.ParseAddress(a.Email)
	if err != nil || p.Address != a.Email {
		return fmt.Sprintf("%q is not an e-mail address", a.Email)
	}
	return ""
}

// validMessageID reports whether id is an RFC 5322 msg-id without its angle
// brackets: dot-atom-text "@" dot-atom-text. This also keeps line breaks out
// of the header.
func validMessageID(id string) bool {
	left, right, ok := strings.Cut(id, "@")
	return ok && len(id) <= 250 && dotAtom(left) && dotAtom(right)
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}
