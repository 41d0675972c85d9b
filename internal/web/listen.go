package web

import (
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// NewHTTPServer returns the http.Server admit serves h with, its limits set
// for an on-sale: thousands of keep-alive connections from buyers, small
// requests, and no slow client allowed to hold a connection for long.
func NewHTTPServer(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,  // slow headers (slowloris) are cut off
		ReadTimeout:       15 * time.Second, // a body is at most 64 KiB
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second, // idle buyers give their connection back
		MaxHeaderBytes:    16 << 10,         // a bearer token and a few headers; 431 beyond
		ErrorLog:          errLog,
	}
}

// DefaultMaxConns is how many connections a node serves at once by default.
const DefaultMaxConns = 16_384

// LimitListener accepts at most n connections at a time; beyond that,
// connections wait in the kernel's accept queue until one closes, so a
// flood cannot exhaust the process's file descriptors.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
