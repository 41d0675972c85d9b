package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/fault"
)

var admit = Address{Name: "Admit", Email: "tickets@example.com"}

func TestNewSMTPDefaults(t *testing.T) {
	tests := []struct {
		host    string
		port    int
		tls     string
		wantTLS string
	}{
		{"smtp.example.com", 465, "", TLSImplicit},
		{"smtp.example.com", 587, "", TLSStartTLS},
		{"smtp.example.com", 25, "", TLSStartTLS},
		{"10.0.0.7", 2525, "", TLSStartTLS},
		{"localhost", 1025, "", TLSNone},
		{"LocalHost", 25, "", TLSNone},
		{"127.0.0.1", 587, "", TLSNone},
		{"127.0.0.53", 25, "", TLSNone},
		{"::1", 25, "", TLSNone},
		{"localhost", 465, "", TLSImplicit},
		{"smtp.example.com", 587, TLSNone, TLSNone},
		{"localhost", 1025, TLSStartTLS, TLSStartTLS},
	}
	for _, tt := range tests {
		s, err := NewSMTP(Config{Host: tt.host, Port: tt.port, TLS: tt.tls, From: admit})
		if err != nil {
			t.Errorf("NewSMTP(%s:%d, TLS %q): %v", tt.host, tt.port, tt.tls, err)
			continue
		}
		if s.cfg.TLS != tt.wantTLS {
			t.Errorf("%s:%d with TLS %q: TLS = %q, want %q", tt.host, tt.port, tt.tls, s.cfg.TLS, tt.wantTLS)
		}
		if s.cfg.Timeout != DefaultTimeout {
			t.Errorf("Timeout = %s, want %s", s.cfg.Timeout, DefaultTimeout)
		}
		if s.tls.ServerName != tt.host || s.tls.MinVersion == 0 {
			t.Errorf("TLS config: ServerName %q MinVersion %x, want %q and a minimum", s.tls.ServerName, s.tls.MinVersion, tt.host)
		}
	}
}

func TestNewSMTPInvalid(t *testing.T) {
	valid := Config{Host: "smtp.example.com", Port: 587, From: admit}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no host", func(c *Config) { c.Host = "" }, "host"},
		{"host with port", func(c *Config) { c.Host = "smtp.example.com:587" }, "host"},
		{"URL as host", func(c *Config) { c.Host = "smtp://smtp.example.com" }, "host"},
		{"port 0", func(c *Config) { c.Port = 0 }, "port 0"},
		{"port too big", func(c *Config) { c.Port = 65536 }, "port 65536"},
		{"negative port", func(c *Config) { c.Port = -25 }, "port -25"},
		{"no From", func(c *Config) { c.From = Address{} }, "From address is missing"},
		{"From with name in Email", func(c *Config) { c.From.Email = "Admit <tickets@example.com>" }, "not an e-mail address"},
		{"From not an address", func(c *Config) { c.From.Email = "tickets" }, "not an e-mail address"},
		{"From name with line break", func(c *Config) { c.From.Name = "Admit\r\nBcc: x@example.com" }, "line break"},
		{"username only", func(c *Config) { c.Username = "admit" }, "username and a password"},
		{"password only", func(c *Config) { c.Password = "secret" }, "username and a password"},
		{"unknown TLS", func(c *Config) { c.TLS = "ssl" }, `TLS "ssl"`},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			s, err := NewSMTP(c)
			if !fault.Is(err, fault.Invalid) || s != nil {
				t.Fatalf("NewSMTP = %v, %v (kind %v); want nil and fault.Invalid", s, err, fault.KindOf(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := NewSMTP(valid); err != nil {
		t.Errorf("NewSMTP(valid) = %v", err)
	}
	ipv6 := valid
	ipv6.Host = "2001:db8::25"
	if _, err := NewSMTP(ipv6); err != nil {
		t.Errorf("NewSMTP(IPv6 host) = %v", err)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want Config
	}{
		{
			"smtp://admit:s3cr%40t@smtp.example.com:2525?from=Admit%20%3Ctickets@example.com%3E",
			Config{Host: "smtp.example.com", Port: 2525, Username: "admit", Password: "s3cr@t", From: admit},
		},
		{
			"smtp://smtp.example.com?from=Admit <tickets@example.com>",
			Config{Host: "smtp.example.com", Port: 587, From: admit},
		},
		{
			"smtps://u:p@smtp.example.com?from=tickets@example.com&timeout=10s",
			Config{Host: "smtp.example.com", Port: 465, Username: "u", Password: "p", TLS: TLSImplicit,
				From: Address{Email: "tickets@example.com"}, Timeout: 10 * time.Second},
		},
		{
			"smtps://smtp.example.com:2465/?tls=tls",
			Config{Host: "smtp.example.com", Port: 2465, TLS: TLSImplicit},
		},
		{
			"smtp://localhost:1025?tls=none",
			Config{Host: "localhost", Port: 1025, TLS: TLSNone},
		},
		{
			"smtp://[::1]:1025?tls=starttls",
			Config{Host: "::1", Port: 1025, TLS: TLSStartTLS},
		},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.url, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseURL(%q)\n got %+v\nwant %+v", tt.url, got, tt.want)
		}
	}
	// What ParseURL returns, NewSMTP accepts.
	c, err := ParseURL("smtp://admit:secret@smtp.example.com?from=tickets@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSMTP(c); err != nil {
		t.Errorf("NewSMTP(ParseURL(...)) = %v", err)
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"", `scheme ""`},
		{"smtp.example.com:587", "scheme"},
		{"http://smtp.example.com", `scheme "http"`},
		{"mailto:tickets@example.com", `scheme "mailto"`},
		{"smtp:///?from=tickets@example.com", "no host"},
		{"smtp://user:hunter2@smtp.example.com:99999", `port "99999"`},
		{"smtp://user:hunter2@smtp.example.com:0", `port "0"`},
		{"smtp://user:hunter2@smtp.example.com:smtp", "does not parse"},
		{"smtp://user:hunter2@smtp.example.com/relay", "path"},
		{"smtp://smtp.example.com#x", "fragment"},
		{"smtp://smtp.example.com?from=not-an-address", `from "not-an-address"`},
		{"smtp://smtp.example.com?tls=ssl", `tls="ssl"`},
		{"smtps://smtp.example.com?tls=starttls", "smtps always uses implicit TLS"},
		{"smtps://smtp.example.com?tls=none", "smtps always uses implicit TLS"},
		{"smtp://smtp.example.com?timeout=10", `timeout="10"`},
		{"smtp://smtp.example.com?timeout=-1s", `timeout="-1s"`},
		{"smtp://smtp.example.com?user=admit", `unknown parameter "user"`},
		{"smtp://smtp.example.com?from=a@example.com&from=b@example.com", "from is given 2 times"},
		{"smtp://smtp.example.com?from=%zz", "query does not parse"},
		{"smtp://user:hunter2@smtp.example.com:25\n", "does not parse"},
	}
	for _, tt := range tests {
		_, err := ParseURL(tt.url)
		if !fault.Is(err, fault.Invalid) {
			t.Errorf("ParseURL(%q) = %v (kind %v), want fault.Invalid", tt.url, err, fault.KindOf(err))
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURL(%q) = %q, want it to mention %q", tt.url, err, tt.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q) = %q: the error shows the password", tt.url, err)
		}
	}
}
