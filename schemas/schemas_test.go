package schemas_test

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/checkin"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/password"
	"github.com/admit-org/admit/schemas"
)

// base is where every schema's $id points: base + file name.
const base = "https://github.com/admit-org/admit/schemas/"

// shared are the files that are not the schema of one entry type.
var shared = []string{"batch.json", "common.json", "envelope.json"}

// entryTypes returns the types of every entry admit writes, sorted.
func entryTypes() []string {
	types := append(boxoffice.EntryTypeNames(), organizer.EntryTypeNames()...)
	slices.Sort(types)
	return types
}

// folder loads the schemas under base from schemas.FS. Any other URL is an
// error: nothing is fetched from the network.
type folder struct{}

func (folder) Load(url string) (any, error) {
	name, ok := strings.CutPrefix(url, base)
	if !ok || !fs.ValidPath(name) || strings.Contains(name, "/") {
		return nil, fmt.Errorf("%s is not a schema of this folder", url)
	}
	f, err := schemas.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// compiler returns a draft 2020-12 compiler that loads from this folder and
// asserts formats (date-time), which draft 2020-12 leaves optional.
func compiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(folder{})
	return c
}

func compile(t *testing.T, c *jsonschema.Compiler, name string) *jsonschema.Schema {
	t.Helper()
	s, err := c.Compile(base + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

// instance decodes JSON the way the validator wants it (numbers as json.Number).
func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// readSchema returns a schema file as plain JSON.
func readSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := fs.ReadFile(schemas.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func TestEveryEntryTypeHasOneSchema(t *testing.T) {
	types := entryTypes()
	if got, want := len(types), 23; got < want {
		t.Fatalf("got %d entry types, want at least %d: %v", got, want, types)
	}
	files, err := fs.Glob(schemas.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		if !slices.Contains(shared, f) {
			got = append(got, strings.TrimSuffix(f, ".json"))
		}
	}
	if !slices.Equal(got, types) {
		t.Errorf("schema files for %v,\nwant one for each entry type %v", got, types)
	}

	for _, f := range files {
		m := readSchema(t, f)
		if got, want := m["$id"], base+f; got != want {
			t.Errorf("%s: $id %v, want %s", f, got, want)
		}
		if got, want := m["$schema"], "https://json-schema.org/draft/2020-12/schema"; got != want {
			t.Errorf("%s: $schema %v, want %s", f, got, want)
		}
		for _, k := range []string{"title", "description"} {
			if s, _ := m[k].(string); s == "" {
				t.Errorf("%s: no %s", f, k)
			}
		}
	}

	// The envelope lists every type and ties each to its data schema.
	env := readSchema(t, "envelope.json")
	typeSchema := env["properties"].(map[string]any)["type"].(map[string]any)
	naming := regexp.MustCompile(typeSchema["pattern"].(string))
	var listed []string
	for _, v := range typeSchema["enum"].([]any) {
		if !naming.MatchString(v.(string)) {
			t.Errorf("envelope.json: type %s does not match %s", v, naming)
		}
		listed = append(listed, v.(string))
	}
	slices.Sort(listed)
	if !slices.Equal(listed, types) {
		t.Errorf("envelope.json lists types %v, want %v", listed, types)
	}
	var tied []string
	for _, rule := range env["allOf"].([]any) {
		rule := rule.(map[string]any)
		typ := rule["if"].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["const"].(string)
		ref := rule["then"].(map[string]any)["properties"].(map[string]any)["data"].(map[string]any)["$ref"]
		if ref != typ+".json" {
			t.Errorf("envelope.json: data of %s refers to %v, want %s.json", typ, ref, typ)
		}
		tied = append(tied, typ)
	}
	slices.Sort(tied)
	if !slices.Equal(tied, types) {
		t.Errorf("envelope.json has rules for %v, want one for each of %v", tied, types)
	}
}

func TestSchemasCompile(t *testing.T) {
	c := compiler()
	files, err := fs.Glob(schemas.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		compile(t, c, f) // also checks each against the draft 2020-12 meta-schema
	}
}

// zeroEntry returns a new zero entry of type typ, made by the package that
// owns the type.
func zeroEntry(t *testing.T, typ string) boxoffice.Entry {
	t.Helper()
	batch := fmt.Appendf(nil, `[{"specversion":"1.0","type":%q,"data":{}}]`, typ)
	decode := boxoffice.DecodeBatch
	if slices.Contains(organizer.EntryTypeNames(), typ) {
		decode = organizer.DecodeBatch
	}
	got, err := decode(batch)
	if err != nil {
		t.Fatal(err)
	}
	return got[0].Entry
}

// jsonFields adds to all the names that values of struct type t have in
// JSON, and to always those it emits even when zero.
func jsonFields(t reflect.Type, all, always map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			jsonFields(f.Type, all, always)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		all[name] = true
		o := strings.Split(opts, ",")
		if !slices.Contains(o, "omitempty") && !slices.Contains(o, "omitzero") {
			always[name] = true
		}
	}
}

// matchStruct checks the object schema m, named where in messages, against
// the Go struct type typ: a property per JSON field, required exactly when
// always emitted, nothing else allowed.
func matchStruct(t *testing.T, where string, m map[string]any, typ reflect.Type) {
	t.Helper()
	all, always := map[string]bool{}, map[string]bool{}
	jsonFields(typ, all, always)
	props := slices.Sorted(maps.Keys(m["properties"].(map[string]any)))
	if want := slices.Sorted(maps.Keys(all)); !slices.Equal(props, want) {
		t.Errorf("%s: properties %v, want the Go fields %v", where, props, want)
	}
	var required []string
	for _, r := range m["required"].([]any) {
		required = append(required, r.(string))
	}
	slices.Sort(required)
	if want := slices.Sorted(maps.Keys(always)); !slices.Equal(required, want) {
		t.Errorf("%s: required %v, want the fields Go always emits %v", where, required, want)
	}
	if m["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties is %v, want false", where, m["additionalProperties"])
	}
}

// TestSchemasMatchGoStructs checks each type schema's top level against the
// Go struct.
func TestSchemasMatchGoStructs(t *testing.T) {
	for _, typ := range entryTypes() {
		matchStruct(t, typ, readSchema(t, typ+".json"), reflect.TypeOf(zeroEntry(t, typ)).Elem())
	}
}

// TestSharedDefsMatchGoStructs checks the objects in common.json against
// the Go structs they describe, and that a value of each with every field
// set validates. The samples of the entries do not set every field of
// these: a refund in an entry is never settled yet.
func TestSharedDefsMatchGoStructs(t *testing.T) {
	eur := func(n int64) boxoffice.Money { return boxoffice.Money{Amount: n, Currency: "EUR"} }
	orderID := id.New("od", id.Short)
	tickets := []string{boxoffice.TicketID(orderID, 0), boxoffice.TicketID(orderID, 1)}
	defs := map[string]any{
		"money":       eur(12900),
		"money_sum":   eur(25800),
		"item":        boxoffice.Item{TicketTypeID: id.New("tt", id.Short), Quantity: 2},
		"idempotency": boxoffice.IdemStamp{Scope: "public", Key: "order:9b1d.1", Hash: hash("POST /api/holds")},
		"buyer":       boxoffice.Buyer{Name: "Ada Lovelace", Email: "ada.lovelace@example.org"},
		"order_line": boxoffice.OrderLine{TicketTypeID: id.New("tt", id.Short), Name: "VIP", Quantity: 2,
			UnitPrice: eur(12900), Amount: eur(25800)},
		"payment": boxoffice.Payment{Provider: boxoffice.ProviderStripe, Ref: "pi_3PkZ8r2eZvKYlo2C1Qx7mTnB",
			Amount: eur(25800), ReceivedAt: at, Kept: true},
		"refund": boxoffice.Refund{ID: id.New("rf", id.Short), Amount: eur(25800), TicketIDs: tickets,
			Reason: "The headliner cancelled.", Provider: boxoffice.ProviderStripe,
			PaymentRef: "pi_3PkZ8r2eZvKYlo2C1Qx7mTnB", Status: boxoffice.RefundFailed,
			ProviderRef: "re_3PkZ8r2eZvKYlo2C1b8QwXyZ", Message: "The card has been closed.", CreatedAt: at,
			SettledAt: at.Add(2 * time.Hour)},
		"issued_ticket": boxoffice.IssuedTicket{TicketID: tickets[0], TicketTypeID: id.New("tt", id.Short),
			Attendee: "Charles Babbage", Price: eur(12900)},
	}
	common := readSchema(t, "common.json")["$defs"].(map[string]any)
	c := compiler()
	for name, v := range defs {
		m := common[name].(map[string]any)
		matchStruct(t, "common.json "+name, m, reflect.TypeOf(v))
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatal(err)
		}
		got, want := slices.Sorted(maps.Keys(fields)), slices.Sorted(maps.Keys(m["properties"].(map[string]any)))
		if !slices.Equal(got, want) {
			t.Errorf("the sample %s %s sets %v, want every field %v", name, b, got, want)
		}
		if err := compile(t, c, "common.json#/$defs/"+name).Validate(instance(t, b)); err != nil {
			t.Errorf("%s %s:\n%v", name, b, err)
		}
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// at is when the sample entries were decided.
var at = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// eventEntries returns the entries of one event's life, with every optional
// field set when full is true and none set when it is false.
func eventEntries(organizerID string, full bool) []boxoffice.Entry {
	paris := time.FixedZone("CEST", 2*60*60)
	general, vip := id.New("tt", id.Short), id.New("tt", id.Short)
	venue := id.New("qu", id.Short)
	released, expired := id.New("ho", id.Long), id.New("ho", id.Long)
	details := boxoffice.EventDetails{
		Name:              "Les Nuits Électriques — closing night",
		Venue:             "Halle Tony Garnier, Lyon",
		TimeZone:          "Europe/Paris",
		StartsAt:          time.Date(2026, 7, 4, 20, 0, 0, 0, paris),
		EndsAt:            time.Date(2026, 7, 5, 2, 0, 0, 0, paris),
		HoldTTLSeconds:    600,
		MaxTicketsPerHold: 10,
	}
	tt := boxoffice.TicketTypeDetails{
		Name:        "VIP",
		Description: "Balcony access, a drink and the poster.",
		Price:       boxoffice.Money{Amount: 12900, Currency: "EUR"},
		MinPerHold:  1,
		MaxPerHold:  4,
	}
	ttFree := boxoffice.TicketTypeDetails{Name: "Companion", Price: boxoffice.Money{Currency: "EUR"},
		MinPerHold: 1, MaxPerHold: 1}
	var idem func(method, path, body string) *boxoffice.IdemStamp
	var publicIdem *boxoffice.IdemStamp
	if full {
		details.PaymentSettings = boxoffice.PaymentSettings{
			PaymentProviders:           []string{boxoffice.ProviderStripe, boxoffice.ProviderManual},
			PaymentWindowSeconds:       900,
			ManualPaymentWindowSeconds: 3 * 24 * 3600,
			ManualPaymentInstructions: "Transfer the total to IBAN FR76 3000 6000 0112 3456 7890 189 (Ateliers Sonores), " +
				"with your order number as the reference.",
		}
		details.BuyerLimits = boxoffice.BuyerLimits{MaxHoldsPerClient: 10, MaxUnpaidOrdersPerClient: 3,
			MaxUnpaidOrdersPerEmail: 2}
		tt.SalesStart = time.Date(2026, 3, 20, 10, 0, 0, 0, paris)
		tt.SalesEnd = time.Date(2026, 7, 4, 18, 0, 0, 0, paris)
		tt.AttendeeNames = true
		idem = func(method, path, body string) *boxoffice.IdemStamp {
			return &boxoffice.IdemStamp{Scope: organizerID, Key: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
				Hash: hash(method + " " + path + "\n" + body)}
		}
		publicIdem = &boxoffice.IdemStamp{Scope: "public", Key: "hold:3f2a.1",
			Hash: hash(`POST /api/holds` + "\n" + `{"items":[{"ticket_type_id":"` + general + `","quantity":2}]}`)}
	} else {
		idem = func(string, string, string) *boxoffice.IdemStamp { return nil }
	}
	eventID := id.New("ev", id.Short)
	updated := details
	updated.Venue, updated.HoldTTLSeconds = "", 900
	ttUpdated := tt
	ttUpdated.Price.Amount = 0
	entries := []boxoffice.Entry{
		&boxoffice.EventCreated{EventID: eventID, OrganizerID: organizerID, Currency: "EUR", EventDetails: details,
			Idem: idem("POST", "/api/events", `{"name":"Les Nuits Électriques"}`)},
		&boxoffice.TicketTypeCreated{TicketTypeID: general, TicketTypeDetails: tt,
			Idem: idem("POST", "/api/events/"+eventID+"/ticket-types", `{"name":"VIP"}`)},
		&boxoffice.TicketTypeCreated{TicketTypeID: vip, TicketTypeDetails: ttFree},
		&boxoffice.QuotaCreated{QuotaID: venue, QuotaDetails: boxoffice.QuotaDetails{Name: "Venue", Capacity: 17000,
			TicketTypeIDs: []string{general, vip}}, Idem: idem("POST", "/api/events/"+eventID+"/quotas", `{}`)},
		&boxoffice.EventStatusChanged{EventID: eventID, From: boxoffice.Draft, Status: boxoffice.OnSale,
			Idem: idem("POST", "/api/events/"+eventID+"/status", `{"status":"on_sale"}`)},
		&boxoffice.HoldCreated{HoldID: released, Items: []boxoffice.Item{{TicketTypeID: general, Quantity: 2},
			{TicketTypeID: vip, Quantity: 1}}, ExpiresAt: at.Add(10 * time.Minute), Idem: publicIdem, Client: clientKey(full)},
		&boxoffice.HoldCreated{HoldID: expired, Items: []boxoffice.Item{{TicketTypeID: vip, Quantity: 1}},
			ExpiresAt: at.Add(10 * time.Minute)},
		&boxoffice.HoldExtended{HoldID: expired, ExpiresAt: at.Add(15 * time.Minute)},
		&boxoffice.HoldReleased{HoldID: released},
		&boxoffice.HoldExpired{HoldID: expired},
	}
	entries = append(entries, salesEntries(organizerID, general, vip, tt.Price, full)...)
	entries = append(entries, checkinEntries(organizerID, general, full)...)
	return append(entries,
		&boxoffice.EventUpdated{EventID: eventID, EventDetails: updated},
		&boxoffice.TicketTypeUpdated{TicketTypeID: general, TicketTypeDetails: ttUpdated},
		&boxoffice.QuotaUpdated{QuotaID: venue, QuotaDetails: boxoffice.QuotaDetails{Name: "Venue (seated)",
			Capacity: 0, TicketTypeIDs: []string{vip}}},
		&boxoffice.EventStatusChanged{EventID: eventID, From: boxoffice.OnSale, Status: boxoffice.SalesClosed},
		&boxoffice.EventStatusChanged{EventID: eventID, From: boxoffice.SalesClosed, Status: boxoffice.Cancelled},
	)
}

// checkinEntries returns the entries of an event's doors: a list, a
// device, scans and an annulment, with every optional field set when full
// is true and none set when it is false.
func checkinEntries(organizerID, general string, full bool) []boxoffice.Entry {
	list, device := id.New("cl", id.Short), id.New("dd", id.Short)
	tk := boxoffice.TicketID(id.New("od", id.Short), 0)
	details := boxoffice.CheckinListDetails{Name: "Balcony door", TicketTypeIDs: []string{}}
	var idem *boxoffice.IdemStamp
	ok := &boxoffice.TicketScanned{ListID: list, DeviceID: device, Nonce: "a1", Direction: checkin.Entry, ScannedAt: at,
		Result: checkin.InvalidSignature}
	again := &boxoffice.TicketScanned{ListID: boxoffice.DefaultListID, DeviceID: organizerID, Nonce: "b2", Direction: checkin.Exit,
		ScannedAt: at, Result: checkin.NotCheckedIn}
	annul := &boxoffice.ScanAnnulled{ListID: list, DeviceID: device, Nonce: "a1", By: organizerID}
	if full {
		details = boxoffice.CheckinListDetails{Name: "Balcony door", TicketTypeIDs: []string{general},
			From: at.Add(-time.Hour), Until: at.Add(6 * time.Hour), ReEntry: true}
		idem = &boxoffice.IdemStamp{Scope: organizerID, Key: "list-1", Hash: hash("POST /api/v1/events/…/check-in-lists")}
		ok = &boxoffice.TicketScanned{ListID: list, DeviceID: device, Nonce: "a1", Direction: checkin.Entry,
			ScannedAt: at.Add(-time.Minute), Offline: true, OfflineResult: checkin.OK, Result: checkin.OK, TicketID: tk,
			TicketTypeID: general, Conflict: true, Previous: &boxoffice.ScanRef{DeviceID: organizerID, ScannedAt: at.Add(-2 * time.Minute)}}
		annul.TicketID = tk
	}
	return []boxoffice.Entry{
		&boxoffice.CheckinListCreated{ListID: list, CheckinListDetails: details, Idem: idem},
		&boxoffice.CheckinListUpdated{ListID: list, CheckinListDetails: details},
		&boxoffice.DoorDeviceAdded{DeviceID: device, Name: "North gate", TokenHash: hash("admitdoor_x"), Idem: idem},
		ok, again, annul,
		&boxoffice.DoorDeviceRevoked{DeviceID: device},
	}
}

// clientKey is the key of a client that is not exempt from the buyer
// limits when full, and "" (exempt) when not.
func clientKey(full bool) string {
	if !full {
		return ""
	}
	return "kX9_2mQ-p4ZrT0aB"
}

// salesEntries returns the entries of an event's sales once it is on sale:
// signing keys, and orders placed, paid, refunded, cancelled and expired,
// with every optional field set when full is true and none set when it is
// false. Tickets of type general cost price (and need attendee names when
// full); those of type companion are free. The entries are those the box
// office decides, not all of them in an order it would accept.
func salesEntries(organizerID, general, companion string, price boxoffice.Money, full bool) []boxoffice.Entry {
	free := boxoffice.Money{Currency: price.Currency}
	times := func(m boxoffice.Money, n int64) boxoffice.Money {
		return boxoffice.Money{Amount: m.Amount * n, Currency: m.Currency}
	}
	organizerIdem := func(key, method, path, body string) *boxoffice.IdemStamp {
		if !full {
			return nil
		}
		return &boxoffice.IdemStamp{Scope: organizerID, Key: key, Hash: hash(method + " " + path + "\n" + body)}
	}
	provider, event := boxoffice.ProviderManual, func(string) string { return "" } // an event from before online payments
	if full {
		provider, event = boxoffice.ProviderStripe, func(ref string) string { return ref }
	}
	paymentRef := func(ref string) string {
		if provider == boxoffice.ProviderManual {
			return ""
		}
		return ref
	}
	buyer := boxoffice.Buyer{Name: "Ada Lovelace", Email: "ada.lovelace@example.org"}

	var keys []boxoffice.Entry
	pub := func(seed string) []byte {
		s := sha256.Sum256([]byte(seed))
		return ed25519.NewKeyFromSeed(s[:]).Public().(ed25519.PublicKey)
	}
	first, second, third := pub("first key"), pub("second key"), pub("third key")
	keys = append(keys, &boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(first), PublicKey: first,
		Idem: organizerIdem("keys-2026-03", "POST", "/api/events/…/signing-keys", `{}`)})
	if full {
		keys = append(keys,
			&boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(second), PublicKey: second},
			&boxoffice.SigningKeyRetired{KeyID: boxoffice.KeyID(first)})
	} else { // a key retired before actors were recorded
		keys = append(keys,
			&boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(third), PublicKey: third},
			&boxoffice.SigningKeyRetired{KeyID: boxoffice.KeyID(first)})
	}

	// Order a: two tickets and a companion, paid (late, when full), one
	// ticket refunded, then cancelled.
	a, holdA := id.New("od", id.Short), id.New("ho", id.Long)
	linesA := []boxoffice.OrderLine{
		{TicketTypeID: general, Name: "VIP", Quantity: 2, UnitPrice: price, Amount: times(price, 2)},
		{TicketTypeID: companion, Name: "Companion", Quantity: 1, UnitPrice: free, Amount: free},
	}
	totalA := times(price, 2)
	placedA := &boxoffice.OrderPlaced{OrderID: a, HoldID: holdA, Token: id.Token("ot_"), Buyer: buyer, Lines: linesA,
		Total: totalA, Provider: provider, PayBy: at.Add(15 * time.Minute)}
	ticketsA := []boxoffice.IssuedTicket{
		{TicketID: boxoffice.TicketID(a, 0), TicketTypeID: general, Price: price},
		{TicketID: boxoffice.TicketID(a, 1), TicketTypeID: general, Price: price},
		{TicketID: boxoffice.TicketID(a, 2), TicketTypeID: companion, Price: free},
	}
	if full {
		placedA.Attendees = []string{"Ada Lovelace", "Charles Babbage", ""}
		placedA.Idem = &boxoffice.IdemStamp{Scope: "public", Key: "order:9b1d.1",
			Hash: hash("POST /api/holds/" + holdA + "/order\n" + `{"buyer":{"name":"Ada Lovelace"}}`)}
		placedA.Client = clientKey(full)
		ticketsA[0].Attendee, ticketsA[1].Attendee = "Ada Lovelace", "Charles Babbage"
	}
	piA := "pi_3PkZ8r2eZvKYlo2C1Qx7mTnB"
	paidA := &boxoffice.OrderPaid{OrderID: a, Payment: boxoffice.Payment{Provider: provider, Ref: paymentRef(piA),
		Amount: totalA, ReceivedAt: at, Kept: true}, EventRef: event("evt_3PkZ8r2eZvKYlo2C0v4Hc9aD"), Retaken: full,
		Tickets: ticketsA}
	refundA := boxoffice.Refund{ID: id.New("rf", id.Short), Amount: price, TicketIDs: []string{ticketsA[0].TicketID},
		Provider: provider, PaymentRef: paymentRef(piA), Status: boxoffice.RefundPending, CreatedAt: at}
	var actor string // who refunded and cancelled order a
	if full {
		refundA.Reason = "Charles cannot come after all."
		actor = "member:" + id.New("mb", id.Short)
		paidA.Actor = "token:" + id.New("tk", id.Short) // marked paid by hand, as if
	}
	sales := []boxoffice.Entry{
		&boxoffice.HoldCreated{HoldID: holdA, Items: []boxoffice.Item{{TicketTypeID: general, Quantity: 2},
			{TicketTypeID: companion, Quantity: 1}}, ExpiresAt: at.Add(10 * time.Minute)},
		placedA,
	}
	startedA := &boxoffice.PaymentStarted{OrderID: a, PaymentIntentID: piA}
	sales = append(sales, startedA)
	if full {
		startedA.ClientSecret = piA + "_secret_Xq3vB7mNc2LdK9pR4tYw"
	}
	sales = append(sales, &boxoffice.OrderExpired{OrderID: a, HoldID: holdA}) // paid late, after all
	resentA := &boxoffice.TicketsResent{OrderID: a, Actor: actor}
	if full {
		resentA.Idem = organizerIdem("resend-"+a, "POST", "/api/orders/"+a+"/resend-tickets", `{}`)
	}
	sales = append(sales, paidA, resentA,
		&boxoffice.OrderRefunded{OrderID: a, Refund: refundA, Actor: actor,
			Idem: organizerIdem("refund-charles", "POST", "/api/orders/"+a+"/refunds", `{"ticket_ids":["…"]}`)})
	if full {
		sales = append(sales,
			&boxoffice.RefundSettled{OrderID: a, RefundID: refundA.ID, ProviderRef: "re_3PkZ8r2eZvKYlo2C1b8QwXyZ",
				Failed: true, Message: "The card the payment was made with has been closed."},
			&boxoffice.OrderCancelled{OrderID: a, Reason: "The headliner cancelled; the evening is off.",
				Revoked: []string{ticketsA[1].TicketID, ticketsA[2].TicketID},
				Refund: &boxoffice.Refund{ID: id.New("rf", id.Short), Amount: totalA,
					TicketIDs: []string{ticketsA[1].TicketID, ticketsA[2].TicketID},
					Reason:    "The headliner cancelled; the evening is off.", Provider: provider, PaymentRef: piA,
					Status: boxoffice.RefundPending, CreatedAt: at},
				Idem:  organizerIdem("cancel-"+a, "POST", "/api/orders/"+a+"/cancel", `{"reason":"…"}`),
				Actor: actor})
	}

	// Order b: cancelled while awaiting payment; the payment that still
	// arrives is refunded.
	b, holdB := id.New("od", id.Short), id.New("ho", id.Long)
	piB := "pi_3PkZ9a2eZvKYlo2C0mR5sLkP"
	rejected := "the order had been cancelled"
	cancelB := &boxoffice.OrderCancelled{OrderID: b}
	if full {
		cancelB.Reason = "Placed twice by mistake."
		cancelB.Idem = organizerIdem("cancel-"+b, "POST", "/api/orders/"+b+"/cancel", `{}`)
	}
	sales = append(sales,
		&boxoffice.HoldCreated{HoldID: holdB, Items: []boxoffice.Item{{TicketTypeID: general, Quantity: 1}},
			ExpiresAt: at.Add(10 * time.Minute)},
		&boxoffice.OrderPlaced{OrderID: b, HoldID: holdB, Token: id.Token("ot_"),
			Buyer: boxoffice.Buyer{Name: "Grace Hopper", Email: "grace@navy.example"},
			Lines: []boxoffice.OrderLine{{TicketTypeID: general, Name: "VIP", Quantity: 1, UnitPrice: price, Amount: price}},
			Total: price, Provider: provider, PayBy: at.Add(3 * 24 * time.Hour)},
		cancelB,
		&boxoffice.PaymentRejected{OrderID: b, Payment: boxoffice.Payment{Provider: provider, Ref: paymentRef(piB),
			Amount: price, ReceivedAt: at}, EventRef: event("evt_3PkZ9a2eZvKYlo2C1n2Jd7Qe"), Reason: rejected,
			Refund: boxoffice.Refund{ID: id.New("rf", id.Short), Amount: price, Reason: rejected, Provider: provider,
				PaymentRef: paymentRef(piB), Status: boxoffice.RefundPending, CreatedAt: at}},
	)
	if !full {
		// The organizer paid the manual payment back.
		rejectedRefund := sales[len(sales)-1].(*boxoffice.PaymentRejected).Refund.ID
		sales = append(sales, &boxoffice.RefundSettled{OrderID: b, RefundID: rejectedRefund})
	}

	// Order c: free, so paid as it is placed.
	c, holdC := id.New("od", id.Short), id.New("ho", id.Long)
	sales = append(sales,
		&boxoffice.HoldCreated{HoldID: holdC, Items: []boxoffice.Item{{TicketTypeID: companion, Quantity: 1}},
			ExpiresAt: at.Add(10 * time.Minute)},
		&boxoffice.OrderPlaced{OrderID: c, HoldID: holdC, Token: id.Token("ot_"),
			Buyer: boxoffice.Buyer{Name: "Élodie Marchand", Email: "élodie@exemple.fr"},
			Lines: []boxoffice.OrderLine{{TicketTypeID: companion, Name: "Companion", Quantity: 1, UnitPrice: free,
				Amount: free}},
			Total: free, Provider: boxoffice.ProviderFree, PayBy: at.Add(15 * time.Minute)},
		&boxoffice.OrderPaid{OrderID: c, Payment: boxoffice.Payment{Provider: boxoffice.ProviderFree, Amount: free,
			ReceivedAt: at, Kept: true},
			Tickets: []boxoffice.IssuedTicket{{TicketID: boxoffice.TicketID(c, 0), TicketTypeID: companion, Price: free}}},
	)
	return append(keys, sales...)
}

