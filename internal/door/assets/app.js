// The door scanner: setup, the event's bundle, scanning, the result, and
// the upload of every scan. Every scan is decided here, on the device,
// from the bundle (ticket.js), shown at once, kept in IndexedDB
// (store.js) and uploaded as an offline scan, retried with its nonce
// until the server answers. docs/door.md is the guide.

import * as store from "./store.js";
import { prepare, decide, parse } from "./ticket.js";
import { Camera } from "./camera.js";

const cfg = JSON.parse(document.querySelector('meta[name="admit-door-config"]').content);
const $ = (id) => document.getElementById(id);

const EVENT_ID = /^ev_[a-z2-7]{20}(_([1-9]|1[0-5]))?$/;
const TOKEN = /^admitdoor_[a-z2-7]{32}$/;
const MAX_CODE = 512;

// What the scanner knows. device is the setup ({eventID, token}); bundle
// is {bundle, requestedAt, fetchedAt} as stored; prepared is its lookup
// form (ticket.prepare); scans are this device's, oldest first.
const state = {
  device: null,
  prefs: { list: "default", direction: "entry", sound: true, camera: false },
  bundle: null,
  prepared: null,
  scans: [],
  inside: new Map(), // list id → Set of ticket ids inside now
  previous: new Map(), // list id → Map of ticket id → {at, deviceName}: this device's admissions
  reachable: true, // whether the last request reached the server
  problem: "", // what is wrong with the device's setup, as the server said
  fetching: false,
  pumping: false,
};

// doorStats is for tests and the device's status: how long the offline
// decisions took (verify + decide, milliseconds), and what happened.
const stats = {
  screen: "starting",
  hasBundle: false,
  decisions: 0,
  lastMs: null,
  meanMs: null,
  maxMs: null,
  samples: [],
  bundles: 0,
  uploads: 0,
  reader: "",
  decodes: 0,
  version: cfg.version || "",
};
window.doorStats = stats;

// ---- Start ----

async function start() {
  await store.open();
  const link = takeLink();
  state.device = (await store.get("settings", "device")) || null;
  state.prefs = { ...state.prefs, ...((await store.get("settings", "prefs")) || {}) };
  if (link && !link.error) {
    await setUp(link);
    return;
  }
  if (state.device) await openScanner();
  else showSetup();
  if (link) badLink(link);
}

// takeLink reads a setup link from the address, and takes the fragment
// out of it: it holds the token, which must not stay in the address bar,
// the history or a bookmark.
function takeLink() {
  const link = readSetup(location.href);
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return link;
}

function badLink(link) {
  if (stats.screen === "scanner") showNotice("The address had a setup link that is not complete, so this scanner kept its setup. " + link.error);
  else setupError(link.error);
}

// A setup link opened while the scanner is open.
addEventListener("hashchange", () => {
  const link = takeLink();
  if (!link) return;
  if (link.error) badLink(link);
  else setUp(link);
});

// readSetup reads a setup link's event id and token, from its fragment:
// {eventID, token}, {error} when it is a broken one, or null when the
// text has no fragment at all.
function readSetup(text) {
  let url;
  try {
    url = new URL(text.trim(), location.href);
  } catch {
    return { error: "This is not a link. Paste the whole setup link, starting with https://." };
  }
  if (!url.hash || url.hash === "#") return null;
  const params = new URLSearchParams(url.hash.slice(1));
  const eventID = params.get("event") || "", token = params.get("token") || "";
  if (!eventID && !token) return null;
  if (!EVENT_ID.test(eventID)) return { error: "The link's event id is missing or cut short: copy the whole link again." };
  if (!TOKEN.test(token)) return { error: "The link's token is missing or cut short: it is admitdoor_ and 32 letters and digits. Copy the whole link again." };
  if (url.origin !== location.origin) {
    return { error: "This setup link is for another server (" + url.origin + "). Open it on that server's scanner, or ask the organizer for a link of this one." };
  }
  return { eventID, token };
}

async function setUp(link) {
  const same = state.device && state.device.eventID === link.eventID && state.device.token === link.token;
  state.device = { eventID: link.eventID, token: link.token, setAt: new Date().toISOString() };
  await store.put("settings", state.device, "device");
  if (!same) {
    state.bundle = null;
    state.prepared = null;
    state.problem = "";
    stats.hasBundle = false;
  }
  await openScanner();
  showNotice("This scanner is set up for the event. Its ticket list is kept on the device, so it also works without a network.");
}

