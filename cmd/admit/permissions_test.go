package main

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/console"
	"github.com/admit-org/admit/internal/openapitest"
)

// routeActions is the permission matrix of the API: the action each
// organizer's route takes, which access decides for each role. Every
// operation of api/openapi.yaml that takes an organizer's token is here,
// and nothing else.
var routeActions = map[openapitest.Operation]access.Action{
	op("GET", "/api/v1/organizer"):                                              access.ReadEvents,
	op("PATCH", "/api/v1/organizer"):                                            access.ManageProfile,
	op("GET", "/api/v1/organizer/members"):                                      access.ReadTeam,
	op("POST", "/api/v1/organizer/members"):                                     access.ManageTeam,
	op("PATCH", "/api/v1/organizer/members/{member_id}"):                        access.ManageTeam,
	op("DELETE", "/api/v1/organizer/members/{member_id}"):                       access.ManageTeam,
	op("GET", "/api/v1/organizer/tokens"):                                       access.ReadTeam,
	op("POST", "/api/v1/organizer/tokens"):                                      access.ManageTeam,
	op("DELETE", "/api/v1/organizer/tokens/{token_id}"):                         access.ManageTeam,
	op("GET", "/api/v1/events"):                                                 access.ReadEvents,
	op("POST", "/api/v1/events"):                                                access.ManageEvents,
	op("GET", "/api/v1/events/{event_id}"):                                      access.ReadEvents,
	op("PATCH", "/api/v1/events/{event_id}"):                                    access.ManageEvents,
	op("POST", "/api/v1/events/{event_id}/status"):                              access.ManageEvents,
	op("POST", "/api/v1/events/{event_id}/ticket-types"):                        access.ManageEvents,
	op("PATCH", "/api/v1/events/{event_id}/ticket-types/{ticket_type_id}"):      access.ManageEvents,
	op("POST", "/api/v1/events/{event_id}/quotas"):                              access.ManageEvents,
	op("PATCH", "/api/v1/events/{event_id}/quotas/{quota_id}"):                  access.ManageEvents,
	op("GET", "/api/v1/events/{event_id}/orders"):                               access.ReadOrders,
	op("GET", "/api/v1/events/{event_id}/orders/{order_id}"):                    access.ReadOrders,
	op("POST", "/api/v1/events/{event_id}/orders/{order_id}/mark-paid"):         access.ManageOrders,
	op("POST", "/api/v1/events/{event_id}/orders/{order_id}/cancel"):            access.ManageOrders,
	op("POST", "/api/v1/events/{event_id}/orders/{order_id}/resend-tickets"):    access.ManageOrders,
	op("POST", "/api/v1/events/{event_id}/orders/{order_id}/refunds"):           access.ManageOrders,
	op("POST", "/api/v1/events/{event_id}/signing-keys"):                        access.ManageKeys,
	op("POST", "/api/v1/events/{event_id}/signing-keys/{key_id}/retire"):        access.ManageKeys,
	op("GET", "/api/v1/events/{event_id}/revocations"):                          access.ReadCheckin,
	op("GET", "/api/v1/events/{event_id}/check-in-lists"):                       access.ReadCheckin,
	op("POST", "/api/v1/events/{event_id}/check-in-lists"):                      access.ManageDoor,
	op("GET", "/api/v1/events/{event_id}/check-in-lists/{list_id}"):             access.ReadCheckin,
	op("PATCH", "/api/v1/events/{event_id}/check-in-lists/{list_id}"):           access.ManageDoor,
	op("GET", "/api/v1/events/{event_id}/check-in-conflicts"):                   access.ReadCheckin,
	op("GET", "/api/v1/events/{event_id}/tickets/{ticket_id}/scans"):            access.ReadCheckin,
	op("GET", "/api/v1/events/{event_id}/door-devices"):                         access.ReadCheckin,
	op("POST", "/api/v1/events/{event_id}/door-devices"):                        access.ManageDoor,
	op("POST", "/api/v1/events/{event_id}/door-devices/{device_id}/revoke"):     access.ManageDoor,
	op("GET", "/api/v1/events/{event_id}/exports/orders.csv"):                   access.ExportOrders,
	op("GET", "/api/v1/events/{event_id}/exports/attendees.csv"):                access.ExportOrders,
	op("GET", "/api/v1/events/{event_id}/door-bundle"):                          access.Scan,
	op("POST", "/api/v1/events/{event_id}/check-in-lists/{list_id}/scans"):      access.Scan,
	op("POST", "/api/v1/events/{event_id}/check-in-lists/{list_id}/annulments"): access.Scan,
}

