package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

func TestTextCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Ada Lovelace", "Ada Lovelace"},
		{`=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
		{"ü=", "ü="},
	} {
		if got := textCell(tc.in); got != tc.want {
			t.Errorf("textCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

const (
	exportEvent = "ev_exportexportexport22"
	exportOrg   = "or_aaaaaaaaaaaaaaaaaaaa" // oneToken's
)

// oneEvent is a box office that has one event, of exportOrg.
type oneEvent struct{ *holdOnly }

func (oneEvent) View(_ context.Context, eventID string) (*boxoffice.View, error) {
	if eventID != exportEvent {
		return nil, nil
	}
	return &boxoffice.View{Event: boxoffice.Event{ID: exportEvent, OrganizerID: exportOrg}}, nil
}

// fixedRows is a read model of oneToken's organizer whose exports give
// the rows, and then fail with errBroken after failAt rows (never when
// failAt is negative): a database that breaks half-way. The server's
// goroutines read it while the test sets it.
type fixedRows struct {
	oneToken
	orders    []sqlite.OrderRow
	attendees []sqlite.AttendeeRow
	failAt    atomic.Int64
	reads     atomic.Int64 // exports started
}

var errBroken = errors.New("the disk is on fire")

func (f *fixedRows) ExportOrders(_ context.Context, _ string, fn func(sqlite.OrderRow) error) error {
	f.reads.Add(1)
	return each(f.orders, int(f.failAt.Load()), fn)
}

func (f *fixedRows) ExportAttendees(_ context.Context, _ string, fn func(sqlite.AttendeeRow) error) error {
	f.reads.Add(1)
	return each(f.attendees, int(f.failAt.Load()), fn)
}

func each[T any](rows []T, failAt int, fn func(T) error) error {
	for i, r := range rows {
		if i == failAt {
			return errBroken
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if failAt >= len(rows) {
		return errBroken
	}
	return nil
}

// exportServer serves the API over the read model on a real listener, so
// that flushes, deadlines and aborted responses are as a client sees them.
func exportServer(t *testing.T, read ReadModel) *httptest.Server {
	t.Helper()
	s := New(Config{Offices: oneEvent{&holdOnly{}}, Read: read, Clock: clock.Real{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// get sends a GET with the token (none when "") and returns the answer
// with its body as far as it could be read.
func get(t *testing.T, url, token string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

// TestExportCSV: the files' bytes, headers, quoting and spreadsheet
// safety, on rows that the API could not produce all of (line breaks,
// negative amounts), so that the writer is held to every case.
func TestExportCSV(t *testing.T) {
	token, hash := organizer.NewToken()
	tm := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	read := &fixedRows{oneToken: oneToken{hash},
		orders: []sqlite.OrderRow{
			{ID: "od_1", Status: "paid", CreatedAt: tm("2030-05-02T11:14:03.123456789+02:00"),
				PaidAt: tm("2030-05-02T09:15:40Z"), BuyerName: `Łukasiewicz, "Zoë"`, BuyerEmail: "zoe@example.com",
				Quantity: 2, TotalAmount: 9000, Currency: "EUR", Provider: "manual"},
			{ID: "od_2", Status: "refunded", CreatedAt: tm("2030-05-02T09:20:00Z"), PaidAt: tm("2030-05-02T09:21:00Z"),
				EndedAt: tm("2030-05-03T10:00:00Z"), BuyerName: `=HYPERLINK("http://x")`, BuyerEmail: "+1@example.com",
				Quantity: 1, TotalAmount: 1500, RefundedAmount: 1500, Currency: "JPY", Provider: "stripe",
				Reason: "line one\nline two"},
			{ID: "od_3", Status: "cancelled", CreatedAt: tm("2030-05-02T09:30:00Z"), EndedAt: tm("2030-05-02T09:31:00Z"),
				BuyerName: "@SUM(A1:A9)", BuyerEmail: "-x@example.com", Quantity: 1, TotalAmount: -5, RefundedAmount: 0,
				Currency: "EUR", Provider: "manual", Reason: "\tindented"},
		},
		attendees: []sqlite.AttendeeRow{
			{TicketID: "tk_1", OrderID: "od_1", TicketTypeID: "tt_1", TicketTypeName: "Standing, front",
				Attendee: "+43 Ada", Status: "valid", PriceAmount: 4500, Currency: "EUR",
				IssuedAt: tm("2030-05-02T09:15:40Z"), OrderStatus: "paid", BuyerName: `Łukasiewicz, "Zoë"`,
				BuyerEmail: "zoe@example.com"},
			{TicketID: "tk_2", OrderID: "od_2", TicketTypeID: "tt_2", TicketTypeName: "=1+1", Status: "revoked",
				PriceAmount: 1234, Currency: "BHD", IssuedAt: tm("2030-05-02T09:21:00Z"),
				RevokedAt: tm("2030-05-03T10:00:00Z"), OrderStatus: "refunded", BuyerName: "@SUM(A1:A9)",
				BuyerEmail: "b@example.com"},
		}}
	read.failAt.Store(-1)
	srv := exportServer(t, read)
	base := srv.URL + "/api/v1/events/" + exportEvent + "/exports/"
	for _, tc := range []struct{ file, want string }{
		{"orders.csv", "order_id,status,created_at,paid_at,ended_at,buyer_name,buyer_email,tickets,total,refunded,currency,payment_provider,reason\r\n" +
			`od_1,paid,2030-05-02T09:14:03Z,2030-05-02T09:15:40Z,,"Łukasiewicz, ""Zoë""",zoe@example.com,2,90.00,0.00,EUR,manual,` + "\r\n" +
			`od_2,refunded,2030-05-02T09:20:00Z,2030-05-02T09:21:00Z,2030-05-03T10:00:00Z,"'=HYPERLINK(""http://x"")",'+1@example.com,1,1500,1500,JPY,stripe,"line one` + "\r\n" + `line two"` + "\r\n" +
			"od_3,cancelled,2030-05-02T09:30:00Z,,2030-05-02T09:31:00Z,'@SUM(A1:A9),'-x@example.com,1,-0.05,0.00,EUR,manual,'\tindented\r\n"},
		{"attendees.csv", "ticket_id,order_id,ticket_type_id,ticket_type,attendee,status,price,currency,issued_at,revoked_at,order_status,buyer_name,buyer_email\r\n" +
			`tk_1,od_1,tt_1,"Standing, front",'+43 Ada,valid,45.00,EUR,2030-05-02T09:15:40Z,,paid,"Łukasiewicz, ""Zoë""",zoe@example.com` + "\r\n" +
			"tk_2,od_2,tt_2,'=1+1,,revoked,1.234,BHD,2030-05-02T09:21:00Z,2030-05-03T10:00:00Z,refunded,'@SUM(A1:A9),b@example.com\r\n"},
	} {
		resp, body, err := get(t, base+tc.file, token)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v\n%s", tc.file, resp.StatusCode, err, body)
		}
		if body != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.file, body, tc.want)
		}
		name := strings.TrimSuffix(tc.file, ".csv")
		for h, want := range map[string]string{
			"Content-Type":           "text/csv; charset=utf-8",
			"Content-Disposition":    `attachment; filename="` + name + "-" + exportEvent + `.csv"`,
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", tc.file, h, got, want)
			}
		}
		// What a spreadsheet program reads: the cells as written above.
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		want, buyer := 1+len(read.orders), 5
		if name == "attendees" {
			want, buyer = 1+len(read.attendees), 11
		}
		if err != nil || len(rows) != want || rows[1][buyer] != `Łukasiewicz, "Zoë"` {
			t.Errorf("%s does not read back: %v, %d rows, want %d: %q", tc.file, err, len(rows), want, rows)
		}
	}

	reads := read.reads.Load()
	head, err := http.Head(base + "orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 401 {
		t.Errorf("HEAD without a token: %d", head.StatusCode)
	}
	req, _ := http.NewRequest("HEAD", base+"orders.csv", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if head, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 || head.Header.Get("Content-Type") != "text/csv; charset=utf-8" || read.reads.Load() != reads {
		t.Errorf("HEAD: %d %v, %d exports read, want the headers alone", head.StatusCode, head.Header, read.reads.Load()-reads)
	}

	if resp, body, _ := get(t, base+"orders.csv", ""); resp.StatusCode != 401 || !strings.Contains(body, `"code":"unauthorized"`) {
		t.Errorf("without a token: %d %s", resp.StatusCode, body)
	}
	other := srv.URL + "/api/v1/events/ev_bbbbbbbbbbbbbbbbbbbb/exports/orders.csv"
	if resp, body, _ := get(t, other, token); resp.StatusCode != 404 || resp.Header.Get("Content-Disposition") != "" ||
		!strings.Contains(body, `"code":"not-found"`) {
		t.Errorf("an event that is not the organizer's: %d %s", resp.StatusCode, body)
	}
}

