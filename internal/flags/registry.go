package flags

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind is the type of a flag's value.
type Kind uint8

// The kinds a flag can have.
const (
	Bool Kind = iota + 1
	Int
)

func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Flag is a flag the code knows: its name (the key in the bucket), the kind
// of its value, the value it has when nothing is stored (or the store
// cannot be read), and what it does.
type Flag struct {
	Name        string
	Kind        Kind
	Default     any // bool or int64, as Kind says
	Description string
	// Targeting says what the targeting key of its evaluations is.
	Targeting string
}

// The flags admit evaluates.
const (
	// CardPayments off makes the shop offer no card payment, as when Stripe
	// is not configured.
	CardPayments = "shop.card-payments"
	// HoldsPaused on for an event refuses its new holds (API and shop) with
	// the problem holds-paused; everything else keeps working.
	HoldsPaused = "holds.paused"
	// LowStockCount on for an event makes the shop say "Only N left" where
	// it said "Few left".
	LowStockCount = "shop.low-stock-count"
)

// Registry is every flag the code knows, sorted by name.
var Registry = []Flag{
	{Name: HoldsPaused, Kind: Bool, Default: false, Targeting: "event id",
		Description: "refuse new holds (API and shop) with holds-paused: the kill switch of an event's sales; releases, orders of existing holds and reads keep working"},
	{Name: CardPayments, Kind: Bool, Default: true, Targeting: "event id",
		Description: "the shop offers card payments (when Stripe is configured); off: it offers none, as without Stripe"},
	{Name: LowStockCount, Kind: Bool, Default: false, Targeting: "event id",
		Description: `the shop's event page says "Only N left" instead of "Few left" for a ticket type that is nearly sold out`},
}

// Lookup returns the flag called name; ok is false for a name the code
// does not know.
func Lookup(name string) (Flag, bool) {
	i := slices.IndexFunc(Registry, func(f Flag) bool { return f.Name == name })
	if i < 0 {
		return Flag{}, false
	}
	return Registry[i], true
}

// Names is the known flags' names, comma-separated, for messages.
func Names() string {
	names := make([]string, len(Registry))
	for i, f := range Registry {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// ParseValue reads a value of the flag's kind as an operator types it:
// true or false for a bool, a whole number for an int.
func (f Flag) ParseValue(s string) (any, error) {
	switch f.Kind {
	case Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("flag %s is a bool: want true or false, not %q", f.Name, s)
		}
		return b, nil
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("flag %s is an int: want a whole number, not %q", f.Name, s)
		}
		return n, nil
	}
	return nil, fmt.Errorf("flag %s has an unknown kind %s", f.Name, f.Kind)
}

// FormatValue writes a value as ParseValue reads it.
func FormatValue(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}
