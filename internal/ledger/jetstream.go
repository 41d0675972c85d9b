package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the ledger lives.
type Config struct {
	// DataDir is the data directory of embedded mode; the JetStream store is
	// DataDir/jetstream. Required when URL is empty.
	DataDir string

	// URL, if set, is an external NATS server or cluster (comma-separated
	// URLs allowed) to use instead of an embedded server.
	URL string

	// UnsafeLazyFsync lets Open accept an external setup that it cannot show
	// to be durable (fewer than 3 replicas, or an async persist mode); it
	// then logs a warning. Acknowledged entries can be lost on a crash.
	UnsafeLazyFsync bool

	// Replicas is the replica count Open uses when it creates the stream
	// and the snapshot bucket in URL mode. 0 means 3, or 1 when the server
	// is not clustered or has too few peers (which the durability check
	// then refuses unless UnsafeLazyFsync is set). An existing stream keeps
	// its replicas. Embedded mode has one replica; more is an error.
	Replicas int

	// ListenLocal (embedded mode) makes the embedded server listen on
	// 127.0.0.1, on a random port, for clients with a random token, both
	// written to DataDir/LocalAccessFile (mode 0600) while it runs: how
	// admit's commands reach a running serve's store (ConnectLocal).
	ListenLocal bool

	// Logger receives warnings and, at debug level, the embedded server's
	// log. Nil discards.
	Logger *slog.Logger
}