// organizerEntries returns the entries of one organizer's life.
func organizerEntries(organizerID string, full bool) []boxoffice.Entry {
	first, second := id.New("tk", id.Short), id.New("tk", id.Short)
	_, h1 := organizer.NewToken()
	_, h2 := organizer.NewToken()
	owner, door := id.New("mb", id.Short), id.New("mb", id.Short)
	_, i1 := organizer.NewToken()
	_, i2 := organizer.NewToken()
	entries := []boxoffice.Entry{
		&organizer.Created{OrganizerID: organizerID, Name: "Ateliers Sonores SARL"},
		&organizer.TokenCreated{OrganizerID: organizerID, TokenID: first, Name: "bootstrap", Hash: h1},
		&organizer.MemberInvited{OrganizerID: organizerID, MemberID: owner, Role: "owner", InviteHash: i1,
			ExpiresAt: at.Add(organizer.InviteTerm), Actor: "system"},
		&organizer.MemberJoined{OrganizerID: organizerID, MemberID: owner, Name: "Camille Roux", Email: "camille@ateliers-sonores.fr",
			PasswordHash: password.Hash("a sample passphrase")},
		&organizer.TokenCreated{OrganizerID: organizerID, TokenID: second, Name: "box-office laptop", Hash: h2,
			Role: "box_office", Actor: "member:" + owner},
		&organizer.TokenRevoked{OrganizerID: organizerID, TokenID: first, Actor: "member:" + owner},
		&organizer.MemberInvited{OrganizerID: organizerID, MemberID: door, Email: "door@ateliers-sonores.fr", Role: "viewer",
			InviteHash: i2, ExpiresAt: at.Add(organizer.InviteTerm), Actor: "token:" + second, Send: true},
		&organizer.MemberRoleChanged{OrganizerID: organizerID, MemberID: door, Role: "door", Actor: "member:" + owner},
		&organizer.MemberRemoved{OrganizerID: organizerID, MemberID: door, Actor: "member:" + owner},
		&organizer.TokenRevoked{OrganizerID: organizerID, TokenID: second},
		&organizer.ResetRequested{OrganizerID: organizerID, MemberID: owner, Email: "camille@ateliers-sonores.fr",
			ResetID: id.New("pr", id.Short), ResetHash: i2, ExpiresAt: at.Add(organizer.ResetTerm)},
		&organizer.PasswordSet{OrganizerID: organizerID, MemberID: owner, PasswordHash: password.Hash("another sample passphrase")},
		&organizer.ProfileUpdated{OrganizerID: organizerID, Profile: organizer.Profile{Name: "Ateliers Sonores"}, Actor: "member:" + owner},
		&organizer.LogoSet{OrganizerID: organizerID, PNG: []byte("\x89PNG\r\n\x1a\n…"), SHA256: hash("logo"), Actor: "member:" + owner},
		&organizer.LogoSet{OrganizerID: organizerID, Actor: "member:" + owner},
		&organizer.ProfileUpdated{OrganizerID: organizerID, Profile: organizer.Profile{Name: "Ateliers Sonores",
			ContactEmail: "billetterie@ateliers-sonores.fr", Website: "https://ateliers-sonores.fr",
			TermsURL: "https://ateliers-sonores.fr/cgv", PrivacyURL: "https://ateliers-sonores.fr/confidentialite"}, Actor: "member:" + owner},
	}
	if full { // the actors of the entries that have none above, as admit records them now
		for _, e := range entries {
			switch e := e.(type) {
			case *organizer.Created:
				e.Actor = "system"
			case *organizer.TokenCreated:
				e.Actor = cmp.Or(e.Actor, "system")
			case *organizer.TokenRevoked:
				e.Actor = cmp.Or(e.Actor, "member:"+owner)
			case *organizer.MemberJoined:
				e.Actor = "member:" + e.MemberID
			case *organizer.ResetRequested:
				e.Actor = "anonymous"
			case *organizer.PasswordSet:
				e.Actor = "member:" + e.MemberID
			}
		}
	}
	return entries
}