// TestPermissionMatrix sends every organizer's route of the contract with
// a token of every role, signed out, and with another organizer's owner
// token: a role the matrix refuses gets forbidden (403) and changes
// nothing, a role it allows is not refused, no token is unauthorized
// (401), and another organizer sees nothing of this one's (404).
func TestPermissionMatrix(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	bootstrap := a.token
	a.stop()
	other, _ := lineAfter(admin(t, dir, "organizer", "create", "--name", "Other"), "token: ")
	// Every refusal below counts as a failed authentication of this one
	// client: lift that limit.
	a = startAdmit(t, dir, "--rate-limit-auth-failures-burst", "0")
	owner := newClient(t, a.url, bootstrap)

	evID, ttID, secrets := doorEvent(t, owner, 2)
	ev := owner.must(200, "GET", "/api/v1/events/"+evID, nil)
	quotaID := ev["quotas"].([]any)[0].(map[string]any)["id"].(string)
	orders := owner.must(200, "GET", "/api/v1/events/"+evID+"/orders", nil)["items"].([]any)
	orderID := orders[0].(map[string]any)["id"].(string)
	keys := owner.must(200, "GET", "/api/v1/public/events/"+evID+"/signing-keys", nil)["keys"].([]any)
	keyID := keys[0].(map[string]any)["id"].(string)
	deviceID, _ := newDevice(t, owner, evID, "Gate A")
	victim := owner.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "victim", "role": "viewer"})["id"].(string)
	invited := owner.must(201, "POST", "/api/v1/organizer/members", map[string]any{"email": "victim@example.com", "role": "viewer"})["id"].(string)
	var ticketID string
	for id := range secrets {
		ticketID = id
	}
	fill := strings.NewReplacer("{event_id}", evID, "{ticket_type_id}", ttID, "{quota_id}", quotaID,
		"{order_id}", orderID, "{key_id}", keyID, "{list_id}", "default", "{device_id}", deviceID,
		"{ticket_id}", ticketID, "{token_id}", victim, "{member_id}", invited)

	nowhere := strings.NewReplacer("{event_id}", "ev_aaaaaaaaaaaaaaaaaaaa", "{ticket_type_id}", "tt_aaaaaaaaaaaaaaaaaaaa",
		"{quota_id}", "qu_aaaaaaaaaaaaaaaaaaaa", "{order_id}", "od_aaaaaaaaaaaaaaaaaaaa", "{key_id}", keyID, "{list_id}", "default",
		"{device_id}", "dd_aaaaaaaaaaaaaaaaaaaa", "{ticket_id}", ticketID, "{token_id}", "tk_aaaaaaaaaaaaaaaaaaaa",
		"{member_id}", "mb_aaaaaaaaaaaaaaaaaaaa")

	clients := map[access.Role]*client{}
	for _, r := range access.Roles {
		made := owner.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": string(r), "role": string(r)})
		if made["role"] != string(r) {
			t.Fatalf("token made with role %s: %v", r, made)
		}
		clients[r] = newClient(t, a.url, made["token"].(string))
	}
	signedOut := newClient(t, a.url, "")
	stranger := newClient(t, a.url, other)

	ops := spec.v.Secured("bearerAuth")
	for _, op := range ops {
		if _, ok := routeActions[op]; !ok {
			t.Errorf("%s %s takes an organizer's token but is not in the permission matrix", op.Method, op.Path)
		}
	}
	for op := range routeActions {
		if !slices.Contains(ops, op) {
			t.Errorf("the permission matrix has %s %s, which the contract does not", op.Method, op.Path)
		}
	}

	body := func(op openapitest.Operation) any {
		if op.Method == "GET" || op.Method == "DELETE" {
			return nil
		}
		return map[string]any{}
	}
	for _, op := range ops {
		action := routeActions[op]
		path := fill.Replace(op.Path)
		name := fmt.Sprintf("%s %s", op.Method, op.Path)
		if r := signedOut.do(op.Method, path, body(op)); r.status != 401 {
			t.Errorf("%s signed out: %d %s, want 401", name, r.status, r.body)
		}
		// Refused first, so what the allowed roles change cannot hide a
		// refusal's effect.
		for _, allowed := range []bool{false, true} {
			for _, role := range access.Roles {
				if access.Can(role, action) != allowed {
					continue
				}
				r := clients[role].do(op.Method, path, body(op))
				switch {
				case !allowed && (r.status != 403 || r.json(t)["code"] != "forbidden"):
					t.Errorf("%s as %s (may not %s): %d %s, want 403 forbidden", name, role, action, r.status, r.body)
				case allowed && (r.status == 401 || r.status == 403):
					t.Errorf("%s as %s (may %s): %d %s, want it not refused", name, role, action, r.status, r.body)
				}
			}
		}
		// Another organizer gets what it gets for ids that do not exist:
		// not-found, or the same complaint about the request.
		if strings.Contains(op.Path, "{") {
			r, none := stranger.do(op.Method, path, body(op)), stranger.do(op.Method, nowhere.Replace(op.Path), body(op))
			if r.status < 400 || r.status != none.status || r.json(t)["code"] != none.json(t)["code"] {
				t.Errorf("%s by another organizer's owner: %d %s; for ids that do not exist: %d %s", name, r.status, r.body, none.status, none.body)
			}
		}
	}
	if list := stranger.do("GET", "/api/v1/events", nil); strings.Contains(string(list.body), evID) {
		t.Errorf("another organizer's event list shows the event: %s", list.body)
	}
	if list := stranger.do("GET", "/api/v1/organizer/tokens", nil); strings.Contains(string(list.body), victim) {
		t.Errorf("another organizer's token list shows this one's tokens: %s", list.body)
	}
}

