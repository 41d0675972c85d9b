package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
)

// OrderRow is an order as the read model lists it. PaidAt and EndedAt are
// zero when not set; PaymentIntentID and Reason are "" when not set.
// RefundedAmount is the sum of the order's refunds that did not fail
// (boxoffice.Order.Refunded), in Currency.
type OrderRow struct {
	ID, EventID, HoldID, Status, Provider, BuyerName, BuyerEmail, Currency, PaymentIntentID, Reason string
	TotalAmount, RefundedAmount                                                                     int64
	Quantity                                                                                        int
	CreatedAt, PayBy, UpdatedAt                                                                     time.Time
	PaidAt, EndedAt                                                                                 time.Time // zero when not set
}

// OrderFilter selects a page of an event's orders.
type OrderFilter struct {
	EventID string // required
	Status  string // "" any; else one of the boxoffice.OrderStatus values
	// Query is "" for any order, else a substring of the buyer's name or
	// e-mail. It ignores the case of the letters A to Z only (SQLite's LIKE):
	// "zoë" finds "Zoë", but "ZOË" does not. % and _ are plain characters.
	Query  string
	Limit  int    // 1..MaxOrderListLimit
	Cursor string // from a previous page's next; "" first page
}

// MaxOrderListLimit is the most orders ListOrders returns per page.
const MaxOrderListLimit = 100

const orderColumns = `id, event_id, hold_id, status, provider, buyer_name, buyer_email, currency, payment_intent_id,
	reason, total_amount, refunded_amount, quantity, created_at, pay_by, updated_at, paid_at, ended_at`

// ListOrders lists an event's orders newest first (by creation time, then
// id, both descending), only those with f.Status unless it is "" and those
// whose buyer matches f.Query unless it is "", at most f.Limit per page.
// next is "" on the last page, else the cursor of the next page; a cursor
// stays valid while orders are placed (they sort before it) and changes of
// status only move orders in or out of a status filter. A search walks
// the event's orders until the page is full (there is no substring
// index): expect it to cost a scan of the event's orders. Errors: Invalid
// (field "event_id", "status", "limit" or "cursor"). Safe for concurrent
// use.
func (db *DB) ListOrders(ctx context.Context, f OrderFilter) (rows []OrderRow, next string, err error) {
	var bad []fault.FieldError
	if f.EventID == "" {
		bad = append(bad, fault.FieldError{Field: "event_id", Message: "is required"})
	}
	switch boxoffice.OrderStatus(f.Status) {
	case "", boxoffice.StatusPendingPayment, boxoffice.StatusPaid, boxoffice.StatusExpired, boxoffice.StatusCancelled,
		boxoffice.StatusRefunded:
	default:
		bad = append(bad, fault.FieldError{Field: "status",
			Message: "must be one of pending_payment, paid, expired, cancelled, refunded"})
	}
	if f.Limit < 1 || f.Limit > MaxOrderListLimit {
		bad = append(bad, fault.FieldError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxOrderListLimit)})
	}
	var after *pageCursor
	if f.Cursor != "" {
		c, ok := decodeCursor(orderCursorKind, f.Cursor)
		if !ok {
			bad = append(bad, fault.FieldError{Field: "cursor", Message: "is not a cursor from a previous page"})
		}
		after = &c
	}
	if bad != nil {
		return nil, "", fault.Fields(bad...)
	}

	q, args := listOrdersQuery(f, after)
	rs, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list orders: %w", err)
	}
	defer rs.Close()
	var last pageCursor
	for rs.Next() {
		if len(rows) == f.Limit {
			next = last.encode(orderCursorKind)
			break
		}
		o, created, err := scanOrder(rs)
		if err != nil {
			return nil, "", err
		}
		rows = append(rows, o)
		last = pageCursor{createdAt: created, id: o.ID}
	}
	if err := rs.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list orders: %w", err)
	}
	return rows, next, nil
}