// ---- Screens ----

function show(screen) {
  for (const id of ["starting", "setup", "scanner"]) $(id).hidden = id !== screen;
  stats.screen = screen;
}

function showSetup() {
  show("setup");
  document.title = "Set up the scanner – admit";
  $("setup-errors").hidden = true;
  $("setup-link-field").classList.remove("field-invalid");
  $("setup-link-error").hidden = true;
  $("setup-link").removeAttribute("aria-invalid");
  $("setup-link").setAttribute("aria-describedby", "setup-link-hint");
}

function setupError(message) {
  $("setup-errors-link").textContent = message;
  $("setup-errors").hidden = false;
  $("setup-link-field").classList.add("field-invalid");
  $("setup-link-error").hidden = false;
  $("setup-link-error").textContent = message;
  $("setup-link").setAttribute("aria-invalid", "true");
  $("setup-link").setAttribute("aria-describedby", "setup-link-hint setup-link-error");
  $("setup-errors").focus();
}

$("setup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("setup-link").value.trim();
  if (!text) {
    setupError("Paste the setup link of this door device.");
    return;
  }
  const link = readSetup(text);
  if (!link) {
    setupError("This link has no setup in it: it should contain #event= and token=. Copy the whole link again.");
    return;
  }
  if (link.error) {
    setupError(link.error);
    return;
  }
  $("setup-link").value = "";
  await setUp(link);
});

async function openScanner() {
  const b = await store.get("bundles", state.device.eventID);
  if (b) await usebundle(b);
  state.scans = ((await store.all("scans")) || []).sort((a, b) => a.seq - b.seq);
  await prune();
  recompute();
  show("scanner");
  render();
  focusCode();
  if (navigator.onLine) {
    fetchBundle();
    pump();
  }
  if (state.prefs.camera) startCamera();
}

// ---- The bundle ----

async function usebundle(b) {
  state.prepared = await prepare(b.bundle);
  state.bundle = b;
  stats.hasBundle = true;
}

async function fetchBundle() {
  if (!state.device || state.fetching) return;
  state.fetching = true;
  const device = state.device;
  const requestedAt = Date.now();
  try {
    const res = await api("GET", "/api/v1/events/" + encodeURIComponent(device.eventID) + "/door-bundle", device);
    if (state.device !== device) return; // forgotten meanwhile
    if (res.ok) {
      const bundle = await res.json();
      if (!bundle.event || bundle.event.id !== device.eventID) throw new Error("the server sent the ticket list of another event");
      const b = { bundle, requestedAt, fetchedAt: Date.now() };
      await usebundle(b);
      await store.put("bundles", b, device.eventID);
      stats.bundles++;
      setProblem("");
      recompute();
    } else {
      await refused(res, "fetch the ticket list");
    }
  } catch (err) {
    if (!(err instanceof NetworkError)) showNotice("The ticket list could not be used: " + err.message + ".");
  } finally {
    state.fetching = false;
    render();
  }
}

class NetworkError extends Error {}

// api makes a request of the door API with the device's token. It throws
// a NetworkError when the server cannot be reached.
async function api(method, path, device, body) {
  const headers = { Authorization: "Bearer " + device.token, Accept: "application/json, application/problem+json" };
  if (body) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body && JSON.stringify(body), cache: "no-store" });
  } catch (err) {
    state.reachable = false;
    render();
    throw new NetworkError(err.message);
  }
  state.reachable = true;
  return res;
}

// problemOf reads an RFC 9457 problem, or makes one of the status.
async function problemOf(res) {
  try {
    const p = await res.json();
    if (p && typeof p.title === "string") return p;
  } catch {
    // not JSON
  }
  return { title: "HTTP " + res.status, status: res.status, detail: "" };
}

