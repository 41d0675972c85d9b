package ledger

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message is one ledger message: one box-office batch (or one organizer
// change).
type Message struct {
	Subject string            // e.g. "ledger.event.ev_abc" or "ledger.org.or_xyz"
	Header  map[string]string // CloudEvents binary-mode attributes, e.g. "Ce-Specversion", "Ce-Type", "Ce-Id", "Ce-Source", "Ce-Time"; may be nil
	Data    []byte
}

// Record is a stored message with its stream sequence. Its Data and Header
// belong to the receiver: the ledger never touches them again.
type Record struct {
	Seq     uint64 // position: the shard and the stream sequence in it (Pos); increasing within a shard
	Subject string
	Header  map[string]string // nil when the message had no header
	Data    []byte
	Time    time.Time // when the ledger stored it (server time for JetStream)
}

var (
	// ErrFenced is returned (wrapped) by Append when the subject's last
	// sequence is not the one the writer expected: someone else owns the
	// partition. Nothing was appended.
	ErrFenced = errors.New("ledger: append fenced: another writer appended to the subject")

	// ErrUnsafeFsync is returned (wrapped) by Open when an external NATS
	// setup does not make every acknowledged append durable and
	// Config.UnsafeLazyFsync is not set.
	ErrUnsafeFsync = errors.New("ledger: the NATS JetStream ledger is not durable enough")

	// ErrTooLarge is returned (wrapped) by Append when the message, headers
	// included, is larger than the ledger accepts (MaxMessageSize, or the
	// external server's max_payload if smaller). Nothing was appended.
	ErrTooLarge = errors.New("ledger: message too large")
)

// MaxMessageSize is the largest message, data and encoded headers together,
// that Append accepts. The embedded server's max_payload is set to it; an
// external server may allow less (its max_payload, 1 MiB by default).
const MaxMessageSize = 8 << 20

// Stream and subject layout.
const (
	streamName     = "LEDGER"
	streamSubjects = "ledger.>"
	snapshotBucket = "SNAPSHOTS"
	subjectRoot    = "ledger"

	// reservedHeaderPrefix marks the headers JetStream interprets.
	reservedHeaderPrefix = "nats-"
	// expectHeader is the fencing header Append adds.
	expectHeader = "Nats-Expected-Last-Subject-Sequence"
	// msgIDHeader is the message id Append sends with every attempt of
	// one message.
	msgIDHeader = "Nats-Msg-Id"
)

// encodedSize is an upper bound of the size of m on the wire, as NATS counts
// it against max_payload: data plus the header block, including the
// fencing header and message id Append adds.
func encodedSize(m *Message) int {
	n := len(m.Data)
	n += len("NATS/1.0\r\n") + len("\r\n")
	for k, v := range m.Header {
		n += len(k) + len(": ") + len(v) + len("\r\n")
	}
	n += len(expectHeader) + len(": ") + 20 + len("\r\n")
	n += len(msgIDHeader) + len(": ") + msgIDLen + len("\r\n")
	return n
}

// msgIDLen is the length of a message id Append sends.
const msgIDLen = 32

// checkMessage validates m for Append against a size limit.
func checkMessage(m *Message, limit int) error {
	if err := checkSubject(m.Subject); err != nil {
		return fmt.Errorf("ledger: append %q: %w", m.Subject, err)
	}
	for k, v := range m.Header {
		if err := checkHeader(k, v); err != nil {
			return fmt.Errorf("ledger: append %s: %w", m.Subject, err)
		}
	}
	if size := encodedSize(m); size > limit {
		return fmt.Errorf("ledger: append %s: %d bytes, limit %d: %w", m.Subject, size, limit, ErrTooLarge)
	}
	return nil
}

// checkHeader accepts a header NATS can carry and JetStream does not
// interpret.
func checkHeader(k, v string) error {
	if k == "" {
		return errors.New("empty header key")
	}
	if len(k) >= len(reservedHeaderPrefix) && strings.EqualFold(k[:len(reservedHeaderPrefix)], reservedHeaderPrefix) {
		return fmt.Errorf("header %q is reserved for JetStream", k)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == ':' || c >= 0x7f {
			return fmt.Errorf("header key %q has a character NATS does not allow", k)
		}
	}
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("header %q: value has a line break", k)
	}
	return nil
}

// reservedHeader reports whether a stored header belongs to JetStream.
func reservedHeader(k string) bool {
	return len(k) >= len(reservedHeaderPrefix) && strings.EqualFold(k[:len(reservedHeaderPrefix)], reservedHeaderPrefix)
}

// checkSubject accepts a literal subject under "ledger.".
func checkSubject(s string) error {
	toks, err := tokens(s)
	if err != nil {
		return err
	}
	if len(toks) < 2 || toks[0] != subjectRoot {
		return errors.New(`subject must be under "ledger."`)
	}
	for _, t := range toks {
		if t == "*" || t == ">" {
			return errors.New("subject has a wildcard")
		}
	}
	return checkShard(s)
}

// literal reports whether a checked filter is one subject.
func literal(filter string) bool { return !strings.ContainsAny(filter, "*>") }

// checkFilter accepts a subject or a wildcard ("*" for one token, ">" for
// the rest) within "ledger.>". The empty filter means "ledger.>".
func checkFilter(f string) error {
	toks, err := tokens(f)
	if err != nil {
		return err
	}
	if len(toks) < 2 || toks[0] != subjectRoot {
		return errors.New(`filter must be under "ledger."`)
	}
	for i, t := range toks {
		if t == ">" && i != len(toks)-1 {
			return errors.New(`filter has ">" before its last token`)
		}
	}
	return nil
}

// normFilter maps the empty filter to every ledger subject.
func normFilter(f string) string {
	if f == "" {
		return streamSubjects
	}
	return f
}

// tokens splits a subject into its tokens, refusing empty tokens, white
// space and partial wildcards such as "a*".
func tokens(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("empty subject")
	}
	toks := strings.Split(s, ".")
	for _, t := range toks {
		if t == "" {
			return nil, errors.New("subject has an empty token")
		}
		if strings.ContainsAny(t, " \t\r\n") {
			return nil, errors.New("subject has white space")
		}
		if t != "*" && t != ">" && strings.ContainsAny(t, "*>") {
			return nil, errors.New(`subject has "*" or ">" inside a token`)
		}
	}
	return toks, nil
}

// subjectMatches reports whether a literal subject matches a filter, with
// NATS wildcard rules.
func subjectMatches(filter, subject string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case ft == ">":
			return true
		case ft != "*" && ft != st:
			return false
		case !fmore || !smore:
			return fmore == smore
		}
		filter, subject = frest, srest
	}
}

// copyHeader copies a header map; nil or empty gives nil.
func copyHeader(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	c := make(map[string]string, len(h))
	for k, v := range h {
		c[k] = v
	}
	return c
}

// checkSnapshotKey accepts a snapshot key such as "event.ev_abc".
func checkSnapshotKey(key string) error {
	if key == "" {
		return errors.New("ledger: snapshot: empty key")
	}
	return nil
}
