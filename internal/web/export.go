package web

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/sqlite"
)

// The exports are CSV files (RFC 4180, encoding/csv: "," between cells,
// CRLF after each row, a cell quoted when it holds a comma, a quote or a
// line break) of UTF-8 text, with a header row of column names that stay
// as they are (new columns are added at the end). They are streamed: rows
// are read from the read model a chunk at a time and pushed to the client
// every exportFlushRows rows, so memory does not grow with the event, and
// each push gives the client exportWriteTimeout more to take the next
// (the server's WriteTimeout would otherwise cut a long download off).
//
// Spreadsheet safety (OWASP "CSV Injection"): a spreadsheet runs a cell
// that starts with =, +, -, @, a tab or a carriage return as a formula, and
// a formula can leak the sheet or run commands. Every cell of text that
// people typed — buyers' and attendees' names, e-mail addresses, reasons,
// ticket type names — that starts with one of them gets a leading ' (the
// spreadsheet shows the text as it is, the ' is visible in other tools).
// The cells admit writes itself are not changed: ids, statuses, RFC 3339
// times, counts and amounts ("-5.00" stays a number a sheet can sum). An
// amount is written as a decimal in the currency's digits
// (boxoffice.Money.Decimal), its currency in a column of its own.
const (
	exportFlushRows    = 500
	exportWriteTimeout = 30 * time.Second
)

// orderColumns are the columns of orders.csv.
var orderColumns = []string{"order_id", "status", "created_at", "paid_at", "ended_at", "buyer_name", "buyer_email",
	"tickets", "total", "refunded", "currency", "payment_provider", "reason"}

// attendeeColumns are the columns of attendees.csv.
var attendeeColumns = []string{"ticket_id", "order_id", "ticket_type_id", "ticket_type", "attendee", "status",
	"price", "currency", "issued_at", "revoked_at", "order_status", "buyer_name", "buyer_email"}

// exportOrders answers GET /api/v1/events/{event_id}/exports/orders.csv:
// one row per order, oldest first.
func (s *Server) exportOrders(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	return s.exportCSV(w, r, org, "orders", orderColumns, func(ctx context.Context, eventID string, write func([]string) error) error {
		row := make([]string, 0, len(orderColumns))
		return s.read.ExportOrders(ctx, eventID, func(o sqlite.OrderRow) error {
			row = append(row[:0], o.ID, o.Status, csvTime(o.CreatedAt), csvTime(o.PaidAt), csvTime(o.EndedAt),
				textCell(o.BuyerName), textCell(o.BuyerEmail), strconv.Itoa(o.Quantity),
				boxoffice.Money{Amount: o.TotalAmount, Currency: o.Currency}.Decimal(),
				boxoffice.Money{Amount: o.RefundedAmount, Currency: o.Currency}.Decimal(), o.Currency, o.Provider,
				textCell(o.Reason))
			return write(row)
		})
	})
}

// exportAttendees answers GET /api/v1/events/{event_id}/exports/attendees.csv:
// one row per ticket, valid or revoked, by order as orders.csv, then as
// issued. The read model keeps no check-ins, so the file has none.
func (s *Server) exportAttendees(w http.ResponseWriter, r *http.Request, org sqlite.Organizer) error {
	return s.exportCSV(w, r, org, "attendees", attendeeColumns, func(ctx context.Context, eventID string, write func([]string) error) error {
		row := make([]string, 0, len(attendeeColumns))
		return s.read.ExportAttendees(ctx, eventID, func(a sqlite.AttendeeRow) error {
			row = append(row[:0], a.TicketID, a.OrderID, a.TicketTypeID, textCell(a.TicketTypeName),
				textCell(a.Attendee), a.Status, boxoffice.Money{Amount: a.PriceAmount, Currency: a.Currency}.Decimal(),
				a.Currency, csvTime(a.IssuedAt), csvTime(a.RevokedAt), a.OrderStatus, textCell(a.BuyerName),
				textCell(a.BuyerEmail))
			return write(row)
		})
	})
}