// JetStream is the ledger on NATS JetStream: the stream LEDGER (subjects
// "ledger.>", file storage, no limits, deletes and purges denied) and the
// object store SNAPSHOTS. Safe for concurrent use. Close it when done.
type JetStream struct {
	log    *slog.Logger
	ns     *server.Server // nil in URL mode
	access string         // the local access file to remove on close; "" for none
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	snaps  jetstream.ObjectStore

	maxSize int    // largest message Append sends
	chunk   uint32 // snapshot chunk size

	connClosed chan struct{} // closed by the connection's closed handler
	// reconnected is closed, and replaced, each time the connection comes
	// back (URL mode): appends waiting for an ack sent before are sent again.
	reconnMu    sync.Mutex
	reconnected chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// Ordered consumers buffer up to this many bytes of messages in the client:
// many small records per pull, and room for several of the largest.
const pullBufferBytes = 4 * MaxMessageSize

// readBatchMax is the most messages a bounded read pulls at a time.
const readBatchMax = 4096

// Open starts or connects to JetStream, then creates or checks the stream
// LEDGER and the object store SNAPSHOTS.
//
// Embedded mode (URL empty): a nats-server runs in the process with no
// network listener, JetStream stored under DataDir/jetstream, sync_always
// (every append is fsynced before it is acknowledged) and max_payload
// MaxMessageSize. Close shuts it down.
//
// URL mode: Open connects to URL, reconnecting forever after a lost
// connection, and refuses, with an error wrapping ErrUnsafeFsync unless
// UnsafeLazyFsync is set, a stream that has fewer than 3 replicas or
// persist_mode async. What it cannot check: the servers' sync_interval. It
// is not visible to a client outside the system account, so an R3 stream on
// servers with the default 2-minute fsync passes; run them with
// `sync_interval: always` (Open logs this at info level). It also logs a
// warning when the server's max_payload is below MaxMessageSize: larger
// appends then fail with ErrTooLarge.
//
// In both modes an existing stream must have file storage, limits
// retention, no limits on messages, bytes, age or messages per subject, and
// the subject "ledger.>"; otherwise Open fails (it never changes an
// existing stream). A stream with persist_mode async counts as unsafe, as
// above.
func Open(ctx context.Context, cfg Config) (*JetStream, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	embedded := cfg.URL == ""
	if embedded && cfg.DataDir == "" {
		return nil, errors.New("ledger: open: neither a data directory nor a NATS URL")
	}
	if embedded && cfg.Replicas > 1 {
		return nil, fmt.Errorf("ledger: open: %d replicas need a NATS cluster (URL mode)", cfg.Replicas)
	}

	l := &JetStream{log: log, connClosed: make(chan struct{}), reconnected: make(chan struct{})}
	opts := []nats.Option{
		nats.Name("admit-ledger"),
		nats.ClosedHandler(func(*nats.Conn) { close(l.connClosed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("ledger: NATS connection", "subject", sub.Subject, "err", err)
				return
			}
			log.Error("ledger: NATS connection", "err", err)
		}),
	}
	url := cfg.URL
	if embedded {
		token := ""
		if cfg.ListenLocal {
			var b [24]byte
			rand.Read(b[:])
			token = hex.EncodeToString(b[:])
		}
		ns, err := startEmbedded(cfg.DataDir, token, log)
		if err != nil {
			return nil, err
		}
		l.ns = ns
		opts = append(opts, nats.InProcessServer(ns))
		if token != "" {
			opts = append(opts, nats.Token(token))
			a := LocalAccess{URL: ns.ClientURL(), Token: token}
			if err := writeLocalAccess(cfg.DataDir, a); err != nil {
				l.shutdownServer()
				return nil, fmt.Errorf("ledger: write %s: %w", LocalAccessFile, err)
			}
			l.access = filepath.Join(cfg.DataDir, LocalAccessFile)
		}
		url = nats.DefaultURL // not dialled: the connection is in-process
	} else {
		opts = append(opts,
			nats.MaxReconnects(-1),
			nats.ReconnectWait(500*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					log.Warn("ledger: NATS disconnected", "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				log.Info("ledger: NATS reconnected", "url", nc.ConnectedUrlRedacted())
				l.reconnMu.Lock()
				close(l.reconnected)
				l.reconnected = make(chan struct{})
				l.reconnMu.Unlock()
			}),
		)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		l.shutdownServer()
		return nil, fmt.Errorf("ledger: connect to NATS: %w", err)
	}
	l.nc = nc

	if err := l.setup(ctx, cfg, embedded); err != nil {
		if cerr := l.Close(); cerr != nil {
			log.Warn("ledger: close after failed open", "err", cerr)
		}
		return nil, err
	}
	return l, nil
}

// setup prepares the stream and the snapshot bucket once connected.
func (l *JetStream) setup(ctx context.Context, cfg Config, embedded bool) error {
	js, err := jetstream.New(l.nc)
	if err != nil {
		return fmt.Errorf("ledger: jetstream: %w", err)
	}
	l.js = js

	stream, err := l.openStream(ctx, cfg, embedded)
	if err != nil {
		return err
	}
	l.stream = stream
	scfg := stream.CachedInfo().Config
	if err := checkStreamConfig(&scfg); err != nil {
		return err
	}
	if err := l.checkDurability(&scfg, embedded, cfg.UnsafeLazyFsync); err != nil {
		return err
	}

	l.maxSize = min(MaxMessageSize, int(l.nc.MaxPayload()))
	if scfg.MaxMsgSize > 0 {
		l.maxSize = min(l.maxSize, int(scfg.MaxMsgSize))
	}
	if l.maxSize < MaxMessageSize {
		l.log.Warn("ledger: NATS accepts smaller messages than the ledger is built for; larger appends fail",
			"max_bytes", l.maxSize, "want_bytes", MaxMessageSize)
	}
	l.chunk = uint32(min(4<<20, l.nc.MaxPayload()/2))

	snaps, err := l.openSnapshots(ctx, scfg.Replicas)
	if err != nil {
		return err
	}
	l.snaps = snaps
	return nil
}

// openStream finds the stream LEDGER or creates it.
func (l *JetStream) openStream(ctx context.Context, cfg Config, embedded bool) (jetstream.Stream, error) {
	s, err := l.js.Stream(ctx, streamName)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("ledger: look up stream %s: %w", streamName, err)
	}

	replicas := cfg.Replicas
	fallback := false
	if replicas == 0 {
		replicas = 1
		if !embedded {
			replicas, fallback = 3, true
		}
	}
	s, err = l.js.CreateStream(ctx, streamConfig(replicas))
	if fallback && notEnoughPeers(err) {
		l.log.Info("ledger: NATS cannot place 3 replicas; creating the stream with 1", "stream", streamName, "err", err)
		s, err = l.js.CreateStream(ctx, streamConfig(1))
	}
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		// Another node created it in the meantime.
		s, err = l.js.Stream(ctx, streamName)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: create stream %s: %w", streamName, err)
	}
	return s, nil
}

