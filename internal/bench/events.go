package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// EventsConfig is one run of the many-events benchmark.
type EventsConfig struct {
	Events   int           // events to create, then read once each
	Clients  int           // concurrent API clients
	Settle   time.Duration // how long to wait after the reads for idle box offices to unload
	Progress io.Writer     // nil: quiet
	Loaded   func()        // if set, called once every event was read, before the wait
}

// Memory is what the process holds, after a garbage collection that
// returned free memory to the system.
type Memory struct {
	RSS  uint64 `json:"rss_bytes"`  // resident set (VmRSS)
	Peak uint64 `json:"peak_bytes"` // the most resident so far (VmHWM)
	Heap uint64 `json:"heap_bytes"` // Go heap in use (HeapInuse)
}

// EventsResult is what a many-events run measured. The server runs in this
// process, so the figures include the benchmark's own small client.
type EventsResult struct {
	Events    int           `json:"events"`
	Create    time.Duration `json:"create_ns"`
	Read      time.Duration `json:"read_ns"`
	Before    Memory        `json:"before"`     // the server started, no event yet
	AfterRead Memory        `json:"after_read"` // every event created and read once
	Unloaded  Memory        `json:"unloaded"`   // after Settle: idle box offices unloaded
	// PerEvent is AfterRead minus Before, per event, and PerIdleEvent
	// Unloaded minus Before: what an idle, unloaded event costs.
	PerEventRSS, PerEventHeap         float64
	PerIdleEventRSS, PerIdleEventHeap float64
	// Retried counts the answers 503 (unavailable) that were retried, a
	// second later each, until they succeeded.
	Retried int64 `json:"retried_503"`
}

// Events creates cfg.Events events through the organizer API of the admit
// server at base, reads each once, and measures this process's memory
// before, after, and once the idle box offices unloaded. The server must
// run in this process for the figures to mean anything.
func Events(ctx context.Context, base, token string, cfg EventsConfig) (res EventsResult, err error) {
	a := NewAdmit(base, token, cfg.Clients)
	defer a.Close()
	res = EventsResult{Events: cfg.Events, Before: ReadMemory()}
	ids := make([]string, cfg.Events)
	var retried atomic.Int64
	defer func() { res.Retried = retried.Load() }()

	start := time.Now()
	if err := each(ctx, cfg, "created", func(i int) error {
		var ev struct {
			ID string `json:"id"`
		}
		err := retry(ctx, &retried, func() error {
			return a.api(ctx, "POST", "/api/v1/events", map[string]any{"name": "Event " + strconv.Itoa(i), "timezone": "UTC",
				"starts_at": "2030-01-01T19:00:00Z", "ends_at": "2030-01-01T23:00:00Z", "currency": "EUR"}, &ev)
		})
		ids[i] = ev.ID
		return err
	}); err != nil {
		return res, err
	}
	res.Create = time.Since(start)

	start = time.Now()
	if err := each(ctx, cfg, "read", func(i int) error {
		return retry(ctx, &retried, func() error { return a.api(ctx, "GET", "/api/v1/events/"+ids[i], nil, nil) })
	}); err != nil {
		return res, err
	}
	res.Read = time.Since(start)
	res.AfterRead = ReadMemory()
	if cfg.Loaded != nil {
		cfg.Loaded()
	}

	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "waiting %s for idle box offices to unload\n", cfg.Settle)
	}
	wait(ctx, cfg.Settle)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Unloaded = ReadMemory()
	n := float64(cfg.Events)
	res.PerEventRSS = (float64(res.AfterRead.RSS) - float64(res.Before.RSS)) / n
	res.PerEventHeap = (float64(res.AfterRead.Heap) - float64(res.Before.Heap)) / n
	res.PerIdleEventRSS = (float64(res.Unloaded.RSS) - float64(res.Before.RSS)) / n
	res.PerIdleEventHeap = (float64(res.Unloaded.Heap) - float64(res.Before.Heap)) / n
	return res, nil
}

// retry calls fn again after a second while it fails with 503, as a client
// told to retry would, at most 10 times, counting the retries in n.
func retry(ctx context.Context, n *atomic.Int64, fn func() error) error {
	for range 10 {
		err := fn()
		var status *statusError
		if !errors.As(err, &status) || status.code != http.StatusServiceUnavailable {
			return err
		}
		n.Add(1)
		wait(ctx, time.Second)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return fn()
}

// each runs fn(0) … fn(cfg.Events-1) on cfg.Clients goroutines, stopping at
// the first error.
func each(ctx context.Context, cfg EventsConfig, what string, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, done atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.Events {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = fmt.Errorf("event %d: %w", i, err); cancel() })
					return
				}
				if d := done.Add(1); cfg.Progress != nil && d%10_000 == 0 {
					fmt.Fprintf(cfg.Progress, "%d events %s\n", d, what)
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// ReadMemory collects garbage, returns free memory to the system, and
// reads what the process then holds.
func ReadMemory() Memory {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := Memory{Heap: ms.HeapInuse}
	m.RSS, m.Peak = procStatus("VmRSS:"), procStatus("VmHWM:")
	return m
}

// procStatus reads a size in kB from /proc/self/status, 0 where there is
// none (not Linux).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(field)); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
