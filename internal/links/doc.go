// Package links builds admit's public URLs: the pages a buyer opens (an
// event, a checkout, the order page that the e-mails link to) and the
// files and API resources behind them (a ticket's QR code, the tickets'
// PDF, the order in the API). The shop, the API and the e-mail worker all
// take their links from here, so a link in an e-mail is a page the shop
// serves, and no link depends on what a request says about its host.
//
// Paths are root-relative ("/events/ev_…"); Base makes them absolute under
// the URL buyers reach admit at (--public-url, else http:// and the
// listen address). Everything here is a pure function of its arguments and
// safe for concurrent use.
package links