// refused handles an answer that is not a success: a device the server
// does not take is a problem to show until it is fixed.
async function refused(res, what) {
  const p = await problemOf(res);
  if (res.status === 401 || res.status === 403) {
    setProblem("The server did not accept this device (" + p.title + "). The organizer may have removed it: ask for a new setup link, then set up again.");
  } else if (res.status === 404) {
    setProblem("The server does not know this event for this device (" + p.title + "). Ask the organizer for a new setup link.");
  } else {
    showNotice("Could not " + what + ": " + p.title + (p.detail ? " – " + p.detail : "") + ". The scanner tries again by itself.");
  }
  return p;
}

function setProblem(text) {
  state.problem = text;
  $("device-problem").hidden = !text;
  $("device-problem-text").textContent = text;
}

// ---- Who is inside ----

// recompute works out who is inside each list: the bundle's inside, then
// this device's own scans that the bundle may not know of yet (those not
// answered before it was requested), in order.
function recompute() {
  state.inside = new Map();
  state.previous = new Map();
  if (state.prepared) for (const [id, set] of state.prepared.inside) state.inside.set(id, new Set(set));
  const since = state.bundle ? state.bundle.requestedAt : 0;
  for (const s of state.scans) apply(s, since);
}

function apply(s, since) {
  if (!state.device || s.eventID !== state.device.eventID || !s.local.ticketID || !counts(s)) return;
  if (s.direction === "entry") mapOf(state.previous, s.listID).set(s.local.ticketID, { at: s.at, deviceName: deviceName() });
  if (s.answeredAt && s.answeredAt <= since) return; // the bundle has it
  const set = setOf(state.inside, s.listID);
  if (s.direction === "entry") set.add(s.local.ticketID);
  else set.delete(s.local.ticketID);
}

// counts reports whether a scan let someone in or out: the server's
// answer when there is one, else the device's.
function counts(s) {
  if (s.server) return s.server.result === "ok" && !s.server.conflict;
  return s.local.result === "ok" && !s.rejected;
}

const setOf = (m, k) => m.get(k) || m.set(k, new Set()).get(k);
const mapOf = (m, k) => m.get(k) || m.set(k, new Map()).get(k);

function deviceName() {
  const d = state.bundle && state.bundle.bundle.device;
  return (d && d.name) || "this device";
}

// prune drops the scans that were answered more than two days ago: the
// server has them.
async function prune() {
  const old = Date.now() - 2 * 24 * 3600 * 1000;
  const keep = [];
  for (const s of state.scans) {
    if ((s.answeredAt || s.rejected) && s.at < old) await store.del("scans", s.nonce);
    else keep.push(s);
  }
  state.scans = keep;
}

// ---- Scanning ----

let queue = Promise.resolve();

// submit decides the code, one scan at a time in the order they came.
function submit(text) {
  queue = queue.then(() => scan(text)).catch((err) => showNotice("The scan could not be recorded: " + err.message));
  return queue;
}

async function scan(text) {
  text = text.trim().slice(0, MAX_CODE);
  if (!text) return;
  if (!state.prepared) {
    showResult({ kind: "refused", title: "No ticket list yet", detail: "The scanner needs the event's ticket list once, from the network. Connect to the network and wait a moment.", facts: [] });
    return;
  }
  const listID = currentList().id;
  const direction = currentDirection();
  const t0 = performance.now();
  const local = await decide(state.prepared, text, listID, direction, Date.now(), setOf(state.inside, listID), mapOf(state.previous, listID));
  timing(performance.now() - t0);
  const now = Date.now();
  const s = {
    nonce: nonce(),
    seq: now * 1000 + (state.scans.length % 1000),
    eventID: state.device.eventID,
    token: state.device.token,
    listID,
    direction,
    secret: text,
    at: now,
    scannedAt: new Date(now).toISOString(),
    local,
    server: null,
    answeredAt: 0,
    rejected: null,
    differs: false,
    offline: !navigator.onLine || !state.reachable, // when it was made
    // Only what looks like a ticket goes to the server: any other QR
    // code (a web address, a Wi-Fi code) stays a local refusal.
    upload: parse(text) !== null || text.startsWith("AT1:"),
  };
  state.scans.push(s);
  apply(s, Infinity);
  showResult(describe(local, s), { nonce: s.nonce });
  render();
  await store.put("scans", s);
  if (navigator.onLine) pump();
}

