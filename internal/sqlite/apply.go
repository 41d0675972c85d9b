package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// The ledger subjects the projection understands.
const (
	eventSubjectPrefix     = "ledger.event."
	organizerSubjectPrefix = "ledger.org."
)

// maxBatch is how many ledger records Run and Rebuild apply per transaction
// at most.
const maxBatch = 2000

// The writer's prepared statements, by index into DB.stmts.
const (
	stSetPosition = iota
	stInsertOrganizer
	stInsertToken
	stRevokeToken
	stUpdateProfile
	stSetLogo
	stInviteMember
	stJoinMember
	stChangeMemberRole
	stRemoveMember
	stRequestReset
	stSetPassword
	stInsertEvent
	stUpdateEvent
	stUpdateEventStatus
	stInsertTicketType
	stUpdateTicketType
	stInsertQuota
	stUpdateQuota
	stClearQuotaTicketTypes
	stInsertQuotaTicketType
	stInsertOrder
	stOrderStatus
	stPayOrder
	stInsertPayment
	stInsertTicket
	stRecountOrder
	stStartPayment
	stExpireOrder
	stCancelOrder
	stRevokeTicket
	stInsertRefund
	stMarkRefunded
	stSettleRefund
	stInsertKey
	stRetireKey
	stInsertHistory
	stInsertEventHistory
	numStmts
)

