package organizer

import (
	"context"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// Profile is what buyers see of an organizer on the shop's pages: its
// name, how to reach it, and its terms and privacy policy. Every field but
// Name may be "".
type Profile struct {
	Name         string `json:"name"`
	ContactEmail string `json:"contact_email,omitempty"`
	Website      string `json:"website,omitempty"`
	TermsURL     string `json:"terms_url,omitempty"`
	PrivacyURL   string `json:"privacy_url,omitempty"`
	// Logo names the organizer's logo (its SHA-256, in hex) as the read
	// model has it, "" for none; it is not part of the profile's entry
	// (LogoSet sets it).
	Logo string `json:"-"`
}

// ProfileUpdated: the organizer's public profile is now this, whole.
type ProfileUpdated struct {
	OrganizerID string `json:"organizer_id"`
	Profile
	Actor string `json:"actor"`
}

func (*ProfileUpdated) Type() string    { return "admit.organizer.profile_updated.v1" }
func (*ProfileUpdated) Subject() string { return "organizer" }

func init() {
	entryTypes["admit.organizer.profile_updated.v1"] = func() boxoffice.Entry { return new(ProfileUpdated) }
}

// Check reports what is wrong with the profile, by field ("/name",
// "/contact_email", "/website", "/terms_url", "/privacy_url"). Errors:
// Invalid.
func (p Profile) Check() error {
	var fs []fault.FieldError
	if n := utf8.RuneCountInString(p.Name); n < 1 || n > 200 || strings.TrimSpace(p.Name) != p.Name || strings.ContainsAny(p.Name, "\r\n") {
		fs = append(fs, fault.FieldError{Field: "/name", Message: "must be 1 to 200 characters on one line"})
	}
	if p.ContactEmail != "" {
		if _, err := NormalizeEmail(p.ContactEmail); err != nil {
			fs = append(fs, fault.FieldError{Field: "/contact_email", Message: "must be an e-mail address such as tickets@example.com"})
		}
	}
	for _, u := range []struct{ field, v string }{{"/website", p.Website}, {"/terms_url", p.TermsURL}, {"/privacy_url", p.PrivacyURL}} {
		if u.v != "" && !webURL(u.v) {
			fs = append(fs, fault.FieldError{Field: u.field, Message: "must be a web address starting https:// (or http://), at most 500 characters"})
		}
	}
	if len(fs) > 0 {
		return fault.Fields(fs...)
	}
	return nil
}

// webURL reports whether s is an absolute http(s) URL with a host, safe
// to put in a page's link.
func webURL(s string) bool {
	if len(s) > 500 || strings.ContainsAny(s, " \t\r\n\"'<>") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// UpdateProfile records the organizer's public profile, whole, made by
// actor, and returns the sequence. Errors: Invalid; Forbidden when actor may
// not change the profile; NotFound.
func (d *Desk) UpdateProfile(ctx context.Context, actor access.Actor, organizerID string, p Profile) (uint64, error) {
	if err := access.Allow(actor, organizerID, access.ManageProfile); err != nil {
		return 0, err
	}
	if p.ContactEmail != "" {
		if e, err := NormalizeEmail(p.ContactEmail); err == nil {
			p.ContactEmail = e
		}
	}
	if err := p.Check(); err != nil {
		return 0, err
	}
	return d.change(ctx, organizerID, func(deskState) ([]boxoffice.Entry, uint64, error) {
		return []boxoffice.Entry{&ProfileUpdated{OrganizerID: organizerID, Profile: p, Actor: actor.String()}}, 0, nil
	})
}

// LogoSet: the organizer's logo is now this PNG (at most logo.MaxBytes,
// made by logo.Normalize), or none when PNG is empty.
type LogoSet struct {
	OrganizerID string `json:"organizer_id"`
	PNG         []byte `json:"png,omitempty"`    // base64 in the entry's JSON
	SHA256      string `json:"sha256,omitempty"` // hex of the PNG's SHA-256: its name in links
	Actor       string `json:"actor"`
}

func (*LogoSet) Type() string    { return "admit.organizer.logo_set.v1" }
func (*LogoSet) Subject() string { return "organizer" }

func init() {
	entryTypes["admit.organizer.logo_set.v1"] = func() boxoffice.Entry { return new(LogoSet) }
}

// MaxLogo is the most bytes a logo's PNG may have in the ledger.
const MaxLogo = 96 << 10

// SetLogo records the organizer's logo (a PNG made by logo.Normalize), or
// removes it when png is empty. Errors: Forbidden; Invalid (too large);
// NotFound.
func (d *Desk) SetLogo(ctx context.Context, actor access.Actor, organizerID string, png []byte) (uint64, error) {
	if err := access.Allow(actor, organizerID, access.ManageProfile); err != nil {
		return 0, err
	}
	if len(png) > MaxLogo {
		return 0, fault.Fields(fault.FieldError{Field: "/logo", Message: "must be at most 96 KiB"})
	}
	e := &LogoSet{OrganizerID: organizerID, Actor: actor.String()}
	if len(png) > 0 {
		e.PNG, e.SHA256 = png, HashToken(string(png))
	}
	return d.change(ctx, organizerID, func(deskState) ([]boxoffice.Entry, uint64, error) {
		return []boxoffice.Entry{e}, 0, nil
	})
}
