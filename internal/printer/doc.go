// Package printer renders an order's tickets: it signs each ticket's secret
// with its event's current key (making the event's first key when it has
// none) and prints QR codes and the order's PDF. The web API and the e-mail
// worker share it.
package printer