function timing(ms) {
  stats.decisions++;
  stats.lastMs = ms;
  stats.samples.push(ms);
  if (stats.samples.length > 200) stats.samples.shift();
  stats.maxMs = Math.max(stats.maxMs || 0, ms);
  stats.meanMs = stats.samples.reduce((a, b) => a + b, 0) / stats.samples.length;
}

function nonce() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function currentList() {
  const lists = state.prepared ? state.prepared.lists : new Map();
  return lists.get(state.prefs.list) || lists.get("default") || lists.values().next().value || { id: "default", name: "Everyone" };
}

function currentDirection() {
  return currentList().re_entry && state.prefs.direction === "exit" ? "exit" : "entry";
}

// ---- Uploading ----

// pump uploads the scans that wait, oldest first, until one cannot go up
// now; RetryEvery and the browser's "online" start it again.
async function pump() {
  if (state.pumping) return;
  state.pumping = true;
  try {
    for (const s of state.scans) {
      if (!waiting(s)) continue;
      if (!(await upload(s))) break;
    }
  } finally {
    state.pumping = false;
    render();
  }
}

const waiting = (s) => s.upload && !s.server && !s.rejected;

// upload sends one scan and records the server's answer; it reports
// whether the next scan may go up.
async function upload(s) {
  const body = { secret: s.secret, nonce: s.nonce, direction: s.direction, scanned_at: s.scannedAt, offline_result: s.local.result };
  let res;
  try {
    res = await api("POST", "/api/v1/events/" + encodeURIComponent(s.eventID) + "/check-in-lists/" + encodeURIComponent(s.listID) + "/scans", s, body);
  } catch (err) {
    if (err instanceof NetworkError) return false;
    throw err;
  }
  if (res.ok) {
    let answer;
    try {
      answer = await res.json();
    } catch {
      return false; // a broken answer: try again later
    }
    s.server = answer;
    s.answeredAt = Date.now();
    s.differs = answer.result !== s.local.result || answer.conflict === true;
    s.secret = ""; // answered: the device need not keep the ticket's secret
    stats.uploads++;
    await store.put("scans", s);
    recompute();
    if (s.differs) showDiffers(s);
    else if (answer.result === "already_checked_in" && answer.previous && lastShown === s.nonce) {
      showResult(describe(answer, s), { quiet: true }); // the same answer, now saying when and where
    }
    return true;
  }
  if (res.status === 401 || res.status === 403) {
    await refused(res, "upload the scans");
    return false;
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) return false;
  // The server will not take this scan, however often it is sent.
  s.rejected = await problemOf(res);
  await store.put("scans", s);
  recompute();
  return true;
}

// ---- Results ----

const TITLES = {
  ok: "Let in",
  already_checked_in: "Already checked in",
  revoked: "Ticket cancelled",
  not_paid: "Not paid",
  wrong_list: "Not for this list",
  not_yet_valid: "Not valid yet",
  expired: "No longer valid",
  invalid_signature: "Not a valid ticket",
  unknown_ticket: "Unknown ticket",
  wrong_event: "Another event's ticket",
  not_checked_in: "Not checked in",
  exit_not_allowed: "No exit on this list",
};