// TestTokenRoles: who may make which tokens, and the role's refusal says
// which roles may.
func TestTokenRoles(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	owner := newClient(t, a.url, a.token)
	mk := func(c *client, role string) response {
		return c.do("POST", "/api/v1/organizer/tokens", map[string]any{"name": "t", "role": role})
	}
	adminTok := owner.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "a", "role": "admin"})
	adm := newClient(t, a.url, adminTok["token"].(string))
	if r := mk(adm, "owner"); r.status != 403 {
		t.Errorf("an admin making an owner token: %d %s, want 403", r.status, r.body)
	}
	made := adm.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "inherits"})
	if made["role"] != "admin" {
		t.Errorf("a token made without a role by an admin: %v, want role admin", made)
	}
	if r := mk(owner, "root"); r.status != 422 || !strings.Contains(string(r.body), "/role") {
		t.Errorf("an unknown role: %d %s, want 422 on /role", r.status, r.body)
	}
	viewer := newClient(t, a.url, owner.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "v", "role": "viewer"})["token"].(string))
	r := viewer.do("POST", "/api/v1/events", map[string]any{})
	if r.status != 403 || !strings.Contains(r.json(t)["detail"].(string), "Owner, Admin") {
		t.Errorf("a viewer creating an event: %d %s, want 403 naming the roles that may", r.status, r.body)
	}
	// Its own token revoked by an admin: the owner's token is beyond it.
	ownerID := owner.must(200, "GET", "/api/v1/organizer/tokens", nil)["items"].([]any)[0].(map[string]any)["id"].(string)
	if r := adm.do("DELETE", "/api/v1/organizer/tokens/"+ownerID, nil); r.status != 403 {
		t.Errorf("an admin revoking an owner's token: %d %s, want 403", r.status, r.body)
	}
}

func op(method, path string) openapitest.Operation {
	return openapitest.Operation{Method: method, Path: path}
}

