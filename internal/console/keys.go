package console

import (
	"encoding/hex"
	"net/http"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

type keyRow struct {
	ID, Added, Retired, Fingerprint string
	Current                         bool
}

type keysPage struct {
	page
	EventID, EventName string
	Keys               []keyRow
}

// keys lists the keys that sign the event's tickets: the current one
// signs new tickets, the others still verify the tickets they signed until
// they are retired.
func (k *Console) keys(w http.ResponseWriter, r *http.Request, m *who) {
	k.keysPage(w, r, m, http.StatusOK, "", "")
}

func (k *Console) keysPage(w http.ResponseWriter, r *http.Request, m *who, status int, notice, problem string) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p := keysPage{page: pageFor(m, "Signing keys of "+v.Event.Name, "events"), EventID: v.Event.ID, EventName: v.Event.Name}
	p.Notice = notice
	if problem != "" {
		p.Errors = []field{{ID: "keys-title", Message: problem}}
	}
	cur := v.CurrentKey()
	for _, key := range v.Keys {
		row := keyRow{ID: key.ID, Added: when(key.AddedAt, v.Event.TimeZone), Fingerprint: hex.EncodeToString(key.PublicKey),
			Current: cur != nil && cur.ID == key.ID}
		if !key.RetiredAt.IsZero() {
			row.Retired = when(key.RetiredAt, v.Event.TimeZone)
		}
		p.Keys = append(p.Keys, row)
	}
	k.render(w, "keys", status, p)
}

func (k *Console) rotateKey(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	seq, err := k.cfg.RotateKey(r.Context(), m.Actor, m.OrganizerID, v.Event.ID)
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), seq)
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.keysPage(w, r, m, http.StatusOK, "A new key signs the event's tickets from now on; the older ones still verify theirs.", "")
}

func (k *Console) retireKey(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	_, err = k.cfg.Offices.Do(r.Context(), v.Event.ID, &boxoffice.RetireSigningKey{OrganizerID: m.OrganizerID,
		KeyID: r.PathValue("key_id"), Actor: m.Actor.String()}, func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if fe := fault.As(err); fe != nil && (fe.Kind == fault.Conflict || fe.Kind == fault.NotFound || fe.Kind == fault.Invalid) {
		k.keysPage(w, r, m, http.StatusUnprocessableEntity, "", fe.Message+".")
		return
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.keysPage(w, r, m, http.StatusOK, "The key is retired: tickets it signed no longer verify at the door.", "")
}
