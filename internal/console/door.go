package console

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/qr"
)

type listRow struct {
	Name                        string
	In, Out, Admitted, Expected int
	Percent                     int
}

type deviceRow struct {
	ID, Name, Created string
	Revoked           bool
}

type doorPage struct {
	page
	EventID, EventName string
	Lists              []listRow
	Devices            []deviceRow
	Manage             bool
	// The device just made: its setup link and QR code, shown once.
	SetupURL, SetupName string
	SetupQR             template.HTML
}

// doorState is what the door page reads of the box office.
type doorState struct {
	lists   []listRow
	devices []deviceRow
}

// door is an event's doors: who is in per check-in list, and its devices.
func (k *Console) door(w http.ResponseWriter, r *http.Request, m *who) {
	k.doorPage(w, r, m, http.StatusOK, doorPage{})
}

func (k *Console) doorPage(w http.ResponseWriter, r *http.Request, m *who, status int, p doorPage) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	tz := v.Event.TimeZone
	got, err := k.cfg.Offices.Read(r.Context(), v.Event.ID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		var d doorState
		for _, l := range s.CheckinLists() {
			c := s.Checkins().Count(l.ID)
			row := listRow{Name: l.Name, In: c.In, Out: c.Out, Admitted: c.Admitted, Expected: s.Expected(l)}
			if row.Expected > 0 {
				row.Percent = min(100, row.Admitted*100/row.Expected)
			}
			d.lists = append(d.lists, row)
		}
		for _, dev := range s.DoorDevices() {
			d.devices = append(d.devices, deviceRow{ID: dev.ID, Name: dev.Name, Created: when(dev.CreatedAt, tz), Revoked: !dev.RevokedAt.IsZero()})
		}
		return d
	})
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	d, _ := got.(doorState)
	p.page = pageFor(m, "The door of "+v.Event.Name, "events")
	p.EventID, p.EventName, p.Lists, p.Devices = v.Event.ID, v.Event.Name, d.lists, d.devices
	p.Manage = access.Allow(m.Actor, m.OrganizerID, access.ManageDoor) == nil
	if p.SetupURL != "" {
		p.Notice = "Door device " + p.SetupName + " added. Scan its code with the phone, or open the link on it; it is shown only now."
	}
	k.render(w, "door", status, p)
}

// addDevice makes a door device and shows, once, the link and QR code
// that set a phone up as it.
func (k *Console) addDevice(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("device-name"))
	token := id.Token(boxoffice.DoorTokenPrefix)
	_, err = k.cfg.Offices.Do(r.Context(), v.Event.ID, &boxoffice.AddDoorDevice{OrganizerID: m.OrganizerID, Actor: m.Actor.String(),
		DeviceID: id.New("dd", id.Short), Name: name, TokenHash: organizer.HashToken(token)},
		func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		k.doorPage(w, r, m, http.StatusUnprocessableEntity, doorPage{page: page{Errors: []field{{ID: "device-name", Message: "Enter a name for the device, such as Gate A."}}}})
		return
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	setup := k.cfg.Links.URL(links.DoorSetup(v.Event.ID, token))
	svg, err := qr.SVG(setup, "Set up door device "+name)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.doorPage(w, r, m, http.StatusCreated, doorPage{SetupURL: setup, SetupName: name, SetupQR: template.HTML(svg)})
}

func (k *Console) revokeDevice(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	_, err = k.cfg.Offices.Do(r.Context(), v.Event.ID, &boxoffice.RevokeDoorDevice{OrganizerID: m.OrganizerID, Actor: m.Actor.String(),
		DeviceID: r.PathValue("device_id")}, func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	k.doorPage(w, r, m, http.StatusOK, doorPage{page: page{Notice: "The device can no longer scan."}})
}
