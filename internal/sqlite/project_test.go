package sqlite

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/organizer"
)

// everyEntry appends one of every entry type (and a message on a subject
// the projection does not know) and returns the last sequence.
func everyEntry(b *book) uint64 {
	b.t.Helper()
	b.org("or_a", at(0),
		&organizer.Created{OrganizerID: "or_a", Name: "Acme Concerts"},
		&organizer.TokenCreated{OrganizerID: "or_a", TokenID: "tk_1", Name: "ci", Hash: "hash1"},
		&organizer.TokenCreated{OrganizerID: "or_a", TokenID: "tk_2", Name: "old", Hash: "hash2"})
	b.org("or_a", at(1), &organizer.TokenRevoked{OrganizerID: "or_a", TokenID: "tk_2"},
		&organizer.TokenCreated{OrganizerID: "or_a", TokenID: "tk_3", Name: "door laptop", Hash: "hash4", Role: "door", Actor: "member:mb_1"},
		&organizer.MemberInvited{OrganizerID: "or_a", MemberID: "mb_1", Role: "owner", InviteHash: "inv1", ExpiresAt: at(100), Actor: "system"},
		&organizer.MemberJoined{OrganizerID: "or_a", MemberID: "mb_1", Name: "Ada", Email: "ada@example.com", PasswordHash: "$argon2id$x"},
		&organizer.MemberInvited{OrganizerID: "or_a", MemberID: "mb_2", Email: "bob@example.com", Role: "viewer", InviteHash: "inv2", ExpiresAt: at(100), Actor: "member:mb_1"},
		&organizer.MemberRoleChanged{OrganizerID: "or_a", MemberID: "mb_2", Role: "box_office", Actor: "member:mb_1"},
		&organizer.MemberInvited{OrganizerID: "or_a", MemberID: "mb_3", Email: "eve@example.com", Role: "admin", InviteHash: "inv3", ExpiresAt: at(100), Actor: "member:mb_1"},
		&organizer.MemberRemoved{OrganizerID: "or_a", MemberID: "mb_3", Actor: "member:mb_1"},
		&organizer.ResetRequested{OrganizerID: "or_a", MemberID: "mb_1", Email: "ada@example.com", ResetID: "pr_1", ResetHash: "reset1", ExpiresAt: at(50)},
		&organizer.ResetRequested{OrganizerID: "or_a", MemberID: "mb_1", Email: "ada@example.com", ResetID: "pr_2", ResetHash: "reset2", ExpiresAt: at(60)},
		&organizer.PasswordSet{OrganizerID: "or_a", MemberID: "mb_1", PasswordHash: "$argon2id$y"},
		&organizer.ResetRequested{OrganizerID: "or_a", MemberID: "mb_1", Email: "ada@example.com", ResetID: "pr_3", ResetHash: "reset3", ExpiresAt: at(70)},
		&organizer.LogoSet{OrganizerID: "or_a", PNG: []byte("png bytes"), SHA256: "logo1", Actor: "member:mb_1"},
		&organizer.ProfileUpdated{OrganizerID: "or_a", Profile: organizer.Profile{Name: "Acme Concerts",
			ContactEmail: "hello@acme.example", TermsURL: "https://acme.example/terms"}, Actor: "member:mb_1"})
	b.event("ev_1", at(2), &boxoffice.EventCreated{EventID: "ev_1", OrganizerID: "or_a", Currency: "EUR",
		EventDetails: eventDetails("Night")})
	b.event("ev_1", at(3),
		&boxoffice.EventUpdated{EventID: "ev_1", EventDetails: eventDetails("Late Night")},
		&boxoffice.EventStatusChanged{EventID: "ev_1", From: boxoffice.Draft, Status: boxoffice.OnSale})
	b.event("ev_1", at(4),
		&boxoffice.TicketTypeCreated{TicketTypeID: "tt_a", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "GA", Price: boxoffice.Money{Amount: 4500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 8}},
		&boxoffice.TicketTypeCreated{TicketTypeID: "tt_b", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Seated", Price: boxoffice.Money{Amount: 6500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 4,
			SalesStart: at(100), SalesEnd: at(200)}})
	b.event("ev_1", at(5),
		&boxoffice.TicketTypeUpdated{TicketTypeID: "tt_a", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Standing", Description: "GA", Price: boxoffice.Money{Amount: 5000, Currency: "EUR"}, MinPerHold: 2, MaxPerHold: 6}},
		&boxoffice.QuotaCreated{QuotaID: "qu_1", QuotaDetails: boxoffice.QuotaDetails{Name: "All", Capacity: 100,
			TicketTypeIDs: []string{"tt_a", "tt_b"}}},
		&boxoffice.QuotaCreated{QuotaID: "qu_2", QuotaDetails: boxoffice.QuotaDetails{Name: "Seats", Capacity: 40,
			TicketTypeIDs: []string{"tt_b"}}})
	b.event("ev_1", at(6),
		&boxoffice.QuotaUpdated{QuotaID: "qu_1", QuotaDetails: boxoffice.QuotaDetails{Name: "Everyone", Capacity: 120,
			TicketTypeIDs: []string{"tt_b"}}},
		&boxoffice.HoldCreated{HoldID: "ho_1", ExpiresAt: at(606), Items: []boxoffice.Item{
			{TicketTypeID: "tt_a", Quantity: 2}, {TicketTypeID: "tt_b", Quantity: 1}}},
		&boxoffice.HoldCreated{HoldID: "ho_2", ExpiresAt: at(606), Items: []boxoffice.Item{{TicketTypeID: "tt_b", Quantity: 3}}},
		&boxoffice.HoldCreated{HoldID: "ho_3", ExpiresAt: at(606), Items: []boxoffice.Item{{TicketTypeID: "tt_a", Quantity: 1}}})
	b.event("ev_1", at(7), &boxoffice.HoldReleased{HoldID: "ho_1"}, &boxoffice.HoldExpired{HoldID: "ho_2"},
		&boxoffice.HoldExtended{HoldID: "ho_3", ExpiresAt: at(907)})
	everyOrderEntry(b)
	b.event("ev_1", at(13), // the doors, which the read model keeps no tables of
		&boxoffice.CheckinListCreated{ListID: "cl_1", CheckinListDetails: boxoffice.CheckinListDetails{Name: "Side door"}},
		&boxoffice.CheckinListUpdated{ListID: "cl_1", CheckinListDetails: boxoffice.CheckinListDetails{Name: "Back door"}},
		&boxoffice.DoorDeviceAdded{DeviceID: "dd_1", Name: "Gate", TokenHash: strings.Repeat("ab", 32)},
		&boxoffice.TicketScanned{ListID: "default", DeviceID: "dd_1", Nonce: "n", Direction: "entry", ScannedAt: at(13),
			Result: "invalid_signature"},
		&boxoffice.ScanAnnulled{ListID: "default", DeviceID: "dd_1", Nonce: "n", By: "or_a"},
		&boxoffice.DoorDeviceRevoked{DeviceID: "dd_1"})
	return b.raw("ledger.other.x", []byte("not for the read model"))
}

// The ids of everyOrderEntry's orders, holds, refunds and signing keys,
// realistic ones.
const (
	order1  = "or_qauhrakcae4erq4wz47t" // paid, then one ticket refunded (settled)
	order2  = "or_grj5s3lalto2exjxgxbl" // manual, cancelled while awaiting payment
	order3  = "or_r3o4ilpt2bh37jh34d5r" // expired, then paid too late (rejected)
	hold1   = "ho_r2aracwo22jaq5rhedstm3erxv"
	hold2   = "ho_222dynlcqsgvfy7wadkwzbwmls"
	hold3   = "ho_mewsjcwfwfy5rrj5x4tsdr5kmw"
	token1  = "hw42bfsfv3wlvqggmyknvq7rkuw6o7ty"
	token2  = "hotxbgwdkoyp7puzejh5dtc2pqxloetx"
	token3  = "2fble74xv4pasrlak7juk5r7hno6mdoq"
	refund1 = "rf_sdrrolpzloo7zqpotytz"
	refund2 = "rf_4xy3gm7ws5efdden7cc2"
)

