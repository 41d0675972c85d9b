// Package notify is the e-mail worker: it follows the ledger through a
// worker.Runner and tells buyers, by e-mail, what happened to their orders.
//
// # What is sent
//
// Handle looks at one ledger entry and sends at most two e-mails
// (mail.Compose), to the order's buyer:
//
//   - OrderPlaced with the manual provider: PaymentPending, with the event's
//     manual payment instructions and the deadline in the event's time zone.
//   - OrderPaid: OrderConfirmation, with the PDF of the order's valid tickets
//     attached ("tickets-<order id>.pdf", application/pdf).
//   - TicketsResent (the organizer asked): OrderConfirmation again, the same.
//   - OrderExpired: OrderExpired.
//   - OrderCancelled: OrderCancelled with the organizer's reason, saying that
//     a refund of the amount follows when the entry owes one; and then, as
//     the cancellation e-mail promises, a separate OrderRefunded e-mail for
//     that refund.
//   - OrderRefunded: OrderRefunded, listing the refunded tickets by type.
//   - PaymentRejected: OrderRefunded, with the reason the payment could not
//     be kept ("the order had expired and its tickets were sold to someone
//     else").
//
// An organizer's entry sends one e-mail: MemberInvited marked to be sent
// (Send), a MemberInvitation to the address it names; ResetRequested, a
// PasswordReset to the member's address; each with its link made again by
// Config.Secrets from the member's or the reset's id. Every other entry sends
// nothing and is not marked.
//
// The entry says what happened; the names, lines and address come from the
// order as the box office holds it when the worker runs (printer.Find), which
// may be later than the entry: after an outage, the worker catches up with
// entries whose order has moved on since. Three e-mails would then say
// something no longer true, and are not sent (the entry is marked as
// handled, and the skip logged):
//
//   - a payment request (OrderPlaced) for an order no longer awaiting payment:
//     it is paid, expired or cancelled, and that entry's own e-mail follows;
//   - a confirmation (OrderPaid) for an order that has no valid ticket left,
//     refunded or cancelled in full before the worker got to it: the e-mail
//     says the tickets are attached, and there is nothing to attach; the
//     refund or cancellation e-mail that follows tells the buyer what
//     happened to the money. (A partly refunded order gets its confirmation
//     with the tickets still valid.)
//   - an expiry notice (OrderExpired) for an order that a late payment has
//     since paid after all: it would invite the buyer to order again.
//
// Amounts and times are written by package locale in the buyer's language,
// which is English (an order does not record another): amounts with the
// currency's symbol and its own digits ("€90.00", "¥1,500"), times in the
// event's time zone with the zone shown ("Wednesday 31 March 2027, 14:00
// CEST"). Each e-mail's
// Message-ID is derived from the entry ("<event>.<seq>.<index>@admit", with
// ".refund" before the @ for a cancellation's refund e-mail): the same
// e-mail always carries the same Message-ID.
//
// # Never twice, and the window where it can be twice
//
// Marks record, by entry, which e-mails went out, so that none is sent
// twice: neither when the Runner retries an entry nor when the ledger is
// followed again from an earlier position (a lost or reset worker
// position). For each e-mail, Handle calls Marks.Claim, which marks it
// "sending" and reports whether it was marked "sent" before (then nothing
// is sent); it then composes and sends the e-mail, and once the SMTP server
// has accepted it (its 250 reply to DATA) calls Marks.Done, which marks it
// "sent".
//
// Delivery is at least once, and the window is exactly this: if the process
// dies, or Marks.Done fails, after the SMTP server accepted an e-mail and
// before its mark says "sent", the mark stays "sending", the worker's
// position has not moved past the entry, and the entry is handled again:
// Claim finds "sending" (not "sent"), and the e-mail is sent a second time,
// with the same Message-ID, so that mail systems and clients that drop
// duplicate Message-IDs show it once. The same happens when the SMTP
// connection fails after the server accepted the message but before its
// reply arrived (mail.SMTP.Send then reports Unavailable). A mark is never
// "sent" for an e-mail that was not accepted: no e-mail is lost.
//
// # Errors
//
// Handle is a worker.Handler. It returns the sender's fault.Unavailable
// errors (the server is down, a 4xx reply, a timeout), which the Runner
// retries with backoff, and its fault.Invalid errors (a 5xx reply such as an
// unknown recipient, a malformed message), which the Runner logs and skips;
// such an e-mail's mark stays "sending". An order or event that the box
// office does not know is fault.Invalid too: retrying cannot find it.
// Failures of the marks or the box office are returned as they are, and
// retried.
//
// The Notifier keeps no state of its own and is safe for concurrent use;
// run one mail worker at a time (see package worker).
package notify