// consoleActions is the permission matrix of the console: the action each
// page or form for members takes. Every such route of the console is
// here, and nothing else.
var consoleActions = map[string]access.Action{
	"GET /manage":                                                    access.ReadEvents,
	"GET /manage/events/new":                                         access.ManageEvents,
	"POST /manage/events":                                            access.ManageEvents,
	"GET /manage/events/{event_id}":                                  access.ReadEvents,
	"GET /manage/events/{event_id}/edit":                             access.ManageEvents,
	"POST /manage/events/{event_id}":                                 access.ManageEvents,
	"GET /manage/events/{event_id}/ticket-types/{ticket_type_id}":    access.ManageEvents,
	"POST /manage/events/{event_id}/ticket-types/{ticket_type_id}":   access.ManageEvents,
	"GET /manage/events/{event_id}/quotas/{quota_id}":                access.ManageEvents,
	"POST /manage/events/{event_id}/quotas/{quota_id}":               access.ManageEvents,
	"POST /manage/events/{event_id}/status":                          access.ManageEvents,
	"POST /manage/events/{event_id}/ticket-types":                    access.ManageEvents,
	"POST /manage/events/{event_id}/quotas":                          access.ManageEvents,
	"GET /manage/events/{event_id}/history":                          access.ReadEvents,
	"GET /manage/events/{event_id}/keys":                             access.ManageKeys,
	"POST /manage/events/{event_id}/keys":                            access.ManageKeys,
	"POST /manage/events/{event_id}/keys/{key_id}/retire":            access.ManageKeys,
	"GET /manage/events/{event_id}/attendees":                        access.ReadOrders,
	"GET /manage/events/{event_id}/orders":                           access.ReadOrders,
	"GET /manage/events/{event_id}/orders/{order_id}":                access.ReadOrders,
	"POST /manage/events/{event_id}/orders/{order_id}/mark-paid":     access.ManageOrders,
	"POST /manage/events/{event_id}/orders/{order_id}/cancel":        access.ManageOrders,
	"POST /manage/events/{event_id}/orders/{order_id}/resend":        access.ManageOrders,
	"POST /manage/events/{event_id}/orders/{order_id}/refund":        access.ManageOrders,
	"GET /manage/events/{event_id}/exports/orders.csv":               access.ExportOrders,
	"GET /manage/events/{event_id}/exports/attendees.csv":            access.ExportOrders,
	"GET /manage/events/{event_id}/door":                             access.ReadCheckin,
	"POST /manage/events/{event_id}/door/devices":                    access.ManageDoor,
	"POST /manage/events/{event_id}/door/devices/{device_id}/revoke": access.ManageDoor,
	"GET /manage/tokens":                                             access.ReadTeam,
	"POST /manage/tokens":                                            access.ManageTeam,
	"POST /manage/tokens/{token_id}/revoke":                          access.ManageTeam,
	"GET /manage/profile":                                            access.ManageProfile,
	"POST /manage/profile":                                           access.ManageProfile,
	"GET /manage/team":                                               access.ReadTeam,
	"POST /manage/team/invitations":                                  access.ManageTeam,
	"POST /manage/team/{member_id}/role":                             access.ManageTeam,
	"POST /manage/team/{member_id}/remove":                           access.ManageTeam,
	"GET /manage/switch-organizer":                                   access.ReadEvents,
}

