package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"html"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/mail/mailpittest"
)

// confirmation returns an order confirmation with a PDF attached, as the
// worker that sends it will build it.
func confirmation(t *testing.T) Message {
	t.Helper()
	m, err := Compose(OrderConfirmation, order())
	if err != nil {
		t.Fatal(err)
	}
	m.ID = "le_7f3k2m9x4q@admit"
	pdf := append([]byte("%PDF-1.7\n"), make([]byte, 4096)...)
	rand.Read(pdf[9:])
	m.Attachments = []Attachment{{Name: "tickets-ord_k3n7q2x9m4.pdf", ContentType: "application/pdf", Data: pdf}}
	return m
}

func smtpTo(t *testing.T, mp *mailpittest.Server, change ...func(*Config)) *SMTP {
	t.Helper()
	c := Config{Host: mp.SMTPHost, Port: mp.SMTPPort, From: admit, Timeout: 10 * time.Second}
	for _, f := range change {
		f(&c)
	}
	s, err := NewSMTP(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPSendsToMailpit(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	s := smtpTo(t, mp)
	m := confirmation(t)
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	msgs := mp.WaitMessages(t, 1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("Mailpit holds %d messages, want 1", len(msgs))
	}
	d := mp.Message(t, msgs[0].ID)
	if d.Subject != m.Subject {
		t.Errorf("subject %q, want %q", d.Subject, m.Subject)
	}
	if d.MessageID != m.ID {
		t.Errorf("Message-ID %q, want %q", d.MessageID, m.ID)
	}
	if got := d.Headers["Message-Id"]; len(got) != 1 || got[0] != "<"+m.ID+">" {
		t.Errorf("Message-Id header %q, want [<%s>]", got, m.ID)
	}
	if got := d.Headers["Auto-Submitted"]; len(got) != 1 || got[0] != "auto-generated" {
		t.Errorf("Auto-Submitted header %q, want [auto-generated]", got)
	}
	if date, err := netmail.ParseDate(strings.Join(d.Headers["Date"], "")); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date header %q (%v): want the time of sending", d.Headers["Date"], err)
	}
	if d.From == nil || d.From.Address != admit.Email || d.From.Name != admit.Name {
		t.Errorf("From %v, want the configured %+v", d.From, admit)
	}
	if len(d.To) != 1 || d.To[0].Address != "ada@example.com" || d.To[0].Name != "Ada Lovelace" {
		t.Errorf("To %v, want Ada Lovelace <ada@example.com>", d.To)
	}
	// Lines end in CRLF on the wire.
	if got := strings.ReplaceAll(d.Text, "\r\n", "\n"); strings.TrimSpace(got) != strings.TrimSpace(m.Text) {
		t.Errorf("text part arrived as\n%s\nwant\n%s", d.Text, m.Text)
	}
	if !strings.Contains(d.HTML, `href="`+html.EscapeString(order().OrderURL)+`"`) || !strings.Contains(d.HTML, "<h1") {
		t.Errorf("HTML part lacks the order link or heading:\n%s", d.HTML)
	}
	want := m.Attachments[0]
	if len(d.Attachments) != 1 {
		t.Fatalf("attachments %+v, want one", d.Attachments)
	}
	a := d.Attachments[0]
	if a.FileName != want.Name || a.ContentType != want.ContentType || a.Size != uint64(len(want.Data)) {
		t.Errorf("attachment %+v, want %s, %s, %d bytes", a, want.Name, want.ContentType, len(want.Data))
	}
	if got := mp.Attachment(t, d.ID, a.PartID); !bytes.Equal(got, want.Data) {
		t.Errorf("attachment content differs: %d bytes back, %d sent", len(got), len(want.Data))
	}

	// On the wire: multipart/mixed holding multipart/alternative (text
	// first, then HTML) and then the PDF.
	raw, err := netmail.ReadMessage(bytes.NewReader(mp.Raw(t, d.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if got := structure(t, raw.Header.Get("Content-Type"), raw.Body); got != "multipart/mixed[multipart/alternative[text/plain text/html] application/pdf]" {
		t.Errorf("MIME structure %s", got)
	}
}

// structure describes a MIME body as "type[part part]".
func structure(t *testing.T, contentType string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return mt
	}
	r := multipart.NewReader(body, params["boundary"])
	var parts []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, structure(t, p.Header.Get("Content-Type"), p))
	}
	return mt + "[" + strings.Join(parts, " ") + "]"
}

func TestSMTPPermanentRefusalIsInvalid(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, "--smtp-allowed-recipients", `@example\.com$`)
	m := confirmation(t)
	m.To.Email = "ada@example.org"
	err := smtpTo(t, mp).Send(t.Context(), m)
	if !fault.Is(err, fault.Invalid) {
		t.Fatalf("Send to a recipient the server refuses: %v (kind %v), want fault.Invalid", err, fault.KindOf(err))
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode() != 550 {
		t.Errorf("err %v does not carry the server's 550 reply", err)
	}
	if n := len(mp.Messages(t)); n != 0 {
		t.Errorf("Mailpit stored %d messages", n)
	}
}

func TestSMTPTemporaryRefusalIsUnavailable(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, "--chaos-triggers", "Recipient:451:100")
	err := smtpTo(t, mp).Send(t.Context(), confirmation(t))
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Send answered 451: %v (kind %v), want fault.Unavailable", err, fault.KindOf(err))
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode() != 451 {
		t.Errorf("err %v does not carry the server's 451 reply", err)
	}
}

func TestSMTPNetworkFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := NewSMTP(Config{Host: "127.0.0.1", Port: port, From: admit})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), confirmation(t))
	if !fault.Is(err, fault.Unavailable) {
		t.Errorf("Send to a closed port: %v (kind %v), want fault.Unavailable", err, fault.KindOf(err))
	}
}

// A server that accepts but never answers must not hold Send beyond its
// timeout, nor beyond ctx.
func TestSMTPTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() { // ends when l closes
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port

	s, err := NewSMTP(Config{Host: "127.0.0.1", Port: port, From: admit, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Send(t.Context(), confirmation(t))
	if !fault.Is(err, fault.Unavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send to a silent server: %v (kind %v), want fault.Unavailable wrapping context.DeadlineExceeded", err, fault.KindOf(err))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %s with a 300ms timeout", took)
	}

	s, err = NewSMTP(Config{Host: "127.0.0.1", Port: port, From: admit, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	err = s.Send(ctx, confirmation(t))
	if !fault.Is(err, fault.Unavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send cancelled: %v (kind %v), want fault.Unavailable wrapping context.Canceled", err, fault.KindOf(err))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %s after its context was cancelled at 200ms", took)
	}
}

// STARTTLS and implicit TLS with authentication, against a Mailpit with a
// certificate of a CA made here; and mandatory STARTTLS refusing a server
// that does not offer it.
func TestSMTPTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, roots := testCA(t)
	trust := func(c *Config) {
		c.TLSConfig = &tls.Config{RootCAs: roots}
		c.Username, c.Password = "admit", "s3cret"
	}
	tlsArgs := []string{"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-auth-accept-any"}
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			args := tlsArgs
			if mode == TLSImplicit {
				args = append(args, "--smtp-require-tls")
			} else {
				args = append(args, "--smtp-require-starttls")
			}
			mp := mailpittest.Start(t, args...)
			s := smtpTo(t, mp, trust, func(c *Config) { c.TLS = mode })
			if err := s.Send(t.Context(), confirmation(t)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := mp.WaitMessages(t, 1, 10*time.Second)
			if msgs[0].Username != "admit" {
				t.Errorf("Mailpit saw user %q, want admit (authenticated)", msgs[0].Username)
			}
			// Without the CA, the certificate is not trusted.
			s = smtpTo(t, mp, func(c *Config) { c.TLS = mode })
			if err := s.Send(t.Context(), confirmation(t)); !fault.Is(err, fault.Unavailable) {
				t.Errorf("Send with an untrusted certificate: %v (kind %v), want fault.Unavailable", err, fault.KindOf(err))
			}
		})
	}
	t.Run("starttls not offered", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t)
		s := smtpTo(t, mp, func(c *Config) { c.TLS = TLSStartTLS })
		err := s.Send(t.Context(), confirmation(t))
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("Send with mandatory STARTTLS to a server without it: %v, want a STARTTLS error", err)
		}
		if n := len(mp.Messages(t)); n != 0 {
			t.Errorf("the message was sent in plain text anyway (%d in Mailpit)", n)
		}
	})
}

// testCA writes a certificate for 127.0.0.1, signed by a new CA, and its
// key into a temporary directory, and returns their paths and the CA.
func testCA(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots
}

// TestSMTPRefusedSenderIsUnavailable: a 5xx refusal of our sender address
// is not about the message: the server refuses every message alike until
// the configuration is fixed, so it is Unavailable (waited for), not
// Invalid (parked).
func TestSMTPRefusedSenderIsUnavailable(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, "--chaos-triggers", "Sender:550:100")
	err := smtpTo(t, mp).Send(t.Context(), confirmation(t))
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Send with the sender refused: %v (kind %v), want fault.Unavailable", err, fault.KindOf(err))
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode() != 550 {
		t.Errorf("err %v does not carry the server's 550 reply", err)
	}
}
