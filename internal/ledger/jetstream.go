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
	"sync/atomic"
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
	// Shards is how many streams the ledger is spread over (see
	// docs/ledger.md, "Shards"); 0 means 1, the stream LEDGER alone. The
	// streams LEDGER_1 … LEDGER_<n-1> are created as needed, with the
	// replicas of LEDGER; streams of shards beyond n that exist already are
	// followed too, so lowering the count loses nothing. At most MaxShards.
	Shards int

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
	stream jetstream.Stream // shard 0, LEDGER
	snaps  jetstream.ObjectStore

	// shards holds every shard's stream known to this node, index k for
	// shard k; it only grows. shardMu serializes opening one; grown is
	// closed, and replaced, when the slice grows (Follow starts consuming
	// the new shard).
	shards  atomic.Pointer[[]*shardStream]
	shardMu sync.Mutex
	grown   chan struct{}
	// discovered is when discover last listed the streams (UnixNano; 0:
	// never).
	discovered atomic.Int64
	replicas   int  // of LEDGER: every shard's stream gets as many
	embedded   bool // an embedded server, not URL mode
	unsafeOK   bool // Config.UnsafeLazyFsync

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

	if cfg.Shards < 0 || cfg.Shards > MaxShards {
		return nil, fmt.Errorf("ledger: open: %d shards, want 1 to %d", cfg.Shards, MaxShards)
	}
	l := &JetStream{log: log, connClosed: make(chan struct{}), reconnected: make(chan struct{}),
		grown: make(chan struct{}), embedded: embedded, unsafeOK: cfg.UnsafeLazyFsync}
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
	if err := checkStreamConfig(0, &scfg); err != nil {
		return err
	}
	if err := l.checkDurability(streamName, &scfg, embedded, cfg.UnsafeLazyFsync); err != nil {
		return err
	}
	l.replicas = max(1, scfg.Replicas)
	l.shards.Store(&[]*shardStream{{k: 0, name: streamName, stream: stream}})
	if _, err := l.shardFor(ctx, max(1, cfg.Shards)-1, true); err != nil {
		return err
	}
	if err := l.discover(ctx); err != nil {
		return err
	}
	if err := l.BalanceLeaders(ctx); err != nil {
		l.log.Warn("ledger: the shards' leaders stay where JetStream put them", "err", err)
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
	s, err = l.js.CreateStream(ctx, streamConfig(0, replicas))
	if fallback && notEnoughPeers(err) {
		l.log.Info("ledger: NATS cannot place 3 replicas; creating the stream with 1", "stream", streamName, "err", err)
		s, err = l.js.CreateStream(ctx, streamConfig(0, 1))
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

// streamConfig is the configuration of the new stream of shard k.
func streamConfig(k, replicas int) jetstream.StreamConfig {
	desc := "admit ledger: append-only system of record"
	if k > 0 {
		desc += ", shard " + strconv.Itoa(k)
	}
	return jetstream.StreamConfig{
		Name:              streamOf(k),
		Description:       desc,
		Subjects:          []string{physical(k, streamSubjects)},
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
func checkStreamConfig(k int, c *jetstream.StreamConfig) error {
	subjects := physical(k, streamSubjects)
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
	if !slices.Contains(c.Subjects, subjects) {
		bad = append(bad, fmt.Sprintf("subjects are %q, not including %q", c.Subjects, subjects))
	}
	if c.MaxMsgs > 0 || c.MaxBytes > 0 || c.MaxAge > 0 || c.MaxMsgsPerSubject > 0 {
		bad = append(bad, "it has a message, byte, age or per-subject limit")
	}
	if len(bad) > 0 {
		return fmt.Errorf("ledger: stream %s exists but cannot hold the ledger: %s", streamOf(k), strings.Join(bad, "; "))
	}
	return nil
}

// checkDurability applies the rule "acknowledge nothing before it is
// durable" to what a client can see; see Open.
func (l *JetStream) checkDurability(streamName string, c *jetstream.StreamConfig, embedded, allowUnsafe bool) error {
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
	k := SubjectShard(m.Subject)
	sh, err := l.shardFor(ctx, k, true)
	if err != nil {
		return 0, fmt.Errorf("ledger: append %s: %w", m.Subject, err)
	}
	msg := &nats.Msg{Subject: physical(k, m.Subject), Data: m.Data, Header: make(nats.Header, len(m.Header)+2)}
	for k, v := range m.Header {
		msg.Header[k] = []string{v}
	}
	// WithExpectLastSequencePerSubject sends the header for 0 as well
	// (nats.go v1.55 keeps a pointer); set it here so the contract does not
	// rest on that.
	msg.Header[expectHeader] = []string{strconv.FormatUint(PosSeq(expectLastSubjectSeq), 10)}
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
			return Pos(k, ack.Sequence), nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) &&
			(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
				apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			if attempt > 0 {
				// An earlier attempt may be the message that made the
				// expectation stale.
				if seq, ok := l.ownLast(ctx, sh, msg.Subject, msgID); ok {
					return Pos(k, seq), nil
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
func (l *JetStream) ownLast(ctx context.Context, sh *shardStream, subject, msgID string) (uint64, bool) {
	raw, err := sh.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil || raw.Header.Get(msgIDHeader) != msgID {
		return 0, false
	}
	return raw.Sequence, true
}

// LastSubjectSeq returns the position of the last message on subject, 0 if
// it has none. It asks the leader of the subject's shard (no stale replica
// read); the server sends the whole message, so it is meant for loading a
// partition, not for a hot path.
func (l *JetStream) LastSubjectSeq(ctx context.Context, subject string) (uint64, error) {
	if err := checkSubject(subject); err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %q: %w", subject, err)
	}
	k := SubjectShard(subject)
	sh, err := l.shardFor(ctx, k, false)
	if err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %s: %w", subject, err)
	}
	if sh == nil {
		return 0, nil // its shard has no stream yet: nothing was written to it
	}
	msg, err := sh.stream.GetLastMsgForSubject(ctx, physical(k, subject))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %s: %w", subject, err)
	}
	return Pos(k, msg.Sequence), nil
}

// Last returns the last sequence of every shard's stream (0 for an empty
// one), including shards other nodes created since Open (found within a
// second).
func (l *JetStream) Last(ctx context.Context) (Vector, error) {
	if err := l.discover(ctx); err != nil {
		return nil, fmt.Errorf("ledger: last sequences: %w", err)
	}
	shards := l.known()
	v := make(Vector, len(shards))
	for k, sh := range shards {
		info, err := sh.stream.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: last sequence of %s: %w", sh.name, err)
		}
		v[k] = info.State.LastSeq
	}
	return v, nil
}

// Read calls fn, in order, for each record on a subject matching filter
// (a subject or a wildcard such as "ledger.org.>"; "" means every subject)
// with a position from from on (0 and 1 both mean the start), up to the
// last record that existed when Read was called; later appends are not
// delivered. A subject is read from its shard (from's shard is ignored); a
// wildcard reads shard after shard, in the order of positions, so from
// skips the shards before its own. It streams through an ordered consumer,
// many records per pull. It returns the position of the last record for
// which fn returned nil (0 if none), and fn's error as is if fn fails; if
// ctx ends first, an error wrapping ctx.Err().
func (l *JetStream) Read(ctx context.Context, filter string, from uint64, fn func(Record) error) (uint64, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return 0, fmt.Errorf("ledger: read %q: %w", filter, err)
	}
	if literal(filter) {
		if err := checkShard(filter); err != nil {
			return 0, fmt.Errorf("ledger: read %q: %w", filter, err)
		}
		// One subject (a box office loading): its last message tells
		// whether there is anything to read at all, so loading an event
		// that is new, or whose snapshot is current, creates no consumer.
		end, err := l.LastSubjectSeq(ctx, filter)
		if err != nil || end == 0 {
			return 0, err
		}
		sh, err := l.shardFor(ctx, SubjectShard(filter), false)
		if err != nil {
			return 0, fmt.Errorf("ledger: read %s: %w", filter, err)
		}
		return l.readShard(ctx, sh, filter, PosSeq(from), PosSeq(end), fn)
	}
	if err := l.discover(ctx); err != nil {
		return 0, fmt.Errorf("ledger: read %s: %w", filter, err)
	}
	var last uint64
	for k, sh := range l.known() {
		start := uint64(1)
		switch {
		case k < PosShard(from):
			continue
		case k == PosShard(from):
			start = PosSeq(from)
		}
		info, err := sh.stream.Info(ctx)
		if err != nil {
			return last, fmt.Errorf("ledger: read %s: %w", filter, err)
		}
		n, err := l.readShard(ctx, sh, filter, start, info.State.LastSeq, fn)
		if n != 0 {
			last = n
		}
		if err != nil {
			return last, err
		}
	}
	return last, nil
}

// readShard is Read on one shard, from sequence from up to end.
func (l *JetStream) readShard(ctx context.Context, sh *shardStream, filter string, from, end uint64, fn func(Record) error) (uint64, error) {
	from = max(from, 1)
	if end < from {
		return 0, nil
	}
	var last uint64
	err := l.consume(ctx, sh, "read "+filter, filter, from, true, func(rec Record, pending uint64) (bool, error) {
		if PosSeq(rec.Seq) > end {
			return false, nil
		}
		if err := fn(rec); err != nil {
			return false, err
		}
		last = rec.Seq
		return PosSeq(rec.Seq) < end && pending > 0, nil
	})
	if err != nil && ctxDone(ctx, err) {
		return last, fmt.Errorf("ledger: read %s: %w", filter, err)
	}
	return last, err
}

// Follow calls fn for every record after the vector after — each shard's
// records in order, the shards' interleaved as they arrive, one call at a
// time — then for each new one as it is appended, until ctx is done. It
// follows every shard, also those created after it started (by an append
// here, or by another node: looked for every few seconds in URL mode). It
// survives lost connections and server restarts (each shard's ordered
// consumer recreates itself after the last delivered record). It returns
// nil when ctx is done (also when fn then fails with ctx's error), fn's
// error as is, or an error when the ledger is closed under it; fn is never
// called after Follow returns.
func (l *JetStream) Follow(ctx context.Context, after Vector, fn func(Record) error) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	var mu sync.Mutex // one call of fn at a time
	errs := make(chan error, MaxShards)
	started := 0
	var tick <-chan time.Time
	if !l.embedded {
		t := time.NewTicker(discoverEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		grown := l.grownChan()
		for _, sh := range l.known()[started:] {
			started++
			wg.Go(func() {
				errs <- l.consume(ctx, sh, "follow", streamSubjects, after.Seq(sh.k)+1, false, func(rec Record, _ uint64) (bool, error) {
					mu.Lock()
					defer mu.Unlock()
					if err := ctx.Err(); err != nil {
						return false, err
					}
					if err := fn(rec); err != nil {
						return false, err
					}
					return true, nil
				})
			})
		}
		select {
		case err := <-errs:
			if parent.Err() != nil && (err == nil || ctxDone(parent, err)) {
				return nil
			}
			return err
		case <-grown:
		case <-tick:
			if err := l.discover(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("ledger: follow: look for new shards", "err", err)
			}
		case <-parent.Done():
			return nil
		}
	}
}

// discoverEvery is how often Follow looks for shards other nodes created
// (URL mode).
const discoverEvery = 5 * time.Second

// consume runs an ordered consumer on filter from sequence from and hands
// each record, with the number of matching records after it, to next until
// next says stop or fails, or ctx is done (consume then returns ctx.Err()).
// With stopWhenEmpty it returns at once when nothing matches when the
// consumer is created. Errors from next are returned as is; its own are
// prefixed with "ledger: <op>".
func (l *JetStream) consume(ctx context.Context, sh *shardStream, op, filter string, from uint64, stopWhenEmpty bool, next func(Record, uint64) (bool, error)) error {
	cons, err := sh.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{physical(sh.k, filter)},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ledger: %s: consumer: %w", op, err)
	}
	defer l.deleteConsumer(ctx, sh, cons)
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
		rec, pending, err := toRecord(sh.k, msg)
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
func (l *JetStream) deleteConsumer(ctx context.Context, sh *shardStream, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.js.DeleteConsumer(ctx, sh.name, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		l.log.Debug("ledger: delete consumer (it expires by itself)", "consumer", info.Name, "err", err)
	}
}

// toRecord converts a delivered message, and returns how many matching
// messages the stream held after it at delivery.
func toRecord(k int, msg jetstream.Msg) (Record, uint64, error) {
	md, err := msg.Metadata()
	if err != nil {
		return Record{}, 0, err
	}
	rec := Record{
		Seq:     Pos(k, md.Sequence.Stream),
		Subject: logical(k, msg.Subject()),
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
// none. The read gets a time in proportion to the snapshot's size
// (snapshotReadTime), within ctx's: a read whose chunks stopped coming (its
// consumer lost with a NATS server) would otherwise wait out ctx, and the
// object store has no timeout of its own between chunks.
func (l *JetStream) GetSnapshot(ctx context.Context, key string) ([]byte, error) {
	if err := checkSnapshotKey(key); err != nil {
		return nil, err
	}
	info, err := l.snaps.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: get snapshot %s: %w", key, err)
	}
	rctx, cancel := context.WithTimeout(ctx, snapshotReadTime(info.Size))
	defer cancel()
	data, err := l.snaps.GetBytes(rctx, key)
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

// snapshotReadTime is the time a snapshot of size bytes gets to be read:
// 5 seconds, and one more per 10 MB, some ten times what a busy disk and
// network take.
func snapshotReadTime(size uint64) time.Duration {
	return 5*time.Second + time.Duration(size/(10<<20))*time.Second
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
