package mailpittest

import (
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDeclares(t *testing.T) {
	tests := []struct {
		gomod string
		want  bool
	}{
		{"module github.com/admit-org/admit\n\ngo 1.26.8\n", true},
		{"// comment\nmodule \"github.com/admit-org/admit\" // quoted\n", true},
		{"module github.com/admit-org/admit/tools/mailpit\n", false},
		{"module github.com/admit-org/admitx\n", false},
		{"go 1.26.8\n", false},
	}
	for _, tt := range tests {
		if got := declares([]byte(tt.gomod), modulePath); got != tt.want {
			t.Errorf("declares(%q) = %v, want %v", tt.gomod, got, tt.want)
		}
	}
}

// Two servers run side by side, each with its own ports and mailbox, and
// read back what a plain net/smtp client sent.
func TestStart(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.SMTPPort == b.SMTPPort || a.APIURL == b.APIURL {
		t.Fatalf("two servers share a port: %+v, %+v", a, b)
	}
	if n := len(a.Messages(t)); n != 0 {
		t.Fatalf("a new Mailpit holds %d messages", n)
	}
	raw := "From: Admit <tickets@example.com>\r\n" +
		"To: Ada <ada@example.com>\r\n" +
		"Subject: Hello\r\n" +
		"Message-ID: <m1@admit>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Ada\r\n" +
		"--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"seats.csv\"\r\n\r\nrow,seat\r\n" +
		"--b--\r\n"
	addr := net.JoinHostPort(a.SMTPHost, strconv.Itoa(a.SMTPPort))
	if err := smtp.SendMail(addr, nil, "tickets@example.com", []string{"ada@example.com"}, []byte(raw)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	msgs := a.WaitMessages(t, 1, 10*time.Second)
	if len(msgs) != 1 || msgs[0].MessageID != "m1@admit" || msgs[0].Subject != "Hello" || msgs[0].Attachments != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	d := a.Message(t, msgs[0].ID)
	if strings.TrimSpace(d.Text) != "Hi Ada" || d.From.Address != "tickets@example.com" || len(d.To) != 1 || d.To[0].Name != "Ada" {
		t.Errorf("message %+v", d)
	}
	if got := d.Headers["Message-Id"]; len(got) != 1 || got[0] != "<m1@admit>" {
		t.Errorf("Message-Id header %q", got)
	}
	if len(d.Attachments) != 1 || d.Attachments[0].FileName != "seats.csv" || d.Attachments[0].ContentType != "text/csv" {
		t.Fatalf("attachments %+v", d.Attachments)
	}
	if got := string(a.Attachment(t, d.ID, d.Attachments[0].PartID)); got != "row,seat" {
		t.Errorf("attachment %q, want %q", got, "row,seat")
	}
	if !strings.Contains(string(a.Raw(t, d.ID)), "Subject: Hello\r\n") {
		t.Error("the raw message lacks its subject")
	}
	if n := len(b.Messages(t)); n != 0 {
		t.Errorf("the other Mailpit holds %d messages", n)
	}
}
