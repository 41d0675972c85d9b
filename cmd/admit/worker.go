package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/admit-org/admit/internal/worker"
)

// workerCmd is "admit worker parked" and "admit worker retry ID": the
// entries the side-effect workers (mail, payments) parked, and a retry of
// one. docs/workers.md.
func workerCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{`"admit worker" needs a subcommand: admit worker parked, or admit worker retry ID`}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, "Usage:\n  admit worker parked [flags]     list the entries the workers parked\n"+
			"  admit worker retry [flags] ID   ask the worker to handle one again\n\n"+workerHelp+"\n")
		return errHelp
	case "parked":
		return workerParked(ctx, args[1:], getenv, stdout, stderr)
	case "retry":
		return workerRetry(ctx, args[1:], getenv, stdout, stderr)
	}
	return &usageError{fmt.Sprintf("unknown subcommand %q of admit worker: want parked or retry", args[0])}
}

const workerHelp = `It reaches the running admit serve through the data directory (--data), or
opens the store itself while serve is stopped; in a cluster, give --nats. The
running worker takes a retry at once.`

// openParking opens the bucket of parked entries in the store reachStore
// reaches.
func openParking(ctx context.Context, sf storeFlags, stderr io.Writer) (*worker.KVParking, func(), error) {
	nc, replicas, closeStore, err := reachStore(ctx, sf, stderr)
	if err != nil {
		return nil, nil, err
	}
	parking, err := worker.OpenKVParking(ctx, nc, replicas)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return parking, closeStore, nil
}

func workerParked(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("worker parked", "Lists the ledger entries the workers (mail, payments) parked: those whose side effect\nfailed for good or kept failing, with the last error. "+workerHelp, getenv, stderr)
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	parking, closeStore, err := openParking(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	list, err := parking.List(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no parked entries")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTYPE\tATTEMPTS\tPARKED AT\tRETRY\tERROR")
	for _, p := range list {
		retry := ""
		if p.Retry {
			retry = "asked"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Type, strconv.Itoa(p.Attempts), p.ParkedAt.Format(time.RFC3339),
			retry, oneLine(p.Error))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d parked; retry one with: admit worker retry ID\n", len(list))
	return nil
}

func workerRetry(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("worker retry", "Asks the worker to handle a parked entry again (ID as admit worker parked lists it). If it\nsucceeds, the entry is unparked; if not, it is parked again with the new error.\n"+workerHelp, getenv, stderr)
	f.synopsis = "admit worker retry [flags] ID"
	sf := addStoreFlags(f)
	rest, err := f.parseArgs(args, 1)
	if err != nil {
		return err
	}
	parking, closeStore, err := openParking(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	p, err := parking.Retry(ctx, rest[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retry asked for %s (%s); the %s worker takes it when it runs\n", p.ID, p.Type, p.Worker)
	return nil
}

// oneLine keeps an error on one line of the table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
