package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/locale"
	"github.com/admit-org/admit/internal/sqlite"
)

var orderStatusLabels = map[string]string{
	string(boxoffice.StatusPendingPayment): "Awaiting payment", string(boxoffice.StatusPaid): "Paid",
	string(boxoffice.StatusExpired): "Expired", string(boxoffice.StatusCancelled): "Cancelled",
	string(boxoffice.StatusRefunded): "Refunded",
}

type orderRow struct {
	Link, ID, Buyer, Email, Status, Total, Placed string
	Tickets                                       int
}

type statusOption struct {
	Value, Label string
	Selected     bool
}

type ordersPage struct {
	page
	EventID, EventName string
	Query              string
	Filtered           bool // a search or a status chose the orders
	Statuses           []statusOption
	Orders             []orderRow
	More               string
	CanExport          bool
}

// eventOf is the event of the path, if it is the member's organizer's.
// Errors: NotFound.
func (k *Console) eventOf(r *http.Request, m *who) (*boxoffice.View, error) {
	evID := r.PathValue("event_id")
	notFound := fault.New(fault.NotFound, "There is no such event in %s", m.OrganizerName)
	if !id.ValidSharded(evID, "ev", id.Short) {
		return nil, notFound
	}
	v, err := k.cfg.Offices.View(r.Context(), evID)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Event.OrganizerID != m.OrganizerID {
		return nil, notFound
	}
	return v, nil
}

func (k *Console) orders(w http.ResponseWriter, r *http.Request, m *who) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if _, ok := orderStatusLabels[status]; !ok {
		status = ""
	}
	f := sqlite.OrderFilter{EventID: v.Event.ID, Status: status, Query: strings.TrimSpace(q.Get("q")), Limit: 50, Cursor: q.Get("after")}
	rows, next, err := k.cfg.Read.ListOrders(r.Context(), f)
	if fault.Is(err, fault.Invalid) { // a cursor from elsewhere: the first page
		f.Cursor = ""
		rows, next, err = k.cfg.Read.ListOrders(r.Context(), f)
	}
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	p := ordersPage{page: pageFor(m, "Orders of "+v.Event.Name, "events"), EventID: v.Event.ID, EventName: v.Event.Name,
		Query: f.Query, Filtered: f.Query != "" || status != "", CanExport: access.Allow(m.Actor, m.OrganizerID, access.ExportOrders) == nil}
	p.Statuses = append(p.Statuses, statusOption{Value: "", Label: "Any status", Selected: status == ""})
	for _, s := range []boxoffice.OrderStatus{boxoffice.StatusPendingPayment, boxoffice.StatusPaid, boxoffice.StatusRefunded,
		boxoffice.StatusCancelled, boxoffice.StatusExpired} {
		p.Statuses = append(p.Statuses, statusOption{Value: string(s), Label: orderStatusLabels[string(s)], Selected: status == string(s)})
	}
	for _, o := range rows {
		p.Orders = append(p.Orders, orderRow{Link: links.ConsoleEvent(v.Event.ID) + "/orders/" + o.ID, ID: o.ID,
			Buyer: o.BuyerName, Email: o.BuyerEmail, Status: orderStatusLabels[o.Status], Tickets: o.Quantity,
			Total:  locale.Money(boxoffice.Money{Amount: o.TotalAmount, Currency: o.Currency}, english),
			Placed: when(o.CreatedAt, v.Event.TimeZone)})
	}
	if next != "" {
		u := url.Values{"after": {next}, "q": {f.Query}, "status": {status}}
		p.More = links.ConsoleEvent(v.Event.ID) + "/orders?" + u.Encode()
	}
	k.render(w, "orders", http.StatusOK, p)
}

type ticketLine struct {
	ID, Type, Attendee, Price, Status string
	Valid                             bool
}

type step struct {
	When, What, Who string
}