// withActors sets each entry's actor to the kind that makes it: member
// for the organizer's changes, the buyer, admit's clock and workers, the
// payment provider, the door device.
func withActors(entries []boxoffice.Entry, member string) {
	for _, e := range entries {
		actor := member
		switch e.(type) {
		case *boxoffice.HoldCreated, *boxoffice.HoldReleased, *boxoffice.HoldExtended, *boxoffice.OrderPlaced:
			actor = "buyer"
		case *boxoffice.HoldExpired, *boxoffice.OrderExpired, *boxoffice.PaymentStarted, *boxoffice.SigningKeyAdded:
			actor = "system" // the first key is made with the first tickets
		case *boxoffice.OrderPaid, *boxoffice.PaymentRejected, *boxoffice.RefundSettled:
			actor = "provider:stripe"
		case *boxoffice.TicketScanned, *boxoffice.ScanAnnulled:
			actor = "device:" + id.New("dd", id.Short)
		}
		reflect.ValueOf(e).Elem().FieldByName("Actor").SetString(actor)
	}
}

// sampleBatches returns ledger messages holding a sample of every entry
// type, encoded as admit encodes them.
func sampleBatches(t *testing.T) [][]byte {
	t.Helper()
	var batches [][]byte
	add := func(source string, after uint64, entries []boxoffice.Entry) {
		b, err := boxoffice.EncodeBatch(nil, source, after, at, entries)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	orgID := id.New("or", id.Short)
	for i, full := range []bool{true, false} {
		entries := eventEntries(orgID, full)
		if full {
			withActors(entries, "member:"+id.New("mb", id.Short))
		}
		add(boxoffice.Source(entries[0].(*boxoffice.EventCreated).EventID), uint64(i), entries)
	}
	add(organizer.Source(orgID), 0, organizerEntries(orgID, false))
	add(organizer.Source(orgID), 1, organizerEntries(orgID, true))
	return batches
}

// TestSamplesValidate encodes a sample of every entry type, with and
// without its optional fields, and validates each message against
// batch.json and each entry's data against its type's schema.
func TestSamplesValidate(t *testing.T) {
	c := compiler()
	batch := compile(t, c, "batch.json")
	types := entryTypes()
	data := map[string]*jsonschema.Schema{}
	for _, typ := range types {
		data[typ] = compile(t, c, typ+".json")
	}
	full, bare := map[string]bool{}, map[string]bool{} // types seen with all fields, with only required ones
	for _, b := range sampleBatches(t) {
		if err := batch.Validate(instance(t, b)); err != nil {
			t.Errorf("batch %s:\n%v", b, err)
		}
		var envelopes []boxoffice.CloudEvent
		if err := json.Unmarshal(b, &envelopes); err != nil {
			t.Fatal(err)
		}
		for _, ce := range envelopes {
			s := data[ce.Type]
			if s == nil {
				t.Errorf("no schema for %s", ce.Type)
				continue
			}
			if err := s.Validate(instance(t, ce.Data)); err != nil {
				t.Errorf("%s %s:\n%v", ce.Type, ce.Data, err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(ce.Data, &fields); err != nil {
				t.Fatal(err)
			}
			m := readSchema(t, ce.Type+".json")
			got := slices.Sorted(maps.Keys(fields))
			full[ce.Type] = full[ce.Type] || slices.Equal(got, slices.Sorted(maps.Keys(m["properties"].(map[string]any))))
			var required []string
			for _, r := range m["required"].([]any) {
				required = append(required, r.(string))
			}
			slices.Sort(required)
			bare[ce.Type] = bare[ce.Type] || slices.Equal(got, required)
		}
	}
	for _, typ := range types {
		if !full[typ] {
			t.Errorf("%s: no sample has every field", typ)
		}
		if !bare[typ] {
			t.Errorf("%s: no sample has only the required fields", typ)
		}
	}
}

// failure is where and why validation failed: a JSON pointer into the
// instance and the last keyword of the failing schema location.
type failure struct{ at, keyword string }

func (f failure) String() string { return fmt.Sprintf("%s at %q", f.keyword, f.at) }

// failures lists the leaf causes of a validation error.
func failures(err error) []failure {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []failure
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			at := ""
			for _, tok := range e.InstanceLocation {
				at += "/" + tok
			}
			path := e.ErrorKind.KeywordPath()
			kw := ""
			if len(path) > 0 {
				kw = path[len(path)-1]
			}
			out = append(out, failure{at, kw})
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// sampleData returns the data of the first sample of type typ, with every
// optional field set.
func sampleData(t *testing.T, typ string) map[string]any {
	t.Helper()
	for _, b := range sampleBatches(t) {
		var envelopes []boxoffice.CloudEvent
		if err := json.Unmarshal(b, &envelopes); err != nil {
			t.Fatal(err)
		}
		for _, ce := range envelopes {
			if ce.Type == typ {
				var m map[string]any
				if err := json.Unmarshal(ce.Data, &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
		}
	}
	t.Fatalf("no sample of %s", typ)
	return nil
}

// dig returns the object at path in m: a string steps into an object, an
// int into an array.
func dig(m map[string]any, path ...any) map[string]any {
	var v any = m
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

// TestWrongDataRejected checks that the type schemas refuse data that
// breaks their promises, and for the intended reason.
func TestWrongDataRejected(t *testing.T) {
	item := func(m map[string]any) map[string]any { return m["items"].([]any)[0].(map[string]any) }
	idem := func(m map[string]any) map[string]any { return m["idempotency"].(map[string]any) }
	tests := []struct {
		name   string
		typ    string
		change func(m map[string]any)
		want   failure
	}{
		{"missing hold id", "admit.hold.created.v1",
			func(m map[string]any) { delete(m, "hold_id") }, failure{"", "required"}},
		{"hold id of the short kind", "admit.hold.created.v1",
			func(m map[string]any) { m["hold_id"] = id.New("ho", id.Short) }, failure{"/hold_id", "pattern"}},
		{"negative quantity", "admit.hold.created.v1",
			func(m map[string]any) { item(m)["quantity"] = -2 }, failure{"/items/0/quantity", "minimum"}},
		{"zero quantity", "admit.hold.created.v1",
			func(m map[string]any) { item(m)["quantity"] = 0 }, failure{"/items/0/quantity", "minimum"}},
		{"fractional quantity", "admit.hold.created.v1",
			func(m map[string]any) { item(m)["quantity"] = 1.5 }, failure{"/items/0/quantity", "type"}},
		{"no items", "admit.hold.created.v1",
			func(m map[string]any) { m["items"] = []any{} }, failure{"/items", "minItems"}},
		{"items null", "admit.hold.created.v1",
			func(m map[string]any) { m["items"] = nil }, failure{"/items", "type"}},
		{"item of a quota", "admit.hold.created.v1",
			func(m map[string]any) { item(m)["ticket_type_id"] = id.New("qu", id.Short) },
			failure{"/items/0/ticket_type_id", "pattern"}},
		{"expiry not a date-time", "admit.hold.created.v1",
			func(m map[string]any) { m["expires_at"] = "2026-03-14 09:36" }, failure{"/expires_at", "format"}},
		{"idempotency scope of a buyer's name", "admit.hold.created.v1",
			func(m map[string]any) { idem(m)["scope"] = "alice" }, failure{"/idempotency/scope", "pattern"}},
		{"uppercase event id", "admit.event.created.v1",
			func(m map[string]any) { m["event_id"] = "ev_ABCDEFGHIJKLMNOPQRST" }, failure{"/event_id", "pattern"}},
		{"extra property", "admit.event.created.v1",
			func(m map[string]any) { m["status"] = "draft" }, failure{"", "additionalProperties"}},
		{"lowercase currency", "admit.event.created.v1",
			func(m map[string]any) { m["currency"] = "eur" }, failure{"/currency", "pattern"}},
		{"hold lasting 30 seconds", "admit.event.created.v1",
			func(m map[string]any) { m["hold_ttl_seconds"] = 30 }, failure{"/hold_ttl_seconds", "minimum"}},
		{"empty name", "admit.event.created.v1",
			func(m map[string]any) { m["name"] = "" }, failure{"/name", "minLength"}},
		{"idempotency without hash", "admit.event.created.v1",
			func(m map[string]any) { delete(idem(m), "hash") }, failure{"/idempotency", "required"}},
		{"idempotency hash in uppercase", "admit.event.created.v1",
			func(m map[string]any) { idem(m)["hash"] = strings.ToUpper(idem(m)["hash"].(string)) },
			failure{"/idempotency/hash", "pattern"}},
		{"idempotency key with a space", "admit.event.created.v1",
			func(m map[string]any) { idem(m)["key"] = "my key" }, failure{"/idempotency/key", "pattern"}},
		{"missing event id on update", "admit.event.updated.v1",
			func(m map[string]any) { delete(m, "event_id") }, failure{"", "required"}},
		{"back to draft", "admit.event.status_changed.v1",
			func(m map[string]any) { m["status"] = "draft" }, failure{"/status", "enum"}},
		{"draft to sales closed", "admit.event.status_changed.v1",
			func(m map[string]any) { m["status"] = "sales_closed" }, failure{"/status", "enum"}},
		{"unknown status", "admit.event.status_changed.v1",
			func(m map[string]any) { m["status"] = "sold_out" }, failure{"/status", "enum"}},
		{"fractional price", "admit.ticket_type.created.v1",
			func(m map[string]any) { m["price"].(map[string]any)["amount"] = 12.5 }, failure{"/price/amount", "type"}},
		{"negative price", "admit.ticket_type.created.v1",
			func(m map[string]any) { m["price"].(map[string]any)["amount"] = -100 }, failure{"/price/amount", "minimum"}},
		{"no minimum per hold", "admit.ticket_type.updated.v1",
			func(m map[string]any) { m["min_per_hold"] = 0 }, failure{"/min_per_hold", "minimum"}},
		{"sales start null", "admit.ticket_type.updated.v1",
			func(m map[string]any) { m["sales_start"] = nil }, failure{"/sales_start", "type"}},
		{"negative capacity", "admit.quota.created.v1",
			func(m map[string]any) { m["capacity"] = -1 }, failure{"/capacity", "minimum"}},
		{"quota of no ticket type", "admit.quota.created.v1",
			func(m map[string]any) { m["ticket_type_ids"] = []any{} }, failure{"/ticket_type_ids", "minItems"}},
		{"ticket type listed twice", "admit.quota.updated.v1",
			func(m map[string]any) {
				ids := m["ticket_type_ids"].([]any)
				m["ticket_type_ids"] = append(ids, ids[0])
			},
			failure{"/ticket_type_ids", "uniqueItems"}},
		{"released hold id empty", "admit.hold.released.v1",
			func(m map[string]any) { m["hold_id"] = "" }, failure{"/hold_id", "pattern"}},
		{"expired hold with items", "admit.hold.expired.v1",
			func(m map[string]any) { m["items"] = []any{} }, failure{"", "additionalProperties"}},
		{"organizer without name", "admit.organizer.created.v1",
			func(m map[string]any) { delete(m, "name") }, failure{"", "required"}},
		{"token hash too short", "admit.api_token.created.v1",
			func(m map[string]any) { m["hash"] = m["hash"].(string)[:40] }, failure{"/hash", "pattern"}},
		{"token in the clear", "admit.api_token.created.v1",
			func(m map[string]any) { m["token"] = "admit_" + strings.Repeat("a", 32) }, failure{"", "additionalProperties"}},
		{"revoked token id of an organizer", "admit.api_token.revoked.v1",
			func(m map[string]any) { m["token_id"] = m["organizer_id"] }, failure{"/token_id", "pattern"}},

		{"a client's raw address", "admit.hold.created.v1",
			func(m map[string]any) { m["client"] = "203.0.113.7" }, failure{"/client", "pattern"}},
		{"a client's raw IPv6 address", "admit.order.placed.v1",
			func(m map[string]any) { m["client"] = "2001:db8::1" }, failure{"/client", "pattern"}},
		{"no holds per client", "admit.event.created.v1",
			func(m map[string]any) { m["max_holds_per_client"] = 0 }, failure{"/max_holds_per_client", "minimum"}},
		{"too many unpaid orders per e-mail", "admit.event.updated.v1",
			func(m map[string]any) { m["max_unpaid_orders_per_email"] = 10001 },
			failure{"/max_unpaid_orders_per_email", "maximum"}},

		{"paid for with free", "admit.event.created.v1",
			func(m map[string]any) { m["payment_providers"] = []any{"free"} }, failure{"/payment_providers/0", "enum"}},
		{"no payment provider", "admit.event.created.v1",
			func(m map[string]any) { m["payment_providers"] = []any{} }, failure{"/payment_providers", "minItems"}},
		{"payment provider listed twice", "admit.event.created.v1",
			func(m map[string]any) { m["payment_providers"] = []any{"stripe", "stripe"} },
			failure{"/payment_providers", "uniqueItems"}},
		{"payment window of 30 seconds", "admit.event.created.v1",
			func(m map[string]any) { m["payment_window_seconds"] = 30 }, failure{"/payment_window_seconds", "minimum"}},
		{"payment window over a day", "admit.event.updated.v1",
			func(m map[string]any) { m["payment_window_seconds"] = 86401 }, failure{"/payment_window_seconds", "maximum"}},
		{"manual payment window over 60 days", "admit.event.updated.v1",
			func(m map[string]any) { m["manual_payment_window_seconds"] = 60*24*3600 + 1 },
			failure{"/manual_payment_window_seconds", "maximum"}},
		{"empty manual payment instructions", "admit.event.created.v1",
			func(m map[string]any) { m["manual_payment_instructions"] = "" }, failure{"/manual_payment_instructions", "minLength"}},
		{"manual payment instructions too long", "admit.event.updated.v1",
			func(m map[string]any) { m["manual_payment_instructions"] = strings.Repeat("é", 2001) },
			failure{"/manual_payment_instructions", "maxLength"}},
		{"attendee names false", "admit.ticket_type.created.v1",
			func(m map[string]any) { m["attendee_names"] = false }, failure{"/attendee_names", "const"}},
		{"attendee names in words", "admit.ticket_type.updated.v1",
			func(m map[string]any) { m["attendee_names"] = "yes" }, failure{"/attendee_names", "type"}},

		{"order id of a hold", "admit.order.placed.v1",
			func(m map[string]any) { m["order_id"] = m["hold_id"] }, failure{"/order_id", "pattern"}},
		{"order id of an organizer", "admit.order.placed.v1",
			func(m map[string]any) { m["order_id"] = id.New("or", id.Short) }, failure{"/order_id", "pattern"}},
		{"token in uppercase", "admit.order.placed.v1",
			func(m map[string]any) { m["token"] = strings.ToUpper(m["token"].(string)) }, failure{"/token", "pattern"}},
		{"token too short", "admit.order.placed.v1",
			func(m map[string]any) { m["token"] = "ot_abc" }, failure{"/token", "pattern"}},
		{"buyer without e-mail", "admit.order.placed.v1",
			func(m map[string]any) { delete(dig(m, "buyer"), "email") }, failure{"/buyer", "required"}},
		{"buyer e-mail with a display name", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "buyer")["email"] = "Ada <ada@example.org>" }, failure{"/buyer/email", "pattern"}},
		{"buyer e-mail without a domain", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "buyer")["email"] = "ada" }, failure{"/buyer/email", "pattern"}},
		{"buyer without name", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "buyer")["name"] = "" }, failure{"/buyer/name", "minLength"}},
		{"unknown provider", "admit.order.placed.v1",
			func(m map[string]any) { m["provider"] = "paypal" }, failure{"/provider", "enum"}},
		{"negative total", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "total")["amount"] = -1 }, failure{"/total/amount", "minimum"}},
		{"total beyond 100 tickets at the highest price", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "total")["amount"] = 100_000_000_000_001 }, failure{"/total/amount", "maximum"}},
		{"order of no lines", "admit.order.placed.v1",
			func(m map[string]any) { m["lines"] = []any{} }, failure{"/lines", "minItems"}},
		{"line of no tickets", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "lines", 0)["quantity"] = 0 }, failure{"/lines/0/quantity", "minimum"}},
		{"unit price above a price's limit", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "lines", 0, "unit_price")["amount"] = 1_000_000_000_001 },
			failure{"/lines/0/unit_price/amount", "maximum"}},
		{"line without its ticket type's name", "admit.order.placed.v1",
			func(m map[string]any) { delete(dig(m, "lines", 0), "name") }, failure{"/lines/0", "required"}},
		{"attendee name too long", "admit.order.placed.v1",
			func(m map[string]any) { m["attendees"].([]any)[0] = strings.Repeat("a", 201) },
			failure{"/attendees/0", "maxLength"}},
		{"no attendees listed", "admit.order.placed.v1",
			func(m map[string]any) { m["attendees"] = []any{} }, failure{"/attendees", "minItems"}},
		{"pay by not a date-time", "admit.order.placed.v1",
			func(m map[string]any) { m["pay_by"] = "tomorrow" }, failure{"/pay_by", "format"}},

		{"paid but not kept", "admit.order.paid.v1",
			func(m map[string]any) { dig(m, "payment")["kept"] = false }, failure{"/payment/kept", "const"}},
		{"payment without kept", "admit.order.paid.v1",
			func(m map[string]any) { delete(dig(m, "payment"), "kept") }, failure{"/payment", "required"}},
		{"negative payment", "admit.order.paid.v1",
			func(m map[string]any) { dig(m, "payment", "amount")["amount"] = -2500 },
			failure{"/payment/amount/amount", "minimum"}},
		{"payment by an unknown provider", "admit.order.paid.v1",
			func(m map[string]any) { dig(m, "payment")["provider"] = "paypal" }, failure{"/payment/provider", "enum"}},
		{"empty payment ref", "admit.order.paid.v1",
			func(m map[string]any) { dig(m, "payment")["ref"] = "" }, failure{"/payment/ref", "minLength"}},
		{"retaken false", "admit.order.paid.v1",
			func(m map[string]any) { m["retaken"] = false }, failure{"/retaken", "const"}},
		{"paid without tickets", "admit.order.paid.v1",
			func(m map[string]any) { m["tickets"] = []any{} }, failure{"/tickets", "minItems"}},
		{"ticket id of a refund", "admit.order.paid.v1",
			func(m map[string]any) { dig(m, "tickets", 0)["ticket_id"] = id.New("rf", id.Short) },
			failure{"/tickets/0/ticket_id", "pattern"}},
		{"ticket without price", "admit.order.paid.v1",
			func(m map[string]any) { delete(dig(m, "tickets", 0), "price") }, failure{"/tickets/0", "required"}},

		{"rejected payment kept", "admit.order.payment_rejected.v1",
			func(m map[string]any) { dig(m, "payment")["kept"] = true }, failure{"/payment/kept", "const"}},
		{"refund written as succeeded", "admit.order.payment_rejected.v1",
			func(m map[string]any) { dig(m, "refund")["status"] = "succeeded" }, failure{"/refund/status", "const"}},
		{"unknown refund status", "admit.order.payment_rejected.v1",
			func(m map[string]any) { dig(m, "refund")["status"] = "refused" }, failure{"/refund/status", "enum"}},
		{"refund without id", "admit.order.payment_rejected.v1",
			func(m map[string]any) { delete(dig(m, "refund"), "id") }, failure{"/refund", "required"}},
		{"refund id of the provider", "admit.order.payment_rejected.v1",
			func(m map[string]any) { dig(m, "refund")["id"] = "re_3PkZ8r2eZvKYlo2C1b8QwXyZ" }, failure{"/refund/id", "pattern"}},
		{"rejected without reason", "admit.order.payment_rejected.v1",
			func(m map[string]any) { delete(m, "reason") }, failure{"", "required"}},

		{"empty payment intent", "admit.order.payment_started.v1",
			func(m map[string]any) { m["payment_intent_id"] = "" }, failure{"/payment_intent_id", "minLength"}},
		{"expired order without its hold", "admit.order.expired.v1",
			func(m map[string]any) { delete(m, "hold_id") }, failure{"", "required"}},

		{"revoked ticket listed twice", "admit.order.cancelled.v1",
			func(m map[string]any) { m["revoked"] = append(m["revoked"].([]any), m["revoked"].([]any)[0]) },
			failure{"/revoked", "uniqueItems"}},
		{"refund of a negative amount", "admit.order.cancelled.v1",
			func(m map[string]any) { dig(m, "refund", "amount")["amount"] = -1 }, failure{"/refund/amount/amount", "minimum"}},
		{"reason of 501 characters", "admit.order.cancelled.v1",
			func(m map[string]any) { m["reason"] = strings.Repeat("x", 501) }, failure{"/reason", "maxLength"}},

		{"refund by an unknown provider", "admit.order.refunded.v1",
			func(m map[string]any) { dig(m, "refund")["provider"] = "paypal" }, failure{"/refund/provider", "enum"}},
		{"refund listing no tickets", "admit.order.refunded.v1",
			func(m map[string]any) { dig(m, "refund")["ticket_ids"] = []any{} }, failure{"/refund/ticket_ids", "minItems"}},
		{"refund created at no time", "admit.order.refunded.v1",
			func(m map[string]any) { dig(m, "refund")["created_at"] = "" }, failure{"/refund/created_at", "format"}},

		{"refund id of an order", "admit.order.refund_settled.v1",
			func(m map[string]any) { m["refund_id"] = m["order_id"] }, failure{"/refund_id", "pattern"}},
		{"failed false", "admit.order.refund_settled.v1",
			func(m map[string]any) { m["failed"] = false }, failure{"/failed", "const"}},
		{"empty failure message", "admit.order.refund_settled.v1",
			func(m map[string]any) { m["message"] = "" }, failure{"/message", "minLength"}},

		{"public key of 16 bytes", "admit.signing_key.added.v1",
			func(m map[string]any) { m["public_key"] = base64.StdEncoding.EncodeToString(make([]byte, 16)) },
			failure{"/public_key", "pattern"}},
		{"public key in hex", "admit.signing_key.added.v1",
			func(m map[string]any) { m["public_key"] = hex.EncodeToString(make([]byte, 32)) }, failure{"/public_key", "pattern"}},
		{"private key", "admit.signing_key.added.v1",
			func(m map[string]any) { m["private_key"] = base64.StdEncoding.EncodeToString(make([]byte, 64)) },
			failure{"", "additionalProperties"}},
		{"key id in uppercase", "admit.signing_key.added.v1",
			func(m map[string]any) { m["key_id"] = strings.ToUpper(m["key_id"].(string)) }, failure{"/key_id", "pattern"}},
		{"key id of 6 characters", "admit.signing_key.retired.v1",
			func(m map[string]any) { m["key_id"] = m["key_id"].(string)[:6] }, failure{"/key_id", "pattern"}},
	}
	c := compiler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleData(t, tt.typ)
			tt.change(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = compile(t, c, tt.typ+".json").Validate(instance(t, b))
			if err == nil {
				t.Fatalf("%s accepted %s", tt.typ, b)
			}
			if got := failures(err); !slices.Contains(got, tt.want) {
				t.Errorf("got failures %v, want %v\n%v", got, tt.want, err)
			}
		})
	}
}

