package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// dumpTables are the projected tables in the order Dump writes them, each
// with its columns and the order of its rows (its primary key).
var dumpTables = []struct {
	name    string
	columns []string
	orderBy string
}{
	{"organizers", []string{"id", "name", "created_at", "contact_email", "website", "terms_url", "privacy_url", "logo_sha"}, "id"},
	{"api_tokens", []string{"id", "organizer_id", "name", "hash", "created_at", "revoked_at", "role"}, "id"},
	{"members", []string{"id", "organizer_id", "email", "name", "role", "invite_hash", "invited_by", "invited_at",
		"expires_at", "joined_at", "password_hash", "sessions_after", "removed_at", "reset_hash", "reset_expires_at"}, "id"},
	{"events", []string{"id", "organizer_id", "name", "venue", "timezone", "starts_at", "ends_at", "currency", "status",
		"hold_ttl_seconds", "max_tickets_per_hold", "payment_providers", "payment_window_seconds",
		"manual_payment_window_seconds", "manual_payment_instructions", "created_at", "updated_at"}, "id"},
	{"ticket_types", []string{"id", "event_id", "name", "description", "price_amount", "price_currency",
		"min_per_hold", "max_per_hold", "sales_start", "sales_end", "attendee_names", "created_at", "updated_at"}, "id"},
	{"quotas", []string{"id", "event_id", "name", "capacity", "created_at", "updated_at"}, "id"},
	{"quota_ticket_types", []string{"quota_id", "ticket_type_id"}, "quota_id, ticket_type_id"},
	{"orders", []string{"id", "event_id", "hold_id", "token", "status", "provider", "buyer_name", "buyer_email",
		"attendees", "lines", "total_amount", "currency", "refunded_amount", "quantity", "payment_intent_id",
		"created_at", "pay_by", "paid_at", "ended_at", "reason", "updated_at"}, "id"},
	{"tickets", []string{"id", "order_id", "position", "event_id", "ticket_type_id", "attendee", "price_amount",
		"currency", "status", "issued_at", "revoked_at"}, "id"},
	{"payments", []string{"order_id", "seq", "provider", "ref", "amount", "currency", "received_at", "kept"},
		"order_id, seq"},
	{"refunds", []string{"order_id", "id", "amount", "currency", "ticket_ids", "reason", "provider", "payment_ref",
		"status", "provider_ref", "message", "created_at", "settled_at"}, "order_id, id"},
	{"signing_keys", []string{"event_id", "id", "public_key", "added_at", "retired_at"}, "event_id, id"},
	// The ids are left out: they follow the ledger's order, in which
	// records of different shards may interleave otherwise in a rebuild;
	// one order's rows keep their order.
	{"order_history", []string{"order_id", "event_id", "at", "type", "actor", "data"}, "order_id, id"},
	{"event_history", []string{"event_id", "at", "type", "actor", "data"}, "event_id, id"},
}

// Dump writes every projected table (not the position nor the schema
// bookkeeping) to w in a canonical text form, from one consistent snapshot:
// for each table in a fixed order a line "table <name> (<columns>)", then
// one line per row in primary-key order, values separated by tabs, text
// Go-quoted, NULL as NULL. Two read models of the same ledger dump the same
// bytes.
func (db *DB) Dump(ctx context.Context, w io.Writer) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: dump: %w", err)
	}
	defer tx.Rollback()
	bw := bufio.NewWriter(w)
	for _, t := range dumpTables {
		if err := dumpTable(ctx, tx, bw, t.name, t.columns, t.orderBy); err != nil {
			return fmt.Errorf("sqlite: dump %s: %w", t.name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sqlite: dump: %w", err)
	}
	return nil
}

func dumpTable(ctx context.Context, tx *sql.Tx, w *bufio.Writer, table string, columns []string, orderBy string) error {
	cols := strings.Join(columns, ", ")
	fmt.Fprintf(w, "table %s (%s)\n", table, cols)
	rows, err := tx.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" ORDER BY "+orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]any, len(columns))
	ptrs := make([]any, len(columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var line []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		line = line[:0]
		for i, v := range vals {
			if i > 0 {
				line = append(line, '\t')
			}
			switch v := v.(type) {
			case nil:
				line = append(line, "NULL"...)
			case int64:
				line = strconv.AppendInt(line, v, 10)
			case float64:
				line = strconv.AppendFloat(line, v, 'g', -1, 64)
			case string:
				line = strconv.AppendQuote(line, v)
			case []byte:
				line = strconv.AppendQuote(line, string(v))
			default:
				return fmt.Errorf("column %s: unexpected %T", columns[i], v)
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return rows.Err()
}
