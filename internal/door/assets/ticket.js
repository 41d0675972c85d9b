// Ticket secrets and the offline decision, as docs/tickets.md and the door
// API describe them: pure functions of a secret, the event's bundle, the
// scans this device has made, and the time. The server decides the same
// way (internal/ticket, internal/checkin) and has the last word.

const PREFIX = "AT1:";
const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const SECRET_BYTES = 116;
const PAYLOAD_BYTES = 52;
const ID_BYTES = 13;
const CONTEXT = new TextEncoder().encode("admit ticket v1\0");

// base45 decodes RFC 9285 text, or returns null for text that an encoder
// would not have written.
export function base45(text) {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const end = Math.min(i + 3, text.length);
    let n = 0;
    for (let j = end - 1; j >= i; j--) {
      const v = BASE45.indexOf(text[j]);
      if (v < 0) return null;
      n = n * 45 + v;
    }
    if (end - i === 3) {
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}

// unpackID reads an id of the prefix from 13 bytes, or returns null when
// the 4 bits left over are not zero (an event id's shard excepted).
function unpackID(b, prefix) {
  const shard = b[ID_BYTES - 1] & 0x0f;
  if (shard !== 0 && prefix !== "ev") return null;
  let s = prefix + "_";
  for (let i = 0; i < 20; i++) {
    let v = 0;
    for (let bit = 0; bit < 5; bit++) {
      const n = i * 5 + bit;
      v = (v << 1) | ((b[n >> 3] >> (7 - (n & 7))) & 1);
    }
    s += B32[v];
  }
  return shard ? s + "_" + shard : s;
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (b, at) => ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];

// parse reads a secret's parts without checking its signature, or returns
// null for text that is not a version 1 secret.
export function parse(text) {
  if (typeof text !== "string" || !text.startsWith(PREFIX)) return null;
  const b = base45(text.slice(PREFIX.length));
  if (!b || b.length !== SECRET_BYTES || b[0] !== 1) return null;
  return {
    keyID: hex(b.subarray(1, 5)),
    eventID: unpackID(b.subarray(5, 18), "ev"),
    ticketTypeID: unpackID(b.subarray(18, 31), "tt"),
    ticketID: unpackID(b.subarray(31, 44), "tk"),
    validFrom: u32(b, 44),
    validUntil: u32(b, 48),
    signed: concat(CONTEXT, b.subarray(0, PAYLOAD_BYTES)),
    signature: b.slice(PAYLOAD_BYTES),
  };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function fromBase64(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// prepare turns a bundle into what decide looks things up in: its keys
// imported into WebCrypto (once per bundle, not once per scan), and maps
// and sets for the rest. It rejects a bundle it cannot use.
export async function prepare(bundle) {
  if (!bundle || !bundle.event || typeof bundle.event.id !== "string" || !Array.isArray(bundle.lists)) {
    throw new Error("the ticket list is not in the expected shape");
  }
  const keys = new Map();
  for (const k of bundle.keys || []) {
    const raw = fromBase64(k.public_key);
    if (raw.length !== 32) throw new Error("the ticket list has a key that is not an Ed25519 public key");
    keys.set(k.id, await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]));
  }
  const inside = new Map();
  for (const l of bundle.lists) inside.set(l.id, new Set((bundle.inside && bundle.inside[l.id]) || []));
  return {
    bundle,
    eventID: bundle.event.id,
    keys,
    revoked: new Set(bundle.revoked || []),
    tickets: new Map((bundle.tickets || []).map((t) => [t.id, t])),
    types: new Map((bundle.ticket_types || []).map((t) => [t.id, t])),
    lists: new Map(bundle.lists.map((l) => [l.id, l])),
    inside, // the bundle's: who was inside when it was made
  };
}

// decide answers a scan of text on the list, in the direction, at now
// (milliseconds), as the door API says a device decides offline. inside
// is the set of tickets inside the list now (the bundle's, with this
// device's own scans since), previous maps a ticket id to this device's
// last admission of it on the list. It never throws for a bad secret: it
// answers invalid_signature.
export async function decide(p, text, listID, direction, now, inside, previous) {
  const list = p.lists.get(listID);
  const answer = { result: "invalid_signature", listID, direction, notInList: false };
  const s = parse(text.trim());
  if (!s) return answer;
  if (s.eventID !== p.eventID) return { ...answer, result: "wrong_event" };
  const key = p.keys.get(s.keyID);
  if (!key || !(await crypto.subtle.verify({ name: "Ed25519" }, key, s.signature, s.signed))) return answer;
  if (!s.ticketTypeID || !s.ticketID) return answer; // signed, yet not ours: a key used elsewhere
  const ticket = p.tickets.get(s.ticketID);
  const type = p.types.get(s.ticketTypeID);
  Object.assign(answer, {
    ticketID: s.ticketID,
    ticketTypeID: s.ticketTypeID,
    ticketTypeName: type ? type.name : "",
    attendee: (ticket && ticket.attendee) || "",
    validFrom: s.validFrom * 1000,
    validUntil: s.validUntil * 1000,
  });
  const as = (result) => ({ ...answer, result });
  if (p.revoked.has(s.ticketID)) return as("revoked");
  // A ticket sold after the bundle was made: its signature is good, so it
  // is let in; the server checks it on upload.
  answer.notInList = !ticket;
  if (!list) return as("wrong_list");
  if (list.ticket_type_ids && list.ticket_type_ids.length && !list.ticket_type_ids.includes(s.ticketTypeID)) {
    return as("wrong_list");
  }
  if (now < s.validFrom * 1000 || (list.from && now < Date.parse(list.from))) return as("not_yet_valid");
  if (now > s.validUntil * 1000 || (list.until && now > Date.parse(list.until))) return as("expired");
  const isInside = inside.has(s.ticketID);
  if (direction === "exit") {
    if (!list.re_entry) return as("exit_not_allowed");
    if (!isInside) return as("not_checked_in");
    return as("ok");
  }
  if (isInside) return { ...answer, result: "already_checked_in", previous: previous.get(s.ticketID) || null };
  return as("ok");
}
