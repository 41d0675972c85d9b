// The door scanner's service worker: it keeps the app shell (the page, its
// scripts and styles, the QR code reader) in a cache named after the
// release, so the scanner opens with no network. The server fills in the
// release and the shell's list. The API is never cached: the page keeps
// the event's bundle and its scans in IndexedDB itself.
"use strict";

const VERSION = "__DOOR_VERSION__";
const SHELL = ["__DOOR_SHELL__"];
const CACHE = "admit-door-" + VERSION;

self.addEventListener("install", (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL.map((u) => new Request(u, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("admit-door-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  // The shell from the cache (it is this release's), else the network.
  e.respondWith(caches.open(CACHE).then((c) => c.match(url.pathname).then((hit) => hit || fetch(req))));
});

self.addEventListener("message", (e) => {
  if (e.data === "version" && e.source) e.source.postMessage({ version: VERSION });
});