type orderPage struct {
	page
	EventID, EventName, ID                       string
	Buyer, Email, Status, Total, Refunded        string
	Placed, PayBy, Paid, Provider, Reason        string
	Lines                                        []orderLine
	Tickets                                      []ticketLine
	Timeline                                     []step
	CanMarkPaid, CanCancel, CanRefund, CanResend bool
	Problem                                      string
}

type orderLine struct {
	Name, Amount string
	Quantity     int
}

// localeMoney is an amount as the console writes it.
func localeMoney(m boxoffice.Money) string { return locale.Money(m, english) }

var ticketStatusLabels = map[boxoffice.TicketStatus]string{boxoffice.TicketValid: "Valid", boxoffice.TicketRevoked: "Revoked"}

var providerLabels = map[string]string{boxoffice.ProviderStripe: "card (Stripe)", boxoffice.ProviderManual: "bank transfer or at the door",
	boxoffice.ProviderFree: "free"}

// orderDetail is an order and its tickets as the box office has them now.
type orderDetail struct {
	order   boxoffice.Order
	tickets []boxoffice.Ticket
	types   map[string]string // ticket type id → name
}

func (k *Console) order(w http.ResponseWriter, r *http.Request, m *who) {
	k.orderPage(w, r, m, http.StatusOK, "", "")
}

func (k *Console) orderPage(w http.ResponseWriter, r *http.Request, m *who, status int, notice, problem string) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	oid := r.PathValue("order_id")
	got, err := k.cfg.Offices.Read(r.Context(), v.Event.ID, func(s *boxoffice.State, _ boxoffice.Decision) any {
		o := s.Order(oid)
		if o == nil {
			return nil
		}
		d := orderDetail{order: *o, types: map[string]string{}}
		for _, tid := range o.TicketIDs {
			if t := s.Ticket(tid); t != nil {
				d.tickets = append(d.tickets, *t)
			}
		}
		for _, tt := range s.TicketTypes {
			d.types[tt.ID] = tt.Name
		}
		return d
	})
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	d, ok := got.(orderDetail)
	if !ok {
		k.fail(w, r, m, fault.New(fault.NotFound, "There is no such order in %s", v.Event.Name))
		return
	}
	o, tz := d.order, v.Event.TimeZone
	money := func(a int64) string {
		return locale.Money(boxoffice.Money{Amount: a, Currency: o.Total.Currency}, english)
	}
	p := orderPage{page: pageFor(m, "Order of "+o.Buyer.Name, "events"), EventID: v.Event.ID, EventName: v.Event.Name, ID: o.ID,
		Buyer: o.Buyer.Name, Email: o.Buyer.Email, Status: orderStatusLabels[string(o.Status)], Total: money(o.Total.Amount),
		Placed: when(o.CreatedAt, tz), Provider: providerLabels[o.Provider], Reason: o.Reason, Problem: problem}
	p.Notice = notice
	if problem != "" {
		p.Errors = []field{{ID: "order-problem", Message: problem}}
	}
	if n := o.Refunded(); n > 0 {
		p.Refunded = money(n)
	}
	if o.Status == boxoffice.StatusPendingPayment {
		p.PayBy = when(o.PayBy, tz)
	}
	if !o.PaidAt.IsZero() {
		p.Paid = when(o.PaidAt, tz)
	}
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, orderLine{Name: l.Name, Quantity: l.Quantity, Amount: money(l.Amount.Amount)})
	}
	for _, t := range d.tickets {
		p.Tickets = append(p.Tickets, ticketLine{ID: t.ID, Type: d.types[t.TicketTypeID], Attendee: t.Attendee,
			Price: money(t.Price.Amount), Status: ticketStatusLabels[t.Status], Valid: t.Status == boxoffice.TicketValid})
	}
	manage := access.Allow(m.Actor, m.OrganizerID, access.ManageOrders) == nil
	p.CanMarkPaid = manage && o.Status == boxoffice.StatusPendingPayment && o.Provider == boxoffice.ProviderManual
	p.CanCancel = manage && (o.Status == boxoffice.StatusPendingPayment || o.Status == boxoffice.StatusPaid)
	p.CanRefund = manage && o.Status == boxoffice.StatusPaid && o.Total.Amount > 0
	p.CanResend = manage && o.Status == boxoffice.StatusPaid
	history, err := k.cfg.Read.OrderHistory(r.Context(), v.Event.ID, o.ID)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	for _, h := range history {
		p.Timeline = append(p.Timeline, step{When: when(h.At, tz), What: k.what(h, money), Who: k.whoDid(r, h)})
	}
	k.render(w, "order", status, p)
}

