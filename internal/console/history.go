package console

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/sqlite"
)

type historyPage struct {
	page
	EventID, EventName string
	Steps              []step
}

// history is an event's settings' history from the ledger: every change to
// its details, status, ticket types, quotas, keys and doors, with who made
// it.
func (k *Console) history(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	rows, err := k.cfg.Read.EventHistory(r.Context(), v.Event.ID)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p := historyPage{page: pageFor(m, "History of "+v.Event.Name, "events"), EventID: v.Event.ID, EventName: v.Event.Name}
	for _, h := range rows {
		p.Steps = append(p.Steps, step{When: when(h.At, v.Event.TimeZone), What: settingWhat(h), Who: k.whoDid(r, h)})
	}
	k.render(w, "history", http.StatusOK, p)
}

// settingWhat says what a change to an event's settings did, in words.
func settingWhat(h sqlite.HistoryRow) string {
	var d struct {
		Name     string           `json:"name"`
		Status   string           `json:"status"`
		Capacity int              `json:"capacity"`
		Price    *boxoffice.Money `json:"price"`
		KeyID    string           `json:"key_id"`
	}
	json.Unmarshal(h.Data, &d) // what does not parse reads as its type
	switch h.Type {
	case "admit.event.created.v1":
		return "Event created: " + d.Name
	case "admit.event.updated.v1":
		return "Details changed"
	case "admit.event.status_changed.v1":
		return "Status: " + statusLabels[d.Status]
	case "admit.ticket_type.created.v1":
		s := "Ticket type " + d.Name + " added"
		if d.Price != nil {
			s += ", " + localeMoney(*d.Price)
		}
		return s
	case "admit.ticket_type.updated.v1":
		return "Ticket type " + d.Name + " changed"
	case "admit.quota.created.v1":
		return "Quota " + d.Name + " added, capacity " + strconv.Itoa(d.Capacity)
	case "admit.quota.updated.v1":
		return "Quota " + d.Name + " changed, capacity " + strconv.Itoa(d.Capacity)
	case "admit.signing_key.added.v1":
		return "Ticket signing key " + d.KeyID + " added"
	case "admit.signing_key.retired.v1":
		return "Ticket signing key " + d.KeyID + " retired"
	case "admit.checkin.list_created.v1":
		return "Check-in list " + d.Name + " added"
	case "admit.checkin.list_updated.v1":
		return "Check-in list " + d.Name + " changed"
	case "admit.checkin.device_added.v1":
		return "Door device " + d.Name + " added"
	case "admit.checkin.device_revoked.v1":
		return "A door device revoked"
	}
	return h.Type
}
