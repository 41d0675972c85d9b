// Package access decides who may do what in an organizer: the roles its
// members and API tokens have, the actions of the API, the console and the
// door, and the one function, Allow, that every one of them asks.
//
// It is pure: no I/O, safe for concurrent use.
package access

import (
	"fmt"
	"slices"

	"github.com/admit-org/admit/internal/fault"
)

// Role is what a member or an API token of an organizer may do.
type Role string

// The roles, from the most to the least powerful (Door is not below
// BoxOffice in every way: it scans, which a viewer cannot).
const (
	Owner     Role = "owner"      // everything, the team's owners included
	Admin     Role = "admin"      // everything but making, changing or removing owners
	BoxOffice Role = "box_office" // events read; orders: mark paid, cancel, refund, resend; exports; the door
	Door      Role = "door"       // events read; check-in: scan, lists' counts
	Viewer    Role = "viewer"     // reads everything but secrets and the team's settings
)

// Roles are every role, most powerful first.
var Roles = []Role{Owner, Admin, BoxOffice, Door, Viewer}

// ParseRole returns the role named s. Errors: Invalid.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fault.New(fault.Invalid,
			"%q is not a role; use one of owner, admin, box_office, door, viewer", s)
	}
	return r, nil
}

// Label is the role as people read it: "Box office".
func (r Role) Label() string {
	switch r {
	case Owner:
		return "Owner"
	case Admin:
		return "Admin"
	case BoxOffice:
		return "Box office"
	case Door:
		return "Door"
	case Viewer:
		return "Viewer"
	}
	return string(r)
}

// Action is something an actor asks to do in an organizer.
type Action int

// The actions. Each route of the API and each page or form of the console
// names one.
const (
	ReadEvents    Action = iota // events, ticket types, quotas, their numbers
	ManageEvents                // create and change events, ticket types, quotas; open and close sales
	ReadOrders                  // orders and attendees, their timelines
	ManageOrders                // mark paid, cancel, refund, resend tickets
	ExportOrders                // orders and attendees as CSV
	ReadCheckin                 // check-in lists, their counts, conflicts, a ticket's scans
	Scan                        // scan and annul at the door, fetch the door's bundle
	ManageDoor                  // check-in lists and door devices
	ManageKeys                  // the events' ticket signing keys
	ReadTeam                    // the organizer's members and API tokens
	ManageTeam                  // invite, change and remove members; make and revoke API tokens
	ManageProfile               // the organizer's name and public profile
	actions                     // how many there are
)

var actionNames = [actions]string{
	ReadEvents:    "read events",
	ManageEvents:  "change events",
	ReadOrders:    "read orders",
	ManageOrders:  "change orders",
	ExportOrders:  "export orders",
	ReadCheckin:   "read check-ins",
	Scan:          "scan tickets",
	ManageDoor:    "set up the door",
	ManageKeys:    "manage signing keys",
	ReadTeam:      "see the team",
	ManageTeam:    "change the team",
	ManageProfile: "change the organizer's profile",
}

// String is the action in words, as a refusal says it.
func (a Action) String() string {
	if a < 0 || a >= actions {
		return fmt.Sprintf("action %d", int(a))
	}
	return actionNames[a]
}

// Actions returns every action, for tests that go through them all.
func Actions() []Action {
	out := make([]Action, actions)
	for i := range out {
		out[i] = Action(i)
	}
	return out
}

// grants is the matrix: which actions each role may take.
var grants = map[Role][]Action{
	Owner:     Actions(),
	Admin:     Actions(),
	BoxOffice: {ReadEvents, ReadOrders, ManageOrders, ExportOrders, ReadCheckin, Scan},
	Door:      {ReadEvents, ReadCheckin, Scan},
	Viewer:    {ReadEvents, ReadOrders, ExportOrders, ReadCheckin, ReadTeam},
}

// Kind is what acts. Members and API tokens act for an organizer, with a
// role, as does admit's own command line (system, as an owner); buyers,
// devices, providers and anonymous visitors are only recorded in the
// ledger as the cause of what they did, and Allow allows them nothing.
type Kind string

// The kinds of actor.
const (
	Member Kind = "member" // a person signed in to the console, by member id
	Token  Kind = "token"  // an API token, by token id
	System Kind = "system" // admit itself: its clock and workers, and an operator at the command line
	Buyer  Kind = "buyer"  // someone in the shop or on the public API: nobody's account, so no id
	Device Kind = "device" // a door device, by its id

	// Provider is a payment provider, by its name ("stripe"): what its
	// notifications and answers caused.
	Provider Kind = "provider"

	// Anonymous is someone not signed in asking for something that is not
	// a purchase, such as a password reset for an e-mail address.
	Anonymous Kind = "anonymous"
)

// Actor is who asks: its kind, its id (a member's or a token's), the
// organizer it belongs to and its role there.
type Actor struct {
	Kind        Kind
	ID          string
	OrganizerID string
	Role        Role
}

// The actors without an id, as the ledger names them.
var (
	SystemActor    = Actor{Kind: System}.String()
	BuyerActor     = Actor{Kind: Buyer}.String()
	AnonymousActor = Actor{Kind: Anonymous}.String()
)

// organizerKinds are the kinds that may act for an organizer; no kind is
// system, as String says.
var organizerKinds = map[Kind]bool{Member: true, Token: true, System: true, "": true}

// DeviceActor is how the ledger names the door device with id.
func DeviceActor(id string) string { return Actor{Kind: Device, ID: id}.String() }

// ProviderActor is how the ledger names the payment provider of name.
func ProviderActor(name string) string { return Actor{Kind: Provider, ID: name}.String() }

// String is how the ledger names the actor: "member:mb_…", "token:tk_…",
// "device:dv_…", "provider:stripe", "system", "buyer", "anonymous".
func (a Actor) String() string {
	switch a.Kind {
	case System, "":
		return string(System)
	case Buyer, Anonymous:
		return string(a.Kind)
	}
	return string(a.Kind) + ":" + a.ID
}

// Allow decides whether actor may take action in the organizer. An actor
// of another organizer is refused as if the organizer did not exist, so
// nothing of it is seen (NotFound); an actor whose role lacks the action
// gets Forbidden, saying which role would do.
func Allow(actor Actor, organizerID string, action Action) error {
	if actor.OrganizerID != organizerID || organizerID == "" || !organizerKinds[actor.Kind] {
		return fault.New(fault.NotFound, "no such organizer")
	}
	if slices.Contains(grants[actor.Role], action) {
		return nil
	}
	return fault.New(fault.Forbidden,
		"the %s role may not %s; ask an owner or admin of the organizer for a role that may (%s)",
		actor.Role.Label(), action, rolesFor(action))
}

// Can reports whether role may take action.
func Can(role Role, action Action) bool { return slices.Contains(grants[role], action) }

// MayGrant decides whether actor may give role to a member or an API token,
// or change or remove a member or token that has it: an owner grants any
// role, an admin any but owner, and nobody else any. Errors: Forbidden.
func MayGrant(actor Actor, role Role) error {
	switch {
	case actor.Role == Owner:
		return nil
	case actor.Role == Admin && role != Owner:
		return nil
	case actor.Role == Admin:
		return fault.New(fault.Forbidden, "only an owner may make, change or remove an owner")
	}
	return fault.New(fault.Forbidden,
		"the %s role may not change the team; ask an owner or admin", actor.Role.Label())
}

func rolesFor(a Action) string {
	var s string
	for _, r := range Roles {
		if Can(r, a) {
			if s != "" {
				s += ", "
			}
			s += r.Label()
		}
	}
	return s
}