// streamConfig is the configuration of a new ledger stream.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              streamName,
		Description:       "admit ledger: append-only system of record",
		Subjects:          []string{streamSubjects},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0,
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        -1,
		Discard:           jetstream.DiscardNew, // with no limits: refuse rather than ever drop
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		DenyDelete:        true,
		DenyPurge:         true,
	}
}

// notEnoughPeers reports whether stream creation failed because the
// replicas cannot be placed: not clustered, or too few peers.
func notEnoughPeers(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case 10074, // replicas > 1 not supported in non-clustered mode
		10005, // no suitable peers for placement
		10023: // insufficient resources
		return true
	}
	return false
}

// checkStreamConfig refuses an existing stream that would not keep the
// ledger: wrong storage, retention, subjects, or any limit that discards.
func checkStreamConfig(c *jetstream.StreamConfig) error {
	var bad []string
	if c.Storage != jetstream.FileStorage {
		bad = append(bad, "storage is "+c.Storage.String()+", not file")
	}
	if c.Retention != jetstream.LimitsPolicy {
		bad = append(bad, "retention is "+c.Retention.String()+", not limits")
	}
	if c.NoAck {
		bad = append(bad, "no_ack is set")
	}
	if c.Sealed {
		bad = append(bad, "it is sealed")
	}
	if !slices.Contains(c.Subjects, streamSubjects) {
		bad = append(bad, fmt.Sprintf("subjects are %q, not including %q", c.Subjects, streamSubjects))
	}
	if c.MaxMsgs > 0 || c.MaxBytes > 0 || c.MaxAge > 0 || c.MaxMsgsPerSubject > 0 {
		bad = append(bad, "it has a message, byte, age or per-subject limit")
	}
	if len(bad) > 0 {
		return fmt.Errorf("ledger: stream %s exists but cannot hold the ledger: %s", streamName, strings.Join(bad, "; "))
	}
	return nil
}

// checkDurability applies the rule "acknowledge nothing before it is
// durable" to what a client can see; see Open.
func (l *JetStream) checkDurability(c *jetstream.StreamConfig, embedded, allowUnsafe bool) error {
	var unsafe []string
	if c.PersistMode == jetstream.AsyncPersistMode {
		unsafe = append(unsafe, fmt.Sprintf("stream %s has persist_mode async", streamName))
	}
	if !embedded && c.Replicas < 3 {
		unsafe = append(unsafe, fmt.Sprintf("stream %s has %d replica(s)", streamName, c.Replicas))
	}
	if len(unsafe) == 0 {
		if !embedded {
			l.log.Info("ledger: the NATS servers must run with `sync_interval: always`; a client cannot check it",
				"stream", streamName, "replicas", c.Replicas)
		}
		return nil
	}
	if !allowUnsafe {
		return fmt.Errorf("%w: %s; run an R3 NATS cluster with `sync_interval: always` in its jetstream block and a stream with 3 replicas, or pass --unsafe-lazy-fsync to accept losing acknowledged entries on a crash",
			ErrUnsafeFsync, strings.Join(unsafe, "; "))
	}
	l.log.Warn("ledger: running on a ledger that can lose acknowledged entries on a crash (--unsafe-lazy-fsync)",
		"reasons", strings.Join(unsafe, "; "))
	return nil
}

