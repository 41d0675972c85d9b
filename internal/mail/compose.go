package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/admit-org/admit/internal/fault"
)

// Kind is which e-mail to send.
type Kind string

// The kinds of e-mail admit sends buyers.
const (
	OrderConfirmation Kind = "order_confirmation" // paid: the tickets are attached as a PDF
	PaymentPending    Kind = "payment_pending"    // manual payment: instructions and a deadline
	OrderExpired      Kind = "order_expired"      // not paid in time; the tickets were released
	OrderCancelled    Kind = "order_cancelled"    // cancelled by the organizer or the buyer
	OrderRefunded     Kind = "order_refunded"     // money returned, in full or in part
)

// kinds lists every kind, in the order above.
var kinds = []Kind{OrderConfirmation, PaymentPending, OrderExpired, OrderCancelled, OrderRefunded}

// Order is the view model every template gets. All strings are already
// formatted by the caller (package locale), in the buyer's language and
// currency ("€12.50", "Saturday 14 March 2026, 20:00 CET"): Compose takes
// them as given.
type Order struct {
	EventName, Venue, When         string
	OrderID, BuyerName, BuyerEmail string
	Lines                          []Line
	Total                          string
	OrderURL                       string // the secret link to the order page
	PaymentInstructions            string // PaymentPending only; line breaks are kept
	PayBy                          string // PaymentPending: the deadline, formatted
	Reason                         string // OrderExpired, OrderCancelled, OrderRefunded: why, in plain words; may be empty
	RefundAmount                   string // OrderRefunded
}

// Line is one ticket type of an order.
type Line struct {
	TicketType string
	Quantity   int
	Amount     string // the line's total, formatted
}

// view is what the templates see: the order, and for the HTML part the
// subject rendered by the text template.
type view struct {
	Order
	Kind    Kind
	Subject string
}

//go:embed templates
var templateFS embed.FS

// kindTemplates holds one kind's parsed templates. Parsed once, at package
// initialisation, and only read afterwards: safe for concurrent use.
type kindTemplates struct {
	text *texttemplate.Template // defines "subject" and "text"
	html *htmltemplate.Template // defines "html"
}

var templates = parseTemplates()

var funcs = map[string]any{
	// lines splits text at line breaks, so the HTML part can keep them.
	"lines": func(s string) []string {
		return strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n")
	},
}

func parseTemplates() map[Kind]kindTemplates {
	m := make(map[Kind]kindTemplates, len(kinds))
	for _, k := range kinds {
		text := texttemplate.Must(texttemplate.New(string(k)).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.txt", "templates/"+string(k)+".txt"))
		html := htmltemplate.Must(htmltemplate.New(string(k)).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/"+string(k)+".html"))
		m[k] = kindTemplates{text: text, html: html}
	}
	return m
}

// Compose renders kind's subject, plain-text part and HTML part for o, and
// returns a Message addressed to the buyer. The caller sets the Message's ID
// and, for an OrderConfirmation, attaches the tickets' PDF (the e-mail says
// they are attached).
//
// It returns a fault.Invalid error for an unknown kind or when o lacks a
// field the kind needs (every kind needs EventName, OrderID, BuyerEmail and
// an http(s) OrderURL; see required), and fault.Internal if a template fails.
// Compose is safe for concurrent use.
func Compose(kind Kind, o Order) (Message, error) {
	t, ok := templates[kind]
	if !ok {
		return Message{}, fault.New(fault.Invalid, "mail: unknown kind of e-mail %q", kind)
	}
	if err := required(kind, o); err != nil {
		return Message{}, err
	}
	v := view{Order: o, Kind: kind}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the subject of %s", kind)
	}
	// A subject is one line: a name with a line break must not split it.
	v.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := t.text.ExecuteTemplate(&text, "text", v); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the text of %s", kind)
	}
	if err := t.html.ExecuteTemplate(&html, "html", v); err != nil {
		return Message{}, fault.Wrap(fault.Internal, err, "mail: render the HTML of %s", kind)
	}
	return Message{
		To:      Address{Name: oneLine(o.BuyerName), Email: o.BuyerEmail},
		Subject: v.Subject,
		Text:    text.String(),
		HTML:    html.String(),
	}, nil
}

// required returns a fault.Invalid error naming every field that kind needs
// and o lacks, or nil.
func required(kind Kind, o Order) error {
	var missing []string
	need := func(field, value string) {
		if strings.TrimSpace(value) == "" {
			missing = append(missing, field)
		}
	}
	need("EventName", o.EventName)
	need("OrderID", o.OrderID)
	need("BuyerEmail", o.BuyerEmail)
	need("OrderURL", o.OrderURL)
	switch kind {
	case OrderConfirmation:
		need("Total", o.Total)
		if len(o.Lines) == 0 {
			missing = append(missing, "Lines")
		}
	case PaymentPending:
		need("Total", o.Total)
		need("PaymentInstructions", o.PaymentInstructions)
		need("PayBy", o.PayBy)
		if len(o.Lines) == 0 {
			missing = append(missing, "Lines")
		}
	case OrderRefunded:
		need("RefundAmount", o.RefundAmount)
	}
	if len(missing) > 0 {
		return fault.New(fault.Invalid, "mail: the %s e-mail needs %s", kind, strings.Join(missing, ", "))
	}
	if p := addressProblem(Address{Email: o.BuyerEmail}); p != "" {
		return fault.New(fault.Invalid, "mail: BuyerEmail: %s", p)
	}
	if u, err := url.Parse(o.OrderURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fault.New(fault.Invalid, "mail: OrderURL must be an absolute http(s) link")
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