// TestConsolePermissionMatrix signs in a member of every role and sends
// every page and form of the console: refused ones answer 403 and change
// nothing, allowed ones are not refused; signed out, a page sends the
// browser to sign in and a form is 401; a member of another organizer
// gets 404 for this one's event.
func TestConsolePermissionMatrix(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	a.stop()
	out := admin(t, dir, "organizer", "create", "--name", "Other")
	otherPath, _ := lineAfter(out, "first owner's invitation (open it on the server's public URL): ")
	a2 := startAdmit(t, dir, "--rate-limit-auth-failures-burst", "0")
	first, _ := lineAfter(a.out.String(), firstOwnerLine)
	ada := newVisitor(t, a2.url)
	ada.join(a2.url+strings.TrimPrefix(first, a.url), "Ada", "ada@example.com")
	stranger := newVisitor(t, a2.url)
	stranger.join(a2.url+otherPath, "Sam", "sam@other.example")

	c := newClient(t, a2.url, a.token)
	evID, ttID := setupEvent(c, 100)
	members := map[access.Role]*visitor{access.Owner: ada}
	for _, r := range access.Roles[1:] {
		v := newVisitor(t, a2.url)
		v.join(ada.invite(string(r)+"@example.com", r), string(r), "")
		members[r] = v
	}
	ada.invite("victim@example.com", access.Viewer)
	team := ada.get("/manage/team").body
	victimID := regexp.MustCompile(`victim@example.com</td>.*?action="/manage/team/(mb_[a-z2-7]{20})/remove"`).FindStringSubmatch(strings.ReplaceAll(team, "\n", " "))
	if victimID == nil {
		t.Fatalf("no invitation to change on the team page:\n%s", team)
	}
	pub := newClient(t, a2.url, "")
	h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	o := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/orders", map[string]any{"hold_id": h["id"],
		"buyer": map[string]any{"name": "Grace Hopper", "email": "grace@example.com"}})
	device, _ := newDevice(t, c, evID, "Gate A")
	tokenVictim := c.must(201, "POST", "/api/v1/organizer/tokens", map[string]any{"name": "victim", "role": "viewer"})["id"].(string)
	ev := c.must(200, "GET", "/api/v1/events/"+evID, nil)
	quotaID := ev["quotas"].([]any)[0].(map[string]any)["id"].(string)
	fill := strings.NewReplacer("{event_id}", evID, "{member_id}", victimID[1], "{order_id}", o["id"].(string), "{device_id}", device,
		"{ticket_type_id}", ttID, "{quota_id}", quotaID,
		"{token_id}", tokenVictim)

	routes := console.MemberRoutes()
	for _, rt := range routes {
		if _, ok := consoleActions[rt]; !ok {
			t.Errorf("%s is a console route for members but not in the permission matrix", rt)
		}
	}
	for rt := range consoleActions {
		if !slices.Contains(routes, rt) {
			t.Errorf("the permission matrix has %s, which the console does not", rt)
		}
	}
	form := func(v *visitor) url.Values {
		return url.Values{"csrf": {v.csrf()}, "status": {"sales_closed"}, "role": {"viewer"}, "email": {"x@example.com"}}
	}
	signedOut := newVisitor(t, a2.url)
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		path := fill.Replace(pattern)
		send := func(v *visitor) page {
			if method == "GET" {
				return v.get(path)
			}
			return v.post(path, form(v))
		}
		if p := signedOut.send(method, path, url.Values{}, "same-origin"); method == "GET" && (p.status != 303 || !strings.HasPrefix(p.location, "/manage/sign-in")) ||
			method == "POST" && p.status != 401 {
			t.Errorf("%s signed out: %d %s", rt, p.status, p.location)
		}
		action := consoleActions[rt]
		for _, allowed := range []bool{false, true} {
			for _, r := range access.Roles {
				if access.Can(r, action) != allowed {
					continue
				}
				p := send(members[r])
				switch {
				case !allowed && p.status != 403:
					t.Errorf("%s as %s (may not %s): %d, want 403", rt, r, action, p.status)
				case allowed && (p.status == 401 || p.status == 403 || p.status == 303 && strings.HasPrefix(p.location, "/manage/sign-in")):
					t.Errorf("%s as %s (may %s): %d %s, want it not refused\n%s", rt, r, action, p.status, p.location, p.body)
				}
			}
		}
		if strings.Contains(pattern, "{event_id}") {
			if p := send(stranger); p.status != 404 && p.status != 403 {
				t.Errorf("%s by another organizer's owner: %d, want 404", rt, p.status)
			} else if strings.Contains(p.body, "Night at the Opera") {
				t.Errorf("%s by another organizer's owner shows the event", rt)
			}
		}
	}
	if p := stranger.get("/manage"); strings.Contains(p.body, "Night at the Opera") {
		t.Error("another organizer's console lists the event")
	}
	if p := stranger.get("/manage/team"); strings.Contains(p.body, "viewer@example.com") {
		t.Error("another organizer's team page shows this one's members")
	}
}