// openSnapshots finds the object store SNAPSHOTS or creates it.
func (l *JetStream) openSnapshots(ctx context.Context, replicas int) (jetstream.ObjectStore, error) {
	obs, err := l.js.ObjectStore(ctx, snapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = l.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      snapshotBucket,
			Description: "admit box-office snapshots (derived from the ledger)",
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = l.js.ObjectStore(ctx, snapshotBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: snapshot store %s: %w", snapshotBucket, err)
	}
	return obs, nil
}

// Append stores m on its subject if the subject's last sequence is
// expectLastSubjectSeq (0: the subject has no message yet), and returns the
// new sequence once JetStream has acknowledged it (durably; see Open).
//
// Each attempt waits at most AttemptTimeout for the acknowledgement and is
// then sent again, until ctx ends: nats.go neither fails nor resends a
// request in flight when the connection drops unseen, so one attempt alone
// would wait out the whole deadline. A retry is safe: the fence admits one
// message after expectLastSubjectSeq, and every attempt carries the same
// message id, so when a retry is refused as stale because an earlier attempt
// did land, Append finds its own message last on the subject and returns its
// sequence.
//
// Errors: ErrFenced (wrapped) when the expectation is stale, nothing
// appended; ErrTooLarge (wrapped) for a message over the size limit;
// otherwise the cause wrapped as "ledger: append <subject>: ...", after
// which the append may or may not have happened (ctx ended, the connection
// closed): read LastSubjectSeq to find out.
func (l *JetStream) Append(ctx context.Context, m Message, expectLastSubjectSeq uint64) (uint64, error) {
	if err := checkMessage(&m, l.maxSize); err != nil {
		return 0, err
	}
	msg := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: make(nats.Header, len(m.Header)+2)}
	for k, v := range m.Header {
		msg.Header[k] = []string{v}
	}
	// WithExpectLastSequencePerSubject sends the header for 0 as well
	// (nats.go v1.55 keeps a pointer); set it here so the contract does not
	// rest on that.
	msg.Header[expectHeader] = []string{strconv.FormatUint(expectLastSubjectSeq, 10)}
	msgID := newMsgID()
	msg.Header[msgIDHeader] = []string{msgID}
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
		// nats.go neither fails nor resends a request whose connection
		// dropped: the ack it waits for will never come. In URL mode an
		// attempt ends when the connection comes back, and the message is
		// sent again at once, so a lost ack costs the reconnect, not the
		// attempt's timeout.
		var watched chan struct{}
		if l.ns == nil {
			reconnected := l.Reconnected()
			watched = make(chan struct{})
			go func() {
				select {
				case <-reconnected:
					cancel()
				case <-watched:
				}
			}()
		}
		ack, err := l.js.PublishMsg(actx, msg)
		if watched != nil {
			close(watched)
		}
		cancel()
		if err == nil {
			return ack.Sequence, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) &&
			(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
				apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			if attempt > 0 {
				// An earlier attempt may be the message that made the
				// expectation stale.
				if seq, ok := l.ownLast(ctx, m.Subject, msgID); ok {
					return seq, nil
				}
			}
			return 0, fmt.Errorf("ledger: append %s: expected last sequence %d: %w: %w", m.Subject, expectLastSubjectSeq, ErrFenced, err)
		}
		if apiErr != nil || ctx.Err() != nil || errors.Is(err, nats.ErrConnectionClosed) {
			return 0, fmt.Errorf("ledger: append %s: %w", m.Subject, err)
		}
		// The attempt timed out, the connection came back, or it is away:
		// try again, after a pause unless it already waited out its
		// timeout or for the reconnect.
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			t := time.NewTimer(retryPause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return 0, fmt.Errorf("ledger: append %s: %w", m.Subject, err)
			}
		}
	}
}

// AttemptTimeout is how long one attempt of Append waits for JetStream's
// acknowledgement before it sends the message again: far above a durable
// append's latency (milliseconds, tens in a cluster under load), and short
// enough that an ack lost with a stream leader costs under a second. A
// retry of a message that was only slow costs the server a duplicate
// check.
const AttemptTimeout = 750 * time.Millisecond

// retryPause paces Append's attempts that failed at once (no responders
// while JetStream elects a leader, a connection being re-established).
const retryPause = 100 * time.Millisecond

// newMsgID returns a message id unique to one Append call.
func newMsgID() string {
	var b [msgIDLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// ownLast returns the sequence of the subject's last message if it carries
// msgID.
func (l *JetStream) ownLast(ctx context.Context, subject, msgID string) (uint64, bool) {
	raw, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil || raw.Header.Get(msgIDHeader) != msgID {
		return 0, false
	}
	return raw.Sequence, true
}

// LastSubjectSeq returns the sequence of the last message on subject, 0 if
// it has none. It asks the stream leader (no stale replica read); the
// server sends the whole message, so it is meant for loading a partition,
// not for a hot path.
func (l *JetStream) LastSubjectSeq(ctx context.Context, subject string) (uint64, error) {
	if err := checkSubject(subject); err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %q: %w", subject, err)
	}
	msg, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %s: %w", subject, err)
	}
	return msg.Sequence, nil
}

