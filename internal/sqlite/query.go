package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// Organizer is a tenant, as the read model knows it.
type Organizer struct {
	ID, Name  string
	CreatedAt time.Time
}

// Organizer returns the organizer with the id. Errors: NotFound when there
// is none.
func (db *DB) Organizer(ctx context.Context, id string) (Organizer, error) {
	return db.organizer(ctx, `SELECT id, name, created_at FROM organizers WHERE id = ?`, id)
}

func (db *DB) organizer(ctx context.Context, query string, arg string) (Organizer, error) {
	var o Organizer
	var created string
	err := db.r.QueryRowContext(ctx, query, arg).Scan(&o.ID, &o.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Organizer{}, fault.New(fault.NotFound, "organizer not found")
	}
	if err != nil {
		return Organizer{}, fmt.Errorf("sqlite: read organizer: %w", err)
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return Organizer{}, err
	}
	return o, nil
}

// CountOrganizers returns how many organizers exist.
func (db *DB) CountOrganizers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM organizers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count organizers: %w", err)
	}
	return n, nil
}

// EventRow is an event as the read model lists it.
type EventRow struct {
	ID, OrganizerID, Name, Venue, TimeZone, Currency, Status string
	StartsAt, EndsAt, CreatedAt, UpdatedAt                   time.Time
}

// MaxListLimit is the most rows a list returns per page.
const MaxListLimit = 200

// ListEvents lists the organizer's events, newest first (by creation time,
// then id, both descending), only those with the status unless status is
// "", at most limit (1 to MaxListLimit) per page. cursor is "" for the first
// page, else the next cursor of the previous page; next is "" on the last
// page. A cursor stays valid while events are created (they sort before it).
// Errors: Invalid (field "limit", "status" or "cursor").
func (db *DB) ListEvents(ctx context.Context, organizerID, status string, limit int, cursor string) (rows []EventRow, next string, err error) {
	var bad []fault.FieldError
	if limit < 1 || limit > MaxListLimit {
		bad = append(bad, fault.FieldError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxListLimit)})
	}
	switch boxoffice.Status(status) {
	case "", boxoffice.Draft, boxoffice.OnSale, boxoffice.SalesClosed, boxoffice.Cancelled:
	default:
		bad = append(bad, fault.FieldError{Field: "status", Message: "must be one of draft, on_sale, sales_closed, cancelled"})
	}
	var after *pageCursor
	if cursor != "" {
		c, ok := decodeCursor(eventCursorKind, cursor)
		if !ok {
			bad = append(bad, fault.FieldError{Field: "cursor", Message: "is not a cursor from a previous page"})
		}
		after = &c
	}
	if bad != nil {
		return nil, "", fault.Fields(bad...)
	}

	var q strings.Builder
	q.WriteString(`SELECT id, organizer_id, name, venue, timezone, currency, status, starts_at, ends_at, created_at, updated_at
		FROM events WHERE organizer_id = ?`)
	args := []any{organizerID}
	if status != "" {
		q.WriteString(` AND status = ?`)
		args = append(args, status)
	}
	if after != nil {
		q.WriteString(` AND (created_at < ? OR created_at = ? AND id < ?)`)
		args = append(args, after.createdAt, after.createdAt, after.id)
	}
	q.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ?`)
	args = append(args, limit+1)

	rs, err := db.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list events: %w", err)
	}
	defer rs.Close()
	var last pageCursor
	for rs.Next() {
		if len(rows) == limit {
			next = last.encode(eventCursorKind)
			break
		}
		var e EventRow
		var starts, ends, created, updated string
		if err := rs.Scan(&e.ID, &e.OrganizerID, &e.Name, &e.Venue, &e.TimeZone, &e.Currency, &e.Status,
			&starts, &ends, &created, &updated); err != nil {
			return nil, "", fmt.Errorf("sqlite: list events: %w", err)
		}
		if err := parseTimes(storedTime{&e.StartsAt, starts}, storedTime{&e.EndsAt, ends},
			storedTime{&e.CreatedAt, created}, storedTime{&e.UpdatedAt, updated}); err != nil {
			return nil, "", err
		}
		rows = append(rows, e)
		last = pageCursor{createdAt: created, id: e.ID}
	}
	if err := rs.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list events: %w", err)
	}
	return rows, next, nil
}

// CountEvents returns how many events the organizer has, of any status.
func (db *DB) CountEvents(ctx context.Context, organizerID string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE organizer_id = ?`, organizerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count events: %w", err)
	}
	return n, nil
}

// pageCursor is the position after which a page of a list starts: the
// last row's creation time and id.
type pageCursor struct {
	createdAt string // as stored
	id        string
}

// The kinds of cursors: each list's cursor starts with its own, so that a
// cursor of one list is not one of another's. Event cursors have none (they
// came first).
const (
	eventCursorKind = ""
	orderCursorKind = "order "
)

// encode returns the cursor of a list of the kind.
func (c pageCursor) encode(kind string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + c.createdAt + " " + c.id))
}

// decodeCursor decodes a cursor that encode wrote for a list of the kind.
func decodeCursor(kind, s string) (pageCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageCursor{}, false
	}
	rest, ok := strings.CutPrefix(string(b), kind)
	if !ok {
		return pageCursor{}, false
	}
	created, id, ok := strings.Cut(rest, " ")
	if !ok || id == "" {
		return pageCursor{}, false
	}
	if t, err := time.Parse(timeLayout, created); err != nil || formatTime(t) != created {
		return pageCursor{}, false
	}
	return pageCursor{createdAt: created, id: id}, true
}

// storedTime is a time read as text, and where to put it.
type storedTime struct {
	dst  *time.Time
	text string
}

// parseTimes parses stored times into their destinations.
func parseTimes(ts ...storedTime) error {
	for _, st := range ts {
		t, err := parseTime(st.text)
		if err != nil {
			return err
		}
		*st.dst = t
	}
	return nil
}
