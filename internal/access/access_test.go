package access

import (
	"testing"

	"github.com/admit-org/admit/internal/fault"
)

// TestMatrix spells the whole matrix out, so a change to a role's grants
// is a change to this table too.
func TestMatrix(t *testing.T) {
	yes := map[Role]string{
		//           events  orders  export checkin scan door keys team  profile
		//           R  M    R  M    E      R       S    M    M    R  M  M
		Owner:     "11" + "11" + "1" + "1" + "1" + "1" + "1" + "11" + "1",
		Admin:     "11" + "11" + "1" + "1" + "1" + "1" + "1" + "11" + "1",
		BoxOffice: "10" + "11" + "1" + "1" + "1" + "0" + "0" + "00" + "0",
		Door:      "10" + "00" + "0" + "1" + "1" + "0" + "0" + "00" + "0",
		Viewer:    "10" + "10" + "1" + "1" + "0" + "0" + "0" + "10" + "0",
	}
	for _, r := range Roles {
		for _, a := range Actions() {
			want := yes[r][a] == '1'
			err := Allow(Actor{Kind: Member, ID: "mb_1", OrganizerID: "or_1", Role: r}, "or_1", a)
			if got := err == nil; got != want {
				t.Errorf("%s may %s: got %v, want %v (%v)", r, a, got, want, err)
			}
			if err != nil && !fault.Is(err, fault.Forbidden) {
				t.Errorf("%s %s: got %v, want Forbidden", r, a, err)
			}
			if Can(r, a) != want {
				t.Errorf("Can(%s, %s) = %v, want %v", r, a, !want, want)
			}
		}
	}
}

func TestOtherOrganizer(t *testing.T) {
	for _, a := range Actions() {
		err := Allow(Actor{Kind: Token, ID: "tk_1", OrganizerID: "or_1", Role: Owner}, "or_2", a)
		if !fault.Is(err, fault.NotFound) {
			t.Errorf("an owner of or_1 asking to %s in or_2: got %v, want NotFound", a, err)
		}
	}
	if err := Allow(Actor{Kind: System}, "", ReadEvents); !fault.Is(err, fault.NotFound) {
		t.Errorf("no organizer: got %v, want NotFound", err)
	}
	if err := Allow(Actor{OrganizerID: "or_1", Role: "root"}, "or_1", ReadEvents); !fault.Is(err, fault.Forbidden) {
		t.Errorf("an unknown role: got %v, want Forbidden", err)
	}
}

// TestOnlyTheOrganizersKindsAct: a buyer, a device, a payment provider or
// an anonymous visitor is refused even with a role.
func TestOnlyTheOrganizersKindsAct(t *testing.T) {
	for _, k := range []Kind{Buyer, Device, Provider, Anonymous, "root"} {
		err := Allow(Actor{Kind: k, ID: "x", OrganizerID: "or_1", Role: Owner}, "or_1", ReadEvents)
		if !fault.Is(err, fault.NotFound) {
			t.Errorf("%s: got %v, want NotFound", k, err)
		}
	}
}

func TestMayGrant(t *testing.T) {
	for _, by := range Roles {
		for _, r := range Roles {
			err := MayGrant(Actor{Kind: Member, OrganizerID: "or_1", Role: by}, r)
			want := by == Owner || by == Admin && r != Owner
			if (err == nil) != want {
				t.Errorf("%s grants %s: got %v, want allowed=%v", by, r, err, want)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); got != r || err != nil {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Owner", "box-office", "root"} {
		if _, err := ParseRole(s); !fault.Is(err, fault.Invalid) {
			t.Errorf("ParseRole(%q): got %v, want Invalid", s, err)
		}
	}
}

func TestActor(t *testing.T) {
	for _, c := range []struct {
		a    Actor
		want string
	}{
		{Actor{Kind: Member, ID: "mb_x"}, "member:mb_x"},
		{Actor{Kind: Token, ID: "tk_y"}, "token:tk_y"},
		{Actor{Kind: System}, "system"},
		{Actor{}, "system"},
		{Actor{Kind: System, ID: "ignored"}, "system"},
		{Actor{Kind: Buyer, ID: "ignored"}, "buyer"},
		{Actor{Kind: Anonymous}, "anonymous"},
		{Actor{Kind: Device, ID: "dd_1"}, "device:dd_1"},
		{Actor{Kind: Provider, ID: "stripe"}, "provider:stripe"},
	} {
		if got := c.a.String(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.a, got, c.want)
		}
	}
	if got := DeviceActor("dd_1") + " " + ProviderActor("stripe"); got != "device:dd_1 provider:stripe" {
		t.Errorf("DeviceActor, ProviderActor: got %q", got)
	}
}
