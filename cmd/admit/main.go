// Command admit is the ticketing platform: `admit serve` runs it, and the
// other subcommands administer it. See `admit help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "time/tzdata" // time zones validate the same on every machine
)

// gcPercent is admit's GOGC unless the environment sets one. The hot path
// allocates little but often, against a live heap of every hold of an
// on-sale; collecting at 5× the live heap instead of 2× measured 35–45 %
// more holds/s in "admit bench onsale --target engine", for memory.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errHelp) {
		fmt.Fprintln(os.Stderr, "admit:", err)
		os.Exit(exitCode(err))
	}
}
