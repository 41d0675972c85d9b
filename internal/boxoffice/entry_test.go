package boxoffice

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/checkin"
)

// sampleEntries has one entry of every type with every field set.
func sampleEntries() []Entry {
	idem := &IdemStamp{Scope: "org-1", Key: "k", Hash: "0123abcd"}
	ed := eventDetails()
	ed.HoldTTLSeconds, ed.MaxTicketsPerHold = 120, 8
	td := TicketTypeDetails{Name: "Standing", Description: "Floor — all ages", Price: Money{Amount: 2500, Currency: "EUR"},
		MinPerHold: 1, MaxPerHold: 6, SalesStart: t0, SalesEnd: endsAt}
	qd := QuotaDetails{Name: "Hall", Capacity: 500, TicketTypeIDs: []string{"ga", "vip"}}
	return []Entry{
		&EventCreated{EventID: evID, OrganizerID: org, Currency: "EUR", EventDetails: ed, Idem: idem},
		&EventUpdated{EventID: evID, EventDetails: ed},
		&EventStatusChanged{EventID: evID, From: Draft, Status: OnSale, Idem: idem},
		&TicketTypeCreated{TicketTypeID: "ga", TicketTypeDetails: td, Idem: idem},
		&TicketTypeUpdated{TicketTypeID: "ga", TicketTypeDetails: td},
		&QuotaCreated{QuotaID: "total", QuotaDetails: qd, Idem: idem},
		&QuotaUpdated{QuotaID: "total", QuotaDetails: qd},
		&HoldCreated{HoldID: "h1", Items: []Item{item("ga", 2), item("vip", 1)}, ExpiresAt: t0.Add(10 * time.Minute), Idem: idem},
		&HoldReleased{HoldID: "h1"},
		&HoldExpired{HoldID: "h2"},
		&HoldExtended{HoldID: "h1", ExpiresAt: t0.Add(20 * time.Minute)},
		&OrderPlaced{OrderID: "o1", HoldID: "h1", Token: "tok", Buyer: Buyer{Name: "Zoë", Email: "zoe@example.com"},
			Attendees: []string{"Zoë", "Ada", "Bo"}, Lines: []OrderLine{{TicketTypeID: "ga", Name: "Standing", Quantity: 2,
				UnitPrice: Money{2500, "EUR"}, Amount: Money{5000, "EUR"}}}, Total: Money{5000, "EUR"},
			Provider: ProviderStripe, PayBy: t0.Add(15 * time.Minute), Idem: idem},
		&OrderPaid{OrderID: "o1", Payment: Payment{Provider: ProviderStripe, Ref: "pi_1", Amount: Money{5000, "EUR"},
			ReceivedAt: t0, Kept: true}, EventRef: "evt_1", Retaken: true, Tickets: []IssuedTicket{{TicketID: "tk_1",
			TicketTypeID: "ga", Attendee: "Zoë", Price: Money{2500, "EUR"}}}},
		&PaymentRejected{OrderID: "o1", Payment: Payment{Provider: ProviderStripe, Ref: "pi_2", Amount: Money{5000, "EUR"},
			ReceivedAt: t0}, EventRef: "evt_2", Reason: "late", Refund: sampleRefund()},
		&PaymentStarted{OrderID: "o1", PaymentIntentID: "pi_1", ClientSecret: "pi_1_secret_x"},
		&OrderExpired{OrderID: "o2", HoldID: "h2"},
		&OrderCancelled{OrderID: "o1", Reason: "duplicate", Revoked: []string{"tk_1"}, Refund: ptr(sampleRefund()), Idem: idem},
		&OrderRefunded{OrderID: "o1", Refund: sampleRefund(), Idem: idem},
		&TicketsResent{OrderID: "o1", Actor: "member:mb_aaaaaaaaaaaaaaaaaaaa"},
		&RefundSettled{OrderID: "o1", RefundID: "rf_1", ProviderRef: "re_1", Failed: true, Message: "card closed"},
		&SigningKeyAdded{KeyID: "0a1b2c3d", PublicKey: make([]byte, 32), Idem: idem},
		&SigningKeyRetired{KeyID: "0a1b2c3d"},
		&CheckinListCreated{ListID: "vip", CheckinListDetails: sampleListDetails(), Idem: idem},
		&CheckinListUpdated{ListID: "vip", CheckinListDetails: sampleListDetails()},
		&DoorDeviceAdded{DeviceID: "dd_1", Name: "North gate", TokenHash: strings.Repeat("ab", 32), Idem: idem},
		&DoorDeviceRevoked{DeviceID: "dd_1"},
		&TicketScanned{ListID: "vip", DeviceID: "dd_1", Nonce: "n-1", Direction: checkin.Entry, ScannedAt: t0,
			Offline: true, OfflineResult: checkin.OK, Result: checkin.AlreadyCheckedIn, TicketID: "tk_1", TicketTypeID: "ga",
			Conflict: true, Previous: &ScanRef{DeviceID: "dd_2", ScannedAt: t0.Add(-time.Minute)}},
		&ScanAnnulled{ListID: "vip", DeviceID: "dd_1", Nonce: "n-1", TicketID: "tk_1", By: org},
	}
}

