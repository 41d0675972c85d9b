package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	featureflags "github.com/admit-org/admit/internal/flags"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

// flagsCmd is "admit flags list|set|unset": the feature flags stored in
// the KV bucket ADMIT_FLAGS, which every running node watches.
// docs/operating.md, "Feature flags".
func flagsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{`"admit flags" needs a subcommand: admit flags list, admit flags set NAME VALUE, or admit flags unset NAME`}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, "Usage:\n"+
			"  admit flags list [flags]               the known flags, their defaults and what is stored\n"+
			"  admit flags set [flags] NAME VALUE     store a value: for everyone, one event (--event) or a share (--percent)\n"+
			"  admit flags unset [flags] NAME         back to the default (or drop one --event, or --rollout)\n\n"+
			flagsHelp+"\n")
		return errHelp
	case "list":
		return flagsList(ctx, args[1:], getenv, stdout, stderr)
	case "set":
		return flagsSet(ctx, args[1:], getenv, stdout, stderr)
	case "unset":
		return flagsUnset(ctx, args[1:], getenv, stdout, stderr)
	}
	return &usageError{fmt.Sprintf("unknown subcommand %q of admit flags: want list, set or unset", args[0])}
}

const flagsHelp = `Every running node watches the flags: a change applies on all of them within
a second, with no restart. On a single node it reaches the running admit serve
through the data directory (--data), or opens the store itself when serve is
stopped; in a cluster, give --nats. See docs/operating.md, "Feature flags".`

// openFlags opens the flags' bucket in the store reachStore reaches.
func openFlags(ctx context.Context, sf storeFlags, stderr io.Writer) (jetstream.KeyValue, func(), error) {
	nc, replicas, closeStore, err := reachStore(ctx, sf, stderr)
	if err != nil {
		return nil, nil, err
	}
	kv, err := featureflags.OpenBucket(ctx, nc, replicas)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return kv, closeStore, nil
}

// reachStore connects to the NATS that keeps the store's buckets: the
// cluster with --nats; else the data directory's embedded store, opened
// here; else, while admit serve runs on it, that serve's store, through
// the address it wrote in the data directory. It returns the connection,
// the replicas of new buckets, and what closes it.
func reachStore(ctx context.Context, sf storeFlags, stderr io.Writer) (*nats.Conn, int, func(), error) {
	log, err := newLogger(stderr, "text", "warn")
	if err != nil {
		return nil, 0, nil, err
	}
	if *sf.nats != "" {
		led, err := ledger.Open(ctx, ledger.Config{URL: *sf.nats, UnsafeLazyFsync: *sf.unsafe, Logger: log})
		if err != nil {
			return nil, 0, nil, err
		}
		return led.Conn(), led.Replicas(), func() { led.Close() }, nil
	}
	st, err := openStore(ctx, sf, log)
	if err == nil {
		return st.led.Conn(), st.led.Replicas(), st.close, nil
	}
	if !errors.Is(err, errDirInUse) {
		return nil, 0, nil, err
	}
	dir, aerr := filepath.Abs(*sf.data)
	if aerr != nil {
		return nil, 0, nil, aerr
	}
	nc, cerr := ledger.ConnectLocal(dir)
	if errors.Is(cerr, os.ErrNotExist) {
		return nil, 0, nil, fmt.Errorf("%w; and it wrote no %s to reach its store (an admit serve of an older version, or with --nats: then give --nats)",
			err, ledger.LocalAccessFile)
	}
	if cerr != nil {
		return nil, 0, nil, cerr
	}
	return nc, 1, nc.Close, nil
}

// knownFlag is the flag called name, or a usage error listing the flags.
func knownFlag(name string) (featureflags.Flag, error) {
	f, ok := featureflags.Lookup(name)
	if !ok {
		return f, &usageError{fmt.Sprintf("unknown flag %q; the flags are: %s (admit flags list)", name, featureflags.Names())}
	}
	return f, nil
}

func flagsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("flags list", "Lists the feature flags admit knows: kind, default, what is stored and what each does.\n"+flagsHelp, getenv, stderr)
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	kv, closeKV, err := openFlags(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeKV()
	list, unknown, err := featureflags.List(ctx, kv)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tDEFAULT\tSTORED\tDESCRIPTION")
	for _, e := range list {
		stored := "-"
		switch {
		case e.Invalid != nil:
			stored = "invalid, the default applies: " + oneLine(e.Invalid.Error())
		case e.Stored != nil:
			stored = e.Stored.String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Flag.Name, e.Flag.Kind, featureflags.FormatValue(e.Flag.Default), stored, e.Flag.Description)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, name := range unknown {
		fmt.Fprintf(stdout, "stored but unknown to this version (ignored): %s\n", name)
	}
	return nil
}

func flagsSet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("flags set", "Stores VALUE for the flag NAME: for every event, or for one event with --event, or for a\n"+
		"stable share of the events with --percent (the same events stay in as it rises).\n"+
		"What else is stored for the flag stays. "+flagsHelp, getenv, stderr)
	f.synopsis = "admit flags set [flags] NAME VALUE"
	event := f.String("event", "", "store the value for this event only (ev_…), whatever else is stored")
	percent := f.String("percent", "", "store the value for this share of the events, 0 to 100 (e.g. 5 or 12.5): a gradual rollout")
	sf := addStoreFlags(f)
	pos, err := f.parseArgs(args, 2)
	if err != nil {
		return err
	}
	fl, err := knownFlag(pos[0])
	if err != nil {
		return err
	}
	v, err := fl.ParseValue(pos[1])
	if err != nil {
		return &usageError{err.Error()}
	}
	if *event != "" && *percent != "" {
		return &usageError{"give --event or --percent, not both"}
	}
	if *event != "" && !id.ValidSharded(*event, "ev", id.Short) {
		return &usageError{fmt.Sprintf("--event %q is not an event id (ev_…)", *event)}
	}
	var pct float64
	if *percent != "" {
		pct, err = strconv.ParseFloat(*percent, 64)
		if err != nil || !(pct >= 0 && pct <= 100) {
			return &usageError{fmt.Sprintf("--percent %q: want a number from 0 to 100", *percent)}
		}
	}
	kv, closeKV, err := openFlags(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeKV()
	now, err := featureflags.Change(ctx, kv, fl, func(s *featureflags.Stored) error {
		switch {
		case *event != "":
			if s.Targets == nil {
				s.Targets = map[string]any{}
			}
			s.Targets[*event] = v
		case *percent != "":
			s.Rollout = &featureflags.Rollout{Percent: pct, Value: v}
		default:
			s.Value = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s = %s; every running node applies it within a second\n", fl.Name, storedText(now))
	return nil
}

func flagsUnset(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("flags unset", "Removes what is stored for the flag NAME, which then has its default; with --event, only\n"+
		"that event's value; with --rollout, only the rollout. "+flagsHelp, getenv, stderr)
	f.synopsis = "admit flags unset [flags] NAME"
	event := f.String("event", "", "remove only this event's value (ev_…)")
	rollout := f.Bool("rollout", false, "remove only the rollout")
	sf := addStoreFlags(f)
	pos, err := f.parseArgs(args, 1)
	if err != nil {
		return err
	}
	fl, err := knownFlag(pos[0])
	if err != nil {
		return err
	}
	if *event != "" && *rollout {
		return &usageError{"give --event or --rollout, not both"}
	}
	kv, closeKV, err := openFlags(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeKV()
	now, err := featureflags.Change(ctx, kv, fl, func(s *featureflags.Stored) error {
		switch {
		case *event != "":
			delete(s.Targets, *event)
		case *rollout:
			s.Rollout = nil
		default:
			*s = featureflags.Stored{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s = %s; every running node applies it within a second\n", fl.Name, storedText(now))
	return nil
}

// storedText is what is stored, or that the default applies.
func storedText(s *featureflags.Stored) string {
	if s == nil {
		return "its default (nothing stored)"
	}
	return s.String()
}