// LastSeq returns the last sequence of the stream, 0 if it is empty.
func (l *JetStream) LastSeq(ctx context.Context) (uint64, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger: last sequence: %w", err)
	}
	return info.State.LastSeq, nil
}

// Read calls fn, in order, for each record on a subject matching filter
// (a subject or a wildcard such as "ledger.org.>"; "" means every subject)
// with a sequence from from on (0 and 1 both mean the start), up to the
// last record that existed when Read was called; later appends are not
// delivered. It streams through an ordered consumer, many records per pull.
// It returns the sequence of the last record for which fn returned nil (0
// if none), and fn's error as is if fn fails; if ctx ends first, an error
// wrapping ctx.Err().
func (l *JetStream) Read(ctx context.Context, filter string, from uint64, fn func(Record) error) (uint64, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return 0, fmt.Errorf("ledger: read %q: %w", filter, err)
	}
	var end uint64
	var err error
	if strings.ContainsAny(filter, "*>") {
		end, err = l.LastSeq(ctx)
	} else {
		// One subject (a box office loading): its last message tells
		// whether there is anything to read at all, so loading an event
		// that is new, or whose snapshot is current, creates no consumer.
		end, err = l.LastSubjectSeq(ctx, filter)
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: read %s: %w", filter, err)
	}
	from = max(from, 1)
	if end < from {
		return 0, nil
	}

	var last uint64
	err = l.consume(ctx, "read "+filter, filter, from, true, func(rec Record, pending uint64) (bool, error) {
		if rec.Seq > end {
			return false, nil
		}
		if err := fn(rec); err != nil {
			return false, err
		}
		last = rec.Seq
		return rec.Seq < end && pending > 0, nil
	})
	if err != nil && ctxDone(ctx, err) {
		return last, fmt.Errorf("ledger: read %s: %w", filter, err)
	}
	return last, err
}

// Follow calls fn, in order, for every record with a sequence from from on
// (0 and 1 both mean the start), then for each new one as it is appended,
// until ctx is done. It survives lost connections and server restarts (the
// ordered consumer recreates itself after the last delivered record).
// It returns nil when ctx is done (also when fn then fails with ctx's
// error), fn's error as is, or an error when the ledger is closed under it.
func (l *JetStream) Follow(ctx context.Context, from uint64, fn func(Record) error) error {
	err := l.consume(ctx, "follow", streamSubjects, max(from, 1), false, func(rec Record, _ uint64) (bool, error) {
		if err := fn(rec); err != nil {
			return false, err
		}
		return true, nil
	})
	if ctxDone(ctx, err) {
		return nil
	}
	return err
}

// consume runs an ordered consumer on filter from sequence from and hands
// each record, with the number of matching records after it, to next until
// next says stop or fails, or ctx is done (consume then returns ctx.Err()).
// With stopWhenEmpty it returns at once when nothing matches when the
// consumer is created. Errors from next are returned as is; its own are
// prefixed with "ledger: <op>".
func (l *JetStream) consume(ctx context.Context, op, filter string, from uint64, stopWhenEmpty bool, next func(Record, uint64) (bool, error)) error {
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ledger: %s: consumer: %w", op, err)
	}
	defer l.deleteConsumer(ctx, cons)
	info := cons.CachedInfo()
	if stopWhenEmpty && info != nil && info.NumPending == 0 {
		return nil // nothing matches from here on (yet)
	}
	// PullMaxBytes alone sizes the client's buffer for a million messages
	// (8 MiB of pointers, allocated at once); a read of a known tail, such
	// as a box office loading, asks for no more messages than it has.
	var pull jetstream.PullMessagesOpt = jetstream.PullMaxBytes(pullBufferBytes)
	if stopWhenEmpty && info != nil {
		pull = jetstream.PullMaxMessagesWithBytesLimit(int(min(info.NumPending, readBatchMax)), pullBufferBytes)
	}
	it, err := cons.Messages(pull)
	if err != nil {
		return fmt.Errorf("ledger: %s: %w", op, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop) // also interrupts consumer resets
	defer stop()

	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("ledger: %s: %w", op, err)
		}
		rec, pending, err := toRecord(msg)
		if err != nil {
			return fmt.Errorf("ledger: %s: %w", op, err)
		}
		more, err := next(rec, pending)
		if err != nil || !more {
			return err
		}
	}
}

