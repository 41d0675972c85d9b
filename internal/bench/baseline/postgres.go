package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/admit-org/admit/internal/id"
)

// postgres is the design most teams would pick first: a row per quota with
// a sold counter, a row per hold, one transaction per hold.
//
// A hold is one round trip: a prepared call of the plpgsql function that
// Setup creates, hold(hold_id, quota_ids, counts, items, expires_at). The
// function runs, in the call's own transaction, for each quota the hold
// counts against, in quota id order,
//
//	UPDATE quotas SET sold = sold + n WHERE id = $q AND sold + n <= capacity
//
// and, when one matches no row, reads what is left of that quota and raises
// SQLSTATE AD409 (sold out) with DETAIL "<the quota's place in the call,
// from 1> <tickets left>", which rolls the whole transaction back: a
// sold-out answer says what is left in the same round trip. Then it inserts
// the hold's row. The commit
// waits for the WAL flush (PostgreSQL's defaults, synchronous_commit on, are
// left as they are). Done from the client instead (BEGIN, one UPDATE per
// quota, INSERT, COMMIT) the same transaction takes four to six round trips
// and holds the quotas' row locks across all of them: that would be a
// strawman.
//
// The quotas are locked in one order for every hold, so holds do not
// deadlock; serialization failures and deadlocks (40001, 40P01) are retried
// all the same, a few times. Holds on one quota queue on its row lock for
// the length of a transaction, commit included: that row is the design's
// limit.
type postgres struct {
	pool    *pgxpool.Pool
	schema  string // a fresh schema for this Store: admitbench_<random>
	holdSQL string
	x       *index
}

const (
	sqlstateSoldOut = "AD409" // raised by the hold function
	pgAttempts      = 4       // tries of a hold that failed with 40001 or 40P01
)

// NewPostgres connects a pool of at most maxConns connections (0: four per
// GOMAXPROCS) to the PostgreSQL server at dsn, such as
// "postgres://postgres@127.0.0.1:5432/test". Statements are prepared once
// per connection (pgx's statement cache). Setup creates a schema of its own;
// Close drops it and closes the pool.
func NewPostgres(ctx context.Context, dsn string, maxConns int) (Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("baseline: postgres: %w", err)
	}
	if maxConns <= 0 {
		maxConns = 4 * runtime.GOMAXPROCS(0)
	}
	cfg.MaxConns = int32(maxConns)
	cfg.ConnConfig.RuntimeParams["application_name"] = "admit-bench-baseline"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("baseline: postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("baseline: postgres: connect: %w", err)
	}
	schema := id.New("admitbench", 16) // lowercase letters and digits: no quoting needed
	return &postgres{pool: pool, schema: schema, holdSQL: "SELECT " + schema + ".hold($1, $2, $3, $4, $5)"}, nil
}

func (s *postgres) Name() string { return "postgres" }

// setupSQL creates the schema; %[1]s is its name.
const setupSQL = `
CREATE SCHEMA %[1]s;
CREATE TABLE %[1]s.quotas (
	id       text PRIMARY KEY,
	capacity bigint NOT NULL,
	sold     bigint NOT NULL DEFAULT 0,
	CHECK (sold BETWEEN 0 AND capacity)
);
CREATE TABLE %[1]s.holds (
	id         text PRIMARY KEY,
	items      jsonb NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE FUNCTION %[1]s.hold(p_hold_id text, p_quota_ids text[], p_counts bigint[], p_items jsonb, p_expires_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
	v_left bigint;
BEGIN
	-- p_quota_ids are sorted: every hold locks quotas in the same order.
	FOR i IN 1 .. cardinality(p_quota_ids) LOOP
		UPDATE %[1]s.quotas SET sold = sold + p_counts[i]
		 WHERE id = p_quota_ids[i] AND sold + p_counts[i] <= capacity;
		IF NOT FOUND THEN
			SELECT capacity - sold INTO v_left FROM %[1]s.quotas WHERE id = p_quota_ids[i];
			RAISE EXCEPTION 'quota %% is sold out', p_quota_ids[i] USING ERRCODE = '` + sqlstateSoldOut + `',
				DETAIL = i || ' ' || coalesce(v_left, 0);
		END IF;
	END LOOP;
	INSERT INTO %[1]s.holds (id, items, expires_at) VALUES (p_hold_id, p_items, p_expires_at);
END
$fn$;
`

