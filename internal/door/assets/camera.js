// The camera: the rear camera's picture, a few frames a second downscaled
// and searched for a QR code, with the browser's BarcodeDetector where
// there is one, else with the WebAssembly reader in qrworker.js.

const EVERY_MS = 200; // five frames a second: enough for a person holding up a phone
const MAX_SIDE = 640; // frames are decoded at most this many pixels wide or high

export class Camera {
  // video is the <video> that shows the picture; onCode(text) gets each
  // code read; onStatus(text) gets what to tell the person.
  constructor(video, onCode, onStatus) {
    this.video = video;
    this.onCode = onCode;
    this.onStatus = onStatus;
    this.stream = null;
    this.timer = 0;
    this.canvas = document.createElement("canvas");
    this.busy = false;
    this.reader = null;
    this.readerName = "";
    this.decodes = 0; // frames decoded, for tests and the status
    this.decodeMs = 0; // how long the last one took, drawing included
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (this.stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser gives no access to a camera here. Type the code, or use a handheld scanner.");
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (err) {
      throw new Error(cameraProblem(err));
    }
    if (!this.reader) [this.reader, this.readerName] = await newReader();
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    try {
      await this.video.play();
    } catch {
      // muted inline video plays without a gesture; if not, frames still arrive
    }
    this.onStatus("The camera is on: hold a ticket's QR code in front of it.");
    this.tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
    this.onStatus("The camera is off.");
  }

  tick() {
    this.timer = setTimeout(() => this.tick(), EVERY_MS);
    if (this.busy || this.video.readyState < 2 || !this.video.videoWidth) return;
    this.busy = true;
    this.frame()
      .then((text) => {
        if (text && this.stream) this.onCode(text);
      })
      .catch((err) => this.onStatus("The QR code reader failed: " + err.message))
      .finally(() => {
        this.busy = false;
      });
  }

  async frame() {
    const t0 = performance.now();
    try {
      return await this.decode();
    } finally {
      this.decodeMs = performance.now() - t0;
    }
  }

  async decode() {
    const v = this.video;
    const scale = Math.min(1, MAX_SIDE / Math.max(v.videoWidth, v.videoHeight));
    const w = Math.round(v.videoWidth * scale), h = Math.round(v.videoHeight * scale);
    this.canvas.width = w;
    this.canvas.height = h;
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(v, 0, 0, w, h);
    this.decodes++;
    return this.reader(this.canvas, ctx, w, h);
  }
}

// newReader returns a function that reads the code in a canvas, and its
// name: the BarcodeDetector if the browser has one for QR codes, else the
// worker.
async function newReader() {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        const read = async (canvas) => {
          const codes = await detector.detect(canvas);
          return codes.length ? codes[0].rawValue : null;
        };
        return [read, "the browser's BarcodeDetector"];
      }
    } catch {
      // no usable detector: the worker reads instead
    }
  }
  const worker = new Worker("/door/qrworker.js");
  const waiting = new Map();
  let next = 0;
  worker.onmessage = (e) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (!w) return;
    if (e.data.error) w.reject(new Error(e.data.error));
    else w.resolve(e.data.text);
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(e.message || "the QR code reader stopped"));
    waiting.clear();
  };
  const read = (canvas, ctx, w, h) =>
    new Promise((resolve, reject) => {
      const pixels = ctx.getImageData(0, 0, w, h).data.buffer;
      const id = ++next;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, pixels, width: w, height: h }, [pixels]);
    });
  return [read, "WebAssembly (gozxing)"];
}

// cameraProblem says in plain words why the camera did not start.
function cameraProblem(err) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The camera is blocked for this page. Allow it in the browser's site settings, or type the code, or use a handheld scanner.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "This device has no camera that can be used. Type the code, or use a handheld scanner.";
    case "NotReadableError":
      return "The camera is in use by another app. Close it and try again.";
    default:
      return "The camera did not start: " + ((err && err.message) || err);
  }
}
