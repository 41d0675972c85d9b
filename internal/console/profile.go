package console

import (
	"io"
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/logo"
	"github.com/admit-org/admit/internal/organizer"
)

type profilePage struct {
	page
	organizer.Profile
	LogoURL string            // the logo as the shop shows it; "" for none
	Fields  map[string]string // field id → its mistake
}

// profile is the form of the organizer's public profile, as the shop shows
// it on the organizer's events' pages.
func (k *Console) profile(w http.ResponseWriter, r *http.Request, m *who) {
	p, err := k.cfg.Read.Profile(r.Context(), m.OrganizerID)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "profile", http.StatusOK, k.profileView(m, p))
}

func (k *Console) profileView(m *who, p organizer.Profile) profilePage {
	v := profilePage{page: pageFor(m, "Public profile", "profile"), Profile: p, Fields: map[string]string{}}
	if p.Logo != "" {
		v.LogoURL = links.Logo(m.OrganizerID, p.Logo)
	}
	return v
}

// saveLogo changes the logo as the form asks: a new file, made to fit
// (logo.Normalize), or none. It returns the sequence, 0 when the form asks
// nothing of the logo.
func (k *Console) saveLogo(r *http.Request, m *who, fields map[string]string) (uint64, error) {
	if r.PostFormValue("remove_logo") != "" {
		return k.cfg.Desk.SetLogo(r.Context(), m.Actor, m.OrganizerID, nil)
	}
	f, _, err := r.FormFile("logo")
	if err != nil {
		return 0, nil // no file chosen
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUpload))
	if err != nil {
		return 0, err
	}
	png, err := logo.Normalize(data)
	if fault.Is(err, fault.Invalid) {
		fields["logo"] = "Choose a PNG, JPEG or GIF image: " + fault.As(err).Message + "."
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return k.cfg.Desk.SetLogo(r.Context(), m.Actor, m.OrganizerID, png)
}

func (k *Console) saveProfile(w http.ResponseWriter, r *http.Request, m *who) {
	cur, err := k.cfg.Read.Profile(r.Context(), m.OrganizerID)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	v := k.profileView(m, cur)
	v.Profile = organizer.Profile{Logo: cur.Logo, Name: strings.TrimSpace(r.PostFormValue("name")),
		ContactEmail: strings.TrimSpace(r.PostFormValue("contact_email")), Website: strings.TrimSpace(r.PostFormValue("website")),
		TermsURL: strings.TrimSpace(r.PostFormValue("terms_url")), PrivacyURL: strings.TrimSpace(r.PostFormValue("privacy_url"))}
	logoSeq, err := k.saveLogo(r, m, v.Fields)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	if len(v.Fields) > 0 {
		v.Errors = summary(v.Fields, []string{"name", "contact_email", "website", "terms_url", "privacy_url", "logo"})
		k.render(w, "profile", http.StatusUnprocessableEntity, v)
		return
	}
	seq, err := k.cfg.Desk.UpdateProfile(r.Context(), m.Actor, m.OrganizerID, v.Profile)
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), max(seq, logoSeq))
	}
	if err == nil {
		if now, perr := k.cfg.Read.Profile(r.Context(), m.OrganizerID); perr == nil {
			v = k.profileView(m, now)
		}
	}
	if fieldMistakes(err, v.Fields, nil) {
		v.Errors = summary(v.Fields, []string{"name", "contact_email", "website", "terms_url", "privacy_url", "logo"})
		k.render(w, "profile", http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	v.Notice = "Saved: the shop shows it on your events' pages."
	k.render(w, "profile", http.StatusOK, v)
}