var stmtSQL = [numStmts]string{
	stSetPosition: `INSERT INTO projection (name, seq) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
	stInsertOrganizer: `INSERT INTO organizers (id, name, created_at) VALUES (?, ?, ?)`,
	stUpdateProfile:   `UPDATE organizers SET name = ?, contact_email = ?, website = ?, terms_url = ?, privacy_url = ? WHERE id = ?`,
	stSetLogo:         `UPDATE organizers SET logo_png = ?, logo_sha = ? WHERE id = ?`,
	stInviteMember: `INSERT INTO members (id, organizer_id, email, name, role, invite_hash, invited_by, invited_at, expires_at,
		joined_at, password_hash, sessions_after, removed_at) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, NULL, '', ?, NULL)`,
	stJoinMember: `UPDATE members SET name = ?, email = ?, password_hash = ?, joined_at = ?, sessions_after = ?
		WHERE id = ? AND organizer_id = ? AND joined_at IS NULL`,
	stChangeMemberRole: `UPDATE members SET role = ? WHERE id = ? AND organizer_id = ?`,
	stRequestReset:     `UPDATE members SET reset_hash = ?, reset_expires_at = ? WHERE id = ? AND organizer_id = ?`,
	stSetPassword:      `UPDATE members SET password_hash = ?, sessions_after = ?, reset_hash = '' WHERE id = ? AND organizer_id = ?`,
	stRemoveMember:     `UPDATE members SET removed_at = coalesce(removed_at, ?), sessions_after = ? WHERE id = ? AND organizer_id = ?`,
	stInsertToken: `INSERT INTO api_tokens (id, organizer_id, name, hash, created_at, revoked_at, role)
		VALUES (?, ?, ?, ?, ?, NULL, ?)`,
	// A token revoked twice keeps its first revocation time.
	stRevokeToken: `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND organizer_id = ?`,
	stInsertEvent: `INSERT INTO events (id, organizer_id, name, venue, timezone, starts_at, ends_at, currency, status,
		hold_ttl_seconds, max_tickets_per_hold, payment_providers, payment_window_seconds,
		manual_payment_window_seconds, manual_payment_instructions, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stUpdateEvent: `UPDATE events SET name = ?, venue = ?, timezone = ?, starts_at = ?, ends_at = ?,
		hold_ttl_seconds = ?, max_tickets_per_hold = ?, payment_providers = ?, payment_window_seconds = ?,
		manual_payment_window_seconds = ?, manual_payment_instructions = ?, updated_at = ? WHERE id = ?`,
	stUpdateEventStatus: `UPDATE events SET status = ?, updated_at = ? WHERE id = ?`,
	stInsertTicketType: `INSERT INTO ticket_types (id, event_id, name, description, price_amount, price_currency,
		min_per_hold, max_per_hold, sales_start, sales_end, attendee_names, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stUpdateTicketType: `UPDATE ticket_types SET name = ?, description = ?, price_amount = ?, price_currency = ?,
		min_per_hold = ?, max_per_hold = ?, sales_start = ?, sales_end = ?, attendee_names = ?, updated_at = ?
		WHERE id = ? AND event_id = ?`,
	stInsertQuota: `INSERT INTO quotas (id, event_id, name, capacity, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
	stUpdateQuota:           `UPDATE quotas SET name = ?, capacity = ?, updated_at = ? WHERE id = ? AND event_id = ?`,
	stClearQuotaTicketTypes: `DELETE FROM quota_ticket_types WHERE quota_id = ?`,
	stInsertQuotaTicketType: `INSERT INTO quota_ticket_types (quota_id, ticket_type_id) VALUES (?, ?)`,
	stInsertOrder: `INSERT INTO orders (id, event_id, hold_id, token, status, provider, buyer_name, buyer_email,
		attendees, lines, total_amount, currency, refunded_amount, quantity, payment_intent_id,
		created_at, pay_by, paid_at, ended_at, reason, updated_at)
		VALUES (?, ?, ?, ?, 'pending_payment', ?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?, ?, NULL, NULL, '', ?)`,
	stOrderStatus: `SELECT status FROM orders WHERE id = ? AND event_id = ?`,
	// An order is paid while it awaits payment or, retaking its capacity,
	// once it expired. The last argument is 1 for a retaken order.
	stPayOrder: `UPDATE orders SET status = 'paid', paid_at = ?, ended_at = NULL, reason = '', updated_at = ?
		WHERE id = ? AND event_id = ? AND (status = 'pending_payment' OR status = 'expired' AND ? = 1)`,
	// The order id comes twice: the payment's, and for its number.
	stInsertPayment: `INSERT INTO payments (order_id, seq, provider, ref, amount, currency, received_at, kept)
		VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM payments WHERE order_id = ?), ?, ?, ?, ?, ?, ?)`,
	stInsertTicket: `INSERT INTO tickets (id, order_id, position, event_id, ticket_type_id, attendee, price_amount,
		currency, status, issued_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?, NULL)`,
	// After a change of its refunds: what the order refunded, as
	// boxoffice.Order.Refunded counts it.
	stRecountOrder: `UPDATE orders SET updated_at = ?,
		refunded_amount = (SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = orders.id AND status != 'failed')
		WHERE id = ? AND event_id = ?`,
	stStartPayment: `UPDATE orders SET payment_intent_id = ?, updated_at = ? WHERE id = ? AND event_id = ?`,
	stExpireOrder: `UPDATE orders SET status = 'expired', ended_at = ?, reason = ?, updated_at = ?
		WHERE id = ? AND event_id = ? AND status = 'pending_payment' AND hold_id = ?`,
	stCancelOrder: `UPDATE orders SET status = 'cancelled', ended_at = ?, reason = ?, updated_at = ?,
		refunded_amount = (SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = orders.id AND status != 'failed')
		WHERE id = ? AND event_id = ?`,
	stRevokeTicket: `UPDATE tickets SET status = 'revoked', revoked_at = ? WHERE id = ? AND event_id = ? AND status = 'valid'`,
	stInsertRefund: `INSERT INTO refunds (order_id, id, amount, currency, ticket_ids, reason, provider, payment_ref,
		status, provider_ref, message, created_at, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	// A paid order none of whose tickets is valid any more is refunded.
	stMarkRefunded: `UPDATE orders SET status = 'refunded', ended_at = ?, reason = ?
		WHERE id = ? AND status = 'paid' AND NOT EXISTS (SELECT 1 FROM tickets WHERE order_id = orders.id AND status = 'valid')`,
	stSettleRefund: `UPDATE refunds SET status = ?, provider_ref = ?, message = ?, settled_at = ?
		WHERE order_id = ? AND id = ? AND status = 'pending'`,
	stInsertKey:          `INSERT INTO signing_keys (event_id, id, public_key, added_at, retired_at) VALUES (?, ?, ?, ?, NULL)`,
	stRetireKey:          `UPDATE signing_keys SET retired_at = ? WHERE event_id = ? AND id = ? AND retired_at IS NULL`,
	stInsertHistory:      `INSERT INTO order_history (order_id, event_id, at, type, actor, data) VALUES (?, ?, ?, ?, ?, ?)`,
	stInsertEventHistory: `INSERT INTO event_history (event_id, at, type, actor, data) VALUES (?, ?, ?, ?, ?)`,
}

// projectedTables are the tables the ledger fills, children before parents
// (the order they are emptied in).
var projectedTables = []string{"event_history", "order_history", "payments", "refunds", "tickets", "orders", "signing_keys",
	"quota_ticket_types", "quotas", "ticket_types", "events", "members", "api_tokens", "organizers"}

// Follower is what Run needs of the ledger: every record from a sequence on,
// until ctx ends. *ledger.Memory and *ledger.JetStream implement it.
type Follower interface {
	Follow(ctx context.Context, after ledger.Vector, fn func(ledger.Record) error) error
}

// Reader is what Rebuild needs of the ledger: the records on subjects
// matching filter from a sequence on, up to the end.
type Reader interface {
	Read(ctx context.Context, filter string, from uint64, fn func(ledger.Record) error) (uint64, error)
}

var (
	_ Follower = (*ledger.Memory)(nil)
	_ Follower = (*ledger.JetStream)(nil)
	_ Reader   = (*ledger.Memory)(nil)
	_ Reader   = (*ledger.JetStream)(nil)
)

// Run projects the ledger into the database: it follows the ledger from the
// record after Position and applies what arrives, as many records per
// Apply as are queued (up to 2,000). It returns nil when ctx ends, or the
// error of a record that cannot be applied (or of the ledger, or of saving
// the position as it stops), after which WaitFor reports that error
// instead of waiting. Records already applied are skipped, so a restart
// applies nothing twice. At most one Run per DB at a time.
//
// A position that Apply leaves unsaved (records that changed no table) is
// saved about a second later if nothing else saves it first, and as Run
// returns.
func (db *DB) Run(ctx context.Context, led Follower) error {
	err := db.run(ctx, led)
	if serr := db.savePosition(context.WithoutCancel(ctx)); err == nil {
		err = serr
	}
	if err != nil {
		db.setStopped(err)
	}
	return err
}

func (db *DB) run(parent context.Context, led Follower) error {
	db.setStopped(nil)
	from := db.applied()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	// The follower hands records over; the loop below applies them. The
	// channel holds a full batch and the next one, so the ledger keeps
	// delivering while a transaction commits.
	queue := make(chan ledger.Record, 2*maxBatch)
	followed := make(chan error, 1)
	go func() {
		followed <- led.Follow(ctx, from, func(r ledger.Record) error {
			select {
			case queue <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	stop := func() { cancel(); <-followed }

	// save fires saveEvery after an Apply, to save a position the Applies
	// since have left unsaved, once the ledger goes quiet.
	save := time.NewTimer(db.saveEvery)
	save.Stop()
	saveArmed := false

	batch := make([]ledger.Record, 0, maxBatch)
	for {
		select {
		case r := <-queue:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-queue:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			if err := db.Apply(ctx, batch); err != nil {
				stop()
				if parent.Err() != nil {
					return nil
				}
				return err
			}
			clear(batch) // let the records' data go
			if !saveArmed {
				save.Reset(db.saveEvery)
				saveArmed = true
			}
		case <-save.C:
			saveArmed = false
			if err := db.savePosition(ctx); err != nil {
				stop()
				if parent.Err() != nil {
					return nil
				}
				return err
			}
		case err := <-followed:
			if parent.Err() != nil {
				return nil
			}
			if err == nil {
				return fmt.Errorf("sqlite: follow the ledger: it stopped without an error")
			}
			return fmt.Errorf("sqlite: follow the ledger: %w", err)
		case <-parent.Done():
			stop()
			return nil
		}
	}
}

// Apply applies records in ONE transaction together with the new position,
// or in none when they change no table (holds, other subjects): then only
// the position in memory moves, and the file's is saved with the next
// transaction, once 10,000 records or a second have gone by unsaved, by Run
// and by Close. A crash loses only the unsaved position, and the records
// after the saved one change nothing when applied again. Records at or
// before Position are skipped, so applying the same records twice changes
// nothing; records must come in sequence order. On error nothing of the
// call is committed and the position stays. Safe for concurrent use (calls
// are serialized).
func (db *DB) Apply(ctx context.Context, recs []ledger.Record) error {
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	return db.apply(ctx, recs)
}

// apply is Apply with db.applyMu held.
func (db *DB) apply(ctx context.Context, recs []ledger.Record) error {
	p := projector{ctx: ctx, db: db}
	defer p.rollback()
	pos := db.applied()
	moved := false
	for i := range recs {
		r := &recs[i]
		if pos.Covers(r.Seq) {
			continue
		}
		if err := p.record(r); err != nil {
			return fmt.Errorf("sqlite: apply ledger record %d on %s: %w", r.Seq, r.Subject, err)
		}
		if !moved {
			pos, moved = pos.Clone(), true // db.pos is never changed in place
		}
		pos.Advance(r.Seq)
	}
	if !moved {
		return nil
	}
	if p.tx != nil || db.saved.Behind(pos) >= db.saveAfter || time.Since(db.savedAt) >= db.saveEvery {
		st, err := p.stmt(stSetPosition)
		if err != nil {
			return fmt.Errorf("sqlite: apply: %w", err)
		}
		for k, seq := range pos {
			if seq == db.saved.Seq(k) {
				continue
			}
			if _, err := st.ExecContext(ctx, shardPositionName(k), int64(seq)); err != nil {
				return fmt.Errorf("sqlite: apply: set position %v: %w", pos, err)
			}
		}
		if err := p.tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: apply: commit position %v: %w", pos, err)
		}
		db.saved, db.savedAt = pos.Clone(), time.Now()
	}
	db.setPos(pos)
	return nil
}

// savePosition writes the position to the file if the file's is behind.
func (db *DB) savePosition(ctx context.Context) error {
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	return db.save(ctx)
}

// save is savePosition with db.applyMu held.
func (db *DB) save(ctx context.Context) error {
	pos := db.applied()
	if db.saved.Behind(pos) == 0 || db.stmts[stSetPosition] == nil { // saved, or closed
		return nil
	}
	for k, seq := range pos {
		if seq == db.saved.Seq(k) {
			continue
		}
		if _, err := db.stmts[stSetPosition].ExecContext(ctx, shardPositionName(k), int64(seq)); err != nil {
			return fmt.Errorf("sqlite: save position %v: %w", pos, err)
		}
	}
	db.saved, db.savedAt = pos.Clone(), time.Now()
	return nil
}

// Rebuild empties every projected table and the position, then replays the
// whole ledger in Applies of up to 2,000 records, and saves the position.
// It is for an offline `admit reindex`: do not run it while Run projects
// into the same file. Readers may see the model half rebuilt until it
// returns.
func (db *DB) Rebuild(ctx context.Context, led Reader) error {
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	if err := db.reset(ctx); err != nil {
		return err
	}
	batch := make([]ledger.Record, 0, maxBatch)
	_, err := led.Read(ctx, "ledger.>", 1, func(r ledger.Record) error {
		batch = append(batch, r)
		if len(batch) < maxBatch {
			return nil
		}
		err := db.apply(ctx, batch)
		clear(batch)
		batch = batch[:0]
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: rebuild: %w", err)
	}
	if err := db.apply(ctx, batch); err != nil {
		return fmt.Errorf("sqlite: rebuild: %w", err)
	}
	if err := db.save(ctx); err != nil {
		return fmt.Errorf("sqlite: rebuild: %w", err)
	}
	return nil
}

// reset empties the projected tables and the position in one transaction.
func (db *DB) reset(ctx context.Context) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: reset: %w", err)
	}
	defer tx.Rollback()
	for _, t := range projectedTables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("sqlite: reset %s: %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM projection WHERE name = ? OR name LIKE ?`, positionName, positionName+"/%"); err != nil {
		return fmt.Errorf("sqlite: reset position: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: reset: commit: %w", err)
	}
	db.saved, db.savedAt = nil, time.Now()
	db.setPos(nil)
	return nil
}

