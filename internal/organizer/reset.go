package organizer

import (
	"context"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/password"
)

// ResetPrefix starts every password reset's secret.
const ResetPrefix = "admitpwr_"

// ResetTerm is how long a password reset's link works.
const ResetTerm = time.Hour

// ResetRequested: someone asked to choose a new password for the member.
// The e-mail worker sends the reset's link to the member's address; the
// ledger keeps only the secret's hash.
type ResetRequested struct {
	OrganizerID string    `json:"organizer_id"`
	MemberID    string    `json:"member_id"`
	Email       string    `json:"email"` // where the link goes: the member's address then
	ResetID     string    `json:"reset_id"`
	ResetHash   string    `json:"reset_hash"` // hex SHA-256 of the reset's secret
	ExpiresAt   time.Time `json:"expires_at"`
	Actor       string    `json:"actor,omitempty"` // "anonymous": whoever typed the address; "" before actors were recorded
}

// PasswordSet: the member has a new password (from a reset's link); their
// sessions begun before it are over.
type PasswordSet struct {
	OrganizerID  string `json:"organizer_id"`
	MemberID     string `json:"member_id"`
	PasswordHash string `json:"password_hash"`
	Actor        string `json:"actor,omitempty"` // the member, who opened the reset's link; "" before actors were recorded
}

func (*ResetRequested) Type() string      { return "admit.member.reset_requested.v1" }
func (*PasswordSet) Type() string         { return "admit.member.password_set.v1" }
func (e *ResetRequested) Subject() string { return "members/" + e.MemberID }
func (e *PasswordSet) Subject() string    { return "members/" + e.MemberID }

func init() {
	entryTypes["admit.member.reset_requested.v1"] = func() boxoffice.Entry { return new(ResetRequested) }
	entryTypes["admit.member.password_set.v1"] = func() boxoffice.Entry { return new(PasswordSet) }
	prefixes["reset"] = ResetPrefix
}

// RequestReset records that the member asked for a new password, for the
// e-mail worker to send the link; a member who is not one (invited only,
// removed) gets nothing. Errors: NotFound (no such member); Unavailable
// when the desk cannot make links the worker can send (no Secrets).
func (d *Desk) RequestReset(ctx context.Context, organizerID, memberID string) (uint64, error) {
	if d.Secrets == nil {
		return 0, fault.New(fault.Unavailable, "password resets cannot be sent from here")
	}
	resetID := id.New("pr", id.Short)
	return d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		m, ok := st.members[memberID]
		if !ok || !m.joined || m.removed {
			return nil, 0, fault.New(fault.NotFound, "no member %s", memberID)
		}
		return []boxoffice.Entry{&ResetRequested{OrganizerID: organizerID, MemberID: memberID, Email: m.email,
			ResetID: resetID, ResetHash: HashToken(d.Secrets("reset", resetID)),
			ExpiresAt: d.Now().Add(ResetTerm).UTC().Truncate(time.Second), Actor: access.AnonymousActor}}, 0, nil
	})
}

// ResetPassword gives the member of the reset whose secret is secret a new
// password, and returns the member id and the sequence. A reset works once,
// within ResetTerm, and only the member's latest. Errors: NotFound (no
// such reset, used, expired, or the member removed); Invalid (the
// password).
func (d *Desk) ResetPassword(ctx context.Context, organizerID, secret, pass string) (memberID string, seq uint64, err error) {
	if err := password.Valid(pass); err != nil {
		return "", 0, fault.Fields(fault.FieldError{Field: "/password", Message: fault.As(err).Message})
	}
	hash := HashToken(secret)
	var pwHash string
	seq, err = d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		memberID = ""
		for mid, m := range st.members {
			if m.resetHash == hash && m.joined && !m.removed && d.Now().Before(m.resetExpires) {
				memberID = mid
			}
		}
		if memberID == "" {
			return nil, 0, fault.New(fault.NotFound, "this link does not work: it was used, it has expired or a newer one was sent; ask for a new one")
		}
		if pwHash == "" {
			pwHash = password.Hash(pass)
		}
		return []boxoffice.Entry{&PasswordSet{OrganizerID: organizerID, MemberID: memberID, PasswordHash: pwHash,
			Actor: access.Actor{Kind: access.Member, ID: memberID}.String()}}, 0, nil
	})
	if err != nil {
		return "", 0, err
	}
	return memberID, seq, nil
}
