package door_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ticket"
)

// decided is what ticket.js's decide answers, as far as the tests read it.
type decided struct {
	Result         string `json:"result"`
	TicketID       string `json:"ticketID"`
	TicketTypeID   string `json:"ticketTypeID"`
	TicketTypeName string `json:"ticketTypeName"`
	Attendee       string `json:"attendee"`
	NotInList      bool   `json:"notInList"`
	ValidFrom      int64  `json:"validFrom"`
	ValidUntil     int64  `json:"validUntil"`
}

// decideJS runs ticket.js's decide in the page on a bundle.
func decideJS(b *tab, bn bundle, secret, list, direction string, now time.Time, inside []string) decided {
	b.t.Helper()
	args, err := json.Marshal([]any{bn, secret, list, direction, now.UnixMilli(), inside})
	if err != nil {
		b.t.Fatal(err)
	}
	return eval[decided](b, `(async ([bundle, secret, list, direction, now, inside]) => {
		const m = await import("/door/ticket.js");
		const p = await m.prepare(bundle);
		return m.decide(p, secret, list, direction, now, new Set(inside), new Map());
	})(`+string(args)+`)`)
}

// testTicketJS checks the browser's reading of secrets against the Go
// reference: the golden secret of docs/tickets.md, random tickets, and
// every one-character change of a secret; then each result of the offline
// decision, in the contract's order.
func testTicketJS(t *testing.T, b *tab) {
	b.open("/door/")
	b.wait("the page", `!!window.doorStats`)

	// The golden secret.
	seven, err := ticket.SigningKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	const golden = "AT1:FB0%EGIC2/R89S2FH8P1NOAQTZC/7RHBS260SEP8U3DLA*HQVREIATL4QR$J%D7JRELGEOPRMGE8*5X%SAS8P 2HEGB E/YMRS2JOQO81SS8UFPG4A:Q7:KP:G493D4BN2+2VE99CU-3BEWMAHRL6M1YT+8FLQ3LJND81ZATAF7YWJ"
	gb := bundleFor("ev_abcdefghijklmnopqrst", seven)
	gb.TicketTypes = []bundleTicketType{{ID: "tt_234567abcdefghijklmn", Name: "Standing"}}
	gb.Tickets = []bundleTicket{{ID: "tk_zzzzzzzzzzzzzzzzzzzz", TicketTypeID: "tt_234567abcdefghijklmn", Attendee: "Ada"}}
	at := time.Date(2030, 6, 1, 18, 0, 0, 0, time.UTC)
	got := decideJS(b, gb, golden, "default", "entry", at, nil)
	want := decided{Result: "ok", TicketID: "tk_zzzzzzzzzzzzzzzzzzzz", TicketTypeID: "tt_234567abcdefghijklmn", TicketTypeName: "Standing",
		Attendee: "Ada", ValidFrom: time.Date(2030, 6, 1, 17, 0, 0, 0, time.UTC).UnixMilli(), ValidUntil: time.Date(2030, 6, 1, 23, 0, 0, 0, time.UTC).UnixMilli()}
	if got != want {
		t.Errorf("the golden secret: decide = %+v, want %+v", got, want)
	}

	// Random tickets, also of sharded events, read as Go reads them.
	key, err := ticket.NewSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		ev := id.InShard(id.New("ev", id.Short), i%16)
		from := time.Unix(mrand.Int64N(1<<31), 0).UTC()
		c := ticket.Claims{EventID: ev, TicketTypeID: id.New("tt", id.Short), TicketID: id.New("tk", id.Short),
			ValidFrom: from, ValidUntil: from.Add(time.Duration(mrand.Int64N(1<<20)) * time.Second)}
		secret, err := key.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		bn := bundleFor(ev, key)
		got := decideJS(b, bn, secret, "default", "entry", c.ValidFrom, nil)
		if got.Result != "ok" || got.TicketID != c.TicketID || got.TicketTypeID != c.TicketTypeID || !got.NotInList ||
			got.ValidFrom != c.ValidFrom.UnixMilli() || got.ValidUntil != c.ValidUntil.UnixMilli() {
			t.Errorf("%+v: decide = %+v", c, got)
		}
	}

	// Every change of one character: never let in.
	ev := id.New("ev", id.Short)
	c := ticket.Claims{EventID: ev, TicketTypeID: id.New("tt", id.Short), TicketID: id.New("tk", id.Short), ValidFrom: at, ValidUntil: at.Add(time.Hour)}
	secret, err := key.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	var mutants []string
	for i := len(ticket.Prefix); i < len(secret); i++ {
		ch := alphabet[(strings.IndexByte(alphabet, secret[i])+1+mrand.IntN(len(alphabet)-1))%len(alphabet)]
		mutants = append(mutants, secret[:i]+string(ch)+secret[i+1:])
	}
	mutants = append(mutants, "", "AT1:", "AT2:"+secret[4:], secret[:len(secret)-3], secret+"00", "https://example.com/", strings.ToLower(secret))
	args, err := json.Marshal([]any{bundleFor(ev, key), mutants, at.UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	results := eval[[]string](b, `(async ([bundle, mutants, now]) => {
		const m = await import("/door/ticket.js");
		const p = await m.prepare(bundle);
		const out = [];
		for (const s of mutants) out.push((await m.decide(p, s, "default", "entry", now, new Set(), new Map())).result);
		return out;
	})(`+string(args)+`)`)
	for i, r := range results {
		_, goErr := ticket.Verify(mutants[i], func(k ticket.KeyID) (ed25519.PublicKey, bool) { return key.Public(), k == key.ID }, at)
		if r == "ok" || (r != "invalid_signature" && r != "wrong_event") || goErr == nil {
			t.Errorf("%q: decide = %s, Go's Verify = %v; want invalid_signature or wrong_event, and an error", mutants[i], r, goErr)
		}
	}

	// Each result, in the contract's order.
	base := bundleFor(ev, key)
	stand, vipType := id.New("tt", id.Short), id.New("tt", id.Short)
	base.TicketTypes = []bundleTicketType{{ID: stand, Name: "Standing"}, {ID: vipType, Name: "VIP"}}
	opens, closes := at.Add(-30*time.Minute), at.Add(30*time.Minute)
	base.Lists = append(base.Lists,
		bundleList{ID: "li_vip", Name: "VIP lounge", TicketTypeIDs: []string{vipType}, ReEntry: true},
		bundleList{ID: "li_early", Name: "Early", TicketTypeIDs: []string{}, From: &opens, Until: &closes})
	sell := func(tt string, from, until time.Time, listed bool) (string, string) {
		tk := id.New("tk", id.Short)
		s, err := key.Sign(ticket.Claims{EventID: ev, TicketTypeID: tt, TicketID: tk, ValidFrom: from, ValidUntil: until})
		if err != nil {
			t.Fatal(err)
		}
		if listed {
			base.Tickets = append(base.Tickets, bundleTicket{ID: tk, TicketTypeID: tt, Attendee: "Person " + tk[3:6]})
		}
		return tk, s
	}
	day := func(tt string) (string, string) { return sell(tt, at.Add(-time.Hour), at.Add(time.Hour), true) }
	okTk, okSecret := day(stand)
	revTk, revSecret := day(stand)
	base.Revoked = []string{revTk}
	_, vipSecret := day(vipType)
	vipIn, vipInSecret := day(vipType)
	_, lateSecret := sell(stand, at.Add(time.Minute), at.Add(time.Hour), true)
	_, oldSecret := sell(stand, at.Add(-2*time.Hour), at.Add(-time.Second), true)
	_, newSecret := sell(stand, at.Add(-time.Hour), at.Add(time.Hour), false)
	other, err := ticket.NewSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Sign(ticket.Claims{EventID: ev, TicketTypeID: stand, TicketID: okTk, ValidFrom: at.Add(-time.Hour), ValidUntil: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := key.Sign(ticket.Claims{EventID: id.New("ev", id.Short), TicketTypeID: stand, TicketID: okTk, ValidFrom: at.Add(-time.Hour), ValidUntil: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// The same key under its id, but with another key's bytes: the key
	// id is found, the signature does not verify.
	swapped := base
	swapped.Keys = []bundleKey{{ID: key.ID.String(), PublicKey: base64.StdEncoding.EncodeToString(other.Public())}}
	for _, tc := range []struct {
		name, secret, list, direction string
		now                           time.Time
		inside                        []string
		bundle                        *bundle
		want                          string
		notInList                     bool
	}{
		{"ok", okSecret, "default", "entry", at, nil, nil, "ok", false},
		{"ok, not in the offline list", newSecret, "default", "entry", at, nil, nil, "ok", true},
		{"already checked in", okSecret, "default", "entry", at, []string{okTk}, nil, "already_checked_in", false},
		{"revoked", revSecret, "default", "entry", at, nil, nil, "revoked", false},
		{"revoked before inside", revSecret, "default", "entry", at, []string{revTk}, nil, "revoked", false},
		{"wrong list", okSecret, "li_vip", "entry", at, nil, nil, "wrong_list", false},
		{"no such list", okSecret, "li_gone", "entry", at, nil, nil, "wrong_list", false},
		{"not yet valid", lateSecret, "default", "entry", at, nil, nil, "not_yet_valid", false},
		{"before the list opens", okSecret, "li_early", "entry", opens.Add(-time.Second), nil, nil, "not_yet_valid", false},
		{"the list's first second", okSecret, "li_early", "entry", opens, nil, nil, "ok", false},
		{"expired", oldSecret, "default", "entry", at, nil, nil, "expired", false},
		{"after the list closes", okSecret, "li_early", "entry", closes.Add(time.Second), nil, nil, "expired", false},
		{"the list's last second", okSecret, "li_early", "entry", closes, nil, nil, "ok", false},
		{"another key", forged, "default", "entry", at, nil, nil, "invalid_signature", false},
		{"a key that does not verify", okSecret, "default", "entry", at, nil, &swapped, "invalid_signature", false},
		{"another event", elsewhere, "default", "entry", at, nil, nil, "wrong_event", false},
		{"not a ticket", "hello", "default", "entry", at, nil, nil, "invalid_signature", false},
		{"exit", vipInSecret, "li_vip", "exit", at, []string{vipIn}, nil, "ok", false},
		{"exit, not inside", vipSecret, "li_vip", "exit", at, nil, nil, "not_checked_in", false},
		{"exit without re-entry", okSecret, "default", "exit", at, []string{okTk}, nil, "exit_not_allowed", false},
		{"re-entry after exit", vipSecret, "li_vip", "entry", at, nil, nil, "ok", false},
	} {
		bn := base
		if tc.bundle != nil {
			bn = *tc.bundle
		}
		got := decideJS(b, bn, tc.secret, tc.list, tc.direction, tc.now, tc.inside)
		if got.Result != tc.want || got.NotInList != tc.notInList {
			t.Errorf("%s: decide = %s (not in list %t), want %s (%t)", tc.name, got.Result, got.NotInList, tc.want, tc.notInList)
		}
	}

	// A bundle it cannot use is refused with a clear error.
	bad := base
	bad.Keys = []bundleKey{{ID: "00000000", PublicKey: base64.StdEncoding.EncodeToString([]byte("short"))}}
	args, err = json.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	msg := eval[string](b, fmt.Sprintf(`import("/door/ticket.js").then(m => m.prepare(%s)).then(() => "", e => e.message)`, args))
	if !strings.Contains(msg, "not an Ed25519 public key") {
		t.Errorf("a bundle with a broken key: %q", msg)
	}
}

// bundleFor is a bundle of the event with the key and the default list.
func bundleFor(ev string, key *ticket.SigningKey) bundle {
	return bundle{
		Event:   bundleEvent{ID: ev, Name: "Test", TimeZone: "UTC"},
		Keys:    []bundleKey{{ID: key.ID.String(), PublicKey: base64.StdEncoding.EncodeToString(key.Public())}},
		Revoked: []string{}, TicketTypes: []bundleTicketType{}, Tickets: []bundleTicket{},
		Lists:  []bundleList{{ID: "default", Name: "Everyone", TicketTypeIDs: []string{}}},
		Inside: map[string][]string{},
	}
}
