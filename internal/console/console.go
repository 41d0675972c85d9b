package console

import (
	"context"
	"crypto/rand"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/session"
	"github.com/admit-org/admit/internal/shop"
	"github.com/admit-org/admit/internal/sqlite"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// ReadModel is what the console reads (*sqlite.DB).
type ReadModel interface {
	Organizer(ctx context.Context, id string) (sqlite.Organizer, error)
	ListEvents(ctx context.Context, organizerID, status string, limit int, cursor string) ([]sqlite.EventRow, string, error)
	Member(ctx context.Context, id string) (sqlite.MemberRow, error)
	MemberByInvite(ctx context.Context, hash string) (sqlite.MemberRow, error)
	MemberByReset(ctx context.Context, hash string) (sqlite.MemberRow, time.Time, error)
	MembersByEmail(ctx context.Context, email string) ([]sqlite.MemberRow, error)
	ListMembers(ctx context.Context, organizerID string) ([]sqlite.MemberRow, error)
	EventSales(ctx context.Context, eventID string) (sqlite.EventSales, error)
	ListOrders(ctx context.Context, f sqlite.OrderFilter) ([]sqlite.OrderRow, string, error)
	ExportAttendees(ctx context.Context, eventID string, fn func(sqlite.AttendeeRow) error) error
	ListTokens(ctx context.Context, organizerID string) ([]sqlite.TokenRow, error)
	OrderHistory(ctx context.Context, eventID, orderID string) ([]sqlite.HistoryRow, error)
	EventHistory(ctx context.Context, eventID string) ([]sqlite.HistoryRow, error)
	Token(ctx context.Context, id string) (sqlite.TokenRow, error)
	Profile(ctx context.Context, organizerID string) (organizer.Profile, error)
	WaitFor(ctx context.Context, pos uint64) error
}

// Desk is what the console changes an organizer's team with
// (*organizer.Desk).
type Desk interface {
	Invite(ctx context.Context, actor access.Actor, organizerID, email string, role access.Role) (organizer.Invitation, error)
	Join(ctx context.Context, organizerID, token, name, email, pass string) (string, uint64, error)
	ChangeRole(ctx context.Context, actor access.Actor, organizerID, memberID string, role access.Role) (uint64, error)
	RemoveMember(ctx context.Context, actor access.Actor, organizerID, memberID string) (uint64, error)
	CreateToken(ctx context.Context, actor access.Actor, organizerID, name string, role access.Role) (organizer.Issued, error)
	RevokeToken(ctx context.Context, actor access.Actor, organizerID, tokenID string) (uint64, error)
	UpdateProfile(ctx context.Context, actor access.Actor, organizerID string, p organizer.Profile) (uint64, error)
	SetLogo(ctx context.Context, actor access.Actor, organizerID string, png []byte) (uint64, error)
	RequestReset(ctx context.Context, organizerID, memberID string) (uint64, error)
	ResetPassword(ctx context.Context, organizerID, secret, pass string) (string, uint64, error)
}

// Sessions keeps the sign-in sessions (*session.Store).
type Sessions interface {
	Begin(ctx context.Context, memberID, organizerID string, now time.Time) (string, session.Session, error)
	Get(ctx context.Context, secret string) (session.Session, error)
	End(ctx context.Context, secret string) error
}

// Offices is what the console needs of the box offices (*office.Manager).
type Offices interface {
	Do(ctx context.Context, eventID string, cmd boxoffice.Command, render office.Render) (office.Result, error)
	Read(ctx context.Context, eventID string, render office.Render) (any, error)
	View(ctx context.Context, eventID string) (*boxoffice.View, error)
}

var (
	_ ReadModel = (*sqlite.DB)(nil)
	_ Desk      = (*organizer.Desk)(nil)
	_ Sessions  = (*session.Store)(nil)
	_ Offices   = (*office.Manager)(nil)
)

// Config is what New needs.
type Config struct {
	Read     ReadModel
	Desk     Desk
	Sessions Sessions
	Offices  Offices
	Clock    clock.Clock
	Log      *slog.Logger
	// Links is where people reach admit; with an https:// base the session
	// cookie is Secure and __Host- prefixed, and a form posted from its
	// origin is never taken for a cross-site one.
	Links links.Base
	// SignInWait returns how long the request's client must wait before it
	// may try to sign in again (too many failures), 0 when it may now; and
	// SignInFailed counts a failure. Nil: no limit.
	SignInWait   func(r *http.Request) time.Duration
	SignInFailed func(r *http.Request)
	// CreateEvent makes an event (web.Server.CreateEvent: its id, its
	// ledger shard and the organizer's limit of events are decided there,
	// as for the API).
	CreateEvent func(ctx context.Context, actor access.Actor, organizerID, currency string, d boxoffice.EventDetails) (eventID string, seq uint64, err error)
	// Export streams the export what ("orders", "attendees") of the
	// organizer's event in the request's path (web.Server.Export, the
	// API's exports).
	Export func(w http.ResponseWriter, r *http.Request, organizerID, what string)
	// RotateKey makes a new key that signs the event's tickets
	// (web.Server.RotateSigningKey) and returns the ledger position.
	RotateKey func(ctx context.Context, actor access.Actor, organizerID, eventID string) (uint64, error)
	// ChoiceKey signs the choices of "Choose an organizer" (choose.go); the
	// same on every node, so a choice made on one is taken on another. Nil:
	// a random key, good on this node until it stops.
	ChoiceKey []byte
}

// Console is an http.Handler for /manage and below; safe for concurrent
// use.
type Console struct {
	cfg    Config
	mux    *http.ServeMux
	pages  map[string]*template.Template
	cross  *http.CrossOriginProtection
	secure bool   // cookies only over TLS
	cookie string // the session cookie's name
	// choiceKey signs the choices of "Choose an organizer".
	choiceKey []byte
}

// New returns the console.
func New(c Config) *Console {
	k := &Console{cfg: c, mux: http.NewServeMux(), pages: parsePages(), cross: http.NewCrossOriginProtection()}
	k.secure = strings.HasPrefix(c.Links.String(), "https://")
	k.choiceKey = c.ChoiceKey
	if len(k.choiceKey) == 0 {
		k.choiceKey = []byte(rand.Text())
	}
	k.cookie = "admit_session"
	if k.secure {
		k.cookie = "__Host-admit_session"
	}
	if o := c.Links.Origin(); o != "" {
		if err := k.cross.AddTrustedOrigin(o); err != nil {
			c.Log.Warn("console: the public URL's origin is not trusted for forms", "origin", o, "err", err)
		}
	}
	m := k.mux
	for _, rt := range k.routes() {
		if rt.public != nil {
			m.HandleFunc(rt.pattern, rt.public)
		} else {
			m.HandleFunc(rt.pattern, k.signedIn(rt.action, rt.page))
		}
	}
	m.HandleFunc("GET /manage/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, links.Console(), http.StatusMovedPermanently)
	})
	assets, _ := fs.Sub(assetFS, "assets")
	m.Handle("GET /manage/assets/", http.StripPrefix("/manage/assets/", http.FileServerFS(assets)))
	m.HandleFunc("/manage/", func(w http.ResponseWriter, r *http.Request) {
		k.problem(w, r, nil, http.StatusNotFound, "Page not found", "There is no page at this address in the console.")
	})
	return k
}

