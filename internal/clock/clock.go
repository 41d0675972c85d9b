// Package clock lets components that wait for time take the clock as a
// dependency, so tests can move time forward by hand.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that components use, with deadlines
// given as absolute times (so a fake clock moving between reading the time
// and arming the timer cannot shift the deadline).
type Timer interface {
	C() <-chan time.Time
	ResetAt(at time.Time)
	Stop()
}

// Real is the system clock.
type Real struct{}

// Now returns the current time.
func (Real) Now() time.Time { return time.Now() }

// NewTimer returns a timer that fires after d.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time  { return r.t.C }
func (r realTimer) ResetAt(at time.Time) { r.t.Reset(time.Until(at)) }
func (r realTimer) Stop()                { r.t.Stop() }

// Fake is a clock that only moves when Advance or Set is called. It is safe
// for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a fake clock showing now.
func NewFake(now time.Time) *Fake { return &Fake{now: now} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the time forward by d and fires the timers that are due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	now := f.now
	var due []*fakeTimer
	for _, t := range f.timers {
		if t.armed && !t.at.After(now) {
			t.armed = false
			due = append(due, t)
		}
	}
	f.mu.Unlock()
	for _, t := range due {
		select {
		case t.c <- now:
		default:
		}
	}
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	t.ResetAt(f.Now().Add(d))
	return t
}

type fakeTimer struct {
	f     *Fake
	c     chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) ResetAt(at time.Time) {
	t.f.mu.Lock()
	t.at = at
	t.armed = true
	fire := !at.After(t.f.now)
	if fire {
		t.armed = false
	}
	now := t.f.now
	t.f.mu.Unlock()
	if fire {
		select {
		case t.c <- now:
		default:
		}
	}
}

func (t *fakeTimer) Stop() {
	t.f.mu.Lock()
	t.armed = false
	t.f.mu.Unlock()
}
