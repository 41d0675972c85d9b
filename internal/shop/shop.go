package shop

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/office"
	"github.com/admit-org/admit/internal/organizer"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Offices is what the shop needs of the box offices (*office.Manager).
type Offices interface {
	Do(ctx context.Context, eventID string, cmd boxoffice.Command, render office.Render) (office.Result, error)
	Read(ctx context.Context, eventID string, render office.Render) (any, error)
	View(ctx context.Context, eventID string) (*boxoffice.View, error)
}

var _ Offices = (*office.Manager)(nil)

// Config is what New needs.
type Config struct {
	Offices Offices
	Clock   clock.Clock
	Log     *slog.Logger
	// CardPayments reports whether card payments can be taken now for an
	// event: false when Stripe is not configured, its breaker is open or
	// the flag shop.card-payments is off for the event. Nil: never.
	// The shop offers card only with a StripePublishableKey as well: without
	// one it cannot show the buyer a way to pay.
	CardPayments func(ctx context.Context, eventID string) bool
	// PauseHolds returns the error a new hold on the event gets while its
	// holds are paused (the flag holds.paused: a Conflict with code
	// holds-paused), else nil. Nil: never paused.
	PauseHolds func(ctx context.Context, eventID string) error
	// LowStockCount reports whether the event's page says "Only N left"
	// instead of "Few left" (the flag shop.low-stock-count). Nil: never.
	LowStockCount func(ctx context.Context, eventID string) bool
	// Links is where buyers reach admit (--public-url, or http:// and the
	// listen address): the order link shown to them is under it, and a form
	// posted from its origin is never taken for a cross-site one. Links
	// never come from a request's Host header; the zero Base shows paths.
	Links links.Base
	// StripePublishableKey (pk_…) puts Stripe's Payment Element on a card
	// order's page, with the client secret the payments worker recorded in
	// the order; without it the page says how to get help.
	StripePublishableKey string
	// LimitWrite is the per-client limit on buyers' writes, which every
	// form post of the shop is: it returns how long the client must wait,
	// 0 when the post may go ahead. Nil: no limit.
	LimitWrite func(r *http.Request) time.Duration
	// ClientKey is the opaque key of a request's client that the event's
	// buyer limits count by (web.Server.ClientKey), "" when exempt. Nil:
	// every client is exempt.
	ClientKey func(r *http.Request, eventID string) string
	// Organizer returns an organizer's public profile (the read model's),
	// shown on its events' pages. Nil, or an error: the page shows none.
	Organizer func(ctx context.Context, organizerID string) (organizer.Profile, error)
	// Logo returns an organizer's logo (a PNG) and its SHA-256 in hex,
	// served at links.Logo. Nil: none is served.
	Logo func(ctx context.Context, organizerID string) ([]byte, string, error)
}

// Shop is an http.Handler; safe for concurrent use.
type Shop struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	csp   string // the Content-Security-Policy of every answer
	cross *http.CrossOriginProtection
}

// New returns the shop.
func New(c Config) *Shop {
	s := &Shop{cfg: c, mux: http.NewServeMux(), pages: parsePages(), cross: http.NewCrossOriginProtection(),
		csp: "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; " +
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"}
	if c.StripePublishableKey != "" {
		// Stripe.js and its Payment Element, as Stripe documents for a CSP.
		s.csp = "default-src 'self'; img-src 'self' data: https://*.stripe.com; " +
			"script-src 'self' https://js.stripe.com; style-src 'self'; " +
			"frame-src https://js.stripe.com https://hooks.stripe.com; connect-src 'self' https://api.stripe.com; " +
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
	}
	if o := c.Links.Origin(); o != "" {
		// Behind a proxy that rewrites Host, a browser without
		// Sec-Fetch-Site is only known to be on our site by its Origin.
		if err := s.cross.AddTrustedOrigin(o); err != nil { // links.Parse made it: not expected
			c.Log.Warn("shop: the public URL's origin is not trusted for forms", "origin", o, "err", err)
		}
	}
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /events/{event_id}", s.eventPage)
	s.mux.HandleFunc("POST /events/{event_id}/hold", s.hold)
	s.mux.HandleFunc("GET /events/{event_id}/checkout/{hold_id}", s.checkout)
	s.mux.HandleFunc("POST /events/{event_id}/checkout/{hold_id}", s.placeOrder)
	s.mux.HandleFunc("POST /events/{event_id}/checkout/{hold_id}/release", s.release)
	s.mux.HandleFunc("POST /events/{event_id}/checkout/{hold_id}/extend", s.extend)
	s.mux.HandleFunc("GET /events/{event_id}/orders/{token}", s.orderPage)
	s.mux.HandleFunc("GET /organizers/{organizer_id}/logo/{sha}", s.logo)
	assets, _ := fs.Sub(assetFS, "assets")
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "Page not found", "There is no page at this address. Check the link you followed.")
	})
	return s
}

