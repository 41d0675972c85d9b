package notify

import (
	"context"
	"fmt"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/mail"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/worker"
)

// handleTeam sends the e-mails an organizer's entry calls for, each with
// its link made again by Config.Secrets from what the entry records: an
// invitation the desk marked to send (MemberInvited.Send), to the address
// it names; a password reset's link (ResetRequested), to the member's
// address. At most once each, as the order e-mails.
func (n *Notifier) handleTeam(ctx context.Context, e worker.Entry) error {
	var kind mail.Kind
	var v mail.Team
	switch x := e.Entry.(type) {
	case *organizer.MemberInvited:
		if !x.Send || x.Email == "" {
			return nil
		}
		kind = mail.MemberInvitation
		v = mail.Team{To: mail.Address{Email: x.Email}, Role: access.Role(x.Role).Label(),
			Expires: locale.Time(x.ExpiresAt, "UTC", language.English)}
		if n.secrets != nil {
			v.Link = n.links.URL(links.Invitation(n.secrets("invitation", x.MemberID)))
		}
	case *organizer.ResetRequested:
		kind = mail.PasswordReset
		v = mail.Team{To: mail.Address{Email: x.Email}, Expires: locale.Time(x.ExpiresAt, "UTC", language.English)}
		if n.secrets != nil {
			v.Link = n.links.URL(links.PasswordReset(n.secrets("reset", x.ResetID)))
		}
	default:
		return nil
	}
	if n.secrets == nil || n.organizerName == nil {
		n.log.Warn("notify: a team e-mail to send, but no way to make its link here", "entry", e.ID(), "kind", kind)
		return nil
	}
	already, err := n.sent.Claim(ctx, e.ID())
	if err != nil {
		return fmt.Errorf("notify: claim %s: %w", e.ID(), err)
	}
	if already {
		return nil
	}
	if v.OrganizerName, err = n.organizerName(ctx, e.OrganizerID); err != nil {
		return fmt.Errorf("notify: the organizer of entry %s: %w", e.ID(), err)
	}
	msg, err := mail.ComposeTeam(kind, v)
	if err != nil {
		return err
	}
	msg.ID = messageID(e.ID())
	if err := n.sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("notify: %s for entry %s: %w", kind, e.ID(), err)
	}
	n.log.Info("notify: sent", "entry", e.ID(), "kind", kind)
	if err := n.sent.Done(ctx, e.ID()); err != nil {
		return fmt.Errorf("notify: mark %s sent: %w", e.ID(), err)
	}
	return nil
}
