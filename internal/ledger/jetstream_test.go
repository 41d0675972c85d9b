package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/admit-org/admit/internal/natstest"
)

// openEmbedded opens an embedded ledger in dir, closed when the test ends.
func openEmbedded(tb testing.TB, dir string) *JetStream {
	tb.Helper()
	l, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return l
}

func TestEmbeddedRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)

	l, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	mustAppend(t, l, "ledger.event.a", []byte("1"), 0, 1)
	mustAppend(t, l, "ledger.org.b", []byte("2"), 0, 2)
	mustAppend(t, l, "ledger.event.a", []byte("3"), 1, 3)
	if err := l.PutSnapshot(ctx, "event.a", []byte("snap@3")); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	l = openEmbedded(t, dir)
	if got := lastSeq(t, l); got != 3 {
		t.Errorf("LastSeq after restart = %d, want 3", got)
	}
	if got := lastSubjectSeq(t, l, "ledger.event.a"); got != 3 {
		t.Errorf("LastSubjectSeq(a) after restart = %d, want 3", got)
	}
	recs, last := readAll(t, l, "", 0)
	if len(recs) != 3 || last != 3 || string(recs[2].Data) != "3" {
		t.Errorf("Read after restart = %d records, last %d; want 3, 3", len(recs), last)
	}
	if got := getSnapshot(t, l, "event.a"); string(got) != "snap@3" {
		t.Errorf("GetSnapshot after restart = %q, want %q", got, "snap@3")
	}
	// Fencing goes on from the stored state.
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a"}, 1); !errors.Is(err, ErrFenced) {
		t.Errorf("stale Append after restart: err = %v, want ErrFenced", err)
	}
	mustAppend(t, l, "ledger.event.a", []byte("4"), 3, 4)
	mustAppend(t, l, "ledger.org.c", []byte("5"), 0, 5)

	// The stream was created as specified.
	info, err := l.stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	c := info.Config
	if c.Storage != jetstream.FileStorage || c.MaxMsgs != -1 || c.MaxBytes != -1 || c.MaxAge != 0 ||
		c.MaxMsgSize != -1 || !c.DenyDelete || !c.DenyPurge || c.Replicas != 1 {
		t.Errorf("stream config = %+v", c)
	}
}

func TestAppendExpectHeaderForZero(t *testing.T) {
	// The fencing header is stored with the message; check that Append sent
	// it for expected 0 by reading the raw message.
	l := openEmbedded(t, t.TempDir())
	mustAppend(t, l, "ledger.event.a", nil, 0, 1)
	raw, err := l.stream.GetMsg(testContext(t), 1)
	if err != nil {
		t.Fatalf("GetMsg: %v", err)
	}
	if got := raw.Header.Get(expectHeader); got != "0" {
		t.Errorf("%s = %q, want %q", expectHeader, got, "0")
	}
}

// startServer runs a separate nats-server with a TCP listener on a random
// port (or the given one) and JetStream in storeDir, default (lazy) fsync.
func startServer(t *testing.T, storeDir string, port int) *server.Server {
	return natstest.StartAt(t, storeDir, port)
}

func TestURLModeDurabilityCheck(t *testing.T) {
	ns := startServer(t, t.TempDir(), -1)
	ctx := testContext(t)

	_, err := Open(ctx, Config{URL: ns.ClientURL()})
	if !errors.Is(err, ErrUnsafeFsync) {
		t.Fatalf("Open of an R1 single server: err = %v, want ErrUnsafeFsync", err)
	}
	for _, hint := range []string{"sync_interval: always", "--unsafe-lazy-fsync", "1 replica"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}

	var logs syncBuffer
	l, err := Open(ctx, Config{URL: ns.ClientURL(), UnsafeLazyFsync: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open with UnsafeLazyFsync: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "unsafe-lazy-fsync") {
		t.Errorf("no warning logged for the unsafe ledger; log:\n%s", logs.String())
	}
	// The server's default max_payload (1 MiB) bounds appends.
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a", Data: make([]byte, 2<<20)}, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Append of 2 MiB to a 1 MiB server: err = %v, want ErrTooLarge", err)
	}
	mustAppend(t, l, "ledger.event.a", []byte("1"), 0, 1)
	if _, err := l.Append(ctx, Message{Subject: "ledger.event.a"}, 0); !errors.Is(err, ErrFenced) {
		t.Errorf("stale Append: err = %v, want ErrFenced", err)
	}
	snap := bytes.Repeat([]byte("s"), 3<<20) // larger than max_payload: chunked
	if err := l.PutSnapshot(ctx, "event.a", snap); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	if got := getSnapshot(t, l, "event.a"); !bytes.Equal(got, snap) {
		t.Errorf("snapshot did not read back intact (%d bytes)", len(got))
	}
}

