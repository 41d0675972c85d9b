// Package qrdecode reads the text of a QR code in a camera frame. It wraps
// the QR code reader of github.com/makiuchi-d/gozxing and is what the door
// scanner runs, compiled to WebAssembly (package qrwasm), in browsers
// without a BarcodeDetector.
//
// The package is pure and keeps no state: Decode is safe for concurrent use.
package qrdecode
