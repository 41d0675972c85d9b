package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token create", "Makes a new API token for an organizer and prints it once. Run it while admit serve is\nstopped (it uses the same data directory), or against the cluster with --nats.", getenv, stderr)
	org := f.String("organizer", "", "id of the organizer (or_…), as GET /api/v1/organizer shows it")
	name := f.String("name", "cli", "a name to recognise the token by")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return &usageError{"--organizer is required: the organizer's id, as GET /api/v1/organizer shows it"}
	}
	log, err := newLogger(stderr, "text", "warn")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, sf, log)
	if err != nil {
		return err
	}
	defer st.close()
	desk := &organizer.Desk{Ledger: st.led, Now: time.Now}
	token, err := desk.CreateToken(ctx, *org, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func organizerCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("organizer create", "Adds an organizer (a tenant with its own events) and prints its first API token once.\nRun it while admit serve is stopped, or against the cluster with --nats.", getenv, stderr)
	name := f.String("name", "", "the organizer's name")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *name == "" {
		return &usageError{"--name is required"}
	}
	log, err := newLogger(stderr, "text", "warn")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, sf, log)
	if err != nil {
		return err
	}
	defer st.close()
	desk := &organizer.Desk{Ledger: st.led, Now: time.Now}
	orgID, token, err := desk.Create(ctx, *name, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "organizer: %s\ntoken: %s\n", orgID, token)
	return nil
}

func reindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("reindex", "Rebuilds the read model (SQLite) from the ledger. Run it while admit serve is stopped.", getenv, stderr)
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := newLogger(stderr, "text", "warn")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, sf, log)
	if err != nil {
		return err
	}
	defer st.close()
	db, err := openReadModel(st.dir)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Rebuild(ctx, st.led); err != nil {
		return err
	}
	pos, err := db.Position(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "read model rebuilt up to ledger sequence %d in %s\n", pos, time.Since(start).Round(time.Millisecond))
	return nil
}

// openReadModel opens the read model of a data directory.
func openReadModel(dir string) (*sqlite.DB, error) {
	return sqlite.Open(filepath.Join(dir, "readmodel.db"))
}