func TestURLModeRefusesUnusableStream(t *testing.T) {
	ns := startServer(t, t.TempDir(), -1)
	ctx := testContext(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: streamName, Subjects: []string{streamSubjects},
		Storage: jetstream.MemoryStorage, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{URL: ns.ClientURL(), UnsafeLazyFsync: true})
	if err == nil || errors.Is(err, ErrUnsafeFsync) {
		t.Fatalf("Open on a memory stream with a max age: err = %v, want a configuration error", err)
	}
	for _, hint := range []string{"storage is Memory", "age"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
}

func TestFollowSurvivesServerRestart(t *testing.T) {
	store := t.TempDir()
	ns := startServer(t, store, -1)
	port := ns.Addr().(*net.TCPAddr).Port
	url := ns.ClientURL()
	ctx := testContext(t)

	l, err := Open(ctx, Config{URL: url, UnsafeLazyFsync: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	mustAppend(t, l, "ledger.event.a", []byte("before"), 0, 1)

	fctx, cancel := context.WithCancel(ctx)
	got := make(chan Record, 16)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(fctx, nil, func(r Record) error {
			got <- r
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	if r := receive(t, got, done); string(r.Data) != "before" {
		t.Fatalf("first record %q, want %q", r.Data, "before")
	}

	ns.Shutdown()
	ns.WaitForShutdown()
	startServer(t, store, port)

	// Append once the ledger is reachable again; an ambiguous failure may
	// have appended, which the fence then reports.
	for {
		_, err := l.Append(ctx, Message{Subject: "ledger.event.after", Data: []byte("after")}, 0)
		if err == nil || errors.Is(err, ErrFenced) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no append after the restart: %v", err)
		}
		waitBriefly(ctx)
	}
	if r := receive(t, got, done); string(r.Data) != "after" || r.Seq != 2 {
		t.Fatalf("after the restart Follow delivered %d %q, want 2 %q", r.Seq, r.Data, "after")
	}
}

func receive(t *testing.T, got <-chan Record, done <-chan error) Record {
	t.Helper()
	select {
	case r := <-got:
		return r
	case err := <-done:
		t.Fatalf("Follow returned %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Follow delivered nothing in 20 s")
	}
	return Record{}
}

// waitBriefly paces a polling loop.
func waitBriefly(ctx context.Context) {
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// fillStore writes n messages of size bytes into a LEDGER stream under
// dir/jetstream with a lazily fsyncing server (fast), round-robin over ten
// event subjects, so that tests can read many messages.
func fillStore(tb testing.TB, dir string, n, size int) {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{DontListen: true, JetStream: true,
		StoreDir: filepath.Join(dir, "jetstream"), NoSigs: true, NoLog: true, MaxPayload: MaxMessageSize})
	if err != nil {
		tb.Fatal(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("server not ready")
	}
	nc, err := nats.Connect(nats.DefaultURL, nats.InProcessServer(ns))
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, streamConfig(0, 1)); err != nil {
		tb.Fatal(err)
	}
	data := make([]byte, size)
	for i := range n {
		// A publish waits up to a minute for room among the pending ones
		// (the default 200 ms is too short on a loaded machine).
		if _, err := js.PublishAsync(fmt.Sprintf("ledger.event.e%d", i%10), data, jetstream.WithStallWait(time.Minute)); err != nil {
			tb.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(60 * time.Second):
		tb.Fatal("async publishes not acknowledged")
	}
}

func TestReadMany(t *testing.T) {
	const n = 20_000
	dir := t.TempDir()
	fillStore(t, dir, n, 4096) // 80 MB: several pulls
	l := openEmbedded(t, dir)

	var count int
	var prev uint64
	last, err := l.Read(testContext(t), "", 0, func(r Record) error {
		if r.Seq != prev+1 || len(r.Data) != 4096 {
			return fmt.Errorf("record %d (%d bytes) after %d", r.Seq, len(r.Data), prev)
		}
		prev = r.Seq
		count++
		return nil
	})
	if err != nil || count != n || last != n {
		t.Fatalf("Read = %d records, last %d, %v; want %d, %d, nil", count, last, err, n, n)
	}
	count = 0
	last, err = l.Read(testContext(t), "ledger.event.e3", 10_000, func(r Record) error {
		if r.Subject != "ledger.event.e3" {
			return fmt.Errorf("record %d on %s", r.Seq, r.Subject)
		}
		count++
		return nil
	})
	if err != nil || count != 1000 || last != n-6 {
		t.Fatalf("filtered Read = %d records, last %d, %v; want 1000, %d, nil", count, last, err, n-6)
	}
}

// BenchmarkAppendEmbedded measures durable (fsynced) appends of 4 KiB
// messages with CloudEvents headers and fencing, one after the other.
func BenchmarkAppendEmbedded(b *testing.B) {
	l := openEmbedded(b, b.TempDir())
	ctx := context.Background()
	m := Message{
		Subject: "ledger.event.ev_bench",
		Header: map[string]string{
			"Ce-Specversion": "1.0", "Ce-Type": "admit.batch.v1", "Ce-Id": "01JDX5",
			"Ce-Source": "/events/ev_bench", "Ce-Time": "2026-11-22T10:00:00Z",
		},
		Data: bytes.Repeat([]byte("x"), 4096),
	}
	var last uint64
	b.SetBytes(int64(len(m.Data)))
	b.ReportAllocs()
	for b.Loop() {
		seq, err := l.Append(ctx, m, last)
		if err != nil {
			b.Fatal(err)
		}
		last = seq
	}
}

// BenchmarkRead100k measures replaying 100,000 messages of 1 KiB.
func BenchmarkRead100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	fillStore(b, dir, n, 1024)
	l := openEmbedded(b, dir)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		last, err := l.Read(ctx, "", 0, func(Record) error { return nil })
		if err != nil || last != n {
			b.Fatalf("Read = %d, %v", last, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/replay")
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (a log sink).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestAppendRetriesALostAttempt cuts the connection under an append that the
// client sent on a socket it still believed alive: once with the request
// lost on the way (nothing stored), once with the acknowledgement lost (the
// message stored, the retry then stale against it). Either way Append must
// retry on the new connection and return the one message's sequence well
// within its deadline.
func TestAppendRetriesALostAttempt(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop direction
	}{{"request lost", toServer}, {"ack lost", toClient}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := startServer(t, t.TempDir(), -1)
			p := startCutter(t, ns.Addr().String())
			ctx := testContext(t)
			l, err := Open(ctx, Config{URL: "nats://" + p.addr(), UnsafeLazyFsync: true})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = l.Close() })

			p.cutOnNext(tc.drop)
			actx, cancel := context.WithTimeout(ctx, 4*AttemptTimeout)
			defer cancel()
			seq, err := l.Append(actx, Message{Subject: "ledger.event.a", Data: []byte("once")}, 0)
			if err != nil {
				t.Fatalf("Append across a cut connection: %v", err)
			}
			if !p.didCut() {
				t.Fatal("the connection was not cut: the test proves nothing")
			}
			last, err := l.LastSubjectSeq(ctx, "ledger.event.a")
			if err != nil {
				t.Fatal(err)
			}
			if seq != 1 || last != 1 {
				t.Fatalf("Append returned %d, last on the subject %d; want 1 and 1", seq, last)
			}
		})
	}
}

type direction int

const (
	toServer direction = iota
	toClient
)

// cutter is a TCP proxy that, when told, swallows the next bytes going one
// way and then closes both sides without a word: what a client sees of a
// server that died under its request.
type cutter struct {
	ln   net.Listener
	mu   sync.Mutex
	arm  bool
	way  direction
	cut  bool
	open []net.Conn
}

func startCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		c.mu.Lock()
		for _, conn := range c.open {
			conn.Close()
		}
		c.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			c.mu.Lock()
			c.open = append(c.open, client, server)
			c.mu.Unlock()
			wg.Go(func() { c.pipe(server, client, toServer, client) })
			wg.Go(func() { c.pipe(client, server, toClient, server) })
		}
	})
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) cutOnNext(way direction) {
	c.mu.Lock()
	c.arm, c.way = true, way
	c.mu.Unlock()
}