// exportCSV checks that the event is the organizer's (else not-found, as
// its other routes), waits for this node's own writes to reach the read
// model, and streams the file "<name>-<event id>.csv": the header row, then
// the rows that each passes to write (which may reuse its slice). An error
// before anything reached the client is answered as a problem; after, the
// response is aborted (the connection is closed before the end of the
// chunked body), so that the client cannot take a cut file for a whole one.
// A HEAD request gets the headers alone. Errors: NotFound (no such event
// of the organizer's), Unavailable (the read model is catching up with
// this node's writes), Internal (the read model failed).
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, org sqlite.Organizer, name string, header []string,
	each func(ctx context.Context, eventID string, write func([]string) error) error) error {
	v, err := s.organizerView(r, org)
	if err != nil {
		return err
	}
	if err := s.waitForOwnWrites(r.Context()); err != nil {
		return err
	}
	eventID := v.Event.ID // as eventID checked it: letters, digits and _, safe in a file name
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+"-"+eventID+`.csv"`)
	h["Cache-Control"] = headerNoStore
	if r.Method == http.MethodHead {
		return nil // the headers alone: no need to read the event's orders
	}

	out := &sentWriter{w: w}
	e := &csvStream{csv: csv.NewWriter(out), rc: http.NewResponseController(w)}
	e.csv.UseCRLF = true
	err = e.write(header)
	if err == nil {
		err = each(r.Context(), eventID, e.write)
	}
	if err == nil {
		err = e.flush()
	}
	if err == nil {
		return nil
	}
	if !out.sent && e.failed == nil {
		// Nothing reached the client: answer with a problem instead.
		h.Del("Content-Disposition")
		return err
	}
	if e.failed == nil && r.Context().Err() == nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "export failed half-way", slog.String("path", r.URL.Path),
			slog.String("request_id", h.Get("X-Request-Id")), slog.Int("rows", e.rows), slog.Any("err", err))
	}
	panic(http.ErrAbortHandler) // net/http closes the connection and logs nothing
}

// csvStream writes rows of CSV and pushes them to the client every
// exportFlushRows rows.
type csvStream struct {
	csv    *csv.Writer
	rc     *http.ResponseController
	rows   int   // rows written, the header row included
	failed error // the first error writing to the client
}

func (e *csvStream) write(row []string) error {
	if err := e.csv.Write(row); err != nil {
		e.failed = err
		return err
	}
	if e.rows++; e.rows%exportFlushRows == 0 {
		return e.flush()
	}
	return nil
}

// flush sends what is buffered to the client and gives it
// exportWriteTimeout to take the next rows. A ResponseWriter that cannot
// flush or set deadlines (a test's) is written to as it is.
func (e *csvStream) flush() error {
	e.csv.Flush()
	err := e.csv.Error()
	if err == nil {
		if err = e.rc.Flush(); errors.Is(err, http.ErrNotSupported) {
			err = nil
		}
	}
	if err == nil {
		if err = e.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout)); errors.Is(err, http.ErrNotSupported) {
			err = nil
		}
	}
	if err != nil {
		e.failed = err
	}
	return err
}

// sentWriter notes whether anything was written through it.
type sentWriter struct {
	w    io.Writer
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = true
	return s.w.Write(p)
}

// textCell returns text that people typed as a cell that a spreadsheet
// shows as text: with a leading ' when it starts with a character that
// would make it a formula (=, +, -, @, tab, carriage return).
func textCell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}

// csvTime formats a time as RFC 3339 in UTC to the second; the zero time
// is an empty cell.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Export streams the export named what ("orders" or "attendees") of the
// organizer's event named by the request's {event_id} path value, as the
// API's exports/… routes do, for a caller that authenticated and
// authorized the request itself (the console, for a signed-in member).
// Its errors are answered as problems.
func (s *Server) Export(w http.ResponseWriter, r *http.Request, organizerID, what string) {
	org := sqlite.Organizer{ID: organizerID}
	var err error
	switch what {
	case "orders":
		err = s.exportOrders(w, r, org)
	case "attendees":
		err = s.exportAttendees(w, r, org)
	default:
		err = fault.New(fault.NotFound, "no export %q", what)
	}
	if err != nil {
		writeProblem(w, r, s.log, err)
	}
}
