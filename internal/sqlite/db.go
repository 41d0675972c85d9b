package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/admit-org/admit/internal/ledger"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// positionName is the projection table's row for this read model's
// position in shard 0 of the ledger; shard k ≥ 1 has the row
// "ledger/<k>" (shardPositionName).
const positionName = "ledger"

// shardPositionName is the projection table's row of shard k.
func shardPositionName(k int) string {
	if k == 0 {
		return positionName
	}
	return positionName + "/" + strconv.Itoa(k)
}

// busyTimeout is how long a connection waits for a lock before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// ErrClosed is returned by WaitFor once the DB is closed.
var ErrClosed = errors.New("sqlite: read model closed")

// DB is the read model in one SQLite file. Its methods are safe for
// concurrent use; writes (Apply, Run, Rebuild) are serialized. Close it once
// nothing uses it.
type DB struct {
	w     *sql.DB // the one writer connection
	r     *sql.DB // read-only connections
	stmts [numStmts]*sql.Stmt

	exportChunk int // rows per query of an export, at least 2 (DefaultExportChunk; tests make it small)

	applyMu sync.Mutex    // held across each write transaction, and guards what follows
	saved   ledger.Vector // the position as the file has it: at most pos, and nothing after it changes a table
	savedAt time.Time     // when saved was written (or read, by Open)
	// How long and for how many ledger records the file's position may
	// lag the position in memory: a second, 10,000.
	saveEvery time.Duration
	saveAfter uint64

	mu      sync.Mutex
	pos     ledger.Vector // per shard, the last ledger sequence applied (committed, or changing no table); replaced, never changed in place
	changed chan struct{} // closed and replaced whenever pos changes or stopped is set
	stopped error         // why the projector stopped, when Run returned an error or the DB closed
}

// Open opens (creating if needed) the read model at path and brings its
// schema up to date. The file runs in WAL mode with synchronous=NORMAL
// (a commit may be lost on power failure, which costs only a replay from the
// ledger), foreign keys on and a busy timeout.
func Open(path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: the path must be non-empty and contain no '?' or '#'", path)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// A checkpoint every 10,000 WAL pages (about 40 MB) instead of SQLite's
	// 1,000: during an on-sale, orders and tickets land all over their
	// trees (random ids), and a page changed many times between
	// checkpoints is written back once.
	wq := url.Values{"_pragma": append([]string{"journal_mode(WAL)", "wal_autocheckpoint(10000)"}, q["_pragma"]...),
		"_txlock": {"immediate"}}
	rq := url.Values{"_pragma": append([]string{"query_only(1)"}, q["_pragma"]...)}

	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, changed: make(chan struct{}), saveEvery: time.Second, saveAfter: 10_000,
		exportChunk: DefaultExportChunk}
	ctx := context.Background()
	if err := db.init(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		db.closeStmts()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	return db, nil
}

// init migrates the schema, prepares the writer's statements and loads the
// position.
func (db *DB) init(ctx context.Context) error {
	ms, err := loadMigrations(migrations)
	if err != nil {
		return err
	}
	if err := migrate(ctx, db.w, ms); err != nil {
		return err
	}
	for i, q := range stmtSQL {
		s, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			db.closeStmts()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[i] = s
	}
	pos, err := readPosition(ctx, db.w)
	if err != nil {
		db.closeStmts()
		return err
	}
	db.pos, db.saved, db.savedAt = pos, pos.Clone(), time.Now()
	return nil
}

func (db *DB) closeStmts() {
	for i, s := range db.stmts {
		if s != nil {
			s.Close()
			db.stmts[i] = nil
		}
	}
}

// Close saves the position (see Apply) and closes the database. Waiters in
// WaitFor return ErrClosed. Stop Run (cancel its context and wait for it)
// before closing.
func (db *DB) Close() error {
	db.setStopped(ErrClosed)
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	err := db.save(context.Background())
	db.closeStmts()
	return errors.Join(err, db.r.Close(), db.w.Close())
}

func readPosition(ctx context.Context, q *sql.DB) (ledger.Vector, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, seq FROM projection WHERE name = ? OR name LIKE ?`, positionName, positionName+"/%")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read position: %w", err)
	}
	defer rows.Close()
	var v ledger.Vector
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("sqlite: read position: %w", err)
		}
		k := 0
		if name != positionName {
			k, err = strconv.Atoi(name[len(positionName)+1:])
			if err != nil || k < 1 || k >= ledger.MaxShards {
				return nil, fmt.Errorf("sqlite: read position: bad row %q", name)
			}
		}
		v.Advance(ledger.Pos(k, uint64(seq)))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read position: %w", err)
	}
	return v, nil
}

// Position returns, per shard, the last ledger stream sequence applied
// (zeros if none). The file's position may lag it by records that changed
// no table (see Apply). It reads the position in memory and never fails.
func (db *DB) Position(ctx context.Context) (ledger.Vector, error) {
	return db.applied().Clone(), nil
}

// applied returns the position in memory; do not change it.
func (db *DB) applied() ledger.Vector {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.pos
}

// WaitFor blocks until the read model has applied the ledger up to the
// position pos (a ledger.Record.Seq, or a write's Admit-Ledger-Seq), in
// pos's shard; 0 does not wait. It returns ctx's error (wrapped) when ctx
// ends first, the projector's error when Run stopped on one before
// reaching pos, and ErrClosed after Close.
func (db *DB) WaitFor(ctx context.Context, pos uint64) error {
	var v ledger.Vector
	v.Advance(pos)
	return db.WaitForAll(ctx, v)
}

// WaitForAll is WaitFor for every shard's position in want: it returns
// once the read model has applied want in every shard.
func (db *DB) WaitForAll(ctx context.Context, want ledger.Vector) error {
	for {
		db.mu.Lock()
		pos, changed, stopped := db.pos, db.changed, db.stopped
		db.mu.Unlock()
		if pos.CoversAll(want) {
			return nil
		}
		if stopped != nil {
			return fmt.Errorf("sqlite: wait for %v: the projection stopped at %v: %w", want, pos, stopped)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("sqlite: wait for %v (at %v): %w", want, pos, ctx.Err())
		}
	}
}

// setPos records an applied position and wakes the waiters.
func (db *DB) setPos(pos ledger.Vector) {
	db.mu.Lock()
	db.pos = pos
	close(db.changed)
	db.changed = make(chan struct{})
	db.mu.Unlock()
}

// setStopped records why the projector stopped (nil: it runs again) and
// wakes the waiters.
func (db *DB) setStopped(err error) {
	db.mu.Lock()
	if !errors.Is(db.stopped, ErrClosed) {
		db.stopped = err
	}
	close(db.changed)
	db.changed = make(chan struct{})
	db.mu.Unlock()
}

// timeLayout is RFC 3339 in UTC with exactly nine fractional digits: unlike
// time.RFC3339Nano it has a fixed width, so the text sorts as the time does.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime is NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t, nil
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}
