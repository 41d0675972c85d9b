package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

// The values of Config.TLS.
const (
	TLSNone     = "none"     // plain text; only sensible towards a relay on the same host or network
	TLSStartTLS = "starttls" // mandatory STARTTLS: the send fails if the server does not offer it
	TLSImplicit = "tls"      // TLS from the first byte ("SMTPS"), usually port 465
)

// DefaultTimeout bounds one message's delivery when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config says how *SMTP reaches its server.
type Config struct {
	Host string
	Port int
	// Username and Password authenticate with SMTP AUTH; both empty: no
	// authentication. The password is only ever sent over TLS, or to a
	// server on the loopback interface.
	Username, Password string
	// TLS is TLSNone, TLSStartTLS or TLSImplicit. Empty chooses by port and
	// host: TLSImplicit on port 465, TLSNone when Host is a loopback address
	// ("localhost", 127.0.0.0/8, ::1: a local relay or a test server), and
	// TLSStartTLS otherwise, so that mail never crosses a network in plain
	// text unless the configuration says so.
	TLS string
	// TLSConfig, when not nil, is used for the TLS handshake, e.g. to trust
	// a private CA; its ServerName defaults to Host. Nil: the system's roots,
	// TLS 1.2 or later.
	TLSConfig *tls.Config
	From      Address       // the default sender; required
	Timeout   time.Duration // bounds one message's delivery, connection included; zero: DefaultTimeout
}

// withDefaults returns c with its empty TLS and Timeout filled in.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		switch {
		case c.Port == 465:
			c.TLS = TLSImplicit
		case isLoopback(c.Host):
			c.TLS = TLSNone
		default:
			c.TLS = TLSStartTLS
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// validate returns a fault.Invalid error naming every problem of c (after
// defaults), or nil.
func (c Config) validate() error {
	var problems []string
	if c.Host == "" || (strings.ContainsAny(c.Host, " /:@?#[]") && net.ParseIP(c.Host) == nil) {
		problems = append(problems, fmt.Sprintf("host %q is not a host name or IP address", c.Host))
	}
	if c.Port < 1 || c.Port > 65535 {
		problems = append(problems, fmt.Sprintf("port %d is not between 1 and 65535", c.Port))
	}
	if (c.Username == "") != (c.Password == "") {
		problems = append(problems, "give both a username and a password, or neither")
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		problems = append(problems, fmt.Sprintf("TLS %q is not %q, %q or %q", c.TLS, TLSNone, TLSStartTLS, TLSImplicit))
	}
	if c.From.Email == "" {
		problems = append(problems, "the From address is missing")
	} else if p := addressProblem(c.From); p != "" {
		problems = append(problems, "From: "+p)
	}
	if c.Timeout < 0 {
		problems = append(problems, fmt.Sprintf("timeout %s is negative", c.Timeout))
	}
	if len(problems) > 0 {
		return fault.New(fault.Invalid, "mail: SMTP configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseURL reads an SMTP configuration from a URL, the form admit takes it
// in from its environment:
//
//	smtp://user:pass@host:port?from=Admit%20<tickets@example.com>
//	smtps://user:pass@host?from=tickets@example.com&timeout=10s
//
// The scheme smtp uses port 587 when none is given and TLS as Config.TLS
// documents, unless the query says tls=starttls or tls=none; smtps means
// implicit TLS (tls=tls may repeat it) on port 465 by default. The user
// name and password are percent-decoded. Query parameters: from (an RFC
// 5322 address, with or without a name), tls and timeout (a Go duration);
// any other is an error. The result is not checked for completeness: NewSMTP
// does that. Errors are fault.Invalid and never contain the password.
func ParseURL(raw string) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fault.New(fault.Invalid, "mail: SMTP URL: "+format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, password included: keep only
		// what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fault.Wrap(fault.Invalid, err, "mail: SMTP URL does not parse")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port = 465
		c.TLS = TLSImplicit
	default:
		return bad("scheme %q is not smtp or smtps (in %s)", u.Scheme, u.Redacted())
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("no host in %s (the form is smtp://user:password@host:port)", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return bad("unexpected path or fragment in %s", u.Redacted())
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("port %q is not between 1 and 65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fault.Wrap(fault.Invalid, err, "mail: SMTP URL: the query does not parse")
	}
	for key, values := range q {
		if len(values) != 1 {
			return bad("%s is given %d times", key, len(values))
		}
		v := values[0]
		switch key {
		case "from":
			a, err := mail.ParseAddress(v)
			if err != nil {
				return bad("from %q is not an e-mail address", v)
			}
			c.From = Address{Name: a.Name, Email: a.Address}
		case "tls":
			switch {
			case u.Scheme == "smtps" && v != TLSImplicit:
				return bad("smtps always uses implicit TLS; tls=%q contradicts it", v)
			case v == TLSNone, v == TLSStartTLS, v == TLSImplicit:
				c.TLS = v
			default:
				return bad("tls=%q is not %q, %q or %q", v, TLSStartTLS, TLSNone, TLSImplicit)
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return bad("timeout=%q is not a positive duration such as 30s", v)
			}
			c.Timeout = d
		default:
			return bad("unknown parameter %q (known: from, tls, timeout)", key)
		}
	}
	return c, nil
}
