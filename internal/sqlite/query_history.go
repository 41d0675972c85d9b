package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// HistoryRow is one ledger entry about an order, as order_history keeps it.
type HistoryRow struct {
	At    time.Time
	Type  string          // the entry's CloudEvents type: "admit.order.paid.v1"
	Actor string          // "member:…", "token:…", "system"; "" when the entry names none
	Data  json.RawMessage // the entry's data, as in the ledger
}

// OrderHistory returns the entries about an order of the event, oldest
// first: the order's timeline. An order the read model does not have has
// none. Safe for concurrent use.
func (db *DB) OrderHistory(ctx context.Context, eventID, orderID string) ([]HistoryRow, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT at, type, actor, data FROM order_history
		WHERE order_id = ? AND event_id = ? ORDER BY id`, orderID, eventID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: order history: %w", err)
	}
	return scanHistory(rows)
}

func scanHistory(rows *sql.Rows) ([]HistoryRow, error) {
	defer rows.Close()
	var out []HistoryRow
	for rows.Next() {
		var h HistoryRow
		var at, data string
		if err := rows.Scan(&at, &h.Type, &h.Actor, &data); err != nil {
			return nil, fmt.Errorf("sqlite: history: %w", err)
		}
		t, err := parseTime(at)
		if err != nil {
			return nil, err
		}
		h.At = t
		h.Data = json.RawMessage(data)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	return out, nil
}

// EventHistory returns the changes to an event's settings (details,
// status, ticket types, quotas, signing keys, check-in lists, door
// devices), oldest first. Safe for concurrent use.
func (db *DB) EventHistory(ctx context.Context, eventID string) ([]HistoryRow, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT at, type, actor, data FROM event_history WHERE event_id = ? ORDER BY id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: event history: %w", err)
	}
	return scanHistory(rows)
}
