package sqlite

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
)

// orderEntry applies an entry about the event's orders or signing keys,
// decided at at (ts formatted). It mirrors boxoffice's applyOrderEntry: an
// entry the box office would refuse to apply is an error here too, as far
// as the tables can tell (they have no holds), and the orders, tickets and
// refunds end up with the statuses the box office gives them.
func (p *projector) orderEntry(eventID string, e boxoffice.Entry, at time.Time, ts string) error {
	if err := p.orderFact(eventID, e, at, ts); err != nil {
		return err
	}
	return p.history(eventID, e, ts)
}

// history records an entry about an order (its subject "orders/<id>") in
// the order's history.
func (p *projector) history(eventID string, e boxoffice.Entry, ts string) error {
	orderID, ok := strings.CutPrefix(e.Subject(), "orders/")
	if !ok {
		return nil
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = p.exec(stInsertHistory, orderID, eventID, ts, e.Type(), boxoffice.ActorOf(e), string(data))
	return err
}

func (p *projector) orderFact(eventID string, e boxoffice.Entry, at time.Time, ts string) error {
	switch e := e.(type) {
	case *boxoffice.OrderPlaced:
		return p.orderPlaced(eventID, e, ts)
	case *boxoffice.OrderPaid:
		return p.orderPaid(eventID, e, ts)
	case *boxoffice.PaymentRejected:
		if err := p.insertPayment(e.OrderID, &e.Payment); err != nil {
			return err
		}
		if err := p.insertRefund(e.OrderID, e.Refund, at); err != nil {
			return err
		}
		return p.execOne("order "+e.OrderID, stRecountOrder, ts, e.OrderID, eventID)
	case *boxoffice.PaymentStarted:
		return p.execOne("order "+e.OrderID, stStartPayment, e.PaymentIntentID, ts, e.OrderID, eventID)
	case *boxoffice.OrderExpired:
		return p.execOne("order "+e.OrderID+" awaiting payment on hold "+e.HoldID, stExpireOrder,
			ts, boxoffice.ReasonNotPaid, ts, e.OrderID, eventID, e.HoldID)
	case *boxoffice.OrderCancelled:
		return p.orderCancelled(eventID, e, at, ts)
	case *boxoffice.OrderRefunded:
		return p.orderRefunded(eventID, e, at, ts)
	case *boxoffice.RefundSettled:
		status := boxoffice.RefundSucceeded
		if e.Failed {
			status = boxoffice.RefundFailed
		}
		if err := p.execOne("pending refund "+e.RefundID+" of order "+e.OrderID, stSettleRefund,
			string(status), e.ProviderRef, e.Message, ts, e.OrderID, e.RefundID); err != nil {
			return err
		}
		return p.execOne("order "+e.OrderID, stRecountOrder, ts, e.OrderID, eventID)
	case *boxoffice.TicketsResent:
		return nil // the order is unchanged; its history has it
	case *boxoffice.SigningKeyAdded:
		_, err := p.exec(stInsertKey, eventID, e.KeyID, base64.StdEncoding.EncodeToString(e.PublicKey), ts)
		return err
	case *boxoffice.SigningKeyRetired:
		return p.execOne("signing key "+e.KeyID+" not retired", stRetireKey, ts, eventID, e.KeyID)
	case *boxoffice.CheckinListCreated, *boxoffice.CheckinListUpdated, *boxoffice.DoorDeviceAdded,
		*boxoffice.DoorDeviceRevoked, *boxoffice.TicketScanned, *boxoffice.ScanAnnulled:
		// The doors are read from the event's box office (counts, conflicts,
		// a ticket's scans): the read model keeps no tables of them yet.
		return nil
	}
	return fmt.Errorf("no projection for entry %T", e)
}

// orderPlaced records the order awaiting payment, naming its hold.
func (p *projector) orderPlaced(eventID string, e *boxoffice.OrderPlaced, ts string) error {
	qty := 0
	for _, l := range e.Lines {
		qty += l.Quantity
	}
	attendees, err := jsonArray(e.Attendees)
	if err != nil {
		return err
	}
	lines, err := jsonArray(e.Lines)
	if err != nil {
		return err
	}
	payBy := p.formatTime(e.PayBy)
	_, err = p.exec(stInsertOrder, e.OrderID, eventID, e.HoldID, e.Token, e.Provider, e.Buyer.Name, e.Buyer.Email,
		attendees, lines, e.Total.Amount, e.Total.Currency, qty, ts, payBy, ts)
	return err
}

// orderPaid marks the order paid, records the payment and issues the
// tickets.
func (p *projector) orderPaid(eventID string, e *boxoffice.OrderPaid, ts string) error {
	if err := p.execOne("order "+e.OrderID+" that can be paid", stPayOrder,
		ts, ts, e.OrderID, eventID, sqlBool(e.Retaken)); err != nil {
		return err
	}
	if err := p.insertPayment(e.OrderID, &e.Payment); err != nil {
		return err
	}
	for i := range e.Tickets {
		t := &e.Tickets[i]
		if _, err := p.exec(stInsertTicket, t.TicketID, e.OrderID, i, eventID, t.TicketTypeID, t.Attendee,
			t.Price.Amount, t.Price.Currency, ts); err != nil {
			return fmt.Errorf("ticket %s: %w", t.TicketID, err)
		}
	}
	return nil
}

// orderCancelled voids an order awaiting payment or a paid one (its
// tickets revoked, its refund owed).
func (p *projector) orderCancelled(eventID string, e *boxoffice.OrderCancelled, at time.Time, ts string) error {
	status, err := p.orderStatus(eventID, e.OrderID)
	if err != nil {
		return err
	}
	if status != boxoffice.StatusPendingPayment && status != boxoffice.StatusPaid {
		return fmt.Errorf("order %s is %s and cannot be cancelled", e.OrderID, status)
	}
	if err := p.revoke(eventID, e.Revoked, ts); err != nil {
		return err
	}
	if e.Refund != nil {
		if err := p.insertRefund(e.OrderID, *e.Refund, at); err != nil {
			return err
		}
	}
	return p.execOne("order "+e.OrderID, stCancelOrder, ts, e.Reason, ts, e.OrderID, eventID)
}

// orderRefunded revokes refunded tickets of a paid order and records the
// refund; the order is refunded once none of its tickets is valid.
func (p *projector) orderRefunded(eventID string, e *boxoffice.OrderRefunded, at time.Time, ts string) error {
	status, err := p.orderStatus(eventID, e.OrderID)
	if err != nil {
		return err
	}
	if status != boxoffice.StatusPaid {
		return fmt.Errorf("order %s is %s and cannot be refunded", e.OrderID, status)
	}
	if err := p.revoke(eventID, e.Refund.TicketIDs, ts); err != nil {
		return err
	}
	if err := p.insertRefund(e.OrderID, e.Refund, at); err != nil {
		return err
	}
	if err := p.execOne("order "+e.OrderID, stRecountOrder, ts, e.OrderID, eventID); err != nil {
		return err
	}
	_, err = p.exec(stMarkRefunded, ts, e.Refund.Reason, e.OrderID)
	return err
}

// orderStatus returns the status of the event's order.
func (p *projector) orderStatus(eventID, orderID string) (boxoffice.OrderStatus, error) {
	st, err := p.stmt(stOrderStatus)
	if err != nil {
		return "", err
	}
	var status string
	err = st.QueryRowContext(p.ctx, orderID, eventID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("order %s: no such row", orderID)
	}
	return boxoffice.OrderStatus(status), err
}

// revoke revokes the event's tickets; each must be valid.
func (p *projector) revoke(eventID string, ticketIDs []string, ts string) error {
	for _, id := range ticketIDs {
		if err := p.execOne("valid ticket "+id, stRevokeTicket, ts, id, eventID); err != nil {
			return err
		}
	}
	return nil
}

// insertPayment records a payment as the order's next.
func (p *projector) insertPayment(orderID string, pay *boxoffice.Payment) error {
	_, err := p.exec(stInsertPayment, orderID, orderID, pay.Provider, pay.Ref, pay.Amount.Amount, pay.Amount.Currency,
		p.formatTime(pay.ReceivedAt), sqlBool(pay.Kept))
	if err != nil {
		return fmt.Errorf("payment of order %s: %w", orderID, err)
	}
	return nil
}

// insertRefund records a refund of the order, owed from at, settled as the
// box office settles it when applied (boxoffice.SettledOutside).
func (p *projector) insertRefund(orderID string, r boxoffice.Refund, at time.Time) error {
	r = boxoffice.SettledOutside(r, at)
	ids, err := jsonArray(r.TicketIDs)
	if err != nil {
		return err
	}
	_, err = p.exec(stInsertRefund, orderID, r.ID, r.Amount.Amount, r.Amount.Currency, ids, r.Reason, r.Provider,
		r.PaymentRef, string(r.Status), r.ProviderRef, r.Message, p.formatTime(r.CreatedAt), nullTime(r.SettledAt))
	if err != nil {
		return fmt.Errorf("refund %s of order %s: %w", r.ID, orderID, err)
	}
	return nil
}

// jsonArray is the JSON of v, [] when v is nil.
func jsonArray[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	js, err := json.Marshal(v)
	return string(js), err
}
