// Package organizer keeps the organizer-level facts: organizers and their
// API tokens, on the ledger subject "ledger.org.<id>". Changes are rare, so
// a Desk appends each one directly, fenced on the subject's last sequence,
// instead of running a box office.
//
// API tokens are random, shown once, and stored only as SHA-256 hashes.
package organizer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// Created: a new organizer (tenant).
type Created struct {
	OrganizerID string `json:"organizer_id"`
	Name        string `json:"name"`
	Actor       string `json:"actor,omitempty"` // "system"; "" before actors were recorded
}

// TokenCreated: a new API token for the organizer. Only its hash is kept.
type TokenCreated struct {
	OrganizerID string `json:"organizer_id"`
	TokenID     string `json:"token_id"`
	Name        string `json:"name"`
	Hash        string `json:"hash"` // hex SHA-256 of the token
	// Role is what the token may do; "" (tokens made before roles) is
	// owner.
	Role  string `json:"role,omitempty"`
	Actor string `json:"actor,omitempty"` // who made it ("system" for the organizer's first); "" before actors were recorded
}

// TokenRole is the role of a token made with role r ("" is owner).
func TokenRole(r string) access.Role {
	if r == "" {
		return access.Owner
	}
	return access.Role(r)
}

// TokenRevoked: the token no longer grants access.
type TokenRevoked struct {
	OrganizerID string `json:"organizer_id"`
	TokenID     string `json:"token_id"`
	Actor       string `json:"actor,omitempty"` // who revoked it
}

func (*Created) Type() string           { return "admit.organizer.created.v1" }
func (*TokenCreated) Type() string      { return "admit.api_token.created.v1" }
func (*TokenRevoked) Type() string      { return "admit.api_token.revoked.v1" }
func (*Created) Subject() string        { return "organizer" }
func (e *TokenCreated) Subject() string { return "api-tokens/" + e.TokenID }
func (e *TokenRevoked) Subject() string { return "api-tokens/" + e.TokenID }

var entryTypes = map[string]func() boxoffice.Entry{
	"admit.organizer.created.v1": func() boxoffice.Entry { return new(Created) },
	"admit.api_token.created.v1": func() boxoffice.Entry { return new(TokenCreated) },
	"admit.api_token.revoked.v1": func() boxoffice.Entry { return new(TokenRevoked) },
}

// EntryTypeNames returns the CloudEvents types of organizer entries.
func EntryTypeNames() []string {
	return slices.Sorted(maps.Keys(entryTypes))
}

// DecodeBatch decodes an organizer ledger message.
func DecodeBatch(data []byte) ([]boxoffice.Timed, error) {
	return boxoffice.DecodeBatchWith(data, func(typ string, data []byte) (boxoffice.Entry, error) {
		mk, ok := entryTypes[typ]
		if !ok {
			return nil, fmt.Errorf("organizer: unknown entry type %q", typ)
		}
		e := mk()
		if err := json.Unmarshal(data, e); err != nil {
			return nil, fmt.Errorf("organizer: decode %s: %w", typ, err)
		}
		return e, nil
	})
}

// Subject is the ledger subject of an organizer's entries.
func Subject(organizerID string) string { return "ledger.org." + organizerID }

// Source is the CloudEvents source of an organizer's entries.
func Source(organizerID string) string { return "/organizers/" + organizerID }

// TokenPrefix starts every API token, so secret scanners can spot them.
const TokenPrefix = "admit_"

// NewToken returns a new random API token (160 bits) and its hash.
func NewToken() (token, hash string) {
	token = id.Token(TokenPrefix)
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token: what is stored and looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s has the shape of an API token.
func LooksLikeToken(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(rest) != 32 {
		return false
	}
	for _, r := range rest {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return false
		}
	}
	return true
}

// Ledger is what a Desk needs of the ledger.
type Ledger interface {
	Append(ctx context.Context, m ledger.Message, expectLastSubjectSeq uint64) (uint64, error)
	Read(ctx context.Context, filter string, from uint64, fn func(ledger.Record) error) (uint64, error)
}

// Desk records organizer changes on the ledger. It keeps no state between
// changes, so it needs no owner: any node's Desk may change any organizer,
// and concurrent changes to one organizer are serialized by the ledger's
// fence (one wins; the others are decided again on what it wrote).
type Desk struct {
	Ledger Ledger
	Now    func() time.Time
	// Secrets makes invitations' secrets so the e-mail worker can send
	// them (KeyedSecrets); nil: random ones, shown once and not e-mailed.
	Secrets Secrets
}

