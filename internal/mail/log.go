package mail

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/admit-org/admit/internal/fault"
)

// Log is the sender used when no SMTP server is configured: it sends
// nothing and logs, at info level, what it would have sent: the ID,
// recipient, subject, each attachment's name, type and size, and the plain
// text part (which carries the order link, so a developer can follow it).
// A nil Log field logs to slog.Default(). It is safe for concurrent use.
type Log struct {
	Log *slog.Logger
}

// Send validates m like *SMTP does (a fault.Invalid error for a malformed
// message), returns a fault.Unavailable error if ctx has ended, and
// otherwise logs m and returns nil.
func (l *Log) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fault.Wrap(fault.Unavailable, err, "mail: send %s", m.ID)
	}
	logger := l.Log
	if logger == nil {
		logger = slog.Default()
	}
	attachments := make([]string, len(m.Attachments))
	for i, a := range m.Attachments {
		attachments[i] = fmt.Sprintf("%s (%s, %d bytes)", a.Name, a.ContentType, len(a.Data))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "mail: logged, not sent (no SMTP server configured)",
		slog.String("id", m.ID),
		slog.String("to", m.To.Email),
		slog.String("subject", m.Subject),
		slog.Any("attachments", attachments),
		slog.String("text", m.Text))
	return nil
}
