package mail

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

// order returns an order with every field set, as a caller would fill it.
func order() Order {
	return Order{
		EventName:  "Night & Day",
		Venue:      "Paradiso, Amsterdam",
		When:       "Sat 14 March 2026, 20:00",
		OrderID:    "ord_k3n7q2x9m4",
		BuyerName:  "Ada Lovelace",
		BuyerEmail: "ada@example.com",
		Lines: []Line{
			{TicketType: "Standing", Quantity: 2, Amount: "€ 50.00"},
			{TicketType: "Balcony (seated)", Quantity: 1, Amount: "€ 32.50"},
		},
		Total:               "€ 82.50",
		OrderURL:            "https://tickets.example.com/orders/ord_k3n7q2x9m4?key=s3cr3t&lang=en",
		PaymentInstructions: "Transfer to IBAN NL91 ABNA 0417 1643 00\nReference: ord_k3n7q2x9m4",
		PayBy:               "Mon 2 March 2026, 23:59",
		Reason:              "The organizer had to move the show.",
		RefundAmount:        "€ 32.50",
	}
}

func TestCompose(t *testing.T) {
	tests := []struct {
		kind        Kind
		subject     string
		heading     string
		linkText    string
		mustSay     []string // in both parts
		mustNotSay  []string // in neither part
		showsReason bool
	}{
		{
			kind:     OrderConfirmation,
			subject:  "Your tickets for Night & Day (order ord_k3n7q2x9m4)",
			heading:  "Your tickets for Night & Day",
			linkText: "View your order and your tickets",
			mustSay:  []string{"attached to this e-mail as a PDF", "€ 82.50"},
			// A confirmation has nothing to explain.
			mustNotSay: []string{"The organizer had to move the show.", "IBAN", "refunded"},
		},
		{
			kind:       PaymentPending,
			subject:    "Please pay by Mon 2 March 2026, 23:59: order ord_k3n7q2x9m4 for Night & Day",
			heading:    "Please pay by Mon 2 March 2026, 23:59",
			linkText:   "View your order",
			mustSay:    []string{"Transfer to IBAN NL91 ABNA 0417 1643 00", "Reference: ord_k3n7q2x9m4", "Mon 2 March 2026, 23:59", "€ 82.50"},
			mustNotSay: []string{"attached", "The organizer had to move the show."},
		},
		{
			kind:        OrderExpired,
			subject:     "Your order ord_k3n7q2x9m4 for Night & Day has expired",
			heading:     "Your order has expired",
			linkText:    "View your expired order",
			mustSay:     []string{"expired", "released"},
			mustNotSay:  []string{"attached", "IBAN"},
			showsReason: true,
		},
		{
			kind:        OrderCancelled,
			subject:     "Your order ord_k3n7q2x9m4 for Night & Day has been cancelled",
			heading:     "Your order has been cancelled",
			linkText:    "View your cancelled order",
			mustSay:     []string{"cancelled", "no longer valid"},
			mustNotSay:  []string{"attached", "IBAN"},
			showsReason: true,
		},
		{
			kind:        OrderRefunded,
			subject:     "Refund of € 32.50 for order ord_k3n7q2x9m4 (Night & Day)",
			heading:     "We have refunded € 32.50",
			linkText:    "View your order and the tickets you still hold",
			mustSay:     []string{"refunded € 32.50", "no longer valid"},
			mustNotSay:  []string{"attached", "IBAN"},
			showsReason: true,
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			o := order()
			m, err := Compose(tt.kind, o)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject:\n got %q\nwant %q", m.Subject, tt.subject)
			}
			if want := (Address{Name: "Ada Lovelace", Email: "ada@example.com"}); m.To != want {
				t.Errorf("To = %+v, want %+v", m.To, want)
			}
			if m.ID != "" || m.From != (Address{}) || m.Attachments != nil {
				t.Errorf("Compose set ID, From or attachments, which are the caller's: %+v", m)
			}

			// The plain text carries the same information, the link on a
			// line of its own.
			text := m.Text
			if !strings.Contains(text, "\n"+o.OrderURL+"\n") {
				t.Errorf("text lacks the order link on its own line:\n%s", text)
			}
			want := append([]string{"Hello Ada Lovelace,", o.EventName, o.Venue, o.When, o.OrderID, tt.linkText + ":"}, tt.mustSay...)
			for _, l := range o.Lines {
				want = append(want, fmt.Sprintf("%d x %s: %s", l.Quantity, l.TicketType, l.Amount))
			}
			if tt.showsReason {
				want = append(want, o.Reason)
			}
			for _, s := range want {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q:\n%s", s, text)
				}
			}

			doc := parseHTML(t, m.HTML)
			if doc.lang != "en" {
				t.Errorf(`<html lang=%q>, want "en"`, doc.lang)
			}
			if doc.title != tt.subject {
				t.Errorf("<title> = %q, want the subject %q", doc.title, tt.subject)
			}
			if len(doc.h1) != 1 || doc.h1[0] != tt.heading {
				t.Errorf("<h1>s = %q, want exactly [%q]", doc.h1, tt.heading)
			}
			if got := doc.links[o.OrderURL]; got != tt.linkText {
				t.Errorf("link to the order has text %q, want %q (links: %q)", got, tt.linkText, doc.links)
			}
			if len(doc.rowHeaders) != len(o.Lines)+1 || len(doc.colHeaders) != 3 {
				t.Errorf("table headers: rows %q, columns %q; want one row per line plus the total, and 3 columns", doc.rowHeaders, doc.colHeaders)
			}
			if doc.caption == "" {
				t.Error("the ticket table has no caption")
			}
			for _, s := range want {
				if s == tt.linkText+":" || strings.HasPrefix(s, "Hello") || strings.Contains(s, " x ") {
					continue // worded differently in HTML, checked above
				}
				if !strings.Contains(doc.text, s) {
					t.Errorf("HTML lacks %q:\n%s", s, doc.text)
				}
			}
			for _, s := range tt.mustNotSay {
				if strings.Contains(text, s) || strings.Contains(doc.text, s) {
					t.Errorf("the %s e-mail says %q", tt.kind, s)
				}
			}
		})
	}
}