// TestEdgeDataAccepted checks that the type schemas accept data at the
// limits of what admit writes.
func TestEdgeDataAccepted(t *testing.T) {
	tests := []struct {
		name   string
		typ    string
		change func(m map[string]any)
	}{
		{"100 tickets at the highest price", "admit.order.placed.v1",
			func(m map[string]any) {
				m["lines"] = m["lines"].([]any)[:1]
				line := dig(m, "lines", 0)
				line["quantity"] = 100
				dig(line, "unit_price")["amount"] = 1_000_000_000_000
				dig(line, "amount")["amount"] = 100_000_000_000_000
				dig(m, "total")["amount"] = 100_000_000_000_000
				delete(m, "attendees")
			}},
		{"attendees named nothing", "admit.order.placed.v1",
			func(m map[string]any) { m["attendees"] = []any{"", "", ""} }},
		{"e-mail at an IP address", "admit.order.placed.v1",
			func(m map[string]any) { dig(m, "buyer")["email"] = "ada@[192.0.2.1]" }},
		{"a refund of nothing", "admit.order.refunded.v1",
			func(m map[string]any) {
				r := dig(m, "refund")
				dig(r, "amount")["amount"] = 0
				r["provider"] = "free"
				delete(r, "payment_ref")
			}},
		{"instructions of 2,000 accented letters", "admit.event.created.v1",
			func(m map[string]any) { m["manual_payment_instructions"] = strings.Repeat("é", 2000) }},
		{"manual payment within the minute", "admit.event.updated.v1",
			func(m map[string]any) { m["manual_payment_window_seconds"] = 60 }},
	}
	c := compiler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleData(t, tt.typ)
			tt.change(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := compile(t, c, tt.typ+".json").Validate(instance(t, b)); err != nil {
				t.Errorf("%s refused %s:\n%v", tt.typ, b, err)
			}
		})
	}
}

