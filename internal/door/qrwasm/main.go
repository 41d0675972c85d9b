//go:build js && wasm

// Command qrwasm is the door scanner's QR code reader for browsers without
// a BarcodeDetector: package qrdecode compiled to WebAssembly. Started with
// Go's wasm_exec.js, it defines one global function,
//
//	admitDecodeQR(pixels, width, height) → string | null
//
// where pixels is a Uint8Array or Uint8ClampedArray of width × height
// luminance bytes or RGBA quadruples (a canvas's ImageData.data). It
// answers the code's text, null when the frame holds no code that reads,
// or an Error (returned, not thrown: a Go function cannot throw) for
// arguments that are not such a frame. It then waits for calls until the
// page goes away.
//
// go generate ./internal/door builds it into internal/door/assets/qr.wasm.
package main

import (
	"errors"
	"syscall/js"

	"github.com/admit-org/admit/internal/door/qrdecode"
)

func main() {
	var buf []byte // reused: the scanner decodes one frame at a time
	u8, u8c := js.Global().Get("Uint8Array"), js.Global().Get("Uint8ClampedArray")
	js.Global().Set("admitDecodeQR", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 3 || !(args[0].InstanceOf(u8) || args[0].InstanceOf(u8c)) ||
			args[1].Type() != js.TypeNumber || args[2].Type() != js.TypeNumber {
			return jsError("admitDecodeQR(pixels, width, height): pixels is a Uint8Array, width and height are numbers")
		}
		n := args[0].Get("length").Int()
		if n > 4*qrdecode.MaxPixels {
			return jsError("admitDecodeQR: the frame is too large")
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		js.CopyBytesToGo(buf, args[0])
		text, err := qrdecode.Decode(buf, args[1].Int(), args[2].Int())
		switch {
		case errors.Is(err, qrdecode.ErrNotFound):
			return nil
		case err != nil:
			return jsError(err.Error())
		}
		return text
	}))
	select {} // keep the function alive
}

// jsError is a JavaScript Error with the message.
func jsError(msg string) js.Value { return js.Global().Get("Error").New(msg) }