// publicKey returns an Ed25519 public key made from a seed of n's.
func publicKey(n byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
}

// everyOrderEntry appends one of every entry about orders and signing keys
// to ev_1 of everyEntry, with the payment settings and attendee names that
// the event and ticket type entries carry.
func everyOrderEntry(b *book) {
	b.t.Helper()
	b.event("ev_1", at(8),
		&boxoffice.EventUpdated{EventID: "ev_1", EventDetails: withPayments(eventDetails("Late Night"))},
		&boxoffice.TicketTypeUpdated{TicketTypeID: "tt_b", TicketTypeDetails: boxoffice.TicketTypeDetails{
			Name: "Seated", Price: boxoffice.Money{Amount: 6500, Currency: "EUR"}, MinPerHold: 1, MaxPerHold: 4,
			SalesStart: at(100), SalesEnd: at(200), AttendeeNames: true}},
		&boxoffice.HoldCreated{HoldID: hold1, ExpiresAt: at(608), Items: []boxoffice.Item{{TicketTypeID: "tt_b", Quantity: 2}}},
		&boxoffice.HoldCreated{HoldID: hold2, ExpiresAt: at(608), Items: []boxoffice.Item{{TicketTypeID: "tt_a", Quantity: 1}}},
		&boxoffice.HoldCreated{HoldID: hold3, ExpiresAt: at(608), Items: []boxoffice.Item{{TicketTypeID: "tt_a", Quantity: 1}}})
	seated := boxoffice.Money{Amount: 6500, Currency: "EUR"}
	standing := boxoffice.Money{Amount: 5000, Currency: "EUR"}
	b.event("ev_1", at(9),
		&boxoffice.OrderPlaced{OrderID: order1, HoldID: hold1, Token: token1,
			Buyer: boxoffice.Buyer{Name: "Zoë Łukasiewicz", Email: "zoe@example.com"}, Attendees: []string{"Zoë", "Ada"},
			Lines: []boxoffice.OrderLine{{TicketTypeID: "tt_b", Name: "Seated", Quantity: 2, UnitPrice: seated,
				Amount: boxoffice.Money{Amount: 13000, Currency: "EUR"}}},
			Total: boxoffice.Money{Amount: 13000, Currency: "EUR"}, Provider: boxoffice.ProviderStripe, PayBy: at(1209)},
		&boxoffice.OrderPlaced{OrderID: order2, HoldID: hold2, Token: token2,
			Buyer: boxoffice.Buyer{Name: "Grace", Email: "grace@example.com"},
			Lines: []boxoffice.OrderLine{{TicketTypeID: "tt_a", Name: "Standing", Quantity: 1, UnitPrice: standing, Amount: standing}},
			Total: standing, Provider: boxoffice.ProviderManual, PayBy: at(86409)},
		&boxoffice.OrderPlaced{OrderID: order3, HoldID: hold3, Token: token3,
			Buyer: boxoffice.Buyer{Name: "Alan", Email: "alan@example.com"},
			Lines: []boxoffice.OrderLine{{TicketTypeID: "tt_a", Name: "Standing", Quantity: 1, UnitPrice: standing, Amount: standing}},
			Total: standing, Provider: boxoffice.ProviderStripe, PayBy: at(1209)})
	b.event("ev_1", at(10),
		&boxoffice.PaymentStarted{OrderID: order1, PaymentIntentID: "pi_1"},
		&boxoffice.OrderPaid{OrderID: order1, EventRef: "evt_1",
			Payment: boxoffice.Payment{Provider: boxoffice.ProviderStripe, Ref: "pi_1",
				Amount: boxoffice.Money{Amount: 13000, Currency: "EUR"}, ReceivedAt: at(10), Kept: true},
			Tickets: []boxoffice.IssuedTicket{
				{TicketID: boxoffice.TicketID(order1, 0), TicketTypeID: "tt_b", Attendee: "Zoë", Price: seated},
				{TicketID: boxoffice.TicketID(order1, 1), TicketTypeID: "tt_b", Attendee: "Ada", Price: seated}}},
		&boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(publicKey(1)), PublicKey: publicKey(1)},
		&boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(publicKey(2)), PublicKey: publicKey(2)})
	b.event("ev_1", at(11),
		&boxoffice.TicketsResent{OrderID: order1, Actor: "member:mb_1"},
		&boxoffice.OrderRefunded{OrderID: order1, Refund: boxoffice.Refund{ID: refund1, Amount: seated,
			TicketIDs: []string{boxoffice.TicketID(order1, 1)}, Reason: "ill", Provider: boxoffice.ProviderStripe,
			PaymentRef: "pi_1", Status: boxoffice.RefundPending, CreatedAt: at(11)}},
		&boxoffice.OrderCancelled{OrderID: order2, Reason: "duplicate"},
		&boxoffice.OrderExpired{OrderID: order3, HoldID: hold3})
	b.event("ev_1", at(12),
		&boxoffice.RefundSettled{OrderID: order1, RefundID: refund1, ProviderRef: "re_1"},
		&boxoffice.PaymentRejected{OrderID: order3, EventRef: "evt_3", Reason: "too late",
			Payment: boxoffice.Payment{Provider: boxoffice.ProviderStripe, Ref: "pi_3", Amount: standing, ReceivedAt: at(12)},
			Refund: boxoffice.Refund{ID: refund2, Amount: standing, Reason: "too late", Provider: boxoffice.ProviderStripe,
				PaymentRef: "pi_3", Status: boxoffice.RefundPending, CreatedAt: at(12)}},
		&boxoffice.SigningKeyRetired{KeyID: boxoffice.KeyID(publicKey(1))})
}

// withPayments returns d with payment settings other than the defaults.
func withPayments(d boxoffice.EventDetails) boxoffice.EventDetails {
	d.PaymentSettings = boxoffice.PaymentSettings{PaymentProviders: []string{"stripe", "manual"},
		PaymentWindowSeconds: 1200, ManualPaymentWindowSeconds: 86400, ManualPaymentInstructions: "IBAN DE00 1234"}
	return d
}

