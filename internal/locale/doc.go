// Package locale is the one place where admit writes money and times for a
// person: the shop's pages, the e-mails to buyers and the printed tickets
// take their amounts, dates and times from here and format none themselves.
//
// Negotiate picks the language to format in from a request's
// Accept-Language, among the languages admit formats (English, German,
// French, Dutch, Spanish and Italian; English when none fits). Money writes
// an amount the way that language writes it ("€35.00", "35,00 €", "¥1,500"),
// with the currency's own minor-unit digits (boxoffice.CurrencyDigits),
// exactly: amounts stay integers of minor units throughout and never pass
// through floating point. Time and Clock write an instant in an event's time
// zone and always say which zone that is ("Saturday 2 January 2027, 20:00
// CET", "20:00 CET"); a time zone admit does not know is shown as UTC.
//
// Only the formats depend on the language: the words around them (the
// shop's and the e-mails' texts) are English. A page that shows a date in
// another language marks it with that language (see Negotiate), so that a
// screen reader reads its weekday and month right.
//
// Everything here is a pure function of its arguments (and of the time
// zone database) and safe for concurrent use.
package locale