// TestWrongEnvelopeRejected checks that batch.json refuses messages admit
// must not write, and for the intended reason.
func TestWrongEnvelopeRejected(t *testing.T) {
	// first returns the first entry whose type is typ, in a batch of one.
	first := func(t *testing.T, typ string) []map[string]any {
		for _, b := range sampleBatches(t) {
			var batch []map[string]any
			if err := json.Unmarshal(b, &batch); err != nil {
				t.Fatal(err)
			}
			for _, e := range batch {
				if e["type"] == typ {
					return []map[string]any{e}
				}
			}
		}
		t.Fatalf("no sample of %s", typ)
		return nil
	}
	tests := []struct {
		name   string
		typ    string
		change func(b []map[string]any) any
		want   failure
	}{
		{"empty batch", "admit.hold.created.v1",
			func(b []map[string]any) any { return b[:0] }, failure{"", "minItems"}},
		{"entry not an object", "admit.hold.created.v1",
			func(b []map[string]any) any { return []any{"admit.hold.created.v1"} }, failure{"/0", "type"}},
		{"other CloudEvents version", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["specversion"] = "0.3"; return b }, failure{"/0/specversion", "const"}},
		{"unknown type", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["type"] = "admit.hold.renewed.v1"; return b }, failure{"/0/type", "enum"}},
		{"hold about the event", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["subject"] = "event"; return b }, failure{"/0/subject", "pattern"}},
		{"hold in an organizer's ledger", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["source"] = "/organizers/" + id.New("or", id.Short); return b },
			failure{"/0/source", "pattern"}},
		{"token in an event's ledger", "admit.api_token.created.v1",
			func(b []map[string]any) any { b[0]["source"] = "/events/" + id.New("ev", id.Short); return b },
			failure{"/0/source", "pattern"}},
		{"XML data", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["datacontenttype"] = "application/xml"; return b },
			failure{"/0/datacontenttype", "const"}},
		{"no time", "admit.hold.created.v1",
			func(b []map[string]any) any { delete(b[0], "time"); return b }, failure{"/0", "required"}},
		{"id not a sequence", "admit.hold.created.v1",
			func(b []map[string]any) any { b[0]["id"] = "b5e1"; return b }, failure{"/0/id", "pattern"}},
		{"extension attribute", "admit.hold.created.v1",
			func(b []map[string]any) any {
				b[0]["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
				return b
			},
			failure{"/0", "additionalProperties"}},
		{"data breaking its type's schema", "admit.hold.created.v1",
			func(b []map[string]any) any {
				b[0]["data"].(map[string]any)["items"].([]any)[0].(map[string]any)["quantity"] = -1
				return b
			}, failure{"/0/data/items/0/quantity", "minimum"}},
		{"data of another type", "admit.hold.released.v1",
			func(b []map[string]any) any { b[0]["type"] = "admit.hold.created.v1"; return b },
			failure{"/0/data", "required"}},
		{"order about the event", "admit.order.placed.v1",
			func(b []map[string]any) any { b[0]["subject"] = "event"; return b }, failure{"/0/subject", "pattern"}},
		{"order in an organizer's ledger", "admit.order.paid.v1",
			func(b []map[string]any) any { b[0]["source"] = "/organizers/" + id.New("or", id.Short); return b },
			failure{"/0/source", "pattern"}},
		{"signing key about an order", "admit.signing_key.added.v1",
			func(b []map[string]any) any { b[0]["subject"] = "orders/" + id.New("od", id.Short); return b },
			failure{"/0/subject", "pattern"}},
		{"expiry read as a payment", "admit.order.expired.v1",
			func(b []map[string]any) any { b[0]["type"] = "admit.order.paid.v1"; return b },
			failure{"/0/data", "required"}},
	}
	batch := compile(t, compiler(), "batch.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.change(first(t, tt.typ)))
			if err != nil {
				t.Fatal(err)
			}
			err = batch.Validate(instance(t, b))
			if err == nil {
				t.Fatalf("batch.json accepted %s", b)
			}
			if got := failures(err); !slices.Contains(got, tt.want) {
				t.Errorf("got failures %v, want %v\n%v", got, tt.want, err)
			}
		})
	}
}