// everyEntryDump is the Dump after everyEntry, columns separated by " | ".
const everyEntryDump = `table organizers (id, name, created_at, contact_email, website, terms_url, privacy_url, logo_sha)
"or_a" | "Acme Concerts" | "2026-11-22T10:00:00.500000000Z" | "hello@acme.example" | "" | "https://acme.example/terms" | "" | "logo1"
table api_tokens (id, organizer_id, name, hash, created_at, revoked_at, role)
"tk_1" | "or_a" | "ci" | "hash1" | "2026-11-22T10:00:00.500000000Z" | NULL | "owner"
"tk_2" | "or_a" | "old" | "hash2" | "2026-11-22T10:00:00.500000000Z" | "2026-11-22T10:00:01.500000000Z" | "owner"
"tk_3" | "or_a" | "door laptop" | "hash4" | "2026-11-22T10:00:01.500000000Z" | NULL | "door"
table members (id, organizer_id, email, name, role, invite_hash, invited_by, invited_at, expires_at, joined_at, password_hash, sessions_after, removed_at, reset_hash, reset_expires_at)
"mb_1" | "or_a" | "ada@example.com" | "Ada" | "owner" | "inv1" | "system" | "2026-11-22T10:00:01.500000000Z" | "2026-11-22T10:01:40.500000000Z" | "2026-11-22T10:00:01.500000000Z" | "$argon2id$y" | "2026-11-22T10:00:01.500000000Z" | NULL | "reset3" | "2026-11-22T10:01:10.500000000Z"
"mb_2" | "or_a" | "bob@example.com" | "" | "box_office" | "inv2" | "member:mb_1" | "2026-11-22T10:00:01.500000000Z" | "2026-11-22T10:01:40.500000000Z" | NULL | "" | "2026-11-22T10:00:01.500000000Z" | NULL | "" | ""
"mb_3" | "or_a" | "eve@example.com" | "" | "admin" | "inv3" | "member:mb_1" | "2026-11-22T10:00:01.500000000Z" | "2026-11-22T10:01:40.500000000Z" | NULL | "" | "2026-11-22T10:00:01.500000000Z" | "2026-11-22T10:00:01.500000000Z" | "" | ""
table events (id, organizer_id, name, venue, timezone, starts_at, ends_at, currency, status, hold_ttl_seconds, max_tickets_per_hold, payment_providers, payment_window_seconds, manual_payment_window_seconds, manual_payment_instructions, created_at, updated_at)
"ev_1" | "or_a" | "Late Night" | "Hall" | "Europe/Berlin" | "2027-01-10T19:00:00.000000000Z" | "2027-01-10T22:00:00.000000000Z" | "EUR" | "on_sale" | 600 | 10 | "[\"stripe\",\"manual\"]" | 1200 | 86400 | "IBAN DE00 1234" | "2026-11-22T10:00:02.500000000Z" | "2026-11-22T10:00:08.500000000Z"
table ticket_types (id, event_id, name, description, price_amount, price_currency, min_per_hold, max_per_hold, sales_start, sales_end, attendee_names, created_at, updated_at)
"tt_a" | "ev_1" | "Standing" | "GA" | 5000 | "EUR" | 2 | 6 | NULL | NULL | 0 | "2026-11-22T10:00:04.500000000Z" | "2026-11-22T10:00:05.500000000Z"
"tt_b" | "ev_1" | "Seated" | "" | 6500 | "EUR" | 1 | 4 | "2026-11-22T10:01:40.500000000Z" | "2026-11-22T10:03:20.500000000Z" | 1 | "2026-11-22T10:00:04.500000000Z" | "2026-11-22T10:00:08.500000000Z"
table quotas (id, event_id, name, capacity, created_at, updated_at)
"qu_1" | "ev_1" | "Everyone" | 120 | "2026-11-22T10:00:05.500000000Z" | "2026-11-22T10:00:06.500000000Z"
"qu_2" | "ev_1" | "Seats" | 40 | "2026-11-22T10:00:05.500000000Z" | "2026-11-22T10:00:05.500000000Z"
table quota_ticket_types (quota_id, ticket_type_id)
"qu_1" | "tt_b"
"qu_2" | "tt_b"
table orders (id, event_id, hold_id, token, status, provider, buyer_name, buyer_email, attendees, lines, total_amount, currency, refunded_amount, quantity, payment_intent_id, created_at, pay_by, paid_at, ended_at, reason, updated_at)
"or_grj5s3lalto2exjxgxbl" | "ev_1" | "ho_222dynlcqsgvfy7wadkwzbwmls" | "hotxbgwdkoyp7puzejh5dtc2pqxloetx" | "cancelled" | "manual" | "Grace" | "grace@example.com" | "[]" | "[{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"quantity\":1,\"unit_price\":{\"amount\":5000,\"currency\":\"EUR\"},\"amount\":{\"amount\":5000,\"currency\":\"EUR\"}}]" | 5000 | "EUR" | 0 | 1 | "" | "2026-11-22T10:00:09.500000000Z" | "2026-11-23T10:00:09.500000000Z" | NULL | "2026-11-22T10:00:11.500000000Z" | "duplicate" | "2026-11-22T10:00:11.500000000Z"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "ho_r2aracwo22jaq5rhedstm3erxv" | "hw42bfsfv3wlvqggmyknvq7rkuw6o7ty" | "paid" | "stripe" | "Zoë Łukasiewicz" | "zoe@example.com" | "[\"Zoë\",\"Ada\"]" | "[{\"ticket_type_id\":\"tt_b\",\"name\":\"Seated\",\"quantity\":2,\"unit_price\":{\"amount\":6500,\"currency\":\"EUR\"},\"amount\":{\"amount\":13000,\"currency\":\"EUR\"}}]" | 13000 | "EUR" | 6500 | 2 | "pi_1" | "2026-11-22T10:00:09.500000000Z" | "2026-11-22T10:20:09.500000000Z" | "2026-11-22T10:00:10.500000000Z" | NULL | "" | "2026-11-22T10:00:12.500000000Z"
"or_r3o4ilpt2bh37jh34d5r" | "ev_1" | "ho_mewsjcwfwfy5rrj5x4tsdr5kmw" | "2fble74xv4pasrlak7juk5r7hno6mdoq" | "expired" | "stripe" | "Alan" | "alan@example.com" | "[]" | "[{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"quantity\":1,\"unit_price\":{\"amount\":5000,\"currency\":\"EUR\"},\"amount\":{\"amount\":5000,\"currency\":\"EUR\"}}]" | 5000 | "EUR" | 5000 | 1 | "" | "2026-11-22T10:00:09.500000000Z" | "2026-11-22T10:20:09.500000000Z" | NULL | "2026-11-22T10:00:11.500000000Z" | "not paid in time" | "2026-11-22T10:00:12.500000000Z"
table tickets (id, order_id, position, event_id, ticket_type_id, attendee, price_amount, currency, status, issued_at, revoked_at)
"tk_6zume2ob333to6jduaa7" | "or_qauhrakcae4erq4wz47t" | 0 | "ev_1" | "tt_b" | "Zoë" | 6500 | "EUR" | "valid" | "2026-11-22T10:00:10.500000000Z" | NULL
"tk_74bqjjx6p4ssixu5bcp4" | "or_qauhrakcae4erq4wz47t" | 1 | "ev_1" | "tt_b" | "Ada" | 6500 | "EUR" | "revoked" | "2026-11-22T10:00:10.500000000Z" | "2026-11-22T10:00:11.500000000Z"
table payments (order_id, seq, provider, ref, amount, currency, received_at, kept)
"or_qauhrakcae4erq4wz47t" | 1 | "stripe" | "pi_1" | 13000 | "EUR" | "2026-11-22T10:00:10.500000000Z" | 1
"or_r3o4ilpt2bh37jh34d5r" | 1 | "stripe" | "pi_3" | 5000 | "EUR" | "2026-11-22T10:00:12.500000000Z" | 0
table refunds (order_id, id, amount, currency, ticket_ids, reason, provider, payment_ref, status, provider_ref, message, created_at, settled_at)
"or_qauhrakcae4erq4wz47t" | "rf_sdrrolpzloo7zqpotytz" | 6500 | "EUR" | "[\"tk_74bqjjx6p4ssixu5bcp4\"]" | "ill" | "stripe" | "pi_1" | "succeeded" | "re_1" | "" | "2026-11-22T10:00:11.500000000Z" | "2026-11-22T10:00:12.500000000Z"
"or_r3o4ilpt2bh37jh34d5r" | "rf_4xy3gm7ws5efdden7cc2" | 5000 | "EUR" | "[]" | "too late" | "stripe" | "pi_3" | "pending" | "" | "" | "2026-11-22T10:00:12.500000000Z" | NULL
table signing_keys (event_id, id, public_key, added_at, retired_at)
"ev_1" | "34750f98" | "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=" | "2026-11-22T10:00:10.500000000Z" | "2026-11-22T10:00:12.500000000Z"
"ev_1" | "6a3803d5" | "gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=" | "2026-11-22T10:00:10.500000000Z" | NULL
table order_history (order_id, event_id, at, type, actor, data)
"or_grj5s3lalto2exjxgxbl" | "ev_1" | "2026-11-22T10:00:09.500000000Z" | "admit.order.placed.v1" | "" | "{\"order_id\":\"or_grj5s3lalto2exjxgxbl\",\"hold_id\":\"ho_222dynlcqsgvfy7wadkwzbwmls\",\"token\":\"hotxbgwdkoyp7puzejh5dtc2pqxloetx\",\"buyer\":{\"name\":\"Grace\",\"email\":\"grace@example.com\"},\"lines\":[{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"quantity\":1,\"unit_price\":{\"amount\":5000,\"currency\":\"EUR\"},\"amount\":{\"amount\":5000,\"currency\":\"EUR\"}}],\"total\":{\"amount\":5000,\"currency\":\"EUR\"},\"provider\":\"manual\",\"pay_by\":\"2026-11-23T10:00:09.5Z\"}"
"or_grj5s3lalto2exjxgxbl" | "ev_1" | "2026-11-22T10:00:11.500000000Z" | "admit.order.cancelled.v1" | "" | "{\"order_id\":\"or_grj5s3lalto2exjxgxbl\",\"reason\":\"duplicate\"}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:09.500000000Z" | "admit.order.placed.v1" | "" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"hold_id\":\"ho_r2aracwo22jaq5rhedstm3erxv\",\"token\":\"hw42bfsfv3wlvqggmyknvq7rkuw6o7ty\",\"buyer\":{\"name\":\"Zoë Łukasiewicz\",\"email\":\"zoe@example.com\"},\"attendees\":[\"Zoë\",\"Ada\"],\"lines\":[{\"ticket_type_id\":\"tt_b\",\"name\":\"Seated\",\"quantity\":2,\"unit_price\":{\"amount\":6500,\"currency\":\"EUR\"},\"amount\":{\"amount\":13000,\"currency\":\"EUR\"}}],\"total\":{\"amount\":13000,\"currency\":\"EUR\"},\"provider\":\"stripe\",\"pay_by\":\"2026-11-22T10:20:09.5Z\"}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:10.500000000Z" | "admit.order.payment_started.v1" | "" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"payment_intent_id\":\"pi_1\"}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:10.500000000Z" | "admit.order.paid.v1" | "" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"payment\":{\"provider\":\"stripe\",\"ref\":\"pi_1\",\"amount\":{\"amount\":13000,\"currency\":\"EUR\"},\"received_at\":\"2026-11-22T10:00:10.5Z\",\"kept\":true},\"event_ref\":\"evt_1\",\"tickets\":[{\"ticket_id\":\"tk_6zume2ob333to6jduaa7\",\"ticket_type_id\":\"tt_b\",\"attendee\":\"Zoë\",\"price\":{\"amount\":6500,\"currency\":\"EUR\"}},{\"ticket_id\":\"tk_74bqjjx6p4ssixu5bcp4\",\"ticket_type_id\":\"tt_b\",\"attendee\":\"Ada\",\"price\":{\"amount\":6500,\"currency\":\"EUR\"}}]}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:11.500000000Z" | "admit.order.tickets_resent.v1" | "member:mb_1" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"actor\":\"member:mb_1\"}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:11.500000000Z" | "admit.order.refunded.v1" | "" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"refund\":{\"id\":\"rf_sdrrolpzloo7zqpotytz\",\"amount\":{\"amount\":6500,\"currency\":\"EUR\"},\"ticket_ids\":[\"tk_74bqjjx6p4ssixu5bcp4\"],\"reason\":\"ill\",\"provider\":\"stripe\",\"payment_ref\":\"pi_1\",\"status\":\"pending\",\"created_at\":\"2026-11-22T10:00:11.5Z\"}}"
"or_qauhrakcae4erq4wz47t" | "ev_1" | "2026-11-22T10:00:12.500000000Z" | "admit.order.refund_settled.v1" | "" | "{\"order_id\":\"or_qauhrakcae4erq4wz47t\",\"refund_id\":\"rf_sdrrolpzloo7zqpotytz\",\"provider_ref\":\"re_1\"}"
"or_r3o4ilpt2bh37jh34d5r" | "ev_1" | "2026-11-22T10:00:09.500000000Z" | "admit.order.placed.v1" | "" | "{\"order_id\":\"or_r3o4ilpt2bh37jh34d5r\",\"hold_id\":\"ho_mewsjcwfwfy5rrj5x4tsdr5kmw\",\"token\":\"2fble74xv4pasrlak7juk5r7hno6mdoq\",\"buyer\":{\"name\":\"Alan\",\"email\":\"alan@example.com\"},\"lines\":[{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"quantity\":1,\"unit_price\":{\"amount\":5000,\"currency\":\"EUR\"},\"amount\":{\"amount\":5000,\"currency\":\"EUR\"}}],\"total\":{\"amount\":5000,\"currency\":\"EUR\"},\"provider\":\"stripe\",\"pay_by\":\"2026-11-22T10:20:09.5Z\"}"
"or_r3o4ilpt2bh37jh34d5r" | "ev_1" | "2026-11-22T10:00:11.500000000Z" | "admit.order.expired.v1" | "" | "{\"order_id\":\"or_r3o4ilpt2bh37jh34d5r\",\"hold_id\":\"ho_mewsjcwfwfy5rrj5x4tsdr5kmw\"}"
"or_r3o4ilpt2bh37jh34d5r" | "ev_1" | "2026-11-22T10:00:12.500000000Z" | "admit.order.payment_rejected.v1" | "" | "{\"order_id\":\"or_r3o4ilpt2bh37jh34d5r\",\"payment\":{\"provider\":\"stripe\",\"ref\":\"pi_3\",\"amount\":{\"amount\":5000,\"currency\":\"EUR\"},\"received_at\":\"2026-11-22T10:00:12.5Z\",\"kept\":false},\"event_ref\":\"evt_3\",\"reason\":\"too late\",\"refund\":{\"id\":\"rf_4xy3gm7ws5efdden7cc2\",\"amount\":{\"amount\":5000,\"currency\":\"EUR\"},\"reason\":\"too late\",\"provider\":\"stripe\",\"payment_ref\":\"pi_3\",\"status\":\"pending\",\"created_at\":\"2026-11-22T10:00:12.5Z\"}}"
table event_history (event_id, at, type, actor, data)
"ev_1" | "2026-11-22T10:00:02.500000000Z" | "admit.event.created.v1" | "" | "{\"event_id\":\"ev_1\",\"organizer_id\":\"or_a\",\"currency\":\"EUR\",\"name\":\"Night\",\"venue\":\"Hall\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2027-01-10T20:00:00+01:00\",\"ends_at\":\"2027-01-10T23:00:00+01:00\",\"hold_ttl_seconds\":600,\"max_tickets_per_hold\":10}"
"ev_1" | "2026-11-22T10:00:03.500000000Z" | "admit.event.updated.v1" | "" | "{\"event_id\":\"ev_1\",\"name\":\"Late Night\",\"venue\":\"Hall\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2027-01-10T20:00:00+01:00\",\"ends_at\":\"2027-01-10T23:00:00+01:00\",\"hold_ttl_seconds\":600,\"max_tickets_per_hold\":10}"
"ev_1" | "2026-11-22T10:00:03.500000000Z" | "admit.event.status_changed.v1" | "" | "{\"event_id\":\"ev_1\",\"from\":\"draft\",\"status\":\"on_sale\"}"
"ev_1" | "2026-11-22T10:00:04.500000000Z" | "admit.ticket_type.created.v1" | "" | "{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"description\":\"GA\",\"price\":{\"amount\":4500,\"currency\":\"EUR\"},\"min_per_hold\":1,\"max_per_hold\":8}"
"ev_1" | "2026-11-22T10:00:04.500000000Z" | "admit.ticket_type.created.v1" | "" | "{\"ticket_type_id\":\"tt_b\",\"name\":\"Seated\",\"description\":\"\",\"price\":{\"amount\":6500,\"currency\":\"EUR\"},\"min_per_hold\":1,\"max_per_hold\":4,\"sales_start\":\"2026-11-22T10:01:40.5Z\",\"sales_end\":\"2026-11-22T10:03:20.5Z\"}"
"ev_1" | "2026-11-22T10:00:05.500000000Z" | "admit.ticket_type.updated.v1" | "" | "{\"ticket_type_id\":\"tt_a\",\"name\":\"Standing\",\"description\":\"GA\",\"price\":{\"amount\":5000,\"currency\":\"EUR\"},\"min_per_hold\":2,\"max_per_hold\":6}"
"ev_1" | "2026-11-22T10:00:05.500000000Z" | "admit.quota.created.v1" | "" | "{\"quota_id\":\"qu_1\",\"name\":\"All\",\"capacity\":100,\"ticket_type_ids\":[\"tt_a\",\"tt_b\"]}"
"ev_1" | "2026-11-22T10:00:05.500000000Z" | "admit.quota.created.v1" | "" | "{\"quota_id\":\"qu_2\",\"name\":\"Seats\",\"capacity\":40,\"ticket_type_ids\":[\"tt_b\"]}"
"ev_1" | "2026-11-22T10:00:06.500000000Z" | "admit.quota.updated.v1" | "" | "{\"quota_id\":\"qu_1\",\"name\":\"Everyone\",\"capacity\":120,\"ticket_type_ids\":[\"tt_b\"]}"
"ev_1" | "2026-11-22T10:00:08.500000000Z" | "admit.event.updated.v1" | "" | "{\"event_id\":\"ev_1\",\"name\":\"Late Night\",\"venue\":\"Hall\",\"timezone\":\"Europe/Berlin\",\"starts_at\":\"2027-01-10T20:00:00+01:00\",\"ends_at\":\"2027-01-10T23:00:00+01:00\",\"hold_ttl_seconds\":600,\"max_tickets_per_hold\":10,\"payment_providers\":[\"stripe\",\"manual\"],\"payment_window_seconds\":1200,\"manual_payment_window_seconds\":86400,\"manual_payment_instructions\":\"IBAN DE00 1234\"}"
"ev_1" | "2026-11-22T10:00:08.500000000Z" | "admit.ticket_type.updated.v1" | "" | "{\"ticket_type_id\":\"tt_b\",\"name\":\"Seated\",\"description\":\"\",\"price\":{\"amount\":6500,\"currency\":\"EUR\"},\"min_per_hold\":1,\"max_per_hold\":4,\"sales_start\":\"2026-11-22T10:01:40.5Z\",\"sales_end\":\"2026-11-22T10:03:20.5Z\",\"attendee_names\":true}"
"ev_1" | "2026-11-22T10:00:10.500000000Z" | "admit.signing_key.added.v1" | "" | "{\"key_id\":\"34750f98\",\"public_key\":\"iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=\"}"
"ev_1" | "2026-11-22T10:00:10.500000000Z" | "admit.signing_key.added.v1" | "" | "{\"key_id\":\"6a3803d5\",\"public_key\":\"gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=\"}"
"ev_1" | "2026-11-22T10:00:12.500000000Z" | "admit.signing_key.retired.v1" | "" | "{\"key_id\":\"34750f98\"}"
"ev_1" | "2026-11-22T10:00:13.500000000Z" | "admit.checkin.list_created.v1" | "" | "{\"list_id\":\"cl_1\",\"name\":\"Side door\",\"ticket_type_ids\":null}"
"ev_1" | "2026-11-22T10:00:13.500000000Z" | "admit.checkin.list_updated.v1" | "" | "{\"list_id\":\"cl_1\",\"name\":\"Back door\",\"ticket_type_ids\":null}"
"ev_1" | "2026-11-22T10:00:13.500000000Z" | "admit.checkin.device_added.v1" | "" | "{\"device_id\":\"dd_1\",\"name\":\"Gate\",\"token_hash\":\"abababababababababababababababababababababababababababababababab\"}"
"ev_1" | "2026-11-22T10:00:13.500000000Z" | "admit.checkin.device_revoked.v1" | "" | "{\"device_id\":\"dd_1\"}"
`

