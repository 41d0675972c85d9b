package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"image"
	_ "image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/admit-org/admit/internal/ticket"
)

// scanQR decodes the QR code in a PNG.
func scanQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("scan QR: %v", err)
	}
	return res.GetText()
}

// publicKeys returns the event's signing keys as ticket.Verify wants them,
// and the current one's hex.
func publicKeys(t *testing.T, pub *client, evID string) (ticket.Keys, string) {
	t.Helper()
	ks := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/signing-keys", nil)
	m := map[ticket.KeyID]ed25519.PublicKey{}
	current := ""
	for _, k := range ks["keys"].([]any) {
		k := k.(map[string]any)
		b, err := hex.DecodeString(k["public_key_hex"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if k["retired_at"] == nil {
			m[ticket.IDOf(b)] = b
		}
		if k["current"] == true {
			current = k["public_key_hex"].(string)
		}
	}
	return func(id ticket.KeyID) (ed25519.PublicKey, bool) { k, ok := m[id]; return k, ok }, current
}

// TestOrderTour is the README's tour past the hold: order, pay by hand,
// tickets whose QR codes verify offline, a refund, a cancellation, a free
// order, key rotation, and a read model that a reindex reproduces.
func TestOrderTour(t *testing.T) {
	dir := t.TempDir()
	a := startAdmit(t, dir)
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	ev := c.must(200, "PATCH", "/api/v1/events/"+evID, map[string]any{
		"manual_payment_instructions": "IBAN AT61 1904 3002 3457 3201, reference: your order id"})
	if p := ev["payment_providers"].([]any); len(p) != 1 || p[0] != "manual" {
		t.Fatalf("payment providers: %v", ev["payment_providers"])
	}
	base := "/api/v1/public/events/" + evID
	h := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 2}}})
	holdID := h["id"].(string)

	orderBody := map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "Zoë Łukasiewicz", "email": "zoe@example.com"},
		"attendees": []string{"Zoë Łukasiewicz", "Ada Lovelace"}}
	if r := pub.do("POST", base+"/orders", map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "X", "email": "not an address"}}); r.status != 422 {
		t.Fatalf("bad e-mail: %d %s", r.status, r.body)
	}
	if r := pub.do("POST", base+"/orders", orderBody, "Idempotency-Key", "order-1"); r.status != 400 || r.json(t)["code"] != "idempotency-key-invalid" {
		t.Fatalf("an order with a guessable Idempotency-Key: %d %s, want 400 idempotency-key-invalid", r.status, r.body)
	}
	orderKey := randomUUID(t)
	r := pub.do("POST", base+"/orders", orderBody, "Idempotency-Key", orderKey)
	if r.status != 201 {
		t.Fatalf("place order: %d %s", r.status, r.body)
	}
	o := r.json(t)
	orderURL := o["order_url"].(string)
	if o["status"] != "pending_payment" || o["payment_provider"] != "manual" || r.header.Get("Location") != orderURL ||
		!strings.Contains(o["payment_instructions"].(string), "IBAN") || o["total"].(map[string]any)["amount"].(float64) != 9000 {
		t.Fatalf("order: %s (Location %q)", r.body, r.header.Get("Location"))
	}
	orderID := o["id"].(string)
	again := pub.do("POST", base+"/orders", orderBody, "Idempotency-Key", orderKey)
	if again.status != 201 || again.json(t)["id"] != orderID || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry with the same Idempotency-Key: %d %s", again.status, again.body)
	}
	stranger := map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "Mallory", "email": "m@example.com"}}
	if r := pub.do("POST", base+"/orders", stranger, "Idempotency-Key", orderKey); r.status != 422 || r.json(t)["code"] != "idempotency-key-reused" ||
		strings.Contains(string(r.body), "ot_") {
		t.Fatalf("the order's key with another request must not give its order away: %d %s", r.status, r.body)
	}
	if r := pub.do("POST", base+"/orders", orderBody); r.status != 409 || r.json(t)["code"] != "hold-ordered" {
		t.Fatalf("a second order from the hold: %d %s", r.status, r.body)
	}
	if r := pub.do("POST", base+"/orders", map[string]any{"hold_id": holdID, "buyer": map[string]any{"name": "X", "email": "x@example.com"},
		"payment_provider": "stripe"}); r.status != 503 || r.json(t)["code"] != "payment-provider-unavailable" {
		t.Fatalf("stripe without stripe set up: %d %s", r.status, r.body)
	}
	if g := pub.must(200, "GET", base+"/holds/"+holdID, nil); g["order_id"] != orderID {
		t.Fatalf("the hold does not name its order: %v", g)
	}
	pub.must(200, "GET", orderURL, nil)
	if r := pub.do("GET", base+"/orders/ot_"+strings.Repeat("a", 32), nil); r.status != 404 {
		t.Fatalf("a guessed order link: %d", r.status)
	}
	if r := pub.do("GET", orderURL+"/tickets.pdf", nil); r.status != 409 {
		t.Fatalf("tickets of an unpaid order: %d %s", r.status, r.body)
	}

	// The organizer finds the order, marks the bank transfer received.
	list := c.must(200, "GET", "/api/v1/events/"+evID+"/orders?status=pending_payment&q=ZOE@EXAMPLE", nil)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != orderID {
		t.Fatalf("order list: %v", list)
	}
	if r := c.do("GET", "/api/v1/events/"+evID+"/orders?status=sold", nil); r.status != 400 {
		t.Fatalf("bad status filter: %d", r.status)
	}
	paid := c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+orderID+"/mark-paid", map[string]any{})
	tickets := paid["tickets"].([]any)
	if paid["status"] != "paid" || len(tickets) != 2 || paid["tickets_pdf_url"] != orderURL+"/tickets.pdf" {
		t.Fatalf("paid order: %v", paid)
	}
	c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+orderID+"/mark-paid", map[string]any{}) // twice is once

	// Each ticket's QR code scans to a secret that verifies offline.
	t0 := tickets[0].(map[string]any)
	png := pub.do("GET", t0["qr_png_url"].(string)+"?size=300", nil)
	if png.status != 200 || png.header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR PNG: %d %s", png.status, png.header.Get("Content-Type"))
	}
	secret := scanQR(t, png.body)
	keys, pubHex := publicKeys(t, pub, evID) // the event's first key was made to sign it
	claims, err := ticket.Verify(secret, keys, time.Now())
	if err != nil || claims.TicketID != t0["id"] || claims.EventID != evID || claims.TicketTypeID != ttID {
		t.Fatalf("verify %q: %+v, %v", secret, claims, err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"ticket", "verify", "--public-key", pubHex, secret}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("admit ticket verify: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), t0["id"].(string)) {
		t.Fatalf("admit ticket verify printed:\n%s", out.String())
	}
	if svg := pub.do("GET", t0["qr_svg_url"].(string), nil); svg.status != 200 || !bytes.Contains(svg.body, []byte("<svg")) {
		t.Fatalf("QR SVG: %d", svg.status)
	}
	if doc := pub.do("GET", orderURL+"/tickets.pdf", nil); doc.status != 200 || !bytes.HasPrefix(doc.body, []byte("%PDF-")) {
		t.Fatalf("tickets PDF: %d %.20q", doc.status, doc.body)
	}

	// A refund of one ticket revokes it and gives its seat back.
	refunded := c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+orderID+"/refunds",
		map[string]any{"ticket_ids": []string{t0["id"].(string)}, "reason": "cannot come"})
	if refunded["status"] != "paid" || refunded["refunded"].(map[string]any)["amount"].(float64) != 4500 {
		t.Fatalf("after a partial refund: %v", refunded)
	}
	if r := pub.do("GET", t0["qr_png_url"].(string), nil); r.status != 409 {
		t.Fatalf("QR of a refunded ticket: %d", r.status)
	}
	rev := c.must(200, "GET", "/api/v1/events/"+evID+"/revocations", nil)
	if ids := rev["ticket_ids"].([]any); len(ids) != 1 || ids[0] != t0["id"] {
		t.Fatalf("revocations: %v", rev)
	}
	// Rotating the key: new tickets are signed with the new one, the old
	// secret still verifies.
	c.must(201, "POST", "/api/v1/events/"+evID+"/signing-keys", map[string]any{})
	keys, newHex := publicKeys(t, pub, evID)
	if newHex == pubHex {
		t.Fatal("the key did not change")
	}
	if _, err := ticket.Verify(secret, keys, time.Now()); err != nil {
		t.Fatalf("a secret signed before the rotation: %v", err)
	}
	t1 := tickets[1].(map[string]any)
	secret1 := scanQR(t, pub.do("GET", t1["qr_png_url"].(string), nil).body)
	if err := run(context.Background(), []string{"ticket", "verify", "--public-key", newHex, secret1}, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatalf("a ticket rendered after the rotation does not verify with the new key: %v", err)
	}

	// Cancelling the order revokes the rest; every seat is free again.
	cancelled := c.must(200, "POST", "/api/v1/events/"+evID+"/orders/"+orderID+"/cancel", map[string]any{"reason": "event moved"})
	if cancelled["status"] != "cancelled" {
		t.Fatalf("cancelled: %v", cancelled)
	}
	if av := pub.must(200, "GET", base+"/availability", nil); av["quotas"].([]any)[0].(map[string]any)["available"].(float64) != 10 {
		t.Fatalf("availability after the cancellation: %v", av)
	}

	// A free ticket type is paid at once.
	free := c.must(201, "POST", "/api/v1/events/"+evID+"/ticket-types", map[string]any{"name": "Guest list",
		"price": map[string]any{"amount": 0, "currency": "EUR"}})
	c.must(201, "POST", "/api/v1/events/"+evID+"/quotas", map[string]any{"name": "Guests", "capacity": 5,
		"ticket_type_ids": []string{free["id"].(string)}})
	fh := pub.must(201, "POST", base+"/holds", map[string]any{"items": []any{map[string]any{"ticket_type_id": free["id"], "quantity": 1}}})
	fo := pub.must(201, "POST", base+"/orders", map[string]any{"hold_id": fh["id"], "buyer": map[string]any{"name": "Guest", "email": "guest@example.com"}})
	if fo["status"] != "paid" || fo["payment_provider"] != "free" || len(fo["tickets"].([]any)) != 1 {
		t.Fatalf("free order: %v", fo)
	}

	c.must(200, "GET", "/api/v1/events/"+evID+"/orders", nil) // waits for the projection
	a.stop()
	live := dumpReadModel(t, dir)
	if err := run(context.Background(), []string{"reindex", "--data", dir}, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dumpReadModel(t, dir); rebuilt != live {
		t.Fatalf("rebuilt read model differs from the live one:\nlive:\n%s\nrebuilt:\n%s", live, rebuilt)
	}
	for _, want := range []string{orderID, "cancelled", "revoked", "guest@example.com"} {
		if !strings.Contains(live, want) {
			t.Fatalf("the read model lacks %q:\n%s", want, live)
		}
	}
	wantActors(t, everyEntryNamesItsActor(t, dir), map[string][]string{
		"admit.organizer.created.v1":   {"system"},
		"admit.api_token.created.v1":   {"system"},
		"admit.event.created.v1":       {"token"},
		"admit.ticket_type.created.v1": {"token"},
		"admit.hold.created.v1":        {"buyer"},
		"admit.order.placed.v1":        {"buyer"},
		"admit.order.paid.v1":          {"token", "buyer"},
		"admit.order.refunded.v1":      {"token"},
		"admit.order.cancelled.v1":     {"token"},
	})
}

// TestExtendHold: a buyer asks for more time; the hold lasts the event's
// hold time from then, ten times at most.
func TestExtendHold(t *testing.T) {
	a := startAdmit(t, t.TempDir())
	c := newClient(t, a.url, a.token)
	pub := newClient(t, a.url, "")
	evID, ttID := setupEvent(c, 10)
	h := pub.must(201, "POST", "/api/v1/public/events/"+evID+"/holds",
		map[string]any{"items": []any{map[string]any{"ticket_type_id": ttID, "quantity": 1}}})
	path := "/api/v1/public/events/" + evID + "/holds/" + h["id"].(string)
	first, _ := time.Parse(time.RFC3339Nano, h["expires_at"].(string))
	for i := 1; i <= 10; i++ {
		e := pub.must(200, "POST", path+"/extend", nil)
		at, _ := time.Parse(time.RFC3339Nano, e["expires_at"].(string))
		if e["extended"].(float64) != float64(i) || !at.After(first) {
			t.Fatalf("extension %d: %v", i, e)
		}
	}
	if r := pub.do("POST", path+"/extend", nil); r.status != 409 || r.json(t)["code"] != "conflict" {
		t.Fatalf("an 11th extension: %d %s", r.status, r.body)
	}
}