// what says what an entry of an order's history did, in words.
func (k *Console) what(h sqlite.HistoryRow, money func(int64) string) string {
	var d struct {
		Reason  string             `json:"reason"`
		Payment *boxoffice.Payment `json:"payment"`
		Refund  *boxoffice.Refund  `json:"refund"`
		Failed  bool               `json:"failed"`
		Message string             `json:"message"`
		Total   *boxoffice.Money   `json:"total"`
		Retaken bool               `json:"retaken"`
	}
	json.Unmarshal(h.Data, &d) // what does not parse reads as its type
	switch h.Type {
	case "admit.order.placed.v1":
		if d.Total != nil {
			return "Order placed, " + money(d.Total.Amount)
		}
		return "Order placed"
	case "admit.order.payment_started.v1":
		return "Card payment started"
	case "admit.order.paid.v1":
		s := "Paid"
		if d.Payment != nil {
			s += " " + money(d.Payment.Amount.Amount) + " (" + providerLabels[d.Payment.Provider] + ")"
		}
		if d.Retaken {
			s += ", late: its tickets were free again"
		}
		return s + "; tickets issued"
	case "admit.order.payment_rejected.v1":
		return "A payment arrived that the order could not keep; it is refunded (" + d.Reason + ")"
	case "admit.order.expired.v1":
		return "Expired: not paid in time"
	case "admit.order.cancelled.v1":
		if d.Reason != "" {
			return "Cancelled: " + d.Reason
		}
		return "Cancelled"
	case "admit.order.refunded.v1":
		s := "Refunded"
		if d.Refund != nil {
			s += " " + money(d.Refund.Amount.Amount)
			if d.Refund.Reason != "" {
				s += ": " + d.Refund.Reason
			}
		}
		return s
	case "admit.order.tickets_resent.v1":
		return "Tickets e-mailed to the buyer again"
	case "admit.order.refund_settled.v1":
		if d.Failed {
			return "The refund failed: " + d.Message
		}
		return "The refund was paid back"
	}
	return h.Type
}

// whoDid names who caused an entry: the actor it records, else (an entry
// made before actors were recorded) who such an entry comes from.
func (k *Console) whoDid(r *http.Request, h sqlite.HistoryRow) string {
	kind, actorID, _ := strings.Cut(h.Actor, ":")
	switch access.Kind(kind) {
	case access.Member:
		if mem, err := k.cfg.Read.Member(r.Context(), actorID); err == nil {
			return mem.Name + " (" + mem.Role.Label() + ")"
		}
		return "a member"
	case access.Token:
		if t, err := k.cfg.Read.Token(r.Context(), actorID); err == nil {
			return "API token " + t.Name
		}
		return "an API token"
	case access.Device:
		return "door device " + actorID
	case access.Provider:
		if actorID == boxoffice.ProviderStripe {
			return "Stripe"
		}
		return "the payment provider " + actorID
	case access.Buyer:
		return "the buyer"
	case access.Anonymous:
		return "someone not signed in"
	case access.System:
		return "admit"
	}
	switch h.Type {
	case "admit.order.placed.v1":
		return "the buyer"
	case "admit.order.paid.v1", "admit.order.payment_rejected.v1", "admit.order.refund_settled.v1":
		return "the payment provider"
	}
	return "admit"
}