const emptyDump = `table organizers (id, name, created_at, contact_email, website, terms_url, privacy_url, logo_sha)
table api_tokens (id, organizer_id, name, hash, created_at, revoked_at, role)
table members (id, organizer_id, email, name, role, invite_hash, invited_by, invited_at, expires_at, joined_at, password_hash, sessions_after, removed_at, reset_hash, reset_expires_at)
table events (id, organizer_id, name, venue, timezone, starts_at, ends_at, currency, status, hold_ttl_seconds, max_tickets_per_hold, payment_providers, payment_window_seconds, manual_payment_window_seconds, manual_payment_instructions, created_at, updated_at)
table ticket_types (id, event_id, name, description, price_amount, price_currency, min_per_hold, max_per_hold, sales_start, sales_end, attendee_names, created_at, updated_at)
table quotas (id, event_id, name, capacity, created_at, updated_at)
table quota_ticket_types (quota_id, ticket_type_id)
table orders (id, event_id, hold_id, token, status, provider, buyer_name, buyer_email, attendees, lines, total_amount, currency, refunded_amount, quantity, payment_intent_id, created_at, pay_by, paid_at, ended_at, reason, updated_at)
table tickets (id, order_id, position, event_id, ticket_type_id, attendee, price_amount, currency, status, issued_at, revoked_at)
table payments (order_id, seq, provider, ref, amount, currency, received_at, kept)
table refunds (order_id, id, amount, currency, ticket_ids, reason, provider, payment_ref, status, provider_ref, message, created_at, settled_at)
table signing_keys (event_id, id, public_key, added_at, retired_at)
table order_history (order_id, event_id, at, type, actor, data)
table event_history (event_id, at, type, actor, data)
`