// describe turns an answer (the device's or the server's) into what the
// result panel shows: kind ok, exit or refused; a title; a sentence; and
// the facts about the ticket.
function describe(a, s) {
  const result = a.result;
  const ticketTypeName = a.ticketTypeName || (a.ticket && a.ticket.ticket_type_name) || "";
  const attendee = a.attendee || (a.ticket && a.ticket.attendee) || "";
  const list = (state.prepared && state.prepared.lists.get(s.listID)) || { name: s.listID };
  const v = { kind: "refused", title: TITLES[result] || result, detail: "", facts: [], result };
  if (attendee) v.facts.push({ label: "Name", text: attendee });
  if (ticketTypeName) v.facts.push({ label: "Ticket", text: ticketTypeName });
  switch (result) {
    case "ok":
      if (s.direction === "exit") {
        v.kind = "exit";
        v.title = "Let out";
        v.detail = "Recorded as gone out: they can come back in with the same ticket.";
      } else {
        v.kind = "ok";
        v.detail = "The ticket is valid for " + list.name + ".";
        if (a.notInList) v.warning = "Not in the offline list: the ticket was sold after the list was fetched. Its signature is good; the server checks it when the scan is uploaded.";
      }
      break;
    case "already_checked_in": {
      const p = a.previous;
      if (p && (p.scanned_at || p.at)) {
        const at = p.scanned_at ? Date.parse(p.scanned_at) : p.at;
        v.detail = "Checked in at " + when(at) + " at " + (p.device_name || p.deviceName || "another device") + ".";
      } else {
        v.detail = "Inside already: let in at another door, or before this device's list was fetched" + (state.bundle ? " (" + when(state.bundle.fetchedAt) + ")" : "") + ".";
      }
      break;
    }
    case "revoked":
      v.detail = "This ticket was refunded or cancelled.";
      break;
    case "not_paid":
      v.detail = "Its order is not paid.";
      break;
    case "wrong_list":
      v.detail = (ticketTypeName || "This ticket type") + " does not admit to " + list.name + ".";
      break;
    case "not_yet_valid":
      v.detail = a.validFrom ? "Valid from " + when(a.validFrom, true) + "." : "Not valid at this time.";
      if (list.from && (!a.validFrom || Date.now() >= a.validFrom)) v.detail = list.name + " opens at " + when(Date.parse(list.from), true) + ".";
      break;
    case "expired":
      v.detail = a.validUntil ? "Valid until " + when(a.validUntil, true) + "." : "No longer valid.";
      if (list.until && (!a.validUntil || Date.now() <= a.validUntil)) v.detail = list.name + " closed at " + when(Date.parse(list.until), true) + ".";
      break;
    case "invalid_signature":
      v.detail = "This code is not a ticket of this event, or it was altered.";
      break;
    case "unknown_ticket":
      v.detail = "The event has no such ticket.";
      break;
    case "wrong_event":
      v.detail = "This ticket is for another event.";
      break;
    case "not_checked_in":
      v.detail = "This ticket is not inside, so it cannot go out.";
      break;
    case "exit_not_allowed":
      v.detail = list.name + " does not let people go out and back in.";
      break;
  }
  return v;
}

const ICONS = { ok: "icon-ok", exit: "icon-exit", refused: "icon-refused", warn: "icon-warn", idle: "icon-idle" };
let lastShown = "";

// showResult shows a result in the panel, announces it, and beeps and
// buzzes as it says (unless quiet); the focus stays where it is (the code
// field).
function showResult(v, { quiet = false, nonce = "" } = {}) {
  if (!quiet) lastShown = nonce; // the scan it shows, if any
  const panel = $("result");
  panel.className = "door-result door-result-" + v.kind;
  panel.dataset.result = v.result || "";
  $("result-icon").setAttribute("href", "#" + ICONS[v.kind]);
  $("result-kind").textContent = { ok: "Yes", exit: "Out", refused: "No", idle: "" }[v.kind] || "";
  $("result-title").textContent = v.title;
  $("result-detail").textContent = v.detail;
  const facts = $("result-facts");
  facts.replaceChildren();
  for (const f of v.facts) {
    const dt = document.createElement("dt");
    dt.textContent = f.label;
    const dd = document.createElement("dd");
    dd.textContent = f.text;
    facts.append(dt, dd);
  }
  facts.hidden = v.facts.length === 0;
  $("result-warning").hidden = !v.warning;
  $("result-warning-text").textContent = v.warning || "";
  $("result-time").textContent = v.kind === "idle" ? "" : "Scanned at " + when(Date.now(), false, true) + ".";
  panel.classList.remove("door-result-new");
  void panel.offsetWidth; // restart the highlight
  panel.classList.add("door-result-new");
  announce([v.title, v.facts.map((f) => f.text).join(", "), v.detail, v.warning || ""].filter(Boolean).join(". "));
  if (!quiet) feedback(v.kind);
}

function announce(text) {
  const a = $("announcer");
  a.textContent = "";
  // A new text a moment later, so the same result twice is read twice.
  setTimeout(() => {
    a.textContent = text;
  }, 50);
}

