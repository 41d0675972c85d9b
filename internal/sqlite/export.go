package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DefaultExportChunk is how many rows ExportOrders (orders) and
// ExportAttendees (tickets) read per query.
const DefaultExportChunk = 500

// An export walks all of an event's orders, which can be hundreds of
// thousands, for a client that may read its file slowly. It reads them in
// chunks of db.exportChunk rows by keyset (the last order's creation time
// and id, and for tickets the last one's place in its order), each chunk a
// query of its own that is read to the end and closed before the rows are
// handed on. So:
//
//   - no read transaction stays open while the caller writes to the network:
//     one that did would pin the WAL (SQLite cannot check-point past the
//     oldest reader, so the file would grow by every change the projector
//     commits meanwhile) and keep one of the few read connections from the
//     API for as long as the slowest client takes;
//   - memory is one chunk of rows, whatever the event's size;
//   - the export is not one snapshot: each chunk is consistent in itself,
//     and an order that changes between two chunks shows as it was when its
//     chunk was read. Every order that exists when the export starts is in
//     it exactly once (the keyset never changes for an order); an order
//     placed meanwhile is in it if it sorts after the chunk being read.

const exportOrdersQuery = `SELECT ` + orderColumns + ` FROM orders
	WHERE event_id = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`

// ExportOrders calls fn with each of the event's orders, oldest first (by
// creation time, then id), in chunks of a few hundred read at a time (see
// the comment above): memory stays bounded by a chunk however many orders the event
// has, and no read transaction is open while fn runs. It stops at the first
// error fn returns and returns that error as it is; else the read model's
// errors, or ctx's. An event without orders, or that does not exist, calls
// fn never. The caller checks that the event is the organizer's. Safe for
// concurrent use; fn is called on the caller's goroutine, one order at a
// time, and may keep the OrderRow it gets.
func (db *DB) ExportOrders(ctx context.Context, eventID string, fn func(OrderRow) error) error {
	chunk := make([]OrderRow, 0, db.exportChunk)
	var after pageCursor
	for {
		chunk = chunk[:0]
		last, err := db.exportOrdersChunk(ctx, eventID, after, &chunk)
		if err != nil {
			return err
		}
		for _, o := range chunk {
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(chunk) < db.exportChunk {
			return nil
		}
		after = last
	}
}

// exportOrdersChunk appends the event's next orders after the cursor to
// rows, at most db.exportChunk, and returns the cursor of the last.
func (db *DB) exportOrdersChunk(ctx context.Context, eventID string, after pageCursor, rows *[]OrderRow) (pageCursor, error) {
	rs, err := db.r.QueryContext(ctx, exportOrdersQuery, eventID, after.createdAt, after.id, db.exportChunk)
	if err != nil {
		return pageCursor{}, fmt.Errorf("sqlite: export orders of event %s: %w", eventID, err)
	}
	defer rs.Close()
	var last pageCursor
	for rs.Next() {
		o, created, err := scanOrder(rs)
		if err != nil {
			return pageCursor{}, err
		}
		*rows = append(*rows, o)
		last = pageCursor{createdAt: created, id: o.ID}
	}
	if err := rs.Err(); err != nil {
		return pageCursor{}, fmt.Errorf("sqlite: export orders of event %s: %w", eventID, err)
	}
	return last, nil
}

// AttendeeRow is one ticket of an event as its attendee list shows it: the
// ticket, the name of its ticket type today, and its order's status and
// buyer. Attendee is "" when the order named no one for the ticket (the
// read model knows attendees' names only, not their e-mail addresses);
// RevokedAt is zero while the ticket is valid. The read model keeps no
// check-ins: the event's box office has them.
type AttendeeRow struct {
	TicketID, OrderID, TicketTypeID, TicketTypeName, Attendee, Status, Currency string
	PriceAmount                                                                 int64
	IssuedAt, RevokedAt                                                         time.Time
	OrderStatus, BuyerName, BuyerEmail                                          string
}

// exportAttendeesQuery reads the next chunk of tickets: the event's orders
// from the cursor's on (orders_by_event), each order's tickets after the
// cursor's position within the cursor's order and all of them in the
// others (tickets_by_order), in that order, so SQLite stops after the
// chunk without sorting. An order without tickets to read is one row with
// NULL ticket columns, so that the keyset moves past it.
const exportAttendeesQuery = `SELECT o.id, o.created_at, o.status, o.buyer_name, o.buyer_email,
	t.id, t.position, t.ticket_type_id, coalesce(tt.name, ''), t.attendee, t.status, t.currency, t.price_amount,
	t.issued_at, t.revoked_at
	FROM orders o
	LEFT JOIN tickets t ON t.order_id = o.id AND t.position > iif(o.id = ?3, ?4, -1)
	LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id
	WHERE o.event_id = ?1 AND (o.created_at, o.id) >= (?2, ?3)
	ORDER BY o.created_at, o.id, t.position LIMIT ?5`

// attendeeCursor is where a chunk of ExportAttendees starts: after the
// ticket at position in the order, or after the whole order when position
// is orderDone.
type attendeeCursor struct {
	order    pageCursor
	position int64
}

const orderDone = 1 << 31

// ExportAttendees calls fn with each ticket of the event's orders, in the
// order of ExportOrders (oldest order first) and within an order as issued,
// reading a few hundred tickets at a time as ExportOrders reads orders, with
// the same bounds and guarantees (an order paid after the export passed it
// shows without tickets, as it was). Revoked tickets are included (Status
// says so); orders never paid have none. It stops at the first error fn
// returns and returns that error as it is; else the read model's errors,
// or ctx's. Safe for concurrent use; fn is called on the caller's
// goroutine, one ticket at a time, and may keep the AttendeeRow it gets.
func (db *DB) ExportAttendees(ctx context.Context, eventID string, fn func(AttendeeRow) error) error {
	chunk := make([]AttendeeRow, 0, db.exportChunk)
	after := attendeeCursor{position: -1}
	for {
		chunk = chunk[:0]
		last, n, err := db.exportAttendeesChunk(ctx, eventID, after, &chunk)
		if err != nil {
			return err
		}
		for _, a := range chunk {
			if err := fn(a); err != nil {
				return err
			}
		}
		if n < db.exportChunk {
			return nil
		}
		after = last
	}
}

// exportAttendeesChunk appends the event's next tickets after the cursor
// to rows, and returns the cursor of the last row read and how many rows
// were read (at most db.exportChunk, some of them orders without
// tickets).
func (db *DB) exportAttendeesChunk(ctx context.Context, eventID string, after attendeeCursor, rows *[]AttendeeRow) (last attendeeCursor, n int, err error) {
	rs, err := db.r.QueryContext(ctx, exportAttendeesQuery, eventID, after.order.createdAt, after.order.id,
		after.position, db.exportChunk)
	if err != nil {
		return attendeeCursor{}, 0, fmt.Errorf("sqlite: export attendees of event %s: %w", eventID, err)
	}
	defer rs.Close()
	for rs.Next() {
		n++
		var a AttendeeRow
		var created string
		var ticketID, ticketTypeID, attendee, status, currency, issued, revoked sql.NullString
		var position, price sql.NullInt64
		if err := rs.Scan(&a.OrderID, &created, &a.OrderStatus, &a.BuyerName, &a.BuyerEmail,
			&ticketID, &position, &ticketTypeID, &a.TicketTypeName, &attendee, &status, &currency, &price,
			&issued, &revoked); err != nil {
			return attendeeCursor{}, 0, fmt.Errorf("sqlite: export attendees of event %s: %w", eventID, err)
		}
		last = attendeeCursor{order: pageCursor{createdAt: created, id: a.OrderID}, position: orderDone}
		if !ticketID.Valid {
			continue // an order without tickets, or none left after the cursor
		}
		last.position = position.Int64
		a.TicketID, a.TicketTypeID, a.Attendee = ticketID.String, ticketTypeID.String, attendee.String
		a.Status, a.Currency, a.PriceAmount = status.String, currency.String, price.Int64
		if a.IssuedAt, err = parseTime(issued.String); err != nil {
			return attendeeCursor{}, 0, err
		}
		if a.RevokedAt, err = parseNullTime(revoked); err != nil {
			return attendeeCursor{}, 0, err
		}
		*rows = append(*rows, a)
	}
	if err := rs.Err(); err != nil {
		return attendeeCursor{}, 0, fmt.Errorf("sqlite: export attendees of event %s: %w", eventID, err)
	}
	return last, n, nil
}