// listOrdersQuery returns ListOrders' query of a valid filter, and its
// arguments. The event (and status) are the leading columns of
// orders_by_event (orders_by_event_status), whose order is the list's:
// SQLite walks the index from the cursor on and stops after limit+1 rows
// that pass the search.
func listOrdersQuery(f OrderFilter, after *pageCursor) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT ` + orderColumns + ` FROM orders WHERE event_id = ?`)
	args := []any{f.EventID}
	if f.Status != "" {
		q.WriteString(` AND status = ?`)
		args = append(args, f.Status)
	}
	if f.Query != "" {
		q.WriteString(` AND (buyer_name LIKE ? ESCAPE '\' OR buyer_email LIKE ? ESCAPE '\')`)
		pattern := "%" + likeEscaper.Replace(f.Query) + "%"
		args = append(args, pattern, pattern)
	}
	if after != nil {
		q.WriteString(` AND (created_at, id) < (?, ?)`)
		args = append(args, after.createdAt, after.id)
	}
	q.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ?`)
	return q.String(), append(args, f.Limit+1)
}

// likeEscaper escapes LIKE's wildcards and its escape character (\).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// scanOrder scans a row of orderColumns, and returns the order and its
// creation time as stored.
func scanOrder(rs *sql.Rows) (OrderRow, string, error) {
	var o OrderRow
	var created, payBy, updated string
	var paid, ended sql.NullString
	if err := rs.Scan(&o.ID, &o.EventID, &o.HoldID, &o.Status, &o.Provider, &o.BuyerName, &o.BuyerEmail, &o.Currency,
		&o.PaymentIntentID, &o.Reason, &o.TotalAmount, &o.RefundedAmount, &o.Quantity,
		&created, &payBy, &updated, &paid, &ended); err != nil {
		return OrderRow{}, "", fmt.Errorf("sqlite: read order: %w", err)
	}
	if err := parseTimes(storedTime{&o.CreatedAt, created}, storedTime{&o.PayBy, payBy},
		storedTime{&o.UpdatedAt, updated}); err != nil {
		return OrderRow{}, "", err
	}
	var err error
	if o.PaidAt, err = parseNullTime(paid); err != nil {
		return OrderRow{}, "", err
	}
	if o.EndedAt, err = parseNullTime(ended); err != nil {
		return OrderRow{}, "", err
	}
	return o, created, nil
}

// TicketRow is a ticket as the read model knows it. Attendee is "" when
// the order named no one; RevokedAt is zero while the ticket is valid.
type TicketRow struct {
	ID, OrderID, EventID, TicketTypeID, Attendee, Status, Currency string
	PriceAmount                                                    int64
	IssuedAt, RevokedAt                                            time.Time
}

const ticketColumns = `id, order_id, event_id, ticket_type_id, attendee, status, currency, price_amount,
	issued_at, revoked_at`

// TicketsOfOrder returns the order's tickets in the order they were issued
// (the order's lines, then seats within a line): none for an order that was
// never paid, or that does not exist. Safe for concurrent use.
func (db *DB) TicketsOfOrder(ctx context.Context, orderID string) ([]TicketRow, error) {
	return db.tickets(ctx, "tickets of order "+orderID, `SELECT `+ticketColumns+` FROM tickets
		WHERE order_id = ? ORDER BY position`, orderID)
}

// Revocations lists the event's revoked tickets revoked strictly after
// since (zero: all), oldest revocation first (ties by id), for door
// scanners' offline lists. A ticket once revoked stays revoked, and every
// revocation of a ledger batch becomes visible at once, with the same
// time: a scanner that asks again with the latest RevokedAt it has seen
// misses only a later batch decided at that very nanosecond. Safe for
// concurrent use.
func (db *DB) Revocations(ctx context.Context, eventID string, since time.Time) ([]TicketRow, error) {
	after := "" // sorts before every stored time
	if !since.IsZero() {
		after = formatTime(since)
	}
	return db.tickets(ctx, "revocations of event "+eventID, `SELECT `+ticketColumns+` FROM tickets
		WHERE event_id = ? AND revoked_at IS NOT NULL AND revoked_at > ? ORDER BY revoked_at, id`, eventID, after)
}

func (db *DB) tickets(ctx context.Context, what, query string, args ...any) ([]TicketRow, error) {
	rs, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rs.Close()
	var out []TicketRow
	for rs.Next() {
		var t TicketRow
		var issued string
		var revoked sql.NullString
		if err := rs.Scan(&t.ID, &t.OrderID, &t.EventID, &t.TicketTypeID, &t.Attendee, &t.Status, &t.Currency,
			&t.PriceAmount, &issued, &revoked); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		if t.IssuedAt, err = parseTime(issued); err != nil {
			return nil, err
		}
		if t.RevokedAt, err = parseNullTime(revoked); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}