// showDiffers tells the door that the server decided otherwise.
function showDiffers(s) {
  const a = s.server;
  const v = describe(a, s);
  const who = [v.facts.map((f) => f.text).join(", ")].filter(Boolean).join("");
  let text;
  if (a.conflict && a.result === "ok") {
    text = "Conflict: " + (who || "a ticket") + " was let in here while " + (s.offline ? "offline" : "its list was not up to date") + ", but it was already inside" +
      (a.previous && a.previous.scanned_at ? " (let in at " + when(Date.parse(a.previous.scanned_at)) + " at " + (a.previous.device_name || "another device") + ")" : "") +
      ". The server recorded it for the organizer and did not count it.";
  } else {
    text = "The server says " + v.title.toLowerCase() + " for " + (who || "a ticket") + (v.detail ? ": " + v.detail : "") + " This device had said " + (TITLES[s.local.result] || s.local.result).toLowerCase() + ".";
  }
  $("server-notice-text").textContent = text;
  $("server-notice").hidden = false;
  feedback("refused");
  render();
}

$("server-notice-dismiss").addEventListener("click", () => {
  $("server-notice").hidden = true;
  focusCode();
});

// ---- Sound and vibration ----

let audio = null;

function feedback(kind) {
  if (!state.prefs.sound || kind === "idle") return;
  if (navigator.vibrate) navigator.vibrate(kind === "refused" ? [250, 100, 250] : [80]);
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const t = audio.currentTime;
    // ok: two rising notes; out: one; refused: a low buzz.
    const tones = { ok: [[880, 0, 0.12], [1320, 0.14, 0.16]], exit: [[990, 0, 0.18]], refused: [[196, 0, 0.55]] }[kind] || [];
    for (const [freq, at, len] of tones) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = kind === "refused" ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + at);
      gain.gain.exponentialRampToValueAtTime(0.25, t + at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + at + len);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + at);
      osc.stop(t + at + len + 0.02);
    }
  } catch {
    // no sound here: the screen still says it
  }
}

// ---- Rendering ----

function when(ms, withDate, seconds) {
  const tz = state.bundle && state.bundle.bundle.event.timezone;
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (seconds) opts.second = "2-digit";
  if (withDate) Object.assign(opts, { weekday: "short", day: "numeric", month: "short" });
  try {
    return new Intl.DateTimeFormat("en-GB", { ...opts, timeZone: tz || undefined }).format(ms);
  } catch {
    return new Intl.DateTimeFormat("en-GB", opts).format(ms);
  }
}

function render() {
  if (stats.screen !== "scanner") return;
  const b = state.bundle && state.bundle.bundle;
  $("event-name").textContent = b ? b.event.name : "Door scanner";
  document.title = (b ? b.event.name + " – door" : "Door scanner") + " – admit";
  $("event-meta").textContent = b ? [deviceName(), b.event.venue, when(Date.parse(b.event.starts_at), true)].filter(Boolean).join(" · ") : "";

  const online = navigator.onLine && state.reachable;
  stats.online = online;
  const net = $("network-status");
  net.className = "door-network " + (online ? "door-online" : "door-offline");
  net.textContent = online ? "Online" : "Offline: scans are checked on this device and uploaded when the network is back.";
  $("bundle-status").textContent = b
    ? "Ticket list of " + when(state.bundle.fetchedAt, false) + ": " + b.tickets.length + (b.tickets.length === 1 ? " ticket." : " tickets.")
    : state.fetching ? "Fetching the ticket list…" : "No ticket list yet: the scanner needs the network once.";
  const n = state.scans.filter(waiting).length;
  stats.waiting = n;
  $("queue-status").textContent = n ? "Waiting to upload: " + n + (n === 1 ? " scan." : " scans.") : "Waiting to upload: none.";

  renderLists();
  const list = currentList();
  const inside = setOf(state.inside, list.id).size;
  stats.inside = inside;
  $("count-number").textContent = String(inside);
  $("count-list").textContent = list.name;
  renderRecent();
  renderConflicts();
  renderDevice();
}

function renderLists() {
  const select = $("list");
  const lists = state.prepared ? [...state.prepared.lists.values()] : [];
  const want = currentList().id;
  const key = lists.map((l) => l.id + "\0" + l.name).join("\n");
  if (select.dataset.key !== key) {
    select.replaceChildren(...lists.map((l) => new Option(l.name + (l.re_entry ? " (re-entry)" : ""), l.id)));
    select.dataset.key = key;
  }
  select.value = want;
  select.disabled = lists.length === 0;
  const reEntry = !!currentList().re_entry;
  $("direction-exit").disabled = !reEntry;
  $("direction-exit-hint").textContent = reEntry ? "People going out can come back in." : "Not on this list: it has no re-entry.";
  $(currentDirection() === "exit" ? "direction-exit" : "direction-entry").checked = true;
}