func TestComposeWithoutOptionalFields(t *testing.T) {
	o := order()
	o.BuyerName, o.Venue, o.When, o.Reason = "", "", "", ""
	o.Lines, o.Total = nil, ""
	m, err := Compose(OrderCancelled, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") {
		t.Errorf("text without a buyer name starts %q", m.Text[:20])
	}
	for _, s := range []string{"Venue:", "When:", "Total", "Tickets:", "<no value>"} {
		if strings.Contains(m.Text, s) {
			t.Errorf("text shows %q for a field that is empty:\n%s", s, m.Text)
		}
	}
	doc := parseHTML(t, m.HTML)
	if len(doc.rowHeaders)+len(doc.colHeaders) != 0 {
		t.Errorf("HTML has a ticket table for an order without lines")
	}
	if strings.Contains(m.HTML, "<no value>") {
		t.Error("HTML shows <no value>")
	}
}

func TestComposeEscapesHTML(t *testing.T) {
	o := order()
	o.BuyerName = `<script>alert("pwned")</script>`
	o.EventName = `Rock & <b>Roll</b>`
	o.Lines[0].TicketType = `<img src=x onerror=alert(1)>`
	o.PaymentInstructions = "<a href=\"https://evil.example\">pay here</a>\nthen wait"
	for _, kind := range kinds {
		m, err := Compose(kind, o)
		if err != nil {
			t.Fatal(err)
		}
		doc := parseHTML(t, m.HTML)
		for _, el := range []string{"script", "b", "img"} {
			if doc.elements[el] > 0 {
				t.Errorf("%s: buyer or organizer input became a <%s> element", kind, el)
			}
		}
		if len(doc.links) != 1 {
			t.Errorf("%s: links %q, want only the order link", kind, doc.links)
		}
		if !strings.Contains(doc.text, `Hello <script>alert("pwned")</script>,`) {
			t.Errorf("%s: the buyer name is not shown as text:\n%s", kind, doc.text)
		}
		// Plain text is not HTML: the name appears as typed.
		if !strings.Contains(m.Text, `Hello <script>alert("pwned")</script>,`) {
			t.Errorf("%s: text mangles the buyer name:\n%s", kind, m.Text)
		}
	}
}

