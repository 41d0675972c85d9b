// Package door is the door scanner: the web app that door staff open on a
// phone at the venue's door, served by admit at /door/. It is static — one
// page, its scripts, a web app manifest and a service worker, all embedded —
// and talks to the door API (GET …/door-bundle, POST …/scans) with the
// door device's token, which it keeps in the browser's storage.
//
// The app decides every scan on the device, from the event's bundle: it
// verifies the ticket secret's Ed25519 signature with WebCrypto and checks
// it against the bundle's revocations, tickets, lists and who is inside.
// It records each scan in IndexedDB and uploads it as an offline scan,
// retrying with the same nonce until the server answers, so the door keeps
// working without a network. It reads QR codes from the camera with the
// browser's BarcodeDetector where there is one, else with package qrdecode
// compiled to WebAssembly (assets/qr.wasm, built by genwasm), and takes
// codes typed by a keyboard-wedge scanner or by hand. docs/door.md is the
// guide for door staff.
//
// New returns the handler; it is safe for concurrent use.
package door

//go:generate go run ./genwasm -o assets