// route is one page or form of the console: public, or for a signed-in
// member allowed action.
type route struct {
	pattern string
	public  http.HandlerFunc
	action  access.Action
	page    handler
}

func (k *Console) routes() []route {
	return []route{
		{pattern: "GET /manage/sign-in", public: k.signInPage},
		{pattern: "POST /manage/sign-in", public: k.signIn},
		{pattern: "POST /manage/sign-out", public: k.signOut},
		{pattern: "POST /manage/sign-in/organizer", public: k.chosen},
		{pattern: "GET /manage/switch-organizer", action: access.ReadEvents, page: k.switchOrganizer},
		{pattern: "GET /manage/password-reset", public: k.resetAskPage},
		{pattern: "POST /manage/password-reset", public: k.askReset},
		{pattern: "GET /manage/password-reset/{secret}", public: k.resetPage},
		{pattern: "POST /manage/password-reset/{secret}", public: k.setPassword},
		{pattern: "GET /manage/invitations/{secret}", public: k.invitationPage},
		{pattern: "POST /manage/invitations/{secret}", public: k.acceptInvitation},
		{pattern: "GET /manage", action: access.ReadEvents, page: k.events},
		{pattern: "GET /manage/events/new", action: access.ManageEvents, page: k.newEventPage},
		{pattern: "POST /manage/events", action: access.ManageEvents, page: k.createEvent},
		{pattern: "GET /manage/events/{event_id}", action: access.ReadEvents, page: k.event},
		{pattern: "GET /manage/events/{event_id}/edit", action: access.ManageEvents, page: k.editEventPage},
		{pattern: "POST /manage/events/{event_id}", action: access.ManageEvents, page: k.updateEvent},
		{pattern: "POST /manage/events/{event_id}/status", action: access.ManageEvents, page: k.changeStatus},
		{pattern: "POST /manage/events/{event_id}/ticket-types", action: access.ManageEvents, page: k.addTicketType},
		{pattern: "POST /manage/events/{event_id}/quotas", action: access.ManageEvents, page: k.addQuota},
		{pattern: "GET /manage/events/{event_id}/ticket-types/{ticket_type_id}", action: access.ManageEvents, page: k.editTicketType},
		{pattern: "POST /manage/events/{event_id}/ticket-types/{ticket_type_id}", action: access.ManageEvents, page: func(w http.ResponseWriter, r *http.Request, m *who) { k.saveCatalog(w, r, m, false) }},
		{pattern: "GET /manage/events/{event_id}/quotas/{quota_id}", action: access.ManageEvents, page: k.editQuota},
		{pattern: "POST /manage/events/{event_id}/quotas/{quota_id}", action: access.ManageEvents, page: func(w http.ResponseWriter, r *http.Request, m *who) { k.saveCatalog(w, r, m, true) }},
		{pattern: "GET /manage/events/{event_id}/history", action: access.ReadEvents, page: k.history},
		{pattern: "GET /manage/events/{event_id}/keys", action: access.ManageKeys, page: k.keys},
		{pattern: "POST /manage/events/{event_id}/keys", action: access.ManageKeys, page: k.rotateKey},
		{pattern: "POST /manage/events/{event_id}/keys/{key_id}/retire", action: access.ManageKeys, page: k.retireKey},
		{pattern: "GET /manage/events/{event_id}/orders", action: access.ReadOrders, page: k.orders},
		{pattern: "GET /manage/events/{event_id}/attendees", action: access.ReadOrders, page: k.attendees},
		{pattern: "GET /manage/events/{event_id}/orders/{order_id}", action: access.ReadOrders, page: k.order},
		{pattern: "POST /manage/events/{event_id}/orders/{order_id}/mark-paid", action: access.ManageOrders, page: k.markPaid},
		{pattern: "POST /manage/events/{event_id}/orders/{order_id}/cancel", action: access.ManageOrders, page: k.cancelOrder},
		{pattern: "POST /manage/events/{event_id}/orders/{order_id}/resend", action: access.ManageOrders, page: k.resendTickets},
		{pattern: "POST /manage/events/{event_id}/orders/{order_id}/refund", action: access.ManageOrders, page: k.refundOrder},
		{pattern: "GET /manage/events/{event_id}/exports/orders.csv", action: access.ExportOrders, page: k.export("orders")},
		{pattern: "GET /manage/events/{event_id}/exports/attendees.csv", action: access.ExportOrders, page: k.export("attendees")},
		{pattern: "GET /manage/events/{event_id}/door", action: access.ReadCheckin, page: k.door},
		{pattern: "POST /manage/events/{event_id}/door/devices", action: access.ManageDoor, page: k.addDevice},
		{pattern: "POST /manage/events/{event_id}/door/devices/{device_id}/revoke", action: access.ManageDoor, page: k.revokeDevice},
		{pattern: "GET /manage/tokens", action: access.ReadTeam, page: k.tokens},
		{pattern: "POST /manage/tokens", action: access.ManageTeam, page: k.makeToken},
		{pattern: "POST /manage/tokens/{token_id}/revoke", action: access.ManageTeam, page: k.revokeToken},
		{pattern: "GET /manage/profile", action: access.ManageProfile, page: k.profile},
		{pattern: "POST /manage/profile", action: access.ManageProfile, page: k.saveProfile},
		{pattern: "GET /manage/team", action: access.ReadTeam, page: k.team},
		{pattern: "POST /manage/team/invitations", action: access.ManageTeam, page: k.invite},
		{pattern: "POST /manage/team/{member_id}/role", action: access.ManageTeam, page: k.changeRole},
		{pattern: "POST /manage/team/{member_id}/remove", action: access.ManageTeam, page: k.remove},
	}
}