func sampleListDetails() CheckinListDetails {
	return CheckinListDetails{Name: "VIP entrance", TicketTypeIDs: []string{"vip"}, From: t0, Until: endsAt, ReEntry: true}
}

func sampleRefund() Refund {
	return Refund{ID: "rf_1", Amount: Money{2500, "EUR"}, TicketIDs: []string{"tk_1"}, Reason: "ill", Provider: ProviderStripe,
		PaymentRef: "pi_1", Status: RefundSucceeded, ProviderRef: "re_1", Message: "ok", CreatedAt: t0, SettledAt: t0}
}

var wantSubjects = map[string]string{
	"admit.event.created.v1":        "event",
	"admit.event.updated.v1":        "event",
	"admit.event.status_changed.v1": "event",
	"admit.ticket_type.created.v1":  "ticket-types/ga",
	"admit.ticket_type.updated.v1":  "ticket-types/ga",
	"admit.quota.created.v1":        "quotas/total",
	"admit.quota.updated.v1":        "quotas/total",
	"admit.hold.created.v1":         "holds/h1",
	"admit.hold.released.v1":        "holds/h1",
	"admit.hold.expired.v1":         "holds/h2",
	"admit.hold.extended.v1":        "holds/h1",

	"admit.order.placed.v1":           "orders/o1",
	"admit.order.paid.v1":             "orders/o1",
	"admit.order.payment_rejected.v1": "orders/o1",
	"admit.order.payment_started.v1":  "orders/o1",
	"admit.order.expired.v1":          "orders/o2",
	"admit.order.cancelled.v1":        "orders/o1",
	"admit.order.tickets_resent.v1":   "orders/o1",
	"admit.order.refunded.v1":         "orders/o1",
	"admit.order.refund_settled.v1":   "orders/o1",
	"admit.signing_key.added.v1":      "signing-keys/0a1b2c3d",
	"admit.signing_key.retired.v1":    "signing-keys/0a1b2c3d",

	"admit.checkin.list_created.v1":   "check-in-lists/vip",
	"admit.checkin.list_updated.v1":   "check-in-lists/vip",
	"admit.checkin.device_added.v1":   "door-devices/dd_1",
	"admit.checkin.device_revoked.v1": "door-devices/dd_1",
	"admit.checkin.scanned.v1":        "tickets/tk_1",
	"admit.checkin.annulled.v1":       "tickets/tk_1",
}

