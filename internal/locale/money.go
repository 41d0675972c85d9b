package locale

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/admit-org/admit/internal/boxoffice"
)

// Money writes m the way tag's language writes an amount of money, with
// the currency's symbol in that language and the currency's minor-unit
// digits: 3500 EUR is "€35.00" in English, "35,00 €" in German and French,
// "€ 35,00" in Dutch; 1500 JPY is "¥1,500"; -5 EUR is "-€0.05"; 123456789
// USD is "$1,234,567.89". A symbol made of letters keeps apart from the
// digits ("CHF 35.00"); a currency without a symbol in the language shows
// its ISO code ("35,00 SEK" in German). Between an amount and its symbol there is a
// no-break space where the language puts a space. The amount is formatted
// from its integer minor units, exactly, for every int64.
//
// A currency that boxoffice.CurrencyDigits does not know is written with
// its code and the minor units as whole ones, as boxoffice.Money.String
// does. Money never says "Free": that is a word for its caller to choose.
func Money(m boxoffice.Money, tag language.Tag) string {
	s := styleOf(tag)
	digits, _ := boxoffice.CurrencyDigits(m.Currency)
	number := s.digits(m.Amount, digits)
	sym := symbol(m.Currency, s.tag)
	sign := ""
	if m.Amount < 0 {
		sign = "-"
	}
	if !s.symbolFirst {
		return sign + number + nbspOr(s.symbolSpace) + sym
	}
	space := s.symbolSpace
	if last, _ := utf8.DecodeLastRuneInString(sym); space == "" && unicode.IsLetter(last) {
		space = nbsp // "CHF 35.00", as CLDR's currency spacing asks
	}
	if s.signFirst {
		return sign + sym + space + number
	}
	return sym + space + sign + number
}

// nbspOr is space, or a no-break space when the style puts none: a
// symbol after the amount always stands apart.
func nbspOr(space string) string {
	if space == "" {
		return nbsp
	}
	return space
}

// digits writes the magnitude of amount minor units as a decimal with
// digits fraction digits, grouped by thousands: 123456789 with 2 digits is
// "1,234,567.89" in English.
func (s *style) digits(amount int64, digits int) string {
	u := uint64(amount) // two's complement: the magnitude of MinInt64 too
	if amount < 0 {
		u = -u
	}
	raw := strconv.FormatUint(u, 10)
	if len(raw) <= digits {
		raw = strings.Repeat("0", digits-len(raw)+1) + raw
	}
	whole, frac := raw[:len(raw)-digits], raw[len(raw)-digits:]
	var b strings.Builder
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(s.group)
		}
		b.WriteByte(whole[i])
	}
	if digits > 0 {
		b.WriteString(s.decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// symbol is the currency's symbol in the language, from CLDR through
// golang.org/x/text/currency: "€", "$", "CA$"; the ISO code itself for a
// currency that has none there, or that x/text does not know.
func symbol(code string, tag language.Tag) string {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return code
	}
	return message.NewPrinter(tag).Sprint(currency.Symbol(unit))
}