func TestApplyEveryEntry(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	last := everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got, want := dump(t, db), strings.ReplaceAll(everyEntryDump, " | ", "\t"); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d (the skipped subject's record counts)", got, last)
	}

	org, err := db.Organizer(ctx, "or_a")
	if want := (Organizer{ID: "or_a", Name: "Acme Concerts", CreatedAt: at(0)}); err != nil || org != want {
		t.Errorf("Organizer = %+v, %v; want %+v", org, err, want)
	}
	if n, err := db.CountOrganizers(ctx); err != nil || n != 1 {
		t.Errorf("CountOrganizers = %d, %v; want 1", n, err)
	}
	if _, err := db.Organizer(ctx, "or_none"); !fault.Is(err, fault.NotFound) {
		t.Errorf("Organizer(unknown): err = %v, want NotFound", err)
	}
	rows, next, err := db.ListEvents(ctx, "or_a", "", 10, "")
	wantRow := EventRow{ID: "ev_1", OrganizerID: "or_a", Name: "Late Night", Venue: "Hall", TimeZone: "Europe/Berlin",
		Currency: "EUR", Status: "on_sale", StartsAt: time.Date(2027, 1, 10, 19, 0, 0, 0, time.UTC),
		EndsAt: time.Date(2027, 1, 10, 22, 0, 0, 0, time.UTC), CreatedAt: at(2), UpdatedAt: at(8)}
	if err != nil || next != "" || len(rows) != 1 || rows[0] != wantRow {
		t.Errorf("ListEvents = %+v, %q, %v;\nwant [%+v]", rows, next, err, wantRow)
	}

	// everyEntry has every type of entry there is: a new type fails here
	// until it is projected and added.
	var got []string
	for _, r := range b.records() {
		var batch []struct{ Type string }
		if json.Unmarshal(r.Data, &batch) != nil {
			continue // the record of another subject
		}
		for _, e := range batch {
			if !slices.Contains(got, e.Type) {
				got = append(got, e.Type)
			}
		}
	}
	want := append(boxoffice.EntryTypeNames(), organizer.EntryTypeNames()...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("everyEntry has the entry types\n%v\nwant\n%v", got, want)
	}

	// Applying the same records again changes nothing.
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply again: %v", err)
	}
	if got, want := dump(t, db), strings.ReplaceAll(everyEntryDump, " | ", "\t"); got != want {
		t.Errorf("Dump after applying again:\n%s\nwant:\n%s", got, want)
	}
}