function scanLine(s) {
  const a = s.server || s.local;
  const v = describe(a, s);
  const who = v.facts.map((f) => f.text).join(", ");
  let status = "";
  if (!s.upload) status = "not a ticket, not uploaded";
  else if (s.rejected) status = "not taken by the server: " + s.rejected.title;
  else if (s.server) status = s.differs ? "the server decided otherwise" : "uploaded";
  else status = "waiting to upload";
  return when(s.at, false, true) + " – " + (s.direction === "exit" && a.result === "ok" ? "Let out" : v.title) + (who ? ": " + who : "") + " (" + status + ")";
}

function renderRecent() {
  const mine = state.scans.filter((s) => s.eventID === (state.device && state.device.eventID));
  const recent = mine.slice(-8).reverse();
  $("recent-empty").hidden = recent.length > 0;
  $("recent-list").replaceChildren(
    ...recent.map((s) => {
      const li = document.createElement("li");
      li.textContent = scanLine(s);
      return li;
    }),
  );
}

function renderConflicts() {
  const differ = state.scans.filter((s) => s.differs || s.rejected);
  $("conflicts").hidden = differ.length === 0;
  $("conflict-count").textContent = String(differ.length);
  $("conflict-list").replaceChildren(
    ...differ.reverse().map((s) => {
      const li = document.createElement("li");
      const a = s.server;
      let text = scanLine(s) + ". ";
      if (s.rejected) text += (s.rejected.detail || s.rejected.title) + ".";
      else if (a.conflict) text += "This device said " + (TITLES[s.local.result] || s.local.result).toLowerCase() + "; the server recorded a conflict" + (a.previous && a.previous.device_name ? " (already let in at " + when(Date.parse(a.previous.scanned_at)) + " at " + a.previous.device_name + ")" : "") + ".";
      else text += "This device said " + (TITLES[s.local.result] || s.local.result).toLowerCase() + "; the server says " + (TITLES[a.result] || a.result).toLowerCase() + ".";
      li.textContent = text;
      return li;
    }),
  );
}

function renderDevice() {
  const b = state.bundle && state.bundle.bundle;
  $("device-event").textContent = b ? b.event.name + " (" + b.event.id + ")" : state.device.eventID;
  $("device-name").textContent = b && b.device ? b.device.name + " (" + b.device.id + ")" : "–";
  $("device-bundle").textContent = b ? "made " + when(Date.parse(b.generated_at), true) + ", fetched " + when(state.bundle.fetchedAt, true, true) : "not fetched yet";
  $("device-timing").textContent = stats.decisions
    ? "last " + stats.lastMs.toFixed(1) + " ms, mean " + stats.meanMs.toFixed(1) + " ms, slowest " + stats.maxMs.toFixed(1) + " ms, over " + stats.samples.length + " scans"
    : "no scans yet";
  $("device-reader").textContent = stats.reader || "not started yet";
  $("device-version").textContent = stats.version;
}

function showNotice(text) {
  $("notice-text").textContent = text;
  $("notice").hidden = false;
}

$("notice-dismiss").addEventListener("click", () => {
  $("notice").hidden = true;
  focusCode();
});

// ---- Controls ----

// The code field keeps the focus, so a handheld scanner's typing lands
// there; on a touch screen it is not focused by itself, which would open
// the on-screen keyboard over the camera.
const touch = matchMedia("(pointer: coarse)").matches;

function focusCode() {
  if (stats.screen === "scanner" && !touch) $("code").focus();
}

$("scan-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("code").value;
  $("code").value = "";
  if (!text.trim()) {
    showResult({ kind: "refused", title: "No code", detail: "Scan a ticket, or type its code, then press Enter.", facts: [] });
    return;
  }
  submit(text);
});