func (c *cutter) didCut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut
}

// pipe copies from src to dst; when armed for its direction it drops what
// it read and closes both connections.
func (c *cutter) pipe(dst, src net.Conn, way direction, other net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			c.mu.Lock()
			drop := c.arm && c.way == way
			if drop {
				c.arm, c.cut = false, true
			}
			c.mu.Unlock()
			if drop {
				dst.Close()
				other.Close()
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// TestSmallSnapshotAllocatesLittle: storing a small snapshot (an idle event
// unloading) must not allocate a buffer of the largest chunk size; at 4 MiB
// a Put, 100,000 events unloading once allocate 400 GB in all.
func TestSmallSnapshotAllocatesLittle(t *testing.T) {
	l := openEmbedded(t, t.TempDir())
	ctx := testContext(t)
	data := bytes.Repeat([]byte("s"), 2000)
	if err := l.PutSnapshot(ctx, "event.warm", data); err != nil {
		t.Fatal(err)
	}
	const puts = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range puts {
		if err := l.PutSnapshot(ctx, fmt.Sprintf("event.e%d", i), data); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / puts; per > 256<<10 {
		t.Fatalf("a 2,000-byte snapshot allocated %d KiB to store, want at most 256 KiB", per>>10)
	}
	if got, err := l.GetSnapshot(ctx, "event.e3"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetSnapshot: %d bytes, %v; want the 2,000 stored", len(got), err)
	}
}