func TestActorByTokenHash(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	acme := Organizer{ID: "or_a", Name: "Acme Concerts", CreatedAt: at(0)}
	for hash, want := range map[string]access.Actor{
		"hash1": {Kind: access.Token, ID: "tk_1", OrganizerID: "or_a", Role: access.Owner}, // made before roles
		"hash4": {Kind: access.Token, ID: "tk_3", OrganizerID: "or_a", Role: access.Door},
	} {
		org, actor, err := db.ActorByTokenHash(ctx, hash)
		if err != nil || org != acme || actor != want {
			t.Errorf("token %s: %+v, %+v, %v; want %+v, %+v", hash, org, actor, err, acme, want)
		}
	}
	for _, hash := range []string{"hash2" /* revoked */, "hash3" /* unknown */, ""} {
		if org, _, err := db.ActorByTokenHash(ctx, hash); !fault.Is(err, fault.NotFound) {
			t.Errorf("token hash %q: %+v, %v; want NotFound", hash, org, err)
		}
	}
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	list, err := db.ListMembers(ctx, "or_a")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list {
		got = append(got, fmt.Sprintf("%s %s %q %s joined=%v", m.ID, m.Role, m.Email, m.Name, !m.JoinedAt.IsZero()))
	}
	want := []string{`mb_1 owner "ada@example.com" Ada joined=true`, `mb_2 box_office "bob@example.com"  joined=false`}
	if !slices.Equal(got, want) {
		t.Errorf("ListMembers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ada, err := db.MembersByEmail(ctx, "ada@example.com")
	if err != nil || len(ada) != 1 || ada[0].ID != "mb_1" || ada[0].PasswordHash != "$argon2id$y" /* set after a reset */ || !ada[0].SessionsAfter.Equal(at(1)) {
		t.Errorf("MembersByEmail(ada) = %+v, %v", ada, err)
	}
	for _, email := range []string{"bob@example.com" /* not joined */, "eve@example.com" /* removed */, ""} {
		if ms, err := db.MembersByEmail(ctx, email); err != nil || len(ms) != 0 {
			t.Errorf("MembersByEmail(%q) = %+v, %v; want none", email, ms, err)
		}
	}
	inv, err := db.MemberByInvite(ctx, "inv2")
	if err != nil || inv.ID != "mb_2" || inv.InvitedBy != "member:mb_1" || !inv.ExpiresAt.Equal(at(100)) {
		t.Errorf("MemberByInvite(inv2) = %+v, %v", inv, err)
	}
	if m, exp, err := db.MemberByReset(ctx, "reset3"); err != nil || m.ID != "mb_1" || !exp.Equal(at(70)) {
		t.Errorf("MemberByReset(reset3) = %s, %v, %v", m.ID, exp, err)
	}
	for _, used := range []string{"reset1", "reset2", ""} {
		if _, _, err := db.MemberByReset(ctx, used); !fault.Is(err, fault.NotFound) {
			t.Errorf("MemberByReset(%q): %v, want NotFound", used, err)
		}
	}
	if eve, err := db.Member(ctx, "mb_3"); err != nil || eve.RemovedAt.IsZero() {
		t.Errorf("Member(mb_3) = %+v, %v; want removed", eve, err)
	}
	if _, err := db.Member(ctx, "mb_none"); !fault.Is(err, fault.NotFound) {
		t.Errorf("Member(mb_none): %v, want NotFound", err)
	}
}

// TestApplyAtomic: a call that fails commits nothing, neither its earlier
// valid records nor the position.
func TestApplyAtomic(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		bad  func(b *book)
	}{
		{"undecodable", func(b *book) { b.raw("ledger.event.ev_2", []byte(`[{"specversion":`)) }},
		{"unknown entry type", func(b *book) {
			b.raw("ledger.event.ev_2", []byte(`[{"specversion":"1.0","type":"admit.hold.teleported.v1","data":{}}]`))
		}},
		{"organizer entry on an event subject", func(b *book) {
			b.event("ev_2", at(9), &organizer.Created{OrganizerID: "or_b", Name: "B"})
		}},
		{"ticket type of an unknown event", func(b *book) {
			b.event("ev_none", at(9), &boxoffice.TicketTypeCreated{TicketTypeID: "tt_x"})
		}},
		{"quota over an unknown ticket type", func(b *book) {
			b.event("ev_1", at(9), &boxoffice.QuotaCreated{QuotaID: "qu_x", QuotaDetails: boxoffice.QuotaDetails{
				Name: "X", Capacity: 1, TicketTypeIDs: []string{"tt_none"}}})
		}},
		{"revocation of an unknown token", func(b *book) { b.org("or_a", at(9), &organizer.TokenRevoked{OrganizerID: "or_a", TokenID: "tk_none"}) }},
		{"hold entry that does not decode", func(b *book) {
			b.raw("ledger.event.ev_1", []byte(`[{"specversion":"1.0","type":"admit.hold.created.v1","data":{"hold_id":1}}]`))
		}},
		{"an order placed twice", func(b *book) {
			b.event("ev_1", at(20), hold("ev_1", "ho_new", 1, at(20)),
				&boxoffice.OrderPlaced{OrderID: order1, HoldID: "ho_new", PayBy: at(900)})
		}},
		{"payment of an unknown order", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderPaid{OrderID: "or_none"})
		}},
		{"an order paid twice", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderPaid{OrderID: order1})
		}},
		{"an expired order paid without retaking", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderPaid{OrderID: order3})
		}},
		{"an order of another event", func(b *book) {
			b.event("ev_2", at(20), &boxoffice.PaymentStarted{OrderID: order1, PaymentIntentID: "pi_x"})
		}},
		{"expiry of a cancelled order", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderExpired{OrderID: order2, HoldID: hold2})
		}},
		{"cancellation of an expired order", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderCancelled{OrderID: order3})
		}},
		{"refund of an order not paid", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderRefunded{OrderID: order3})
		}},
		{"refund of a revoked ticket", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.OrderRefunded{OrderID: order1, Refund: boxoffice.Refund{ID: "rf_new",
				TicketIDs: []string{boxoffice.TicketID(order1, 1)}}})
		}},
		{"settlement of a settled refund", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.RefundSettled{OrderID: order1, RefundID: refund1})
		}},
		{"settlement of an unknown refund", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.RefundSettled{OrderID: order3, RefundID: refund1})
		}},
		{"a key added twice", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(publicKey(2)), PublicKey: publicKey(2)})
		}},
		{"a key of an unknown event", func(b *book) {
			b.event("ev_none", at(20), &boxoffice.SigningKeyAdded{KeyID: boxoffice.KeyID(publicKey(3)), PublicKey: publicKey(3)})
		}},
		{"retirement of a retired key", func(b *book) {
			b.event("ev_1", at(20), &boxoffice.SigningKeyRetired{KeyID: boxoffice.KeyID(publicKey(1))})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(t)
			everyEntry(b)
			db := openDB(t)
			first := b.records()
			if err := db.Apply(ctx, first); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			before := dump(t, db)
			pos := position(t, db)

			b.org("or_b", at(8), &organizer.Created{OrganizerID: "or_b", Name: "B"})
			b.newEvent("or_b", "ev_2", at(8))
			b.event("ev_1", at(8), hold("ev_1", "ho_4", 2, at(8)))
			tc.bad(b)
			b.org("or_c", at(10), &organizer.Created{OrganizerID: "or_c", Name: "C"})
			rest := b.records()[len(first):]

			if err := db.Apply(ctx, rest); err == nil {
				t.Fatal("Apply of a batch with a bad record: no error")
			}
			if got := dump(t, db); got != before {
				t.Errorf("after the failed Apply the tables changed:\n%s\nwant:\n%s", got, before)
			}
			if got := position(t, db); got != pos {
				t.Errorf("after the failed Apply Position = %d, want %d", got, pos)
			}
			// The records before the bad one apply on their own.
			if err := db.Apply(ctx, rest[:3]); err != nil {
				t.Fatalf("Apply of the valid records: %v", err)
			}
			if got, want := position(t, db), rest[2].Seq; got != want {
				t.Errorf("Position = %d, want %d", got, want)
			}
		})
	}
}