func TestComposeSubjectIsOneLine(t *testing.T) {
	o := order()
	o.EventName = "Night\r\n& Day"
	m, err := Compose(OrderExpired, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Your order ord_k3n7q2x9m4 for Night & Day has expired"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
}

func TestComposeErrors(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		change func(*Order)
		want   string // in the error
	}{
		{"unknown kind", "order_lost", func(*Order) {}, `unknown kind of e-mail "order_lost"`},
		{"no order link", OrderConfirmation, func(o *Order) { o.OrderURL = "" }, "OrderURL"},
		{"no buyer e-mail", OrderExpired, func(o *Order) { o.BuyerEmail = " " }, "BuyerEmail"},
		{"several missing", OrderConfirmation, func(o *Order) { o.EventName, o.OrderID = "", "" }, "needs EventName, OrderID"},
		{"no lines", OrderConfirmation, func(o *Order) { o.Lines = nil }, "Lines"},
		{"no total", OrderConfirmation, func(o *Order) { o.Total = "" }, "Total"},
		{"no instructions", PaymentPending, func(o *Order) { o.PaymentInstructions = "" }, "PaymentInstructions"},
		{"no deadline", PaymentPending, func(o *Order) { o.PayBy = "" }, "PayBy"},
		{"no refund amount", OrderRefunded, func(o *Order) { o.RefundAmount = "" }, "RefundAmount"},
		{"bad buyer e-mail", OrderCancelled, func(o *Order) { o.BuyerEmail = "Ada <ada@example.com>" }, "not an e-mail address"},
		{"relative link", OrderCancelled, func(o *Order) { o.OrderURL = "/orders/1" }, "OrderURL must be an absolute http(s) link"},
		{"script link", OrderCancelled, func(o *Order) { o.OrderURL = "javascript:alert(1)" }, "OrderURL must be an absolute http(s) link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order()
			tt.change(&o)
			_, err := Compose(tt.kind, o)
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("err = %v (kind %v), want fault.Invalid", err, fault.KindOf(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
	// Optional fields stay optional.
	o := order()
	o.Reason, o.BuyerName, o.Venue, o.When = "", "", "", ""
	for _, kind := range kinds {
		if _, err := Compose(kind, o); err != nil {
			t.Errorf("%s without optional fields: %v", kind, err)
		}
	}
}

// htmlDoc is what the tests check of an HTML part.
type htmlDoc struct {
	lang, title, caption   string
	h1                     []string
	colHeaders, rowHeaders []string
	links                  map[string]string // href → link text
	elements               map[string]int    // element name → count
	text                   string            // all text, entities decoded, whitespace collapsed
}

// parseHTML parses an HTML part with encoding/xml in its HTML mode,
// failing the test on unbalanced tags, a <style> or <link> element (styles
// must be inline), an <img>, a header cell without a scope, or text whose
// contrast with its background is below WCAG AA's 4.5:1.
func parseHTML(t *testing.T, s string) htmlDoc {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	doc := htmlDoc{links: map[string]string{}, elements: map[string]int{}}
	type open struct {
		name      string
		text      strings.Builder
		color, bg string
		attrs     map[string]string
	}
	var stack []*open
	var all strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML does not parse: %v\n%s", err, s)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			o := &open{name: tok.Name.Local, attrs: map[string]string{}, color: "#000000", bg: "#ffffff"}
			if n := len(stack); n > 0 {
				o.color, o.bg = stack[n-1].color, stack[n-1].bg
			}
			for _, a := range tok.Attr {
				o.attrs[a.Name.Local] = a.Value
			}
			for _, decl := range strings.Split(o.attrs["style"], ";") {
				prop, value, _ := strings.Cut(decl, ":")
				switch strings.TrimSpace(prop) {
				case "color":
					o.color = strings.TrimSpace(value)
				case "background-color":
					o.bg = strings.TrimSpace(value)
				}
			}
			doc.elements[o.name]++
			switch o.name {
			case "html":
				doc.lang = o.attrs["lang"]
			case "style", "link", "img", "script":
				t.Errorf("HTML has a <%s> element", o.name)
			case "th":
				switch o.attrs["scope"] {
				case "col", "row":
				default:
					t.Errorf("<th> without scope=col|row: %v", o.attrs)
				}
			}
			stack = append(stack, o)
		case xml.EndElement:
			n := len(stack)
			if n == 0 || stack[n-1].name != tok.Name.Local {
				t.Fatalf("HTML closes <%s> where it should not", tok.Name.Local)
			}
			o := stack[n-1]
			stack = stack[:n-1]
			text := strings.Join(strings.Fields(o.text.String()), " ")
			switch o.name {
			case "title":
				doc.title = text
			case "h1":
				doc.h1 = append(doc.h1, text)
			case "caption":
				doc.caption = text
			case "a":
				doc.links[o.attrs["href"]] = text
			case "th":
				if o.attrs["scope"] == "col" {
					doc.colHeaders = append(doc.colHeaders, text)
				} else {
					doc.rowHeaders = append(doc.rowHeaders, text)
				}
			}
			if len(stack) > 0 {
				stack[len(stack)-1].text.WriteString(o.text.String())
			}
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			o := stack[len(stack)-1]
			o.text.Write(tok)
			all.Write(tok)
			all.WriteByte(' ')
			if strings.TrimSpace(string(tok)) != "" && o.name != "title" {
				if r := contrast(t, o.color, o.bg); r < 4.5 {
					t.Errorf("text %q in <%s>: contrast %.2f:1 of %s on %s, want at least 4.5:1", strings.TrimSpace(string(tok)), o.name, r, o.color, o.bg)
				}
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("HTML leaves <%s> open", stack[len(stack)-1].name)
	}
	doc.text = strings.Join(strings.Fields(all.String()), " ")
	return doc
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(t *testing.T, a, b string) float64 {
	t.Helper()
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}

func TestComposeTeam(t *testing.T) {
	v := Team{To: Address{Email: "bob@example.com"}, OrganizerName: "Hall & Co <b>", Role: "Box office",
		Link: "https://tickets.example/manage/invitations/admitinv_x", Expires: "Saturday 9 January 2027, 10:00 UTC"}
	m, err := ComposeTeam(MemberInvitation, v)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "You are invited to Hall & Co <b> on admit" || m.To.Email != "bob@example.com" {
		t.Errorf("subject %q to %v", m.Subject, m.To)
	}
	for _, want := range []string{"as Box office", v.Link, "until Saturday 9 January 2027, 10:00 UTC"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `href="https://tickets.example/manage/invitations/admitinv_x"`) || !strings.Contains(m.HTML, "Hall &amp; Co &lt;b&gt;") {
		t.Errorf("the HTML part:\n%s", m.HTML)
	}
	for _, bad := range []Team{
		{To: Address{Email: "nope"}, OrganizerName: "A", Link: v.Link, Expires: "x"},
		{To: v.To, OrganizerName: "", Link: v.Link, Expires: "x"},
		{To: v.To, OrganizerName: "A", Link: "/manage/x", Expires: "x"},
		{To: v.To, OrganizerName: "A", Link: "javascript:alert(1)", Expires: "x"},
	} {
		if _, err := ComposeTeam(MemberInvitation, bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("%+v: %v, want Invalid", bad, err)
		}
	}
	if _, err := ComposeTeam(OrderConfirmation, v); !fault.Is(err, fault.Invalid) {
		t.Errorf("an order's kind: %v, want Invalid", err)
	}
}
