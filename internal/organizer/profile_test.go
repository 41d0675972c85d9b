package organizer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ledger"
)

func TestProfile(t *testing.T) {
	ctx := context.Background()
	d := &Desk{Ledger: ledger.NewMemory(), Now: time.Now}
	org, _, err := d.Create(ctx, "Hall & Co", "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	good := Profile{Name: "Hall & Co", ContactEmail: "Tickets@Hall.example", Website: "https://hall.example",
		TermsURL: "https://hall.example/terms", PrivacyURL: "http://hall.example/privacy"}
	if _, err := d.UpdateProfile(ctx, owner(org), org, good); err != nil {
		t.Fatal(err)
	}
	viewer := access.Actor{Kind: access.Member, ID: "mb_v", OrganizerID: org, Role: access.Viewer}
	if _, err := d.UpdateProfile(ctx, viewer, org, good); !fault.Is(err, fault.Forbidden) {
		t.Errorf("a viewer: %v, want Forbidden", err)
	}
	for _, bad := range []struct {
		p     Profile
		field string
	}{
		{Profile{Name: ""}, "/name"},
		{Profile{Name: " padded"}, "/name"},
		{Profile{Name: strings.Repeat("n", 201)}, "/name"},
		{Profile{Name: "A", ContactEmail: "not an address"}, "/contact_email"},
		{Profile{Name: "A", Website: "javascript:alert(1)"}, "/website"},
		{Profile{Name: "A", TermsURL: "ftp://x.example/terms"}, "/terms_url"},
		{Profile{Name: "A", PrivacyURL: "/privacy"}, "/privacy_url"},
		{Profile{Name: "A", Website: "https://user:pw@x.example"}, "/website"},
		{Profile{Name: "A", Website: `https://x.example/"><script>`}, "/website"},
	} {
		_, err := d.UpdateProfile(ctx, owner(org), org, bad.p)
		fe := fault.As(err)
		if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields) != 1 || fe.Fields[0].Field != bad.field {
			t.Errorf("%+v: %v, want Invalid on %s", bad.p, err, bad.field)
		}
	}
}