// Create records a new organizer and a first API token for it, returning the
// organizer id and the token, which is shown once and never stored.
func (d *Desk) Create(ctx context.Context, name, tokenName string) (organizerID, token string, err error) {
	f, err := d.found(ctx, name, tokenName, false)
	return f.OrganizerID, f.Token, err
}

// Founding is a new organizer: its id, its first API token and the
// invitation of its first owner (secrets shown once, never stored), and
// the sequence that recorded them.
type Founding struct {
	OrganizerID, Token string
	Owner              Invitation
}

// Found records a new organizer with a first API token and an invitation,
// naming no e-mail, for its first owner to join the console; all in one
// ledger message. Errors: Invalid for a bad name.
func (d *Desk) Found(ctx context.Context, name, tokenName string) (Founding, error) {
	return d.found(ctx, name, tokenName, true)
}

func (d *Desk) found(ctx context.Context, name, tokenName string, invite bool) (Founding, error) {
	if err := checkName(name); err != nil {
		return Founding{}, err
	}
	if err := checkName(tokenName); err != nil {
		return Founding{}, err
	}
	f := Founding{OrganizerID: id.New("or", id.Short)}
	token, hash := NewToken()
	f.Token = token
	system := access.Actor{Kind: access.System}.String()
	entries := []boxoffice.Entry{
		&Created{OrganizerID: f.OrganizerID, Name: name, Actor: system},
		&TokenCreated{OrganizerID: f.OrganizerID, TokenID: id.New("tk", id.Short), Name: tokenName, Hash: hash,
			Role: string(access.Owner), Actor: system},
	}
	if invite {
		f.Owner = Invitation{MemberID: id.New("mb", id.Short), ExpiresAt: d.Now().Add(InviteTerm).UTC().Truncate(time.Second)}
		f.Owner.Token = d.secret("invitation", f.Owner.MemberID)
		entries = append(entries, &MemberInvited{OrganizerID: f.OrganizerID, MemberID: f.Owner.MemberID,
			Role: string(access.Owner), InviteHash: HashToken(f.Owner.Token), ExpiresAt: f.Owner.ExpiresAt, Actor: system})
	}
	seq, err := d.append(ctx, f.OrganizerID, 0, entries)
	if err != nil {
		return Founding{}, err
	}
	f.Owner.Seq = seq
	return f, nil
}

// Issued is a new API token: its id, the secret (shown once, never
// stored) and the ledger sequence that recorded it.
type Issued struct {
	TokenID, Token string
	Seq            uint64
}

// CreateToken records a new API token with role for an existing
// organizer, made by actor, and returns it. Errors: NotFound when the
// organizer does not exist; Invalid for a bad name or role; Forbidden when
// actor may not grant the role; Conflict when the organizer kept changing
// at the same time.
func (d *Desk) CreateToken(ctx context.Context, actor access.Actor, organizerID, name string, role access.Role) (Issued, error) {
	if err := checkName(name); err != nil {
		return Issued{}, err
	}
	if _, err := access.ParseRole(string(role)); err != nil {
		return Issued{}, fault.Fields(fault.FieldError{Field: "/role", Message: "must be one of owner, admin, box_office, door, viewer"})
	}
	if err := access.MayGrant(actor, role); err != nil {
		return Issued{}, err
	}
	token, hash := NewToken()
	e := &TokenCreated{OrganizerID: organizerID, TokenID: id.New("tk", id.Short), Name: name, Hash: hash,
		Role: string(role), Actor: actor.String()}
	seq, err := d.change(ctx, organizerID, func(deskState) ([]boxoffice.Entry, uint64, error) {
		return []boxoffice.Entry{e}, 0, nil
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{TokenID: e.TokenID, Token: token, Seq: seq}, nil
}

// RevokeToken records that the organizer's token no longer grants access,
// by actor, and returns the ledger sequence that says so; a token revoked
// before is left as it is, and the sequence is the earlier revocation's.
// A token may always revoke itself. Errors: NotFound when the organizer
// has no such token; Forbidden when actor may not grant the token's role;
// Conflict when the organizer kept changing at the same time.
func (d *Desk) RevokeToken(ctx context.Context, actor access.Actor, organizerID, tokenID string) (uint64, error) {
	return d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		t, ok := st.tokens[tokenID]
		if !ok {
			return nil, 0, fault.New(fault.NotFound, "organizer %s has no API token %s", organizerID, tokenID)
		}
		if t.revoked > 0 {
			return nil, t.revoked, nil
		}
		if self := actor.Kind == access.Token && actor.ID == tokenID; !self {
			if err := access.MayGrant(actor, t.role); err != nil {
				return nil, 0, err
			}
		}
		return []boxoffice.Entry{&TokenRevoked{OrganizerID: organizerID, TokenID: tokenID, Actor: actor.String()}}, 0, nil
	})
}