// projector applies entries within one transaction, begun by the first
// statement: records that change no table begin none.
type projector struct {
	ctx   context.Context
	db    *DB
	tx    *sql.Tx             // nil until the first statement
	stmts [numStmts]*sql.Stmt // the writer's statements bound to tx, made on first use
	times [2]formatted        // recent formatTime results: a batch's entries share their times
}

type formatted struct {
	t time.Time
	s string
}

// formatTime is formatTime, remembering the last two times it formatted:
// the entries of a batch share its time, and orders placed together mostly
// share a payment deadline.
func (p *projector) formatTime(t time.Time) string {
	for _, f := range p.times {
		if f.s != "" && f.t.Equal(t) { // formatTime writes UTC: the location does not matter
			return f.s
		}
	}
	s := formatTime(t)
	p.times[1], p.times[0] = p.times[0], formatted{t, s}
	return s
}

// stmt returns statement i bound to the transaction, beginning it first if
// need be.
func (p *projector) stmt(i int) (*sql.Stmt, error) {
	if p.tx == nil {
		tx, err := p.db.w.BeginTx(p.ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		p.tx = tx
	}
	if p.stmts[i] == nil {
		p.stmts[i] = p.tx.StmtContext(p.ctx, p.db.stmts[i])
	}
	return p.stmts[i], nil
}

// rollback rolls back the transaction if one began and was not committed.
func (p *projector) rollback() {
	if p.tx != nil {
		p.tx.Rollback()
	}
}

// exec runs statement i and returns how many rows it changed.
func (p *projector) exec(i int, args ...any) (int64, error) {
	st, err := p.stmt(i)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(p.ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// execOne runs statement i, which must change exactly one row; what names
// the row for the error.
func (p *projector) execOne(what string, i int, args ...any) error {
	n, err := p.exec(i, args...)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%s: no such row", what)
	}
	return nil
}

// record applies one ledger message's entries. Hold entries change no
// table: a message of them alone begins no transaction.
func (p *projector) record(r *ledger.Record) error {
	if id, ok := subjectID(r.Subject, eventSubjectPrefix); ok {
		entries, err := boxoffice.DecodeBatch(r.Data)
		if err != nil {
			return err
		}
		for _, t := range entries {
			if err := p.eventEntry(id, t.Entry, t.At); err != nil {
				return fmt.Errorf("%s: %w", t.Entry.Type(), err)
			}
		}
		return nil
	}
	if id, ok := subjectID(r.Subject, organizerSubjectPrefix); ok {
		entries, err := organizer.DecodeBatch(r.Data)
		if err != nil {
			return err
		}
		for _, t := range entries {
			if err := p.organizerEntry(id, t.Entry, t.At); err != nil {
				return fmt.Errorf("%s: %w", t.Entry.Type(), err)
			}
		}
	}
	return nil // another subject: not ours to project
}

// subjectID returns the last token of a subject "<prefix><id>".
func subjectID(subject, prefix string) (string, bool) {
	id, ok := strings.CutPrefix(subject, prefix)
	return id, ok && id != "" && !strings.Contains(id, ".")
}

func (p *projector) eventEntry(eventID string, e boxoffice.Entry, at time.Time) error {
	if err := p.eventFact(eventID, e, at); err != nil {
		return err
	}
	switch e.(type) {
	case *boxoffice.EventCreated, *boxoffice.EventUpdated, *boxoffice.EventStatusChanged, *boxoffice.TicketTypeCreated,
		*boxoffice.TicketTypeUpdated, *boxoffice.QuotaCreated, *boxoffice.QuotaUpdated, *boxoffice.SigningKeyAdded,
		*boxoffice.SigningKeyRetired, *boxoffice.CheckinListCreated, *boxoffice.CheckinListUpdated,
		*boxoffice.DoorDeviceAdded, *boxoffice.DoorDeviceRevoked:
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = p.exec(stInsertEventHistory, eventID, p.formatTime(at), e.Type(), boxoffice.ActorOf(e), string(data))
		return err
	}
	return nil
}

// eventFact applies an event's entry to the tables it changes.
func (p *projector) eventFact(eventID string, e boxoffice.Entry, at time.Time) error {
	switch e.(type) {
	case *boxoffice.HoldCreated, *boxoffice.HoldReleased, *boxoffice.HoldExpired, *boxoffice.HoldExtended:
		return nil // holds live in the box office and the ledger, not in the read model
	}
	ts := p.formatTime(at)
	switch e := e.(type) {
	case *boxoffice.EventCreated:
		if e.EventID != eventID {
			return fmt.Errorf("event %s on the subject of event %s", e.EventID, eventID)
		}
		d := &e.EventDetails
		ps, err := paymentSettings(d.PaymentSettings)
		if err != nil {
			return err
		}
		_, err = p.exec(stInsertEvent, eventID, e.OrganizerID, d.Name, d.Venue, d.TimeZone,
			formatTime(d.StartsAt), formatTime(d.EndsAt), e.Currency, string(boxoffice.Draft),
			d.HoldTTLSeconds, d.MaxTicketsPerHold, ps.providers, ps.window, ps.manualWindow, ps.instructions, ts, ts)
		return err
	case *boxoffice.EventUpdated:
		if e.EventID != eventID {
			return fmt.Errorf("event %s on the subject of event %s", e.EventID, eventID)
		}
		d := &e.EventDetails
		ps, err := paymentSettings(d.PaymentSettings)
		if err != nil {
			return err
		}
		return p.execOne("event "+eventID, stUpdateEvent, d.Name, d.Venue, d.TimeZone,
			formatTime(d.StartsAt), formatTime(d.EndsAt), d.HoldTTLSeconds, d.MaxTicketsPerHold,
			ps.providers, ps.window, ps.manualWindow, ps.instructions, ts, eventID)
	case *boxoffice.EventStatusChanged:
		if e.EventID != eventID {
			return fmt.Errorf("event %s on the subject of event %s", e.EventID, eventID)
		}
		return p.execOne("event "+eventID, stUpdateEventStatus, string(e.Status), ts, eventID)
	case *boxoffice.TicketTypeCreated:
		d := &e.TicketTypeDetails
		_, err := p.exec(stInsertTicketType, e.TicketTypeID, eventID, d.Name, d.Description, d.Price.Amount,
			d.Price.Currency, d.MinPerHold, d.MaxPerHold, nullTime(d.SalesStart), nullTime(d.SalesEnd),
			sqlBool(d.AttendeeNames), ts, ts)
		return err
	case *boxoffice.TicketTypeUpdated:
		d := &e.TicketTypeDetails
		return p.execOne("ticket type "+e.TicketTypeID, stUpdateTicketType, d.Name, d.Description, d.Price.Amount,
			d.Price.Currency, d.MinPerHold, d.MaxPerHold, nullTime(d.SalesStart), nullTime(d.SalesEnd),
			sqlBool(d.AttendeeNames), ts, e.TicketTypeID, eventID)
	case *boxoffice.QuotaCreated:
		if _, err := p.exec(stInsertQuota, e.QuotaID, eventID, e.Name, e.Capacity, ts, ts); err != nil {
			return err
		}
		return p.quotaTicketTypes(e.QuotaID, e.TicketTypeIDs)
	case *boxoffice.QuotaUpdated:
		if err := p.execOne("quota "+e.QuotaID, stUpdateQuota, e.Name, e.Capacity, ts, e.QuotaID, eventID); err != nil {
			return err
		}
		if _, err := p.exec(stClearQuotaTicketTypes, e.QuotaID); err != nil {
			return err
		}
		return p.quotaTicketTypes(e.QuotaID, e.TicketTypeIDs)
	}
	return p.orderEntry(eventID, e, at, ts)
}

// storedPayment is an event's payment settings as the events table keeps
// them.
type storedPayment struct {
	providers            string // JSON array
	window, manualWindow int
	instructions         string
}

// paymentSettings returns d as stored, with the box office's defaults
// filled in (entries written before payment settings existed leave them
// out).
func paymentSettings(d boxoffice.PaymentSettings) (storedPayment, error) {
	d.WithDefaults()
	js, err := json.Marshal(d.PaymentProviders)
	if err != nil {
		return storedPayment{}, err
	}
	return storedPayment{providers: string(js), window: d.PaymentWindowSeconds,
		manualWindow: d.ManualPaymentWindowSeconds, instructions: d.ManualPaymentInstructions}, nil
}

// sqlBool is b as SQLite stores a boolean.
func sqlBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quotaTicketTypes records the quota's ticket types. A ticket type listed
// twice is recorded once.
func (p *projector) quotaTicketTypes(quotaID string, ids []string) error {
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			continue
		}
		if _, err := p.exec(stInsertQuotaTicketType, quotaID, id); err != nil {
			return fmt.Errorf("ticket type %s: %w", id, err)
		}
	}
	return nil
}