// orderCommand runs a change to the order, then shows it again.
func (k *Console) orderCommand(w http.ResponseWriter, r *http.Request, m *who, cmd boxoffice.Command, notice string) {
	v, err := k.eventOf(r, m)
	if err != nil {
		k.fail(w, r, m, err)
		return
	}
	res, err := k.cfg.Offices.Do(r.Context(), v.Event.ID, cmd, func(*boxoffice.State, boxoffice.Decision) any { return nil })
	if err == nil {
		err = k.cfg.Read.WaitFor(r.Context(), res.Seq)
	}
	if err != nil {
		if fe := fault.As(err); fe != nil && (fe.Kind == fault.Invalid || fe.Kind == fault.Conflict || fe.Kind == fault.NotFound) {
			k.orderPage(w, r, m, http.StatusUnprocessableEntity, "", fe.Message+".")
			return
		}
		k.fail(w, r, m, err)
		return
	}
	k.orderPage(w, r, m, http.StatusOK, notice, "")
}

func (k *Console) markPaid(w http.ResponseWriter, r *http.Request, m *who) {
	k.orderCommand(w, r, m, &boxoffice.RecordPayment{OrderID: r.PathValue("order_id"), OrganizerID: m.OrganizerID,
		Provider: boxoffice.ProviderManual, RefundID: id.New("rf", id.Short), Actor: m.Actor.String()},
		"Marked paid: the tickets are issued and e-mailed to the buyer.")
}

func (k *Console) resendTickets(w http.ResponseWriter, r *http.Request, m *who) {
	k.orderCommand(w, r, m, &boxoffice.ResendTickets{OrganizerID: m.OrganizerID, OrderID: r.PathValue("order_id"),
		Actor: m.Actor.String()}, "The tickets are on their way to the buyer again.")
}

func (k *Console) cancelOrder(w http.ResponseWriter, r *http.Request, m *who) {
	if r.PostFormValue("confirm") == "" {
		k.orderPage(w, r, m, http.StatusUnprocessableEntity, "", "Tick \"Yes, cancel the order\" to cancel it: it cannot be undone.")
		return
	}
	k.orderCommand(w, r, m, &boxoffice.CancelOrder{OrganizerID: m.OrganizerID, OrderID: r.PathValue("order_id"),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), RefundID: id.New("rf", id.Short), Actor: m.Actor.String()},
		"Cancelled; what was paid is refunded.")
}

func (k *Console) refundOrder(w http.ResponseWriter, r *http.Request, m *who) {
	if err := r.ParseForm(); err != nil {
		k.fail(w, r, m, fault.New(fault.Invalid, "the form could not be read"))
		return
	}
	tickets := r.PostForm["ticket"]
	if len(tickets) == 0 {
		k.orderPage(w, r, m, http.StatusUnprocessableEntity, "", "Choose the tickets to refund.")
		return
	}
	if r.PostFormValue("confirm") == "" {
		k.orderPage(w, r, m, http.StatusUnprocessableEntity, "", "Tick \"Yes\" under the reason to refund: it cannot be undone.")
		return
	}
	k.orderCommand(w, r, m, &boxoffice.RefundOrder{OrganizerID: m.OrganizerID, OrderID: r.PathValue("order_id"),
		TicketIDs: tickets, Reason: strings.TrimSpace(r.PostFormValue("refund-reason")), RefundID: id.New("rf", id.Short),
		Actor: m.Actor.String()}, "Refunded: the tickets no longer admit anyone.")
}

// export streams an event's export, the API's CSV files.
func (k *Console) export(what string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *who) {
		if _, err := k.eventOf(r, m); err != nil {
			k.fail(w, r, m, err)
			return
		}
		k.cfg.Export(w, r, m.OrganizerID, what)
	}
}
