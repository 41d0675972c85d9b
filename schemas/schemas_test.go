package schemas_test

import (
	"bytes"
	"crypto/sha256"
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
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/organizer"
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
	if got, want := len(types), 13; got < want {
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

// TestSchemasMatchGoStructs checks each type schema's top level against the
// Go struct: a property per JSON field, required exactly when always
// emitted, nothing else allowed.
func TestSchemasMatchGoStructs(t *testing.T) {
	for _, typ := range entryTypes() {
		all, always := map[string]bool{}, map[string]bool{}
		jsonFields(reflect.TypeOf(zeroEntry(t, typ)).Elem(), all, always)
		m := readSchema(t, typ+".json")
		props := slices.Sorted(maps.Keys(m["properties"].(map[string]any)))
		if want := slices.Sorted(maps.Keys(all)); !slices.Equal(props, want) {
			t.Errorf("%s: properties %v, want the Go fields %v", typ, props, want)
		}
		var required []string
		for _, r := range m["required"].([]any) {
			required = append(required, r.(string))
		}
		slices.Sort(required)
		if want := slices.Sorted(maps.Keys(always)); !slices.Equal(required, want) {
			t.Errorf("%s: required %v, want the fields Go always emits %v", typ, required, want)
		}
		if m["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is %v, want false", typ, m["additionalProperties"])
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
		tt.SalesStart = time.Date(2026, 3, 20, 10, 0, 0, 0, paris)
		tt.SalesEnd = time.Date(2026, 7, 4, 18, 0, 0, 0, paris)
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
	return []boxoffice.Entry{
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
			{TicketTypeID: vip, Quantity: 1}}, ExpiresAt: at.Add(10 * time.Minute), Idem: publicIdem},
		&boxoffice.HoldCreated{HoldID: expired, Items: []boxoffice.Item{{TicketTypeID: vip, Quantity: 1}},
			ExpiresAt: at.Add(10 * time.Minute)},
		&boxoffice.HoldReleased{HoldID: released},
		&boxoffice.HoldExpired{HoldID: expired},
		&boxoffice.EventUpdated{EventID: eventID, EventDetails: updated},
		&boxoffice.TicketTypeUpdated{TicketTypeID: general, TicketTypeDetails: ttUpdated},
		&boxoffice.QuotaUpdated{QuotaID: venue, QuotaDetails: boxoffice.QuotaDetails{Name: "Venue (seated)",
			Capacity: 0, TicketTypeIDs: []string{vip}}},
		&boxoffice.EventStatusChanged{EventID: eventID, From: boxoffice.OnSale, Status: boxoffice.SalesClosed},
		&boxoffice.EventStatusChanged{EventID: eventID, From: boxoffice.SalesClosed, Status: boxoffice.Cancelled},
	}
}

// organizerEntries returns the entries of one organizer's life.
func organizerEntries(organizerID string) []boxoffice.Entry {
	first, second := id.New("tk", id.Short), id.New("tk", id.Short)
	_, h1 := organizer.NewToken()
	_, h2 := organizer.NewToken()
	return []boxoffice.Entry{
		&organizer.Created{OrganizerID: organizerID, Name: "Ateliers Sonores SARL"},
		&organizer.TokenCreated{OrganizerID: organizerID, TokenID: first, Name: "bootstrap", Hash: h1},
		&organizer.TokenCreated{OrganizerID: organizerID, TokenID: second, Name: "box-office laptop", Hash: h2},
		&organizer.TokenRevoked{OrganizerID: organizerID, TokenID: first},
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
		add(boxoffice.Source(entries[0].(*boxoffice.EventCreated).EventID), uint64(i), entries)
	}
	add(organizer.Source(orgID), 0, organizerEntries(orgID))
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
			func(b []map[string]any) any { b[0]["type"] = "admit.hold.extended.v1"; return b }, failure{"/0/type", "enum"}},
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
