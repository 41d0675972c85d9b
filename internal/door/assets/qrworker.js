// The QR code reader for browsers without a BarcodeDetector, in a worker
// so that decoding never holds up the page: Go's qrdecode compiled to
// WebAssembly (qr.wasm, started with Go's wasm_exec.js). The page posts
// {id, pixels (an ArrayBuffer of RGBA), width, height}; the worker answers
// {id, text} with the code's text or null, or {id, error}.
"use strict";

importScripts("/door/wasm_exec.js");

async function load() {
  const go = new Go();
  const res = await fetch("/door/qr.wasm");
  if (!res.ok) throw new Error("the QR code reader could not be loaded (HTTP " + res.status + ")");
  const { instance } = await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject);
  go.run(instance); // defines admitDecodeQR, then waits for calls
}

const ready = load();

onmessage = async (e) => {
  const { id, pixels, width, height } = e.data;
  try {
    await ready;
    const text = self.admitDecodeQR(new Uint8ClampedArray(pixels), width, height);
    if (text instanceof Error) throw text;
    postMessage({ id, text });
  } catch (err) {
    postMessage({ id, error: String((err && err.message) || err) });
  }
};