// A character typed while the focus is not in a field goes to the code
// field: a handheld scanner keeps working after a tap elsewhere. (A space
// is left alone: it presses buttons, and no code starts with one.)
document.addEventListener("keydown", (e) => {
  if (stats.screen !== "scanner" || e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1 || e.key === " ") return;
  const el = document.activeElement;
  if (el && (el.tagName === "SELECT" || el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text"))) return;
  $("code").focus();
});

$("list").addEventListener("change", async () => {
  state.prefs.list = $("list").value;
  await savePrefs();
  render();
});

for (const id of ["direction-entry", "direction-exit"]) {
  $(id).addEventListener("change", async () => {
    state.prefs.direction = $("direction-exit").checked ? "exit" : "entry";
    await savePrefs();
    render();
  });
}

$("sound").addEventListener("change", async () => {
  state.prefs.sound = $("sound").checked;
  await savePrefs();
});

const savePrefs = () => store.put("settings", state.prefs, "prefs");

// The camera.
const camera = new Camera($("camera-video"), onCameraCode, (text) => {
  $("camera-status").textContent = text;
});
let lastCode = "", lastCodeAt = 0;

// onCameraCode takes a code the camera read, once: the same code seen
// again within 3 seconds is the same ticket still in front of it.
function onCameraCode(text) {
  const now = Date.now();
  const again = text === lastCode && now - lastCodeAt < 3000;
  lastCode = text;
  lastCodeAt = now;
  if (!again) submit(text);
}

async function startCamera() {
  const button = $("camera-button");
  button.disabled = true;
  try {
    await camera.start();
    stats.reader = camera.readerName;
    button.textContent = "Stop camera";
    state.prefs.camera = true;
  } catch (err) {
    $("camera-status").textContent = err.message;
    state.prefs.camera = false;
  } finally {
    button.disabled = false;
    await savePrefs();
  }
}

$("camera-button").addEventListener("click", async () => {
  if (camera.running) {
    camera.stop();
    $("camera-button").textContent = "Start camera";
    state.prefs.camera = false;
    await savePrefs();
  } else {
    await startCamera();
  }
});

setInterval(() => {
  stats.decodes = camera.decodes;
  stats.decodeMs = camera.decodeMs;
}, 200);

// Forgetting the device.
$("forget-button").addEventListener("click", () => {
  const n = state.scans.filter(waiting).length;
  $("forget-question").textContent = n
    ? "Forget this device? " + n + (n === 1 ? " scan has" : " scans have") + " not been uploaded yet and will be lost. Its setup, ticket list and scans are removed from this phone."
    : "Forget this device? Its setup, ticket list and scans are removed from this phone.";
  $("forget-confirm").hidden = false;
  $("forget-button").hidden = true;
  $("forget-no").focus();
});

$("forget-no").addEventListener("click", () => {
  $("forget-confirm").hidden = true;
  $("forget-button").hidden = false;
  $("forget-button").focus();
});

$("forget-yes").addEventListener("click", async () => {
  camera.stop();
  await store.clear();
  Object.assign(state, { device: null, bundle: null, prepared: null, scans: [], inside: new Map(), previous: new Map(), problem: "" });
  stats.hasBundle = false;
  state.prefs = { list: "default", direction: "entry", sound: true, camera: false };
  $("forget-confirm").hidden = true;
  $("forget-button").hidden = false;
  $("device").open = false;
  $("notice").hidden = true;
  $("server-notice").hidden = true;
  setProblem("");
  showResult({ kind: "idle", title: "Ready to scan", detail: "Scan a ticket's QR code.", facts: [] });
  showSetup();
  $("setup-title").focus();
});

$("device-problem-setup").addEventListener("click", () => {
  $("device").open = true;
  $("forget-button").click();
});

// ---- Network ----

addEventListener("online", () => {
  state.reachable = true;
  render();
  fetchBundle();
  pump();
});
addEventListener("offline", render);
setInterval(() => {
  if (navigator.onLine) fetchBundle();
}, cfg.bundleEveryMs);
setInterval(() => {
  if (navigator.onLine) pump();
  render();
}, cfg.retryEveryMs);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/door/sw.js", { scope: "/door/" }).catch((err) => {
    stats.serviceWorker = "not installed: " + err.message;
  });
}

start().catch((err) => {
  show("setup");
  setupError("The scanner could not start: " + err.message + ". This browser may not keep data for this site (private browsing?).");
});
