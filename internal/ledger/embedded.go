package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// embeddedReadyTimeout bounds how long Open waits for the embedded server,
// including the recovery of its JetStream store.
const embeddedReadyTimeout = 30 * time.Second

// startEmbedded starts a nats-server inside the process: JetStream on
// DataDir/jetstream, every write fsynced before it is acknowledged,
// messages up to MaxMessageSize. Without a token it has no network
// listener; with one it listens on 127.0.0.1, on a port of the kernel's
// choosing, for clients that bring the token. Its log goes to log, notices
// at debug level.
func startEmbedded(dataDir, token string, log *slog.Logger) (*server.Server, error) {
	opts := &server.Options{
		ServerName:    "admit",
		DontListen:    token == "",
		Host:          "127.0.0.1",
		Port:          server.RANDOM_PORT,
		Authorization: token,
		JetStream:     true,
		StoreDir:      filepath.Join(dataDir, "jetstream"),
		SyncAlways:    true,
		MaxPayload:    MaxMessageSize,
		NoSigs:        true,
		Debug:         log.Enabled(context.Background(), slog.LevelDebug),
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

// LocalAccessFile is the file in the data directory, mode 0600, that says
// how admit's commands reach the embedded NATS server of the serve
// running on that directory (Config.ListenLocal): JSON {"url":…,"token":…}.
// It is there while that serve runs.
const LocalAccessFile = "nats-local.json"

// LocalAccess is what LocalAccessFile holds.
type LocalAccess struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// writeLocalAccess writes the access file atomically, readable by its
// owner only.
func writeLocalAccess(dataDir string, a LocalAccess) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dataDir, LocalAccessFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // once renamed, nothing
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dataDir, LocalAccessFile))
}

// ConnectLocal connects to the embedded NATS server of the serve running
// on dataDir, as its LocalAccessFile says; an error wrapping
// os.ErrNotExist when there is no such file.
func ConnectLocal(dataDir string, opts ...nats.Option) (*nats.Conn, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, LocalAccessFile))
	if err != nil {
		return nil, fmt.Errorf("ledger: the running server's NATS address: %w", err)
	}
	var a LocalAccess
	if err := json.Unmarshal(data, &a); err != nil || a.URL == "" || a.Token == "" {
		return nil, fmt.Errorf("ledger: %s is not what admit serve writes; is it running?", filepath.Join(dataDir, LocalAccessFile))
	}
	nc, err := nats.Connect(a.URL, append([]nats.Option{nats.Name("admit-cli"), nats.Token(a.Token)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("ledger: connect to the running server's NATS at %s: %w", a.URL, err)
	}
	return nc, nil
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
