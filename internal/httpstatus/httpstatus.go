// Package httpstatus tells middleware which status code a handler wrote.
package httpstatus

import "net/http"

// Writer is a ResponseWriter that remembers the status code written.
type Writer struct {
	http.ResponseWriter
	code int
}

// Wrap returns w wrapped.
func Wrap(w http.ResponseWriter) *Writer { return &Writer{ResponseWriter: w} }

// Code is the status code written: 200 when the handler wrote a body
// without one, or nothing at all.
func (w *Writer) Code() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *Writer) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Writer) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing, deadlines).
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