func (s *postgres) Setup(ctx context.Context, p Plan) error {
	if s.x != nil {
		return errors.New("baseline: postgres: already set up")
	}
	x, err := compile(p)
	if err != nil {
		return err
	}
	ids, caps := make([]string, len(x.quotas)), make([]int64, len(x.quotas))
	for i, q := range x.quotas {
		ids[i], caps[i] = q.ID, int64(q.Capacity)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("baseline: postgres: setup: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, s.schema)); err != nil {
		return fmt.Errorf("baseline: postgres: setup %s: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+s.schema+".quotas (id, capacity) SELECT * FROM unnest($1::text[], $2::bigint[])",
		ids, caps); err != nil {
		return fmt.Errorf("baseline: postgres: setup %s: quotas: %w", s.schema, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("baseline: postgres: setup %s: %w", s.schema, err)
	}
	s.x = x
	return nil
}

func (s *postgres) Hold(ctx context.Context, holdID string, items []Item, ttl time.Duration) error {
	if s.x == nil {
		return errNotReady
	}
	var buf [4]take
	ts, _, err := s.x.takes(buf[:0], items)
	if err != nil {
		return err
	}
	quotaIDs, counts := make([]string, len(ts)), make([]int64, len(ts))
	for i, t := range ts {
		quotaIDs[i], counts[i] = s.x.quotas[t.q].ID, int64(t.n)
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("baseline: postgres: hold %s: %w", holdID, err)
	}
	expiresAt := time.Now().Add(ttl)
	for attempt := 1; ; attempt++ {
		_, err := s.pool.Exec(ctx, s.holdSQL, holdID, quotaIDs, counts, itemsJSON, expiresAt)
		if err == nil {
			return nil
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			switch pe.Code {
			case sqlstateSoldOut:
				return s.soldOut(items, ts, pe.Detail)
			case "23505": // unique_violation: the hold's primary key
				return fmt.Errorf("%w: hold id %q is already used", ErrInvalid, holdID)
			case "40001", "40P01":
				if attempt < pgAttempts {
					continue
				}
			}
		}
		return fmt.Errorf("baseline: postgres: hold %s: %w", holdID, err)
	}
}

// soldOut reads the hold function's DETAIL: which of the hold's quotas
// lacked room, and what is left of it.
func (s *postgres) soldOut(items []Item, ts []take, detail string) error {
	i, left, ok := strings.Cut(detail, " ")
	n, err1 := strconv.Atoi(i)
	l, err2 := strconv.Atoi(left)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > len(ts) {
		return &SoldOutError{} // what is left is not known
	}
	return s.x.soldOut(items, ts[n-1].q, l)
}

func (s *postgres) Available(ctx context.Context) (Availability, error) {
	if s.x == nil {
		return Availability{}, errNotReady
	}
	rows, err := s.pool.Query(ctx, "SELECT id, sold FROM "+s.schema+".quotas")
	if err != nil {
		return Availability{}, fmt.Errorf("baseline: postgres: available: %w", err)
	}
	sold := make(map[string]int, len(s.x.quotas))
	if err := scanCounts(rows, sold); err != nil {
		return Availability{}, fmt.Errorf("baseline: postgres: available: %w", err)
	}
	held := make([]int, len(s.x.quotas))
	for i, q := range s.x.quotas {
		held[i] = sold[q.ID]
	}
	return s.x.availability(held), nil
}

func (s *postgres) Audit(ctx context.Context) (Audit, error) {
	if s.x == nil {
		return Audit{}, errNotReady
	}
	a := Audit{Held: make(map[string]int), Holds: make(map[string]int)}
	rows, err := s.pool.Query(ctx, "SELECT id, sold FROM "+s.schema+".quotas")
	if err != nil {
		return Audit{}, fmt.Errorf("baseline: postgres: audit: %w", err)
	}
	if err := scanCounts(rows, a.Held); err != nil {
		return Audit{}, fmt.Errorf("baseline: postgres: audit quotas: %w", err)
	}
	rows, err = s.pool.Query(ctx, "SELECT id, (SELECT coalesce(sum((e->>'quantity')::bigint), 0) FROM jsonb_array_elements(items) e) FROM "+
		s.schema+".holds")
	if err != nil {
		return Audit{}, fmt.Errorf("baseline: postgres: audit: %w", err)
	}
	if err := scanCounts(rows, a.Holds); err != nil {
		return Audit{}, fmt.Errorf("baseline: postgres: audit holds: %w", err)
	}
	return a, nil
}

// scanCounts reads rows of (text, bigint) into m and closes rows.
func scanCounts(rows pgx.Rows, m map[string]int) error {
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		m[k] = int(n)
	}
	return rows.Err()
}

func (s *postgres) Close() error {
	defer s.pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+s.schema+" CASCADE"); err != nil {
		return fmt.Errorf("baseline: postgres: drop %s: %w", s.schema, err)
	}
	return nil
}
