package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/organizer"
)

// MemberRow is a member of an organizer, or an invitation to become one
// (JoinedAt zero), as the read model has it.
type MemberRow struct {
	ID, OrganizerID string
	Email, Name     string // Email "" for an invitation that named none; Name "" until joined
	Role            access.Role
	InvitedBy       string // the actor who invited ("member:mb_…", "token:tk_…", "system")
	InvitedAt       time.Time
	ExpiresAt       time.Time // when the invitation stops being accepted
	JoinedAt        time.Time // zero while invited
	RemovedAt       time.Time // zero while a member
	SessionsAfter   time.Time // sessions begun before this are over
	PasswordHash    string    // argon2id PHC string; "" until joined
}

const memberColumns = `id, organizer_id, email, name, role, invited_by, invited_at, expires_at, joined_at,
	removed_at, sessions_after, password_hash`

func scanMember(sc interface{ Scan(...any) error }) (MemberRow, error) {
	var m MemberRow
	var role, invited, expires, after string
	var joined, removed sql.NullString
	if err := sc.Scan(&m.ID, &m.OrganizerID, &m.Email, &m.Name, &role, &m.InvitedBy, &invited, &expires, &joined,
		&removed, &after, &m.PasswordHash); err != nil {
		return MemberRow{}, err
	}
	m.Role = access.Role(role)
	var err error
	if m.InvitedAt, err = parseTime(invited); err != nil {
		return MemberRow{}, err
	}
	if m.ExpiresAt, err = parseTime(expires); err != nil {
		return MemberRow{}, err
	}
	if m.SessionsAfter, err = parseTime(after); err != nil {
		return MemberRow{}, err
	}
	if m.JoinedAt, err = parseNullTime(joined); err != nil {
		return MemberRow{}, err
	}
	if m.RemovedAt, err = parseNullTime(removed); err != nil {
		return MemberRow{}, err
	}
	return m, nil
}

// Member returns a member or invitation, removed or not. Errors: NotFound.
func (db *DB) Member(ctx context.Context, id string) (MemberRow, error) {
	return db.oneMember(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id)
}

// MemberByReset returns the member whose latest password reset's secret
// has the hash, and when that reset stops working. Errors: NotFound (no
// such reset, or used).
func (db *DB) MemberByReset(ctx context.Context, hash string) (MemberRow, time.Time, error) {
	var expires string
	if hash == "" {
		return MemberRow{}, time.Time{}, fault.New(fault.NotFound, "no such reset")
	}
	if err := db.r.QueryRowContext(ctx, `SELECT reset_expires_at FROM members WHERE reset_hash = ?`, hash).Scan(&expires); errors.Is(err, sql.ErrNoRows) {
		return MemberRow{}, time.Time{}, fault.New(fault.NotFound, "no such reset")
	} else if err != nil {
		return MemberRow{}, time.Time{}, fmt.Errorf("sqlite: read reset: %w", err)
	}
	m, err := db.oneMember(ctx, `SELECT `+memberColumns+` FROM members WHERE reset_hash = ?`, hash)
	if err != nil {
		return MemberRow{}, time.Time{}, err
	}
	at, err := parseTime(expires)
	return m, at, err
}

// MemberByInvite returns the invitation whose secret has the hash, used
// or not. Errors: NotFound.
func (db *DB) MemberByInvite(ctx context.Context, hash string) (MemberRow, error) {
	return db.oneMember(ctx, `SELECT `+memberColumns+` FROM members WHERE invite_hash = ?`, hash)
}

func (db *DB) oneMember(ctx context.Context, query, arg string) (MemberRow, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return MemberRow{}, fault.New(fault.NotFound, "no such member")
	}
	if err != nil {
		return MemberRow{}, fmt.Errorf("sqlite: read member: %w", err)
	}
	return m, nil
}

// ListMembers returns the organizer's members and open invitations (not
// removed ones), in the order they were invited.
func (db *DB) ListMembers(ctx context.Context, organizerID string) ([]MemberRow, error) {
	return db.members(ctx, `SELECT `+memberColumns+` FROM members
		WHERE organizer_id = ? AND removed_at IS NULL ORDER BY invited_at, id`, organizerID)
}

// MembersByEmail returns the members who joined with the e-mail address
// (normalized: organizer.NormalizeEmail) and were not removed, one per
// organizer they belong to, oldest first.
func (db *DB) MembersByEmail(ctx context.Context, email string) ([]MemberRow, error) {
	return db.members(ctx, `SELECT `+memberColumns+` FROM members
		WHERE email = ? AND joined_at IS NOT NULL AND removed_at IS NULL ORDER BY joined_at, id`, email)
}

func (db *DB) members(ctx context.Context, query string, args ...any) ([]MemberRow, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	defer rows.Close()
	var out []MemberRow
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list members: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	return out, nil
}

// ActorByTokenHash returns the organizer an API token belongs to and the
// token as an actor (its id and role), by the token's hash
// (organizer.HashToken). Errors: NotFound when no token has the hash or
// it was revoked.
func (db *DB) ActorByTokenHash(ctx context.Context, hash string) (Organizer, access.Actor, error) {
	var o Organizer
	var created, tokenID, role string
	err := db.r.QueryRowContext(ctx, `SELECT o.id, o.name, o.created_at, t.id, t.role FROM api_tokens t
		JOIN organizers o ON o.id = t.organizer_id
		WHERE t.hash = ? AND t.revoked_at IS NULL`, hash).Scan(&o.ID, &o.Name, &created, &tokenID, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return Organizer{}, access.Actor{}, fault.New(fault.NotFound, "organizer not found")
	}
	if err != nil {
		return Organizer{}, access.Actor{}, fmt.Errorf("sqlite: read organizer: %w", err)
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return Organizer{}, access.Actor{}, err
	}
	return o, access.Actor{Kind: access.Token, ID: tokenID, OrganizerID: o.ID, Role: access.Role(role)}, nil
}

// Profile returns the organizer's public profile. Errors: NotFound.
func (db *DB) Profile(ctx context.Context, organizerID string) (organizer.Profile, error) {
	var p organizer.Profile
	err := db.r.QueryRowContext(ctx, `SELECT name, contact_email, website, terms_url, privacy_url, logo_sha FROM organizers WHERE id = ?`,
		organizerID).Scan(&p.Name, &p.ContactEmail, &p.Website, &p.TermsURL, &p.PrivacyURL, &p.Logo)
	if errors.Is(err, sql.ErrNoRows) {
		return organizer.Profile{}, fault.New(fault.NotFound, "organizer not found")
	}
	if err != nil {
		return organizer.Profile{}, fmt.Errorf("sqlite: read organizer profile: %w", err)
	}
	return p, nil
}

// Logo returns the organizer's logo (a PNG) and its SHA-256 in hex.
// Errors: NotFound (no such organizer, or no logo).
func (db *DB) Logo(ctx context.Context, organizerID string) ([]byte, string, error) {
	var png []byte
	var sha string
	err := db.r.QueryRowContext(ctx, `SELECT logo_png, logo_sha FROM organizers WHERE id = ?`, organizerID).Scan(&png, &sha)
	if errors.Is(err, sql.ErrNoRows) || err == nil && sha == "" {
		return nil, "", fault.New(fault.NotFound, "no logo")
	}
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: read logo: %w", err)
	}
	return png, sha, nil
}
