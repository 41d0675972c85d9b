package ledger

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// embeddedReadyTimeout bounds how long Open waits for the embedded server,
// including the recovery of its JetStream store.
const embeddedReadyTimeout = 30 * time.Second

// startEmbedded starts a nats-server inside the process: no network
// listener, JetStream on DataDir/jetstream, every write fsynced before it is
// acknowledged, messages up to MaxMessageSize. Its log goes to log, notices
// at debug level.
func startEmbedded(dataDir string, log *slog.Logger) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "admit",
		DontListen: true,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "jetstream"),
		SyncAlways: true,
		MaxPayload: MaxMessageSize,
		NoSigs:     true,
		Debug:      log.Enabled(context.Background(), slog.LevelDebug),
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("ledger: embedded NATS server: %w", err)
	}
	ns.SetLoggerV2(serverLog{log}, opts.Debug, false, false)
	ns.Start()
	if !ns.ReadyForConnections(embeddedReadyTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("ledger: embedded NATS server on %s not ready after %s (see its log at debug level)", opts.StoreDir, embeddedReadyTimeout)
	}
	return ns, nil
}

// serverLog hands nats-server's log to slog. Notices are routine (banner,
// recovery progress) and go to debug; traces are dropped.
type serverLog struct{ log *slog.Logger }

func (s serverLog) Noticef(format string, v ...any) {
	s.log.Debug("nats: " + fmt.Sprintf(format, v...))
}

func (s serverLog) Warnf(format string, v ...any) {
	s.log.Warn("nats: " + fmt.Sprintf(format, v...))
}

func (s serverLog) Fatalf(format string, v ...any) {
	s.log.Error("nats: fatal: " + fmt.Sprintf(format, v...))
}

func (s serverLog) Errorf(format string, v ...any) {
	s.log.Error("nats: " + fmt.Sprintf(format, v...))
}

func (s serverLog) Debugf(format string, v ...any) {
	s.log.Debug("nats: " + fmt.Sprintf(format, v...))
}

func (s serverLog) Tracef(string, ...any) {}