func (p *projector) organizerEntry(organizerID string, e boxoffice.Entry, at time.Time) error {
	ts := formatTime(at)
	switch e := e.(type) {
	case *organizer.Created:
		if e.OrganizerID != organizerID {
			return fmt.Errorf("organizer %s on the subject of organizer %s", e.OrganizerID, organizerID)
		}
		_, err := p.exec(stInsertOrganizer, organizerID, e.Name, ts)
		return err
	case *organizer.TokenCreated:
		if e.OrganizerID != organizerID {
			return fmt.Errorf("organizer %s on the subject of organizer %s", e.OrganizerID, organizerID)
		}
		_, err := p.exec(stInsertToken, e.TokenID, organizerID, e.Name, e.Hash, ts, string(organizer.TokenRole(e.Role)))
		return err
	case *organizer.TokenRevoked:
		if e.OrganizerID != organizerID {
			return fmt.Errorf("organizer %s on the subject of organizer %s", e.OrganizerID, organizerID)
		}
		return p.execOne("api token "+e.TokenID, stRevokeToken, ts, e.TokenID, organizerID)
	case *organizer.ProfileUpdated:
		return p.execOne("organizer "+organizerID, stUpdateProfile, e.Name, e.ContactEmail, e.Website, e.TermsURL, e.PrivacyURL, organizerID)
	case *organizer.LogoSet:
		png := e.PNG
		if png == nil {
			png = []byte{}
		}
		return p.execOne("organizer "+organizerID, stSetLogo, png, e.SHA256, organizerID)
	case *organizer.MemberInvited:
		_, err := p.exec(stInviteMember, e.MemberID, organizerID, e.Email, e.Role, e.InviteHash, e.Actor, ts,
			formatTime(e.ExpiresAt), ts)
		return err
	case *organizer.MemberJoined:
		return p.execOne("member "+e.MemberID, stJoinMember, e.Name, e.Email, e.PasswordHash, ts, ts, e.MemberID, organizerID)
	case *organizer.MemberRoleChanged:
		return p.execOne("member "+e.MemberID, stChangeMemberRole, e.Role, e.MemberID, organizerID)
	case *organizer.MemberRemoved:
		return p.execOne("member "+e.MemberID, stRemoveMember, ts, ts, e.MemberID, organizerID)
	case *organizer.ResetRequested:
		return p.execOne("member "+e.MemberID, stRequestReset, e.ResetHash, formatTime(e.ExpiresAt), e.MemberID, organizerID)
	case *organizer.PasswordSet:
		return p.execOne("member "+e.MemberID, stSetPassword, e.PasswordHash, ts, e.MemberID, organizerID)
	}
	return fmt.Errorf("no projection for entry %T", e)
}