// TestEntryTypes: the samples cover every registered type, and every
// registered name decodes to an entry of that type.
func TestEntryTypes(t *testing.T) {
	var types []string
	for _, e := range sampleEntries() {
		types = append(types, e.Type())
		if got := e.Subject(); got != wantSubjects[e.Type()] {
			t.Errorf("%s subject = %q, want %q", e.Type(), got, wantSubjects[e.Type()])
		}
	}
	names := EntryTypeNames()
	slices.Sort(names)
	slices.Sort(types)
	if !slices.Equal(names, types) {
		t.Fatalf("EntryTypeNames() = %q\nthe samples have %q", names, types)
	}
	if want := slices.Sorted(maps.Keys(wantSubjects)); !slices.Equal(names, want) {
		t.Fatalf("EntryTypeNames() = %q, want %q", names, want)
	}
	for _, name := range names {
		e, err := DecodeEntry(name, []byte("{}"))
		if err != nil {
			t.Fatalf("DecodeEntry(%s, {}): %v", name, err)
		}
		if e.Type() != name {
			t.Errorf("DecodeEntry(%s) gave a %s", name, e.Type())
		}
		if !strings.HasPrefix(name, "admit.") || !strings.HasSuffix(name, ".v1") {
			t.Errorf("type %q is not admit.<area>.<fact>.v<N>", name)
		}
	}
}

func TestEncodeBatchEnvelope(t *testing.T) {
	at := time.Date(2030, 1, 1, 12, 0, 0, 123456789, time.UTC)
	entries := sampleEntries()
	out, err := EncodeBatch([]byte("prefix"), Source(evID), 41, at, entries)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("prefix[")) {
		t.Fatalf("EncodeBatch did not append to buf: %.40s", out)
	}
	data := out[len("prefix"):]
	if !json.Valid(data) {
		t.Fatalf("batch is not valid JSON: %s", data)
	}
	var batch []map[string]json.RawMessage
	if err := json.Unmarshal(data, &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(entries) {
		t.Fatalf("%d envelopes, want %d", len(batch), len(entries))
	}
	wantKeys := []string{"data", "datacontenttype", "id", "source", "specversion", "subject", "time", "type"}
	for i, ce := range batch {
		e := entries[i]
		if keys := slices.Sorted(maps.Keys(ce)); !slices.Equal(keys, wantKeys) {
			t.Errorf("envelope %d attributes = %q, want %q", i, keys, wantKeys)
		}
		str := func(k string) string {
			var s string
			if err := json.Unmarshal(ce[k], &s); err != nil {
				t.Errorf("envelope %d %s = %s, not a string", i, k, ce[k])
			}
			return s
		}
		wantStr := map[string]string{"specversion": "1.0", "id": "41." + itoa(i), "source": "/events/ev-1",
			"type": e.Type(), "subject": e.Subject(), "datacontenttype": "application/json"}
		for k, want := range wantStr {
			if got := str(k); got != want {
				t.Errorf("envelope %d %s = %q, want %q", i, k, got, want)
			}
		}
		tm, err := time.Parse(time.RFC3339Nano, str("time"))
		if err != nil || !tm.Equal(at) {
			t.Errorf("envelope %d time = %s (%v), want %s", i, ce["time"], err, at)
		}
		wantData, _ := json.Marshal(e)
		if !bytes.Equal(ce["data"], wantData) || ce["data"][0] != '{' {
			t.Errorf("envelope %d data = %s, want the entry as a JSON object %s", i, ce["data"], wantData)
		}
	}
}

func TestBatchRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 1, 12, 0, 0, 5, time.UTC)
	check := func(t *testing.T, entries []Entry) {
		t.Helper()
		data, err := EncodeBatch(nil, Source(evID), 7, at, entries)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBatch(data)
		if err != nil {
			t.Fatalf("DecodeBatch: %v", err)
		}
		if len(got) != len(entries) {
			t.Fatalf("decoded %d entries, want %d", len(got), len(entries))
		}
		for i, tm := range got {
			if !reflect.DeepEqual(tm.Entry, entries[i]) {
				t.Errorf("entry %d:\n got %#v\nwant %#v", i, tm.Entry, entries[i])
			}
			if !tm.At.Equal(at) {
				t.Errorf("entry %d at %s, want %s", i, tm.At, at)
			}
		}
	}
	for _, e := range sampleEntries() {
		t.Run(e.Type(), func(t *testing.T) { check(t, []Entry{e}) })
	}
	t.Run("all", func(t *testing.T) { check(t, sampleEntries()) })
	t.Run("without optional fields", func(t *testing.T) {
		check(t, []Entry{
			&EventCreated{EventID: evID, OrganizerID: org, Currency: "EUR", EventDetails: eventDetails()},
			&TicketTypeCreated{TicketTypeID: "ga", TicketTypeDetails: ttDetails("GA")},
			&HoldCreated{HoldID: "h", Items: []Item{item("ga", 1)}, ExpiresAt: t0},
		})
	})
	t.Run("empty", func(t *testing.T) {
		data, err := EncodeBatch(nil, Source(evID), 0, at, nil)
		if err != nil || string(data) != "[]" {
			t.Fatalf("EncodeBatch of nothing = %q, %v, want []", data, err)
		}
		got, err := DecodeBatch(data)
		if err != nil || len(got) != 0 {
			t.Fatalf("DecodeBatch([]) = %v, %v", got, err)
		}
	})
	t.Run("other time zone", func(t *testing.T) {
		cet := time.Date(2030, 1, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))
		data, err := EncodeBatch(nil, Source(evID), 0, cet, []Entry{&HoldReleased{HoldID: "h"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBatch(data)
		if err != nil || !got[0].At.Equal(cet) {
			t.Fatalf("decoded %v, %v, want at %s", got, err, cet)
		}
	})
}

func TestDecodeBatchRefuses(t *testing.T) {
	good, err := EncodeBatch(nil, Source(evID), 3, t0, []Entry{&HoldReleased{HoldID: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
	}{
		{"unknown type", strings.Replace(string(good), "admit.hold.released.v1", "admit.hold.vanished.v1", 1)},
		{"newer version", strings.Replace(string(good), "admit.hold.released.v1", "admit.hold.released.v2", 1)},
		{"no type", `[{"specversion":"1.0","id":"3.0","data":{}}]`},
		{"not JSON", `[{"specversion":`},
		{"not a batch", `{"specversion":"1.0"}`},
		{"data of the wrong shape", strings.Replace(string(good), `{"hold_id":"h"}`, `{"hold_id":7}`, 1)},
		{"bad time", strings.Replace(string(good), "2030-01-01T12:00:00Z", "yesterday", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == string(good) {
				t.Fatal("the corruption did not apply")
			}
			got, err := DecodeBatch([]byte(tc.data))
			if err == nil {
				t.Fatalf("DecodeBatch = %v, nil; want an error", got)
			}
			if !strings.HasPrefix(err.Error(), "boxoffice: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if _, err := DecodeEntry("admit.nope.v1", []byte("{}")); err == nil {
		t.Error("DecodeEntry of an unknown type = nil error")
	}
}

func TestDecodeBatchWith(t *testing.T) {
	data, err := EncodeBatch(nil, Source(evID), 0, t0, []Entry{&HoldReleased{HoldID: "a"}, &HoldExpired{HoldID: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	got, err := DecodeBatchWith(data, func(typ string, data []byte) (Entry, error) {
		seen = append(seen, typ+" "+string(data))
		return DecodeEntry(typ, data)
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("DecodeBatchWith = %v, %v", got, err)
	}
	want := []string{`admit.hold.released.v1 {"hold_id":"a"}`, `admit.hold.expired.v1 {"hold_id":"b"}`}
	if !slices.Equal(seen, want) {
		t.Errorf("decoder saw %q, want %q", seen, want)
	}
	boom := errors.New("boom")
	if _, err := DecodeBatchWith(data, func(string, []byte) (Entry, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("DecodeBatchWith error = %v, want the decoder's", err)
	}
}

// TestEveryEntryRecordsItsActor: every entry type has an actor, and ActorOf
// reads it.
func TestEveryEntryRecordsItsActor(t *testing.T) {
	for _, e := range sampleEntries() {
		f := reflect.ValueOf(e).Elem().FieldByName("Actor")
		if !f.IsValid() || f.Kind() != reflect.String {
			t.Errorf("%s has no Actor string", e.Type())
			continue
		}
		f.SetString("member:mb_x")
		if got := ActorOf(e); got != "member:mb_x" {
			t.Errorf("ActorOf(%s) = %q, want the Actor it records", e.Type(), got)
		}
	}
}
