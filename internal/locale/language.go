package locale

import (
	"strings"

	"golang.org/x/text/language"
)

// style is how one language writes money, dates and times: what Money,
// Time and Clock need of it. The separators and patterns follow the
// Unicode CLDR as golang.org/x/text carries it.
type style struct {
	tag language.Tag

	decimal, group string // the decimal and grouping separators
	// symbolFirst: the currency symbol comes before the amount ("€35.00");
	// else after it ("35,00 €"). symbolSpace separates the two ("" in
	// English, a no-break space elsewhere).
	symbolFirst bool
	symbolSpace string
	// signFirst: a minus sign comes before the symbol ("-€35.00"); else
	// between the symbol and the digits ("€ -35,00"). Only for symbolFirst.
	signFirst bool

	weekdays [7]string  // from Sunday, as time.Weekday counts
	months   [12]string // from January
	// date writes a day: "Saturday 2 January 2027".
	date func(weekday, day, month, year string) string
}

const nbsp = "\u00a0" // a no-break space: an amount never breaks from its symbol

// styles are the languages admit formats, English first: it is the
// default.
var styles = []*style{
	{tag: language.English, decimal: ".", group: ",", symbolFirst: true, signFirst: true,
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August",
			"September", "October", "November", "December"},
		date: func(w, d, m, y string) string { return w + " " + d + " " + m + " " + y }},
	{tag: language.German, decimal: ",", group: ".", symbolSpace: nbsp,
		weekdays: [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		months: [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
			"September", "Oktober", "November", "Dezember"},
		date: func(w, d, m, y string) string { return w + ", " + d + ". " + m + " " + y }},
	{tag: language.French, decimal: ",", group: nbsp, symbolSpace: nbsp,
		weekdays: [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		months: [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
			"septembre", "octobre", "novembre", "décembre"},
		date: func(w, d, m, y string) string { return w + " " + d + " " + m + " " + y }},
	{tag: language.Dutch, decimal: ",", group: ".", symbolFirst: true, symbolSpace: nbsp,
		weekdays: [7]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
		months: [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
			"september", "oktober", "november", "december"},
		date: func(w, d, m, y string) string { return w + " " + d + " " + m + " " + y }},
	{tag: language.Spanish, decimal: ",", group: ".", symbolSpace: nbsp,
		weekdays: [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
			"septiembre", "octubre", "noviembre", "diciembre"},
		date: func(w, d, m, y string) string { return w + ", " + d + " de " + m + " de " + y }},
	{tag: language.Italian, decimal: ",", group: ".", symbolSpace: nbsp,
		weekdays: [7]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"},
		months: [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
			"settembre", "ottobre", "novembre", "dicembre"},
		date: func(w, d, m, y string) string { return w + " " + d + " " + m + " " + y }},
}

// matcher picks among styles' languages. A language.Matcher is only read
// once made: safe for concurrent use.
var matcher = language.NewMatcher(Languages())

// Languages returns the languages admit formats in, English (the default)
// first. The slice is the caller's.
func Languages() []language.Tag {
	out := make([]language.Tag, len(styles))
	for i, s := range styles {
		out[i] = s.tag
	}
	return out
}

// Negotiate returns the language, one of Languages, that suits a request
// whose Accept-Language header is acceptLanguage (several headers joined
// with commas): "de-CH, en;q=0.8" gives German, "pt-BR" or a header that
// does not parse gives English. The tag it returns is a plain language
// ("de"), fit for an HTML lang attribute.
func Negotiate(acceptLanguage string) language.Tag {
	acceptLanguage = strings.TrimSpace(acceptLanguage)
	if acceptLanguage == "" {
		return styles[0].tag
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return styles[0].tag
	}
	_, i, _ := matcher.Match(tags...) // i is 0, English, when nothing fits
	return styles[i].tag
}

// styleOf returns the style of tag's language, English's for a language
// admit does not format in. Only the base language counts: "de-AT" writes
// as "de".
func styleOf(tag language.Tag) *style {
	base, _ := tag.Base()
	for _, s := range styles {
		if b, _ := s.tag.Base(); b == base {
			return s
		}
	}
	return styles[0]
}
