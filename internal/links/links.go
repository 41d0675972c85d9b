package links

import (
	"fmt"
	"net/url"
	"strings"
)

// Base is the URL buyers reach admit at, such as
// "https://tickets.example.com". The zero Base leaves paths relative.
type Base struct {
	url    string // without a trailing slash
	origin string // scheme://host[:port]
}

// Parse returns the Base of raw: an absolute http(s) URL, with or without
// a path, without a query or fragment; a trailing slash is dropped.
func Parse(raw string) (Base, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return Base{}, fmt.Errorf("%q is not an http(s) URL such as https://tickets.example.com", raw)
	}
	return Base{url: strings.TrimRight(raw, "/"), origin: u.Scheme + "://" + u.Host}, nil
}

// String is the base URL, without a trailing slash; "" for the zero Base.
func (b Base) String() string { return b.url }

// Origin is the base's scheme and host ("https://tickets.example.com"), as
// a browser sends it in an Origin header; "" for the zero Base.
func (b Base) Origin() string { return b.origin }

// URL is the absolute link to path (one of this package's paths); path
// itself for the zero Base.
func (b Base) URL(path string) string { return b.url + path }

// Event is the shop's page of an event.
func Event(eventID string) string { return "/events/" + eventID }

// Checkout is the shop's checkout of a hold.
func Checkout(eventID, holdID string) string { return Event(eventID) + "/checkout/" + holdID }

// Order is the shop's page of an order: the buyer's secret link, the one a
// person opens (e-mails link here).
func Order(eventID, token string) string { return Event(eventID) + "/orders/" + token }

// APIOrder is the order in the JSON API, reached with the same secret
// token: the API's order_url.
func APIOrder(eventID, token string) string {
	return "/api/v1/public/events/" + eventID + "/orders/" + token
}

// TicketQR is a ticket's QR code as an image; ext is "svg" or "png".
func TicketQR(eventID, token, ticketID, ext string) string {
	return APIOrder(eventID, token) + "/tickets/" + ticketID + "/qr." + ext
}

// TicketsPDF is the PDF of an order's valid tickets.
func TicketsPDF(eventID, token string) string { return APIOrder(eventID, token) + "/tickets.pdf" }

// Door is the door scanner, the web app door staff scan tickets with.
func Door() string { return "/door/" }

// DoorSetup is the link that sets a phone up as a door device of the
// event: the scanner with the device's token in the fragment, which the
// browser never sends to a server (nor to its logs).
func DoorSetup(eventID, token string) string {
	return Door() + "#event=" + eventID + "&token=" + token
}

// Console is the organizers' console.
func Console() string { return "/manage" }

// ConsoleEvent is an event's dashboard in the console.
func ConsoleEvent(eventID string) string { return Console() + "/events/" + eventID }

// SignIn is the console's sign-in page.
func SignIn() string { return Console() + "/sign-in" }

// Invitation is the link that lets the invited person join an organizer:
// the console's page of the invitation, named by its secret.
func Invitation(secret string) string { return Console() + "/invitations/" + secret }

// PasswordReset is the console's page that asks for a password reset's
// link; with a secret, the page of that link.
func PasswordReset(secret string) string {
	if secret == "" {
		return Console() + "/password-reset"
	}
	return Console() + "/password-reset/" + secret
}

// Logo is an organizer's logo, named by its SHA-256 (hex): the address of
// one image, never another.
func Logo(organizerID, sha string) string { return "/organizers/" + organizerID + "/logo/" + sha }
