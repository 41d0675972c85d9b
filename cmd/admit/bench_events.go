package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/admit-org/admit/internal/bench"
	"github.com/admit-org/admit/internal/office"
	"github.com/mattn/go-isatty"
)

// benchEvents runs the many-events benchmark against admit serve in this
// process (its memory is what is measured).
func benchEvents(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench events", `Creates --events events through the organizer API of an admit server running
in this process, reads each once, and reports the process's resident memory
(VmRSS) and Go heap: before, after the reads, and once the idle box offices
have unloaded (after --idle plus a few seconds). See docs/bench.md.`, getenv, stderr)
	events := f.Int("events", 100_000, "events to create and read")
	clients := f.Int("clients", 16, "concurrent API clients")
	idle := f.Duration("idle", office.DefaultIdleTimeout, "the server's --office-idle-timeout")
	asJSON := f.Bool("json", false, "print the result as JSON")
	memProfile := f.String("memprofile", "", "write heap profiles to FILE.read (after the reads) and FILE (once the box offices unloaded)")
	if err := f.parse(args); err != nil {
		return err
	}
	switch {
	case *events < 1 || *events > 10_000_000:
		return &usageError{"--events must be between 1 and 10000000"}
	case *clients < 1 || *clients > 1000:
		return &usageError{"--clients must be between 1 and 1000"}
	case *idle <= 0:
		return &usageError{"--idle must be positive: the benchmark measures unloaded events"}
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 4096 // before the server allocates: a finer profile
	}
	srv, err := startInProcess(ctx, "--max-events-per-organizer", strconv.Itoa(*events),
		"--office-idle-timeout", idle.String())
	if err != nil {
		return err
	}
	defer os.RemoveAll(srv.root)
	defer srv.stop()
	var progress io.Writer
	if fd, ok := stderr.(*os.File); ok && isatty.IsTerminal(fd.Fd()) {
		progress = stderr
	}
	cfg := bench.EventsConfig{Events: *events, Clients: *clients, Settle: *idle + 5*time.Second, Progress: progress}
	var profErr error
	if *memProfile != "" {
		cfg.Loaded = func() { profErr = writeHeapProfile(*memProfile + ".read") }
	}
	res, err := bench.Events(ctx, srv.url, srv.token, cfg)
	if err != nil {
		return err
	}
	if *memProfile != "" {
		if err := errors.Join(profErr, writeHeapProfile(*memProfile)); err != nil {
			return err
		}
	}
	if *asJSON {
		writeIndentedJSON(stdout, res)
		return nil
	}
	mib := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	kib := func(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }
	fmt.Fprintf(stdout, "events:           %d created in %s (%.0f/s), read once each in %s (%.0f/s), %d clients\n",
		res.Events, res.Create.Round(time.Millisecond), float64(res.Events)/res.Create.Seconds(),
		res.Read.Round(time.Millisecond), float64(res.Events)/res.Read.Seconds(), *clients)
	if res.Retried > 0 {
		fmt.Fprintf(stdout, "retried:          %d answers 503 (unavailable), each after a second\n", res.Retried)
	}
	fmt.Fprintf(stdout, "before:           RSS %s, heap %s\n", mib(res.Before.RSS), mib(res.Before.Heap))
	fmt.Fprintf(stdout, "after the reads:  RSS %s, heap %s (peak RSS %s); per event RSS %s, heap %s\n",
		mib(res.AfterRead.RSS), mib(res.AfterRead.Heap), mib(res.AfterRead.Peak), kib(res.PerEventRSS), kib(res.PerEventHeap))
	fmt.Fprintf(stdout, "unloaded (%s idle): RSS %s, heap %s; per idle event RSS %s, heap %s\n", *idle,
		mib(res.Unloaded.RSS), mib(res.Unloaded.Heap), kib(res.PerIdleEventRSS), kib(res.PerIdleEventHeap))
	return nil
}

func writeHeapProfile(name string) error {
	pf, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(pf); err != nil {
		pf.Close()
		return err
	}
	return pf.Close()
}