// Patterns are the paths the shop serves, for the API's router.
var Patterns = []string{"/{$}", "/events/", "/assets/", "/organizers/"}

// logo serves an organizer's logo. Its address names the image (its
// SHA-256), so it never changes: caches keep it for a year.
func (s *Shop) logo(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Logo != nil {
		png, sha, err := s.cfg.Logo(r.Context(), r.PathValue("organizer_id"))
		if err == nil && sha == r.PathValue("sha") {
			h := w.Header()
			h.Set("Content-Type", "image/png")
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Write(png)
			return
		}
	}
	s.problem(w, r, http.StatusNotFound, "Page not found", "There is no image at this address.")
}

// Layout returns a new copy of the layout that admit's pages share, for a
// page served outside the shop (the door scanner) to compose instead of
// copying its markup: parse templates "head", "nav" (the site's
// navigation, in the header before the main content the skip link goes
// to) and "main" into it and execute "layout.html". It reads the view's Title (string), Errors (a
// slice of structs with ID and Message), Notice (string) and Script (bool:
// whether to load the shop's script). The page links the shop's
// stylesheet, /assets/shop.css, so it needs the shop served beside it.
func Layout() *template.Template {
	funcs := template.FuncMap{
		"add": func(a, b int) int { return a + b },
	}
	return template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
}

