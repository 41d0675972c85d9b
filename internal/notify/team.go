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

// handleTeam sends the e-mails an organizer's entry calls for: an
// invitation the desk marked to send (MemberInvited.Send), to the address
// it names, with the link made again from the member's id
// (Config.Secrets). At most once, as the order e-mails.
func (n *Notifier) handleTeam(ctx context.Context, e worker.Entry) error {
	inv, ok := e.Entry.(*organizer.MemberInvited)
	if !ok || !inv.Send || inv.Email == "" {
		return nil
	}
	if n.secrets == nil || n.organizerName == nil {
		n.log.Warn("notify: an invitation to send, but no way to make its link here", "entry", e.ID(), "member", inv.MemberID)
		return nil
	}
	already, err := n.sent.Claim(ctx, e.ID())
	if err != nil {
		return fmt.Errorf("notify: claim %s: %w", e.ID(), err)
	}
	if already {
		return nil
	}
	name, err := n.organizerName(ctx, e.OrganizerID)
	if err != nil {
		return fmt.Errorf("notify: the organizer of invitation %s: %w", inv.MemberID, err)
	}
	msg, err := mail.ComposeTeam(mail.MemberInvitation, mail.Team{To: mail.Address{Email: inv.Email}, OrganizerName: name,
		Role: access.Role(inv.Role).Label(), Link: n.links.URL(links.Invitation(n.secrets("invitation", inv.MemberID))),
		Expires: locale.Time(inv.ExpiresAt, "UTC", language.English)})
	if err != nil {
		return err
	}
	msg.ID = messageID(e.ID())
	if err := n.sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("notify: %s for entry %s: %w", mail.MemberInvitation, e.ID(), err)
	}
	n.log.Info("notify: sent", "entry", e.ID(), "kind", mail.MemberInvitation, "member", inv.MemberID)
	if err := n.sent.Done(ctx, e.ID()); err != nil {
		return fmt.Errorf("notify: mark %s sent: %w", e.ID(), err)
	}
	return nil
}