// deskAttempts is how many times a change is decided, each time on the
// organizer as it is then, when it keeps losing the race to append with
// other changes to the organizer (another node's, in a cluster).
const deskAttempts = 5

// change decides a change to the organizer on its entries so far and
// appends it, fenced on the last of them; when another change came first,
// it reads and decides again. decide returns the entries to append, or
// none and the sequence to answer (nothing to change), or an error.
func (d *Desk) change(ctx context.Context, organizerID string, decide func(deskState) ([]boxoffice.Entry, uint64, error)) (uint64, error) {
	for attempt := 1; ; attempt++ {
		st, err := d.read(ctx, organizerID)
		if err != nil {
			return 0, err
		}
		entries, seq, err := decide(st)
		if err != nil || len(entries) == 0 {
			return seq, err
		}
		seq, err = d.append(ctx, organizerID, st.last, entries)
		if errors.Is(err, ledger.ErrFenced) && attempt < deskAttempts {
			continue
		}
		return seq, err
	}
}

// deskState is what the Desk checks a change against: the organizer's
// tokens (revoked or not) and the last sequence of its subject.
type deskState struct {
	last    uint64
	tokens  map[string]tokenState
	members map[string]*memberState
}

// tokenState is a token as the Desk checks changes against it.
type tokenState struct {
	role    access.Role
	revoked uint64 // the sequence of its revocation, 0 while valid
}

// read folds the organizer's entries. Errors: NotFound when there are none.
func (d *Desk) read(ctx context.Context, organizerID string) (deskState, error) {
	st := deskState{tokens: map[string]tokenState{}, members: map[string]*memberState{}}
	exists := false
	last, err := d.Ledger.Read(ctx, Subject(organizerID), 0, func(r ledger.Record) error {
		exists = true
		batch, err := DecodeBatch(r.Data)
		if err != nil {
			return err
		}
		for _, t := range batch {
			switch e := t.Entry.(type) {
			case *TokenCreated:
				st.tokens[e.TokenID] = tokenState{role: TokenRole(e.Role)}
			case *TokenRevoked:
				if t, ok := st.tokens[e.TokenID]; ok {
					t.revoked = r.Seq
					st.tokens[e.TokenID] = t
				}
			default:
				st.foldMember(e)
			}
		}
		return nil
	})
	if err != nil {
		return deskState{}, fmt.Errorf("organizer: read %s: %w", organizerID, err)
	}
	if !exists {
		return deskState{}, fault.New(fault.NotFound, "organizer %s not found", organizerID)
	}
	st.last = last
	return st, nil
}

func (d *Desk) append(ctx context.Context, organizerID string, after uint64, entries []boxoffice.Entry) (uint64, error) {
	now := d.Now()
	data, err := boxoffice.EncodeBatch(nil, Source(organizerID), after, now, entries)
	if err != nil {
		return 0, err
	}
	seq, err := d.Ledger.Append(ctx, ledger.Message{Subject: Subject(organizerID), Data: data, Header: map[string]string{
		"Ce-Specversion": "1.0", "Ce-Source": Source(organizerID), "Content-Type": boxoffice.BatchContentType,
	}}, after)
	if errors.Is(err, ledger.ErrFenced) {
		return 0, fault.Wrap(fault.Conflict, err, "the organizer changed at the same time; try again")
	}
	if err != nil {
		return 0, fmt.Errorf("organizer: append %s: %w", organizerID, err)
	}
	return seq, nil
}

func checkName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > 200 || !utf8.ValidString(name) {
		return fault.Fields(fault.FieldError{Field: "/name", Message: "must be 1 to 200 characters"})
	}
	return nil
}