func TestRunWaitForRestart(t *testing.T) {
	ctx := context.Background()
	b := oneEvent(t)
	db, path := openFile(t)
	stop := running(t, db, b.led)

	var last uint64
	for i := range 300 {
		// Some messages carry several entries, as box-office batches do;
		// most only holds, which change no table.
		entries := []boxoffice.Entry{hold("ev_1", "ho_"+itoa(i), 1+i%3, at(2))}
		switch i % 10 {
		case 0:
			entries = append(entries, &boxoffice.HoldReleased{HoldID: "ho_" + itoa(i)})
		case 5:
			entries = append(entries, placed("ev_1", "or_"+itoa(i), "ho_"+itoa(i), at(2)))
		}
		last = b.event("ev_1", at(2), entries...)
	}
	waitFor(t, db, last)
	if got := position(t, db); got != last {
		t.Errorf("Position = %d, want %d", got, last)
	}
	if got := count(t, db, "orders"); got != 30 {
		t.Errorf("orders = %d, want 30", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v, want nil after its context ended", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := savedPosition(t, path); got != last {
		t.Errorf("the file's position after Close = %d, want %d", got, last)
	}

	// Entries arrive while the read model is down.
	for i := 300; i < 450; i++ {
		b.event("ev_1", at(3), hold("ev_1", "ho_"+itoa(i), 1, at(3)))
	}
	b.event("ev_1", at(3), placed("ev_1", "or_300", "ho_300", at(3)))
	b.org("or_b", at(4), &organizer.Created{OrganizerID: "or_b", Name: "B"})
	last = b.org("or_b", at(4), &organizer.TokenCreated{OrganizerID: "or_b", TokenID: "tk_b", Name: "t", Hash: "hb"})

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop = running(t, db, b.led)
	waitFor(t, db, last)
	if got := count(t, db, "orders"); got != 31 {
		t.Errorf("orders after restart = %d, want 31", got)
	}
	if got := count(t, db, "organizers"); got != 2 {
		t.Errorf("organizers after restart = %d, want 2", got)
	}
	if _, _, err := db.ActorByTokenHash(ctx, "hb"); err != nil {
		t.Errorf("token created while down: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after restart returned %v, want nil", err)
	}
	// And it is the same as a projection of the whole ledger at once.
	if got, want := dump(t, db), dump(t, rebuilt(t, b)); got != want {
		t.Errorf("restarted projection differs from a rebuild:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunStopsOnBadRecord: Run returns the error of a record it cannot
// apply, commits nothing past it, and WaitFor then fails instead of
// waiting.
func TestRunStopsOnBadRecord(t *testing.T) {
	b := newBook(t)
	b.org("or_a", at(0), &organizer.Created{OrganizerID: "or_a", Name: "A"})
	bad := b.raw("ledger.org.or_a", []byte("{"))
	b.org("or_b", at(1), &organizer.Created{OrganizerID: "or_b", Name: "B"})
	db := openDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.Run(ctx, b.led) }()
	if err := db.WaitFor(ctx, bad); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor past the bad record = %v, want the projection's error", err)
	}
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run = %v, want the bad record's error", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not stop on a bad record")
	}
	if got := position(t, db); got >= bad {
		t.Errorf("Position = %d, want before the bad record %d", got, bad)
	}
	if _, err := db.Organizer(context.Background(), "or_b"); !fault.Is(err, fault.NotFound) {
		t.Errorf("organizer after the bad record: %v, want NotFound", err)
	}
}

func TestWaitForContext(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.WaitFor(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor with an ended context = %v, want context.Canceled", err)
	}
	if err := db.WaitFor(ctx, 0); err != nil {
		t.Errorf("WaitFor(0) = %v, want nil", err)
	}
}

// TestRebuildIdentical: a rebuild from the ledger, into a new file or over
// the live one, dumps byte for byte what the live projection does.
func TestRebuildIdentical(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	live := openDB(t)
	stop := running(t, live, b.led)
	everyEntry(b)
	b.org("or_b", at(20), &organizer.Created{OrganizerID: "or_b", Name: "B"},
		&organizer.TokenCreated{OrganizerID: "or_b", TokenID: "tk_b", Name: "t", Hash: "hb"})
	b.newEvent("or_b", "ev_2", at(21))
	var last uint64
	for i := range 2500 { // more than maxBatch: Rebuild commits more than once
		e := []boxoffice.Entry{hold("ev_2", "ho_2_"+itoa(i), 1, at(22))}
		switch i % 7 {
		case 1:
			e = append(e, &boxoffice.HoldReleased{HoldID: "ho_2_" + itoa(i)})
		case 2:
			e = append(e, &boxoffice.HoldExpired{HoldID: "ho_2_" + itoa(i)})
		}
		b.event("ev_2", at(22), e...)
	}
	// Orders in every status, partial refunds, late payments, signing keys.
	o := newOffice(b, "or_b", id.Derived("ev", id.Short, "rebuild"))
	o.sellOrders(at(30))
	// Holds last: the position moves past them, and Rebuild saves it.
	last = b.event("ev_2", at(40), hold("ev_2", "ho_2_last", 1, at(40)))
	waitFor(t, live, last)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkOffice(t, live, o.s)
	want := dump(t, live)
	for _, row := range []string{"\"expired\"", "\"cancelled\"", "\"hash2\"\t\"2026", "\"hash1\"\t\"2026-11-22T10:00:00.500000000Z\"\tNULL",
		"\"refunded\"", "\"failed\"", "\"revoked\""} {
		if !strings.Contains(want, row) {
			t.Fatalf("the live dump lacks %s:\n%.3000s", row, want)
		}
	}

	fresh := rebuilt(t, b)
	if got := dump(t, fresh); got != want {
		t.Errorf("rebuild into a new file differs from the live projection")
	}
	if got := filePosition(t, fresh); got != last {
		t.Errorf("the file's position after Rebuild = %d, want %d", got, last)
	}
	if err := live.Rebuild(ctx, b.led); err != nil {
		t.Fatalf("Rebuild over the live file: %v", err)
	}
	if got := dump(t, live); got != want {
		t.Errorf("rebuild over the live file differs from the live projection")
	}
	if got := position(t, live); got != last {
		t.Errorf("Position after Rebuild = %d, want %d", got, last)
	}
	if got := filePosition(t, live); got != last {
		t.Errorf("the file's position after Rebuild = %d, want %d", got, last)
	}
}

// rebuilt returns a new read model rebuilt from b's ledger.
func rebuilt(t *testing.T, b *book) *DB {
	t.Helper()
	db := openDB(t)
	if err := db.Rebuild(context.Background(), b.led); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	return db
}

func TestOpenAgain(t *testing.T) {
	path := t.TempDir() + "/read.db"
	for range 2 {
		db, err := Open(path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var versions int
		if err := db.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		ms, _ := loadMigrations(migrations)
		if versions != len(ms) {
			t.Errorf("schema_migrations has %d rows, want %d", versions, len(ms))
		}
		var mode string
		if err := db.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestMigrationReplays: a read model of schema 2 (before orders) is emptied
// by migration 3, position and all, so that the projector replays the
// ledger into the new columns and tables.
func TestMigrationReplays(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/read.db"
	old, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrations)
	if err != nil || len(ms) < 3 || ms[2].version != 3 {
		t.Fatalf("migrations %v, %v", ms, err)
	}
	if err := migrate(ctx, old, ms[:2]); err != nil {
		t.Fatalf("migrate to 2: %v", err)
	}
	ts := formatTime(at(0))
	for _, q := range []string{
		`INSERT INTO organizers VALUES ('or_a', 'A', '` + ts + `')`,
		`INSERT INTO events VALUES ('ev_1', 'or_a', 'N', 'V', 'UTC', '` + ts + `', '` + ts + `', 'EUR', 'on_sale', 600, 10, '` + ts + `', '` + ts + `')`,
		`INSERT INTO holds VALUES ('ho_1', 'ev_1', 'active', 1, '[]', '` + ts + `', '` + ts + `', NULL)`,
		`INSERT INTO projection VALUES ('ledger', 7)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if got := position(t, db); got != 0 {
		t.Errorf("Position after migration 3 = %d, want 0", got)
	}
	if got := dump(t, db); got != emptyDump {
		t.Errorf("Dump after migration 3:\n%s\nwant\n%s", got, emptyDump)
	}
	b := newBook(t)
	everyEntry(b)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply after migration 3: %v", err)
	}
	if got, want := dump(t, db), strings.ReplaceAll(everyEntryDump, " | ", "\t"); got != want {
		t.Errorf("Dump after migration 3 and a replay:\n%s\nwant:\n%s", got, want)
	}
}

func TestListOrganizersAndTokens(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	b.org("or_b", at(5), &organizer.Created{OrganizerID: "or_b", Name: "Later"},
		&organizer.TokenCreated{OrganizerID: "or_b", TokenID: "tk_9", Name: "b", Hash: "hash9"})
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	orgs, err := db.ListOrganizers(ctx)
	if err != nil || len(orgs) != 2 || orgs[0].ID != "or_a" || orgs[1].ID != "or_b" {
		t.Fatalf("organizers %+v, %v; want or_a then or_b", orgs, err)
	}
	toks, err := db.ListTokens(ctx, "or_a")
	want := []TokenRow{{ID: "tk_1", OrganizerID: "or_a", Name: "ci", Role: access.Owner, CreatedAt: at(0)},
		{ID: "tk_2", OrganizerID: "or_a", Name: "old", Role: access.Owner, CreatedAt: at(0), RevokedAt: at(1)},
		{ID: "tk_3", OrganizerID: "or_a", Name: "door laptop", Role: access.Door, CreatedAt: at(1)}}
	if err != nil || !slices.Equal(toks, want) {
		t.Fatalf("tokens of or_a %+v, %v; want %+v", toks, err, want)
	}
	if all, err := db.ListTokens(ctx, ""); err != nil || len(all) != 4 || all[3].ID != "tk_9" {
		t.Fatalf("all tokens %+v, %v", all, err)
	}
	if got, err := db.Token(ctx, "tk_2"); err != nil || got != want[1] {
		t.Fatalf("Token(tk_2) = %+v, %v; want %+v", got, err, want[1])
	}
	if got, err := db.Token(ctx, "tk_none"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("Token(tk_none) = %+v, %v; want not found", got, err)
	}
}

// TestProjectShards: a ledger over several shards projects into one read
// model whatever the order the shards' records come in (an event's
// records before its organizer's); the position is a vector, saved per
// shard, restored on open, and a rebuild (shard after shard) dumps what
// the live projection does.
func TestProjectShards(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	live, path := openFile(t)
	stop := running(t, live, b.led)
	// Events of shards 2 and 1 before their organizer exists in shard 0.
	b.newEvent("or_s", "ev_two_2", at(1))
	b.newEvent("or_s", "ev_one_1", at(2))
	b.event("ev_two_2", at(3), hold("ev_two_2", "ho_two", 1, at(3)))
	org := b.org("or_s", at(4), &organizer.Created{OrganizerID: "or_s", Name: "S"})
	last := b.event("ev_one_1", at(5), &boxoffice.EventStatusChanged{EventID: "ev_one_1", From: boxoffice.Draft, Status: boxoffice.OnSale})
	for _, pos := range []uint64{org, last, ledger.Pos(2, 2)} {
		waitFor(t, live, pos)
	}
	pos, err := live.Position(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ledger.Vector{1, 2, 2}); pos.String() != want.String() {
		t.Fatalf("Position = %v, want %v", pos, want)
	}
	if n := count(t, live, "events"); n != 2 {
		t.Errorf("events = %d, want 2", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := dump(t, live)
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if got, _ := reopened.Position(ctx); got.String() != pos.String() {
		t.Errorf("Position after reopening = %v, want %v (saved per shard)", got, pos)
	}
	if got := dump(t, rebuilt(t, b)); got != want {
		t.Errorf("a rebuild, shard after shard, differs from the live projection:\n%s\nwant:\n%s", got, want)
	}
}

func TestOrderHistory(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatal(err)
	}
	h, err := db.OrderHistory(ctx, "ev_1", "or_qauhrakcae4erq4wz47t")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range h {
		types = append(types, strings.TrimSuffix(strings.TrimPrefix(e.Type, "admit.order."), ".v1"))
	}
	if want := "placed payment_started paid tickets_resent refunded refund_settled"; strings.Join(types, " ") != want {
		t.Errorf("history %v, want %s", types, want)
	}
	if !h[0].At.Equal(at(9)) || !strings.Contains(string(h[0].Data), `"buyer":{"name":"Zoë Łukasiewicz"`) {
		t.Errorf("first entry %+v", h[0])
	}
	if none, err := db.OrderHistory(ctx, "ev_other", "or_qauhrakcae4erq4wz47t"); err != nil || len(none) != 0 {
		t.Errorf("the order under another event: %v, %v", none, err)
	}
}

func TestEventHistory(t *testing.T) {
	ctx := context.Background()
	b := newBook(t)
	everyEntry(b)
	db := openDB(t)
	if err := db.Apply(ctx, b.records()); err != nil {
		t.Fatal(err)
	}
	h, err := db.EventHistory(ctx, "ev_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) == 0 || h[0].Type != "admit.event.created.v1" || !h[0].At.Equal(at(2)) {
		t.Fatalf("history %+v", h)
	}
	for _, e := range h {
		if strings.HasPrefix(e.Type, "admit.order.") || strings.HasPrefix(e.Type, "admit.hold.") || e.Type == "admit.checkin.scanned.v1" {
			t.Errorf("the settings' history has %s", e.Type)
		}
	}
	if none, err := db.EventHistory(ctx, "ev_none"); err != nil || len(none) != 0 {
		t.Errorf("another event's: %v, %v", none, err)
	}
}
