package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
)

// ListOrganizers returns every organizer, oldest first (the bootstrap
// organizer of a data directory comes first).
func (db *DB) ListOrganizers(ctx context.Context) ([]Organizer, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, created_at FROM organizers ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list organizers: %w", err)
	}
	defer rows.Close()
	var out []Organizer
	for rows.Next() {
		var o Organizer
		var created string
		if err := rows.Scan(&o.ID, &o.Name, &created); err != nil {
			return nil, fmt.Errorf("sqlite: list organizers: %w", err)
		}
		if o.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list organizers: %w", err)
	}
	return out, nil
}

// TokenRow is an API token as the read model lists it: never its secret,
// nor its hash.
type TokenRow struct {
	ID, OrganizerID, Name string
	Role                  access.Role
	CreatedAt             time.Time
	RevokedAt             time.Time // zero while the token is valid
}

// Token returns one API token, revoked or not. Errors: NotFound.
func (db *DB) Token(ctx context.Context, id string) (TokenRow, error) {
	t := TokenRow{ID: id}
	var created, role string
	var revoked sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT organizer_id, name, created_at, revoked_at, role FROM api_tokens WHERE id = ?`, id).
		Scan(&t.OrganizerID, &t.Name, &created, &revoked, &role)
	t.Role = access.Role(role)
	if errors.Is(err, sql.ErrNoRows) {
		return TokenRow{}, fault.New(fault.NotFound, "no API token %s", id)
	}
	if err != nil {
		return TokenRow{}, fmt.Errorf("sqlite: read api token: %w", err)
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return TokenRow{}, err
	}
	if t.RevokedAt, err = parseNullTime(revoked); err != nil {
		return TokenRow{}, err
	}
	return t, nil
}

// ListTokens returns the API tokens of the organizer, or of every organizer
// when organizerID is "", oldest first, revoked ones included.
func (db *DB) ListTokens(ctx context.Context, organizerID string) ([]TokenRow, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, organizer_id, name, created_at, revoked_at, role FROM api_tokens
		WHERE ? = '' OR organizer_id = ? ORDER BY created_at, id`, organizerID, organizerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
	}
	defer rows.Close()
	var out []TokenRow
	for rows.Next() {
		var t TokenRow
		var created, role string
		var revoked sql.NullString
		if err := rows.Scan(&t.ID, &t.OrganizerID, &t.Name, &created, &revoked, &role); err != nil {
			return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
		}
		t.Role = access.Role(role)
		if t.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if t.RevokedAt, err = parseNullTime(revoked); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
	}
	return out, nil
}
