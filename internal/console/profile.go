package console

import (
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/organizer"
)

type profilePage struct {
	page
	organizer.Profile
	Fields map[string]string // field id → its mistake
}

// profile is the form of the organizer's public profile, as the shop shows
// it on the organizer's events' pages.
func (k *Console) profile(w http.ResponseWriter, r *http.Request, m *who) {
	p, err := k.cfg.Read.Profile(r.Context(), m.OrganizerID)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.render(w, "profile", http.StatusOK, profilePage{page: pageFor(m, "Public profile", "profile"), Profile: p})
}

func (k *Console) saveProfile(w http.ResponseWriter, r *http.Request, m *who) {
	v := profilePage{page: pageFor(m, "Public profile", "profile"), Fields: map[string]string{}}
	v.Profile = organizer.Profile{Name: strings.TrimSpace(r.PostFormValue("name")),
		ContactEmail: strings.TrimSpace(r.PostFormValue("contact_email")), Website: strings.TrimSpace(r.PostFormValue("website")),
		TermsURL: strings.TrimSpace(r.PostFormValue("terms_url")), PrivacyURL: strings.TrimSpace(r.PostFormValue("privacy_url"))}
	seq, err := k.cfg.Desk.UpdateProfile(r.Context(), m.Actor, m.OrganizerID, v.Profile)
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), seq)
	}
	if fieldMistakes(err, v.Fields, nil) {
		v.Errors = summary(v.Fields, []string{"name", "contact_email", "website", "terms_url", "privacy_url"})
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
