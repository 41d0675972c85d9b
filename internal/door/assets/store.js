// What the scanner keeps in the browser, in IndexedDB: the device's setup
// (event id and token), the event's bundle, every scan with its answer,
// and the door staff's choices. Nothing of it leaves the device but the
// scans, uploaded to the door API.

const NAME = "admit-door";
const VERSION = 1;

// The object stores: settings by key ("device", "prefs"), bundles by
// event id, scans by nonce.
const STORES = ["settings", "bundles", "scans"];

let db = null;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// open opens the database, making it on first use.
export async function open() {
  if (db) return db;
  const r = indexedDB.open(NAME, VERSION);
  r.onupgradeneeded = () => {
    const d = r.result;
    if (!d.objectStoreNames.contains("settings")) d.createObjectStore("settings");
    if (!d.objectStoreNames.contains("bundles")) d.createObjectStore("bundles");
    if (!d.objectStoreNames.contains("scans")) d.createObjectStore("scans", { keyPath: "nonce" });
  };
  db = await request(r);
  db.onversionchange = () => {
    db.close();
    db = null;
  };
  return db;
}

async function tx(store, mode, fn) {
  const d = await open();
  const t = d.transaction(store, mode);
  const done = new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB: the transaction was aborted"));
  });
  const result = await request(fn(t.objectStore(store)));
  await done;
  return result;
}

export const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
export const put = (store, value, key) => tx(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
export const del = (store, key) => tx(store, "readwrite", (s) => s.delete(key));
export const all = (store) => tx(store, "readonly", (s) => s.getAll());

// clear forgets everything the scanner keeps.
export async function clear() {
  for (const store of STORES) await tx(store, "readwrite", (s) => s.clear());
}