func parsePages() map[string]*template.Template {
	layout := Layout()
	pages := map[string]*template.Template{}
	for _, name := range []string{"home", "event", "checkout", "expired", "order", "problem"} {
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// ServeHTTP sets the shop's security headers, refuses cross-site form
// posts, and routes the request.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("Referrer-Policy", "no-referrer") // order links and hold ids are capabilities: never leak them
	h.Set("X-Frame-Options", "DENY")
	// Every shop route that changes something is a POST: a hold, an order,
	// a release, more time. A page on another site must not make a
	// buyer's browser post them. net/http decides as browsers tell it:
	// Sec-Fetch-Site, else Origin against Host; a request with neither (an
	// old browser, curl) is not a cross-site browser request and passes.
	if err := s.cross.Check(r); err != nil {
		s.cfg.Log.Info("shop: cross-origin post refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
			"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "err", err)
		s.problem(w, r, http.StatusForbidden, "This form came from another website",
			"For your safety, nothing was changed. To buy tickets, open the event's page on this site and try again there.")
		return
	}
	if r.Method == http.MethodPost && s.cfg.LimitWrite != nil {
		if wait := s.cfg.LimitWrite(r); wait > 0 {
			secs := strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second)))
			h.Set("Retry-After", secs)
			s.problem(w, r, http.StatusTooManyRequests, "Too many tries",
				"This address sent too many requests in a short time. Nothing was changed: wait "+secs+" seconds, then go back and try again.")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// page is what every page's view model carries.
type page struct {
	Title  string  // the <title>, before " – admit"
	Errors []field // the error summary, when the last post had mistakes
	Notice string  // a status message shown at the top, in plain words
	Script bool    // whether the page wants shop.js
	Status int     // the HTTP status to answer with
	// Lang is the language the page's amounts, dates and times are
	// written in (locale.Negotiate): its words are English, so a date is
	// marked with its own language.
	Lang string
}

// field is one mistake in a form, tied to its control by ID.
type field struct {
	ID, Message string
}

func (s *Shop) render(w http.ResponseWriter, r *http.Request, name string, status int, v any) {
	if err := WritePage(w, s.pages[name], status, v); err != nil {
		s.cfg.Log.Error("shop: render", "page", name, "err", err)
	}
}

// WritePage answers with a page made from Layout: t executed as
// "layout.html" with v, as HTML that no cache keeps, with status. A
// template that fails is answered 500 "internal error", and its error
// returned for the caller to log; nothing of the page is sent then.
func WritePage(w http.ResponseWriter, t *template.Template, status int, v any) error {
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
	return nil
}

type problemPage struct {
	page
	Heading, Text string
}

func (s *Shop) problem(w http.ResponseWriter, r *http.Request, status int, heading, text string) {
	s.render(w, r, "problem", status, problemPage{page: page{Title: heading}, Heading: heading, Text: text})
}

// fail answers an error of the box office in plain words.
func (s *Shop) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch fault.KindOf(err) {
	case fault.NotFound:
		s.problem(w, r, http.StatusNotFound, "Not found", fault.As(err).Message+". Check the link you followed.")
	case fault.Unavailable:
		w.Header().Set("Retry-After", "1")
		s.problem(w, r, http.StatusServiceUnavailable, "Busy right now",
			"We could not do that just now. Nothing was lost: go back and try again in a moment.")
	default:
		if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal {
			s.problem(w, r, http.StatusConflict, "That did not work", fe.Message+".")
			return
		}
		s.cfg.Log.Error("shop: request failed", "path", r.URL.Path, "err", err)
		s.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side",
			"Please try again. If it keeps happening, contact the organizer.")
	}
}

// clientKey is the key of r's client for the event's buyer limits.
func (s *Shop) clientKey(r *http.Request, eventID string) string {
	if s.cfg.ClientKey == nil {
		return ""
	}
	return s.cfg.ClientKey(r, eventID)
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "home", http.StatusOK, struct{ page }{page{Title: "Tickets"}})
}

// publicView returns the view of an event buyers may see.
func (s *Shop) publicView(r *http.Request) (*boxoffice.View, error) {
	evID := r.PathValue("event_id")
	if !id.ValidSharded(evID, "ev", id.Short) {
		return nil, fault.New(fault.NotFound, "There is no such event")
	}
	v, err := s.cfg.Offices.View(r.Context(), evID)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Event.Status == boxoffice.Draft {
		return nil, fault.New(fault.NotFound, "There is no such event")
	}
	return v, nil
}

// buyerLanguage is the language r's buyer reads amounts, dates and times
// in, from its Accept-Language headers.
func buyerLanguage(r *http.Request) language.Tag {
	return locale.Negotiate(strings.Join(r.Header.Values("Accept-Language"), ","))
}

// price is how a price reads to a buyer: "Free", or the amount in the
// buyer's language ("€35.00", "35,00 €").
func price(m boxoffice.Money, lang language.Tag) string {
	if m.Amount == 0 {
		return "Free"
	}
	return locale.Money(m, lang)
}

// minutes says a duration in words a buyer reads at a glance: "1 minute",
// "10 minutes", "5 hours", "3 days" (rounded up).
func minutes(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d >= 48*time.Hour:
		return plural(int((d+24*time.Hour-1)/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int((d+time.Hour-1)/time.Hour), "hour")
	}
	return plural(max(1, int((d+time.Minute-1)/time.Minute)), "minute")
}

func see(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

var errBadForm = errors.New("shop: the form could not be read")

// parseForm reads a posted form of at most 64 KiB.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: %v", errBadForm, err)
	}
	return nil
}