// MemberRoutes are the patterns ("GET /manage/team") of the console's
// pages and forms for signed-in members, for tests that go through every
// one of them.
func MemberRoutes() []string {
	var out []string
	for _, rt := range (&Console{}).routes() {
		if rt.public == nil {
			out = append(out, rt.pattern)
		}
	}
	return out
}

// maxUpload bounds a post with a file (the organizer's logo), in bytes.
const maxUpload = 1 << 20

// Patterns are the paths the console serves, for the API's router.
var Patterns = []string{"/manage", "/manage/"}

var pageNames = []string{"signin", "invitation", "events", "event", "newevent", "orders", "order", "door", "team", "tokens", "profile", "resetask", "reset", "history", "keys", "attendees", "catalog", "chooser", "problem"}

// formField is what the "text" template draws: a labelled input with its
// hint and its mistake.
type formField struct {
	ID, Label, Hint, Value, Error, Type string
}

var funcs = template.FuncMap{
	"fieldOf": func(id, label, hint, value, err, typ string) formField {
		return formField{ID: id, Label: label, Hint: hint, Value: value, Error: err, Type: typ}
	},
}

func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(shop.Layout().Funcs(funcs).ParseFS(templateFS, "templates/parts.html"))
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// ServeHTTP sets the console's security headers, refuses cross-site form
// posts, and routes the request.
func (k *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer") // invitation links are secrets
	h.Set("X-Frame-Options", "DENY")
	if err := k.cross.Check(r); err != nil {
		k.cfg.Log.Info("console: cross-origin post refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
			"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "err", err)
		k.problem(w, r, nil, http.StatusForbidden, "This form came from another website",
			"For your safety, nothing was changed. Open the console on this site and try again there.")
		return
	}
	if r.Method == http.MethodPost {
		// No form of the console is large; a logo is the largest.
		limit := int64(64 << 10)
		if r.URL.Path == "/manage/profile" {
			limit = maxUpload
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			err = r.ParseMultipartForm(maxUpload)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			k.problem(w, r, nil, http.StatusRequestEntityTooLarge, "This form could not be read",
				"It is too large, or not a form. Nothing was changed: go back and try again.")
			return
		}
	}
	k.mux.ServeHTTP(w, r)
}

// page is what every page's view model carries, for the shared layout and
// the console's navigation.
type page struct {
	Title  string
	Errors []field
	Notice string
	Script bool
	// Who is signed in (nil on the pages for the signed-out); CSRF is the
	// session's form secret every form of the page carries.
	Who  *who
	CSRF string
	Nav  string // the navigation entry of the page: "events", "team"
	Live bool   // the page keeps its numbers live (console.js)
}

// field is one mistake in a form, tied to its control by ID.
type field struct {
	ID, Message string
}

// who is the signed-in member.
type who struct {
	access.Actor
	Name, Email   string
	OrganizerName string
	// Elsewhere: the e-mail address is a member of other organizers too
	// (the navigation offers to switch).
	Elsewhere bool
	secret    string // the session's
	csrf      string
}

// Can reports whether the member may take the action, for pages to show
// only the controls that work.
func (w *who) Can(action string) bool {
	a, ok := actionsByName[action]
	return ok && access.Allow(w.Actor, w.OrganizerID, a) == nil
}

var actionsByName = map[string]access.Action{
	"ManageEvents": access.ManageEvents, "ManageOrders": access.ManageOrders, "ManageTeam": access.ManageTeam,
	"ReadTeam": access.ReadTeam, "ReadOrders": access.ReadOrders, "ExportOrders": access.ExportOrders,
	"ManageProfile": access.ManageProfile, "ManageKeys": access.ManageKeys,
}

func (k *Console) render(w http.ResponseWriter, name string, status int, v any) {
	if err := shop.WritePage(w, k.pages[name], status, v); err != nil {
		k.cfg.Log.Error("console: render", "page", name, "err", err)
	}
}

type problemPage struct {
	page
	Heading, Text string
}

func (k *Console) problem(w http.ResponseWriter, r *http.Request, m *who, status int, heading, text string) {
	p := problemPage{page: page{Title: heading, Who: m}, Heading: heading, Text: text}
	if m != nil {
		p.CSRF = m.csrf
	}
	k.render(w, "problem", status, p)
}

// fail answers an error in plain words.
func (k *Console) fail(w http.ResponseWriter, r *http.Request, m *who, err error) {
	switch fault.KindOf(err) {
	case fault.NotFound:
		k.problem(w, r, m, http.StatusNotFound, "Not found", fault.As(err).Message+".")
	case fault.Forbidden:
		k.problem(w, r, m, http.StatusForbidden, "Not allowed", fault.As(err).Message+".")
	case fault.Unavailable:
		w.Header().Set("Retry-After", "1")
		k.problem(w, r, m, http.StatusServiceUnavailable, "Busy right now",
			"That could not be done just now. Nothing was lost: go back and try again in a moment.")
	case fault.RateLimited:
		k.problem(w, r, m, http.StatusTooManyRequests, "Too many tries", fault.As(err).Message+".")
	case fault.Internal:
		k.cfg.Log.Error("console: request failed", "path", r.URL.Path, "err", err)
		k.problem(w, r, m, http.StatusInternalServerError, "Something went wrong on our side",
			"Please try again. If it keeps happening, tell whoever runs this admit server.")
	default:
		k.problem(w, r, m, http.StatusConflict, "That did not work", fault.As(err).Message+".")
	}
}

// handler is a page for a signed-in member allowed the page's action.
type handler func(w http.ResponseWriter, r *http.Request, m *who)

// signedIn wraps a page that needs a member allowed to take action:
// signed out, it sends the browser to sign in (and back); a member whose
// role may not take the action gets 403; a form without the session's
// secret gets 403 and changes nothing.
func (k *Console) signedIn(action access.Action, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, err := k.who(r)
		if fault.Is(err, fault.Unauthorized) {
			k.forget(w)
			if r.Method != http.MethodGet {
				k.problem(w, r, nil, http.StatusUnauthorized, "Signed out",
					"Your session has ended, so nothing was changed. Sign in again, then try once more.")
				return
			}
			http.Redirect(w, r, links.SignIn()+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			k.fail(w, r, nil, err)
			return
		}
		if r.Method == http.MethodPost && !m.sessionCSRF(r.PostFormValue("csrf")) {
			k.problem(w, r, m, http.StatusForbidden, "This form has expired",
				"For your safety, nothing was changed. Go back, reload the page and try again.")
			return
		}
		if err := access.Allow(m.Actor, m.OrganizerID, action); err != nil {
			k.fail(w, r, m, err)
			return
		}
		h(w, r, m)
	}
}

func (m *who) sessionCSRF(token string) bool {
	return session.Session{CSRF: m.csrf}.CheckCSRF(token)
}

// who returns the member signed in on r. Errors: Unauthorized when
// nobody is (no cookie, an ended session, a removed member); Unavailable.
func (k *Console) who(r *http.Request) (*who, error) {
	c, err := r.Cookie(k.cookie)
	if err != nil {
		return nil, fault.New(fault.Unauthorized, "signed out")
	}
	s, err := k.cfg.Sessions.Get(r.Context(), c.Value)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.Unauthorized, "signed out")
	}
	if err != nil {
		return nil, err
	}
	mem, err := k.cfg.Read.Member(r.Context(), s.MemberID)
	// A session begun before the member's password was set again (a
	// reset), or before they were removed, is over.
	if fault.Is(err, fault.NotFound) || err == nil && (mem.JoinedAt.IsZero() || !mem.RemovedAt.IsZero() || mem.OrganizerID != s.OrganizerID ||
		s.CreatedAt.Before(mem.SessionsAfter)) {
		return nil, fault.New(fault.Unauthorized, "signed out")
	}
	if err != nil {
		return nil, err
	}
	org, err := k.cfg.Read.Organizer(r.Context(), mem.OrganizerID)
	if err != nil {
		return nil, err
	}
	all, err := k.cfg.Read.MembersByEmail(r.Context(), mem.Email)
	if err != nil {
		return nil, err
	}
	return &who{Actor: access.Actor{Kind: access.Member, ID: mem.ID, OrganizerID: mem.OrganizerID, Role: mem.Role},
		Name: mem.Name, Email: mem.Email, OrganizerName: org.Name, Elsewhere: len(all) > 1, secret: c.Value, csrf: s.CSRF}, nil
}

// pageFor is the page part of a signed-in member's view.
func pageFor(m *who, title, nav string) page {
	return page{Title: title, Who: m, CSRF: m.csrf, Nav: nav}
}

// keep sets the session cookie.
func (k *Console) keep(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: k.cookie, Value: secret, Path: "/", HttpOnly: true, Secure: k.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(session.Lifetime / time.Second)})
}

// forget removes the session cookie.
func (k *Console) forget(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: k.cookie, Value: "", Path: "/", HttpOnly: true, Secure: k.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// seconds is d rounded up to whole seconds, at least 1.
func seconds(d time.Duration) string {
	return strconv.Itoa(int(max(1, (d+time.Second-1)/time.Second)))
}
