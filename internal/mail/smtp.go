package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/admit-org/admit/internal/fault"
)

// Sender sends one message. Implementations: *SMTP and *Log.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*Log)(nil)
)

// SMTP sends messages through an SMTP server, on one connection per
// message. It is safe for concurrent use.
type SMTP struct {
	cfg Config
	tls *tls.Config
	now func() time.Time // the Date header's clock
}

// preferredAuth is the order in which SMTP AUTH mechanisms are tried: those
// that never reveal the password first. go-mail refuses PLAIN and LOGIN on a
// connection without TLS, except to a loopback address.
var preferredAuth = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256PLUS, gomail.SMTPAuthSCRAMSHA256,
	gomail.SMTPAuthSCRAMSHA1PLUS, gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
}

// NewSMTP returns a sender for the server c describes, after filling in
// c's defaults (see Config). It does not connect. It returns a fault.Invalid
// error when c is incomplete or wrong: no host, a port outside 1..65535, a
// From address that net/mail does not parse, an unknown TLS mode, a username
// without a password or the other way round, or a negative timeout.
func NewSMTP(c Config) (*SMTP, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = c.Host
	}
	return &SMTP{cfg: c, tls: tc, now: time.Now}, nil
}

// Send delivers m on a new connection, within the configured Timeout and
// ctx. A zero m.From is replaced by the configured From.
//
// Errors: fault.Invalid when m is malformed (see Message.Validate) or the
// server refused it for good with a 5xx reply to its recipient or its
// content: sending it again will fail again. fault.Unavailable for
// everything a later try may cure: a 4xx reply, a failure to connect, a
// dropped connection, a TLS failure, ctx ending or the timeout passing, and
// a 5xx refusal of the connection, of authentication or of the sender (our
// configuration, the same for every message); the cause stays in the chain, so errors.Is finds
// context.DeadlineExceeded. A message whose send failed with Unavailable
// may still have been delivered (the connection can drop just before the
// server's acceptance arrives): the stable Message-ID lets receivers drop
// the duplicate.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.From == (Address{}) {
		m.From = s.cfg.From
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fault.Wrap(fault.Unavailable, err, "mail: send %s", m.ID)
	}

	// go-mail bounds each SMTP command with its timeout, not the whole
	// exchange, and only looks at ctx while dialing. Closing the connection
	// when ctx ends bounds all of it. go-mail's own deadline is set a second
	// past ours, so that running out of time always ends this way and the
	// error wraps context.DeadlineExceeded.
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if s.cfg.TLS == TLSImplicit {
			conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(dialCtx, network, addr)
		} else {
			conn, err = d.DialContext(dialCtx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout + time.Second),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// dial already speaks TLS; WithSSL only keeps go-mail from trying
		// STARTTLS on top. The smtp client sees the *tls.Conn, so PLAIN and
		// LOGIN know the connection is encrypted.
		opts = append(opts, gomail.WithSSL())
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(preferredAuth...))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fault.Wrap(fault.Internal, err, "mail: set up the SMTP client")
	}
	// Once the server has accepted the message (250 after DATA), failing
	// to reset or close the session loses nothing: not an error.
	if err := client.DialAndSendWithContext(ctx, msg); err != nil && !msg.IsDelivered() {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fault.Wrap(fault.Unavailable, fmt.Errorf("%w: %w", ctxErr, err), "mail: send %s", m.ID)
		}
		return fault.Wrap(kindOf(err), err, "mail: send %s", m.ID)
	}
	return nil
}

// kindOf classifies a failed delivery: Invalid for what cannot succeed on a
// retry of this message, Unavailable for the rest. A refusal that is not
// about the message but about us (the server refuses the connection, our
// credentials or our sender address with a 5xx reply) is Unavailable too:
// it refuses every message alike until the configuration is fixed, so the
// e-mail worker waits for it in order rather than parking every e-mail
// (docs/workers.md).
func kindOf(err error) fault.Kind {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch {
		case se.Reason == gomail.ErrGetSender, se.Reason == gomail.ErrGetRcpts, se.Reason == gomail.ErrNoUnencoded:
			return fault.Invalid
		case se.Reason == gomail.ErrSMTPMailFrom:
			return fault.Unavailable
		case se.ErrorCode() >= 500:
			return fault.Invalid
		}
		return fault.Unavailable
	}
	// Replies refused while connecting (greeting, EHLO, STARTTLS, AUTH) are
	// Unavailable, however permanent their code.
	return fault.Unavailable
}

// build turns m into a go-mail message: multipart/alternative with the text
// part first and the HTML part second, inside multipart/mixed when there
// are attachments.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.From.Name, m.From.Email); err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "mail: message %s: From", m.ID)
	}
	if err := msg.AddToFormat(m.To.Name, m.To.Email); err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "mail: message %s: To", m.ID)
	}
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDateWithValue(s.now())
	msg.Subject(m.Subject)
	// RFC 3834: an automatic message; out-of-office replies should not follow.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct)))
	}
	return msg, nil
}
