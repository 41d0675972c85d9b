package organizer

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/password"
)

// The members of an organizer: people who sign in to its console with an
// e-mail and a password, each with a role. A member starts as an
// invitation (a secret link, shown once and sent by e-mail, that expires),
// joins by choosing a name and a password, may have their role changed,
// and may be removed. The organizer always keeps at least one owner.

// MemberInvited: someone was invited to join the organizer with a role.
// Only the invitation's hash is kept. An invitation without an e-mail is
// the first owner's, printed by admit serve: whoever opens it gives theirs.
type MemberInvited struct {
	OrganizerID string    `json:"organizer_id"`
	MemberID    string    `json:"member_id"`
	Email       string    `json:"email,omitempty"`
	Role        string    `json:"role"`
	InviteHash  string    `json:"invite_hash"` // hex SHA-256 of the invitation's secret
	ExpiresAt   time.Time `json:"expires_at"`
	Actor       string    `json:"actor"`
	// Send: the e-mail worker sends the invitation to Email (its secret
	// made again with the desk's Secrets). False: the link was only shown
	// to whoever made it.
	Send bool `json:"send,omitempty"`
}

// MemberJoined: the invited person accepted, with their name, e-mail and
// password (its argon2id hash).
type MemberJoined struct {
	OrganizerID  string `json:"organizer_id"`
	MemberID     string `json:"member_id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	PasswordHash string `json:"password_hash"`
	Actor        string `json:"actor,omitempty"` // the member, who opened the invitation; "" before actors were recorded
}

// MemberRoleChanged: the member now has another role.
type MemberRoleChanged struct {
	OrganizerID string `json:"organizer_id"`
	MemberID    string `json:"member_id"`
	Role        string `json:"role"`
	Actor       string `json:"actor"`
}

// MemberRemoved: the member (or the invitation) no longer grants anything;
// their sessions end.
type MemberRemoved struct {
	OrganizerID string `json:"organizer_id"`
	MemberID    string `json:"member_id"`
	Actor       string `json:"actor"`
}

func (*MemberInvited) Type() string          { return "admit.member.invited.v1" }
func (*MemberJoined) Type() string           { return "admit.member.joined.v1" }
func (*MemberRoleChanged) Type() string      { return "admit.member.role_changed.v1" }
func (*MemberRemoved) Type() string          { return "admit.member.removed.v1" }
func (e *MemberInvited) Subject() string     { return "members/" + e.MemberID }
func (e *MemberJoined) Subject() string      { return "members/" + e.MemberID }
func (e *MemberRoleChanged) Subject() string { return "members/" + e.MemberID }
func (e *MemberRemoved) Subject() string     { return "members/" + e.MemberID }

func init() {
	// entryTypes is read-only after package initialisation.
	entryTypes["admit.member.invited.v1"] = func() boxoffice.Entry { return new(MemberInvited) }
	entryTypes["admit.member.joined.v1"] = func() boxoffice.Entry { return new(MemberJoined) }
	entryTypes["admit.member.role_changed.v1"] = func() boxoffice.Entry { return new(MemberRoleChanged) }
	entryTypes["admit.member.removed.v1"] = func() boxoffice.Entry { return new(MemberRemoved) }
}

// InvitePrefix starts every invitation secret.
const InvitePrefix = "admitinv_"

// InviteTerm is how long an invitation can be accepted.
const InviteTerm = 7 * 24 * time.Hour

// memberState is a member as the Desk checks changes against it.
type memberState struct {
	email      string
	role       access.Role
	joined     bool
	removed    bool
	inviteHash string
	expires    time.Time
	// The member's latest password reset: its hash ("" once used) and end.
	resetHash    string
	resetExpires time.Time
}

// Invitation is a new invitation: the member id it will be, its secret
// (shown once and never stored) and the ledger sequence that recorded it.
type Invitation struct {
	MemberID, Token string
	ExpiresAt       time.Time
	Seq             uint64
}

// NormalizeEmail is an e-mail address as members are found by it: trimmed
// and lower case. Errors: Invalid for anything but a plain address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if s == "" || len(s) > 254 || err != nil || a.Address != s || a.Name != "" {
		return "", fault.Fields(fault.FieldError{Field: "/email", Message: "must be an e-mail address such as ada@example.com"})
	}
	return s, nil
}

// Invite records an invitation for email to join the organizer with role,
// made by actor, and returns it. email "" makes an invitation for whoever
// opens it (the first owner's). Errors: Invalid (e-mail, role); Forbidden
// when actor may not grant the role; Conflict when the e-mail is already
// a member's; NotFound when the organizer does not exist.
func (d *Desk) Invite(ctx context.Context, actor access.Actor, organizerID, email string, role access.Role) (Invitation, error) {
	if email != "" {
		var err error
		if email, err = NormalizeEmail(email); err != nil {
			return Invitation{}, err
		}
	}
	if _, err := access.ParseRole(string(role)); err != nil {
		return Invitation{}, fault.Fields(fault.FieldError{Field: "/role", Message: "must be one of owner, admin, box_office, door, viewer"})
	}
	if err := access.MayGrant(actor, role); err != nil {
		return Invitation{}, err
	}
	inv := Invitation{MemberID: id.New("mb", id.Short), ExpiresAt: d.Now().Add(InviteTerm).UTC().Truncate(time.Second)}
	token := d.secret("invitation", inv.MemberID)
	inv.Token = token
	seq, err := d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		if email != "" {
			for _, m := range st.members {
				if m.email == email && m.joined && !m.removed {
					return nil, 0, fault.Coded(fault.Conflict, "conflict", "%s is already a member of the organizer", email)
				}
			}
		}
		return []boxoffice.Entry{&MemberInvited{OrganizerID: organizerID, MemberID: inv.MemberID, Email: email,
			Role: string(role), InviteHash: HashToken(token), ExpiresAt: inv.ExpiresAt, Actor: actor.String(),
			Send: email != "" && d.Secrets != nil}}, 0, nil
	})
	if err != nil {
		return Invitation{}, err
	}
	inv.Seq = seq
	return inv, nil
}

// Join accepts the invitation whose secret is token: the member gets
// their name, e-mail (the invitation's, or email when it had none) and
// password. It returns the member id and the sequence. Errors: NotFound
// for an invitation that does not exist, was used, removed or expired;
// Invalid for the name, e-mail or password; Conflict when the e-mail is
// already a member's.
func (d *Desk) Join(ctx context.Context, organizerID, token, name, email, pass string) (memberID string, seq uint64, err error) {
	if err := checkName(name); err != nil {
		return "", 0, err
	}
	if err := password.Valid(pass); err != nil {
		return "", 0, fault.Fields(fault.FieldError{Field: "/password", Message: fault.As(err).Message})
	}
	hash := HashToken(token)
	var pwHash string // made once, outside the retries: it costs tens of milliseconds
	seq, err = d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		var m *memberState
		for mid, c := range st.members {
			if c.inviteHash == hash {
				m, memberID = c, mid
			}
		}
		if m == nil || m.joined || m.removed || !d.Now().Before(m.expires) {
			return nil, 0, fault.New(fault.NotFound, "this invitation does not exist, was used or has expired; ask for a new one")
		}
		addr := m.email
		if addr == "" {
			var err error
			if addr, err = NormalizeEmail(email); err != nil {
				return nil, 0, err
			}
		}
		for mid, c := range st.members {
			if mid != memberID && c.email == addr && c.joined && !c.removed {
				return nil, 0, fault.Coded(fault.Conflict, "conflict", "%s is already a member of the organizer", addr)
			}
		}
		if pwHash == "" {
			pwHash = password.Hash(pass)
		}
		return []boxoffice.Entry{&MemberJoined{OrganizerID: organizerID, MemberID: memberID, Name: name, Email: addr, PasswordHash: pwHash,
			Actor: access.Actor{Kind: access.Member, ID: memberID}.String()}}, 0, nil
	})
	if err != nil {
		return "", 0, err
	}
	return memberID, seq, nil
}

// ChangeRole gives the member another role. Errors: NotFound; Forbidden
// when actor may not grant the old or the new role; Conflict when it
// would leave the organizer without an owner.
func (d *Desk) ChangeRole(ctx context.Context, actor access.Actor, organizerID, memberID string, role access.Role) (uint64, error) {
	if _, err := access.ParseRole(string(role)); err != nil {
		return 0, fault.Fields(fault.FieldError{Field: "/role", Message: "must be one of owner, admin, box_office, door, viewer"})
	}
	return d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		m, ok := st.members[memberID]
		if !ok || m.removed {
			return nil, 0, fault.New(fault.NotFound, "organizer %s has no member %s", organizerID, memberID)
		}
		if err := access.MayGrant(actor, m.role); err != nil {
			return nil, 0, err
		}
		if err := access.MayGrant(actor, role); err != nil {
			return nil, 0, err
		}
		if m.role == role {
			return nil, st.last, nil
		}
		if m.role == access.Owner && m.joined && st.owners() == 1 {
			return nil, 0, fault.New(fault.Conflict, "this is the organizer's only owner; make another member an owner first")
		}
		return []boxoffice.Entry{&MemberRoleChanged{OrganizerID: organizerID, MemberID: memberID, Role: string(role), Actor: actor.String()}}, 0, nil
	})
}

// RemoveMember removes a member or withdraws an invitation. Errors:
// NotFound; Forbidden when actor may not grant the member's role;
// Conflict for the organizer's only owner.
func (d *Desk) RemoveMember(ctx context.Context, actor access.Actor, organizerID, memberID string) (uint64, error) {
	return d.change(ctx, organizerID, func(st deskState) ([]boxoffice.Entry, uint64, error) {
		m, ok := st.members[memberID]
		if !ok || m.removed {
			return nil, 0, fault.New(fault.NotFound, "organizer %s has no member %s", organizerID, memberID)
		}
		if err := access.MayGrant(actor, m.role); err != nil {
			return nil, 0, err
		}
		if m.role == access.Owner && m.joined && st.owners() == 1 {
			return nil, 0, fault.New(fault.Conflict, "this is the organizer's only owner; make another member an owner first")
		}
		return []boxoffice.Entry{&MemberRemoved{OrganizerID: organizerID, MemberID: memberID, Actor: actor.String()}}, 0, nil
	})
}

// owners counts the members who joined as owners and were not removed.
func (st deskState) owners() int {
	n := 0
	for _, m := range st.members {
		if m.joined && !m.removed && m.role == access.Owner {
			n++
		}
	}
	return n
}

// foldMember applies a member entry to the desk's state.
func (st *deskState) foldMember(e boxoffice.Entry) {
	switch e := e.(type) {
	case *MemberInvited:
		st.members[e.MemberID] = &memberState{email: e.Email, role: access.Role(e.Role), inviteHash: e.InviteHash, expires: e.ExpiresAt}
	case *MemberJoined:
		if m := st.members[e.MemberID]; m != nil {
			m.joined, m.email = true, e.Email
		}
	case *MemberRoleChanged:
		if m := st.members[e.MemberID]; m != nil {
			m.role = access.Role(e.Role)
		}
	case *MemberRemoved:
		if m := st.members[e.MemberID]; m != nil {
			m.removed = true
		}
	case *ResetRequested:
		if m := st.members[e.MemberID]; m != nil {
			m.resetHash, m.resetExpires = e.ResetHash, e.ExpiresAt
		}
	case *PasswordSet:
		if m := st.members[e.MemberID]; m != nil {
			m.resetHash = ""
		}
	}
}