// TestExportFails: a read model that fails before anything reached the
// client is answered as a problem; one that fails half-way breaks the
// connection, so the client sees a failed download, not a short file.
func TestExportFails(t *testing.T) {
	token, hash := organizer.NewToken()
	read := &fixedRows{oneToken: oneToken{hash}}
	for i := range 3 * exportFlushRows {
		read.orders = append(read.orders, sqlite.OrderRow{ID: fmt.Sprintf("od_%d", i), Status: "paid",
			BuyerName: "Buyer", BuyerEmail: "b@example.com", Currency: "EUR"})
	}
	srv := exportServer(t, read)
	url := srv.URL + "/api/v1/events/" + exportEvent + "/exports/orders.csv"

	read.failAt.Store(0)
	resp, body, err := get(t, url, token)
	if err != nil || resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		resp.Header.Get("Content-Disposition") != "" || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("failing at once: %d %v %v\n%s", resp.StatusCode, err, resp.Header, body)
	}

	read.failAt.Store(2*exportFlushRows + 1)
	resp, body, err = get(t, url, token)
	if resp.StatusCode != 200 || err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("failing half-way: %d, read error %v, want an unexpected EOF", resp.StatusCode, err)
	}
	if n := strings.Count(body, "\r\n"); n < exportFlushRows || n > 2*exportFlushRows+1 {
		t.Errorf("failing half-way: %d rows reached the client, want the ones flushed before", n)
	}
}