// ctxDone reports whether err is ctx's own error: ctx is done and err is,
// or wraps, its cause.
func ctxDone(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// deleteConsumer removes a finished ordered consumer from the server right
// away instead of leaving it to expire.
func (l *JetStream) deleteConsumer(ctx context.Context, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.js.DeleteConsumer(ctx, streamName, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		l.log.Debug("ledger: delete consumer (it expires by itself)", "consumer", info.Name, "err", err)
	}
}

// toRecord converts a delivered message, and returns how many matching
// messages the stream held after it at delivery.
func toRecord(msg jetstream.Msg) (Record, uint64, error) {
	md, err := msg.Metadata()
	if err != nil {
		return Record{}, 0, err
	}
	rec := Record{
		Seq:     md.Sequence.Stream,
		Subject: msg.Subject(),
		Data:    msg.Data(),
		Time:    md.Timestamp,
	}
	for k, vs := range msg.Headers() {
		if len(vs) == 0 || reservedHeader(k) {
			continue
		}
		if rec.Header == nil {
			rec.Header = make(map[string]string)
		}
		rec.Header[k] = vs[0]
	}
	return rec, md.NumPending, nil
}

// PutSnapshot stores data under key in the object store SNAPSHOTS,
// replacing what was there, in chunks of up to 4 MiB, so its size is not
// bounded by max_payload. The object store checks a SHA-256 digest on read.
func (l *JetStream) PutSnapshot(ctx context.Context, key string, data []byte) error {
	if err := checkSnapshotKey(key); err != nil {
		return err
	}
	// The object store allocates a buffer of the chunk size for every Put:
	// a small snapshot (an idle event unloading) gets a small one.
	chunk := uint32(max(1, min(int(l.chunk), len(data))))
	meta := jetstream.ObjectMeta{Name: key, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunk}}
	if _, err := l.snaps.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("ledger: put snapshot %s: %w", key, err)
	}
	return nil
}

// GetSnapshot returns the snapshot under key, or (nil, nil) when there is
// none.
func (l *JetStream) GetSnapshot(ctx context.Context, key string) ([]byte, error) {
	if err := checkSnapshotKey(key); err != nil {
		return nil, err
	}
	data, err := l.snaps.GetBytes(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: get snapshot %s: %w", key, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Replicas is how many copies the ledger stream keeps, for the buckets
// that sit next to it.
func (l *JetStream) Replicas() int { return max(1, l.stream.CachedInfo().Config.Replicas) }

// Conn is the ledger's NATS connection, for KV buckets and request-reply.
// It belongs to the ledger: do not close or drain it.
func (l *JetStream) Conn() *nats.Conn { return l.nc }

// Reconnected is closed the next time the connection comes back after a
// drop (never in embedded mode): a request sent before it may have lost
// its answer.
func (l *JetStream) Reconnected() <-chan struct{} {
	l.reconnMu.Lock()
	defer l.reconnMu.Unlock()
	return l.reconnected
}

// Close drains the connection (pending appends and acks complete, consumers
// stop: cancel Follow before), then shuts down the embedded server and waits
// for it. Calling it again returns the first result.
func (l *JetStream) Close() error {
	l.closeOnce.Do(func() {
		if l.nc != nil {
			if err := l.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
				l.closeErr = fmt.Errorf("ledger: close: drain: %w", err)
				l.nc.Close()
			}
			<-l.connClosed
		}
		l.shutdownServer()
	})
	return l.closeErr
}

// shutdownServer stops the embedded server, if any, and waits for it.
func (l *JetStream) shutdownServer() {
	if l.ns == nil {
		return
	}
	if l.access != "" {
		os.Remove(l.access)
	}
	l.ns.Shutdown()
	l.ns.WaitForShutdown()
}
