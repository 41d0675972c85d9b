// Package mail is the e-mail admit sends buyers: Compose renders one kind of
// e-mail (an order confirmation, payment instructions, an expired, cancelled
// or refunded order) from embedded templates into a Message, and a Sender
// delivers it.
//
// Two senders exist: *SMTP, which hands each message to an SMTP server on a
// connection of its own, and *Log, which only logs what it would send and is
// used when no SMTP server is configured. Both reject a malformed message
// with a fault.Invalid error. *SMTP classifies delivery failures so a caller
// knows whether to retry: fault.Invalid when the server refused the message
// for good (an SMTP 5xx reply), fault.Unavailable when trying again later may
// work (a 4xx reply, a network failure, a timeout).
//
// A message's ID becomes its Message-ID header. Callers derive it from the
// ledger entry that caused the e-mail, so that a retried send carries the
// same Message-ID and receiving systems can drop the duplicate.
//
// Tests run against a real SMTP server, Mailpit, through package mailpittest.
package mail
