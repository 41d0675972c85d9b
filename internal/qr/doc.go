// Package qr draws QR codes for ticket secrets: a PNG for the ticket PDF and
// the e-mail, and an SVG for web pages. It wraps github.com/skip2/go-qrcode,
// which chooses the symbol version and the encoding modes.
//
// Every code uses error correction level M (about 15% of the symbol may be
// damaged) and the standard quiet zone of 4 modules. A ticket secret
// ("AT1:" and Base45, see package ticket) uses only characters of the QR
// alphanumeric mode, 5.5 bits each instead of 8, so its 178 characters fit
// a version 7 symbol: 45×45 modules, 53×53 with the quiet zone.
//
// The package is pure and keeps no state: its functions are safe for
// concurrent use.
package qr