// exportRig is an API server over a read model of one event with n paid
// orders of one ticket each, applied through the projection in big
// transactions; every tenth buyer's name starts with =, and every name
// needs quoting.
func exportRig(tb testing.TB, n int) *Server {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "read.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	t0 := time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)
	var seq uint64
	record := func(at time.Time, es []boxoffice.Entry) ledger.Record {
		data, err := boxoffice.EncodeBatch(nil, boxoffice.Source(exportEvent), seq, at, es)
		if err != nil {
			tb.Fatal(err)
		}
		seq++
		return ledger.Record{Seq: seq, Subject: "ledger.event." + exportEvent, Data: data, Time: at}
	}
	price := boxoffice.Money{Amount: 4500, Currency: "EUR"}
	ttID := "tt_exportexportexport22"
	recs := []ledger.Record{record(t0, []boxoffice.Entry{
		&boxoffice.EventCreated{EventID: exportEvent, OrganizerID: exportOrg, Currency: "EUR",
			EventDetails: boxoffice.EventDetails{Name: "Export", Venue: "Hall", TimeZone: "UTC", StartsAt: t0.AddDate(0, 1, 0),
				EndsAt: t0.AddDate(0, 1, 1), HoldTTLSeconds: 600, MaxTicketsPerHold: 10}},
		&boxoffice.TicketTypeCreated{TicketTypeID: ttID, TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing, front", Price: price, MinPerHold: 1, MaxPerHold: 10}},
	})}
	const perRecord = 2_500
	var es []boxoffice.Entry
	for i := range n {
		orderID := fmt.Sprintf("od_%020d", i)
		name := fmt.Sprintf(`Buyer "%d", of Vienna`, i)
		if i%10 == 0 {
			name = "=" + name
		}
		es = append(es,
			&boxoffice.OrderPlaced{OrderID: orderID, HoldID: fmt.Sprintf("ho_%026d", i), Token: "ot_" + orderID,
				Buyer: boxoffice.Buyer{Name: name, Email: "buyer" + strconv.Itoa(i) + "@example.com"},
				Lines: []boxoffice.OrderLine{{TicketTypeID: ttID, Name: "Standing", Quantity: 1, UnitPrice: price, Amount: price}},
				Total: price, Provider: boxoffice.ProviderManual, PayBy: t0.Add(time.Hour)},
			&boxoffice.OrderPaid{OrderID: orderID,
				Payment: boxoffice.Payment{Provider: boxoffice.ProviderManual, Amount: price, ReceivedAt: t0, Kept: true},
				Tickets: []boxoffice.IssuedTicket{{TicketID: boxoffice.TicketID(orderID, 0), TicketTypeID: ttID,
					Attendee: "Guest " + strconv.Itoa(i), Price: price}}})
		if len(es) == 2*perRecord || i == n-1 {
			recs = append(recs, record(t0.Add(time.Duration(len(recs))*time.Second), es))
			es = nil
		}
	}
	for len(recs) > 0 { // 20,000 orders a transaction
		k := min(len(recs), 8)
		if err := db.Apply(ctx, recs[:k]); err != nil {
			tb.Fatal(err)
		}
		recs = recs[k:]
	}
	return New(Config{Offices: oneEvent{&holdOnly{}}, Read: db, Clock: clock.Real{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// sink is a ResponseWriter that keeps nothing of the body: it counts the
// bytes and calls sample after every write (the CSV writer's buffer, 4 KiB).
type sink struct {
	header http.Header
	code   int
	bytes  int64
	sample func()
}

func (s *sink) Header() http.Header              { return s.header }
func (s *sink) WriteHeader(code int)             { s.code = code }
func (s *sink) Flush()                           {}
func (s *sink) SetWriteDeadline(time.Time) error { return nil }
func (s *sink) Write(p []byte) (int, error) {
	s.bytes += int64(len(p))
	if s.sample != nil {
		s.sample()
	}
	return len(p), nil
}

// export runs one export of the rig's event into w.
func export(tb testing.TB, s *Server, file string, w http.ResponseWriter) {
	tb.Helper()
	r := httptest.NewRequest("GET", "/api/v1/events/"+exportEvent+"/exports/"+file, nil)
	r.SetPathValue("event_id", exportEvent)
	h := s.exportOrders
	if file == "attendees.csv" {
		h = s.exportAttendees
	}
	if err := h(w, r, sqlite.Organizer{ID: exportOrg}); err != nil {
		tb.Fatalf("export %s: %v", file, err)
	}
}

// TestExportRig: the rig's files are what the exports are meant to be, so
// the memory test and the benchmark measure real exports.
func TestExportRig(t *testing.T) {
	s := exportRig(t, 1_203)
	for _, file := range []string{"orders.csv", "attendees.csv"} {
		rec := httptest.NewRecorder()
		export(t, s, file, rec)
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(rows) != 1+1_203 {
			t.Fatalf("%s: %d rows, want a header and 1,203", file, len(rows))
		}
		name := 5
		if file == "attendees.csv" {
			name = 11
		}
		if got := rows[1+10][name]; got != `'=Buyer "10", of Vienna` {
			t.Errorf("%s: buyer of the eleventh order %q", file, got)
		}
		if got := rows[1_203][name]; got != `Buyer "1202", of Vienna` {
			t.Errorf("%s: buyer of the last order %q", file, got)
		}
	}
}

// liveHeap returns the bytes of heap objects that survive a collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// exportGrowth exports the rig's file and returns the most that the live
// heap grew during it, sampled after every 4th write (16 KiB of CSV), and
// the bytes of the file.
func exportGrowth(t *testing.T, s *Server, file string) (growth, size int64) {
	t.Helper()
	base := liveHeap()
	var peak uint64
	writes := 0
	w := &sink{header: http.Header{}, sample: func() {
		if writes++; writes%4 == 0 {
			peak = max(peak, liveHeap())
		}
	}}
	export(t, s, file, w)
	if writes < 4*8 {
		t.Fatalf("%s: %d writes, too few samples", file, writes)
	}
	return int64(peak) - int64(base), w.bytes
}

// TestExportMemoryIsBounded: exporting ten times the orders does not take
// more memory. The live heap (what a collection leaves, so that garbage
// the collector has not reached yet is no noise) grows by about a chunk of
// rows, 200-250 KB, during an export of 1,000 orders and of 10,000 alike;
// an export that kept its rows would grow by some 3.5 MB more for the
// larger one.
func TestExportMemoryIsBounded(t *testing.T) {
	small, large := exportRig(t, 1_000), exportRig(t, 10_000)
	const bound = 512 << 10
	for _, file := range []string{"orders.csv", "attendees.csv"} {
		gs, ss := exportGrowth(t, small, file)
		gl, sl := exportGrowth(t, large, file)
		if sl < 9*ss {
			t.Fatalf("%s: %d bytes of 10,000 orders, %d of 1,000: the rig is not what the test needs", file, sl, ss)
		}
		t.Logf("%s: the live heap grew by %d bytes exporting 1,000 orders, %d exporting 10,000", file, gs, gl)
		if gl-gs > bound {
			t.Errorf("%s: the live heap grew by %d bytes exporting 1,000 orders and %d exporting 10,000: more than %d apart",
				file, gs, gl, bound)
		}
	}
}

// BenchmarkExport streams orders.csv and attendees.csv of an event with
// 100,000 paid orders of one ticket each to nowhere: rows/s, bytes of CSV
// per export, and the peak of the heap in use during it (live objects and
// garbage not yet collected, sampled after every write).
func BenchmarkExport(b *testing.B) {
	const orders = 100_000
	s := exportRig(b, orders)
	for _, file := range []string{"orders.csv", "attendees.csv"} {
		b.Run(file, func(b *testing.B) {
			heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			var peak uint64
			w := &sink{header: http.Header{}, sample: func() {
				metrics.Read(heap)
				peak = max(peak, heap[0].Value.Uint64())
			}}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.bytes = 0
				export(b, s, file, w)
			}
			b.ReportMetric(float64(orders*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(w.bytes), "csv-bytes/op")
			b.ReportMetric(float64(peak), "peak-heap-bytes")
		})
	}
}
