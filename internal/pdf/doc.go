// Package pdf prints an order's tickets as one PDF, one A4 page a ticket,
// for the buyer to download or receive by e-mail. It wraps
// github.com/signintech/gopdf, embeds the Go fonts
// (golang.org/x/image/font/gofont, BSD licence) so that names in any Latin,
// Greek or Cyrillic script print as written, and draws each ticket's QR code
// with package qr.
//
// The package keeps no state: each call builds its own document, so calls
// are safe for concurrent use.
package pdf
