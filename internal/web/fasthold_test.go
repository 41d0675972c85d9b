package web

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestParseHoldFast: whatever the fast path accepts, the general decoder
// reads the same way; what it refuses goes to the general decoder.
func TestParseHoldFast(t *testing.T) {
	accepted := []string{
		`{"items":[{"ticket_type_id":"tt_abc","quantity":2}]}`,
		` { "items" : [ { "quantity" : 10 , "ticket_type_id" : "tt_x" } , {"ticket_type_id":"tt_y","quantity":1} ] } `,
		"{\n\t\"items\": [{\"ticket_type_id\": \"not an id\", \"quantity\": 999}]\r\n}",
	}
	refused := []string{
		``, `{}`, `[]`, `null`, `{"items":[]}`, `{"items":null}`,
		`{"items":[{"ticket_type_id":"tt_a"}]}`,
		`{"items":[{"quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1,"x":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","ticket_type_id":"tt_b","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1}],"items":[]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":01}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":0}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":-1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1.0}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1e2}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1000}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":"1"}]}`,
		`{"items":[{"ticket_type_id":"tt\u0061","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_ä","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"","quantity":1}]}`,
		`{"items":[{"ticket_type_id":null,"quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1}]} {}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1},]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1}]`,
		`{"Items":[{"ticket_type_id":"tt_a","quantity":1}]}`,
	}
	for _, b := range accepted {
		fast, ok := parseHoldFast([]byte(b))
		if !ok {
			t.Errorf("refused %s", b)
			continue
		}
		var slow holdIn
		if err := decodeJSON([]byte(b), &slow); err != nil || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast %+v, general %+v (%v)", b, fast, slow, err)
		}
	}
	for _, b := range refused {
		if in, ok := parseHoldFast([]byte(b)); ok {
			t.Errorf("accepted %s as %+v", b, in)
		}
	}
}

// TestHoldBodiesRefusedAlike: bodies that the contract refuses and that
// the fast path leaves to the general decoder are refused there too, not
// read as something else.
func TestHoldBodiesRefusedAlike(t *testing.T) {
	for _, b := range []string{
		`{"Items":[{"ticket_type_id":"tt_a","quantity":1}]}`,
		`{"ITEMS":[{"ticket_type_id":"tt_a","quantity":1}]}`,
		`{"items":[{"Ticket_Type_ID":"tt_a","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","QUANTITY":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","ticket_type_id":"tt_b","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1,"quantity":2}]}`,
		`{"items":[{"ticket_type_id":"tt_a","quantity":1}],"items":[]}`,
		"{\"items\":[{\"ticket_type_id\":\"tt_\xff\",\"quantity\":1}]}",
		`{"items":[{"ticket_type_id":"tt_\ud800","quantity":1}]}`,
		`{"items":[{"ticket_type_id":"tt_\udc00\ud800","quantity":1}]}`,
	} {
		if in, ok := parseHoldFast([]byte(b)); ok {
			t.Errorf("fast path accepted %s as %+v", b, in)
		}
		var in holdIn
		if err := decodeJSON([]byte(b), &in); err == nil {
			t.Errorf("general decoder accepted %s as %+v", b, in)
		}
	}
}

// FuzzParseHoldFast checks the promise on mutated bodies.
func FuzzParseHoldFast(f *testing.F) {
	f.Add(`{"items":[{"ticket_type_id":"tt_abc","quantity":2}]}`)
	f.Add(`{"items":[{"quantity":3,"ticket_type_id":"tt_x"},{"ticket_type_id":"tt_y","quantity":1}]}`)
	f.Fuzz(func(t *testing.T, b string) {
		fast, ok := parseHoldFast([]byte(b))
		if !ok {
			return
		}
		var slow holdIn
		if err := decodeJSON([]byte(b), &slow); err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v, general %+v (%v)", b, fast, slow, err)
		}
	})
}

// TestParseHoldFastRandom mutates valid bodies byte by byte.
func TestParseHoldFastRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := `{"items":[{"ticket_type_id":"tt_abc","quantity":2},{"quantity":13,"ticket_type_id":"tt_d"}]}`
	alphabet := ` {}[]:,"0123456789-.eE\tabc_x` + "\\\u00e4"
	for range 20_000 {
		b := []byte(base)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		fast, ok := parseHoldFast(b)
		if !ok {
			continue
		}
		var slow holdIn
		if err := decodeJSON(b, &slow); err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v, general %+v (%v)", b, fast, slow, err)
		}
	}
}
