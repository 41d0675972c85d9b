package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	l := &Log{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := confirmation(t)
	if err := l.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var rec struct {
		Level, Msg, ID, To, Subject, Text string
		Attachments                       []string
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log record %q: %v", buf.String(), err)
	}
	if rec.Level != "INFO" || rec.ID != m.ID || rec.To != "ada@example.com" || rec.Subject != m.Subject || rec.Text != m.Text {
		t.Errorf("log record %+v does not describe the message", rec)
	}
	if want := []string{"tickets-ord_k3n7q2x9m4.pdf (application/pdf, 4105 bytes)"}; strings.Join(rec.Attachments, "|") != strings.Join(want, "|") {
		t.Errorf("attachments %q, want %q", rec.Attachments, want)
	}
	if !strings.Contains(rec.Text, order().OrderURL) {
		t.Error("the logged text lacks the order link")
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Send(ctx, m); !fault.Is(err, fault.Unavailable) {
		t.Errorf("Send with a cancelled context = %v, want fault.Unavailable", err)
	}
}

// Both senders refuse the same malformed messages, before any I/O.
func TestSendersRejectMalformedMessages(t *testing.T) {
	smtp, err := NewSMTP(Config{Host: "127.0.0.1", Port: 1, From: admit}) // nothing listens: validation must come first
	if err != nil {
		t.Fatal(err)
	}
	senders := map[string]Sender{
		"SMTP": smtp,
		"Log":  &Log{Log: slog.New(slog.DiscardHandler)},
	}
	tests := []struct {
		name   string
		change func(*Message)
		want   string
	}{
		{"no ID", func(m *Message) { m.ID = "" }, "not a Message-ID"},
		{"ID in brackets", func(m *Message) { m.ID = "<le_1@admit>" }, "not a Message-ID"},
		{"ID without domain", func(m *Message) { m.ID = "le_1" }, "not a Message-ID"},
		{"ID with line break", func(m *Message) { m.ID = "le_1@admit\r\nBcc: x@example.com" }, "not a Message-ID"},
		{"ID with space", func(m *Message) { m.ID = "le 1@admit" }, "not a Message-ID"},
		{"no recipient", func(m *Message) { m.To = Address{} }, "To:"},
		{"two recipients", func(m *Message) { m.To.Email = "a@example.com, b@example.com" }, "To:"},
		{"recipient name with line break", func(m *Message) { m.To.Name = "Ada\nBcc: x@example.com" }, "To: the name has a line break"},
		{"bad From", func(m *Message) { m.From = Address{Email: "admit"} }, "From:"},
		{"no subject", func(m *Message) { m.Subject = " " }, "subject is empty"},
		{"subject with line break", func(m *Message) { m.Subject = "Hi\r\nBcc: x@example.com" }, "subject has a line break"},
		{"no text", func(m *Message) { m.Text = "" }, "plain-text part is empty"},
		{"attachment without name", func(m *Message) { m.Attachments[0].Name = "" }, "attachment 0"},
		{"attachment name with a path", func(m *Message) { m.Attachments[0].Name = "../tickets.pdf" }, "attachment 0"},
	}
	for name, s := range senders {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				m := confirmation(t)
				tt.change(&m)
				err := s.Send(t.Context(), m)
				if !fault.Is(err, fault.Invalid) {
					t.Fatalf("Send = %v (kind %v), want fault.Invalid", err, fault.KindOf(err))
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %q, want it to mention %q", err, tt.want)
				}
			})
		}
	}
}
