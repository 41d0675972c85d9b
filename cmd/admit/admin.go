package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token create", "Makes a new API token for an organizer and prints it once. Run it while admit serve is\nstopped (it uses the same data directory), or against the cluster with --nats.\n\"admit organizer list\" shows the organizers.", getenv, stderr)
	org := f.String("organizer", "", "the organizer: its id (or_…) or its name, as admit organizer list shows them")
	name := f.String("name", "cli", "a name to recognise the token by")
	role := f.String("role", "owner", "what the token may do: owner, admin, box_office, door or viewer")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return &usageError{"--organizer is required: the organizer's id (or_…) or name, as admit organizer list shows them"}
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return &usageError{"--role: " + fault.As(err).Message}
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		o, err := findOrganizer(ctx, db, *org)
		if err != nil {
			return err
		}
		issued, err := (&organizer.Desk{Ledger: st.led, Now: time.Now}).CreateToken(ctx, operator(o.ID), o.ID, *name, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "API token %s (%s, role %s) of organizer %s (%s); shown once, keep it:\n", issued.TokenID, *name, r, o.ID, o.Name)
		fmt.Fprintln(stdout, issued.Token)
		return nil
	})
}

func tokenList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token list", "Lists API tokens: id, organizer, name, when made and when revoked; never their secrets.\nRun it while admit serve is stopped, or against the cluster with --nats.", getenv, stderr)
	org := f.String("organizer", "", "only this organizer's tokens: its id (or_…) or its name; default: every organizer's")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		orgID := ""
		if *org != "" {
			o, err := findOrganizer(ctx, db, *org)
			if err != nil {
				return err
			}
			orgID = o.ID
		}
		tokens, err := db.ListTokens(ctx, orgID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tORGANIZER\tNAME\tROLE\tCREATED\tREVOKED")
		for _, t := range tokens {
			revoked := "-"
			if !t.RevokedAt.IsZero() {
				revoked = t.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.OrganizerID, t.Name, t.Role, t.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	})
}

func tokenRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token revoke", "Revokes an API token: it no longer grants access (a running cluster's nodes refuse it\nwithin moments). The id is the token's (tk_…), as admit token list shows it, not its\nsecret. Run it while admit serve is stopped, or against the cluster with --nats.", getenv, stderr)
	f.synopsis = "admit token revoke [flags] TOKEN_ID"
	sf := addStoreFlags(f)
	ids, err := f.parseArgs(args, 1)
	if err != nil {
		return err
	}
	tokenID := strings.TrimSpace(ids[0])
	if organizer.LooksLikeToken(tokenID) {
		return &usageError{"that is a token's secret; give its id (tk_…), as admit token list shows it"}
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		t, err := db.Token(ctx, tokenID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no API token %s (admit token list shows them)", tokenID)
		}
		if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			fmt.Fprintf(stdout, "API token %s (%s) of organizer %s was revoked already, at %s\n", t.ID, t.Name, t.OrganizerID,
				t.RevokedAt.UTC().Format(time.RFC3339))
			return nil
		}
		if _, err := (&organizer.Desk{Ledger: st.led, Now: time.Now}).RevokeToken(ctx, operator(t.OrganizerID), t.OrganizerID, t.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked API token %s (%s) of organizer %s\n", t.ID, t.Name, t.OrganizerID)
		return nil
	})
}

// operator is whoever runs admit's commands on its data directory or
// cluster: admit itself, with every right in the organizer.
func operator(organizerID string) access.Actor {
	return access.Actor{Kind: access.System, OrganizerID: organizerID, Role: access.Owner}
}

func organizerList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("organizer list", "Lists the organizers: id, name, when made, and how many API tokens are valid.\nRun it while admit serve is stopped, or against the cluster with --nats.", getenv, stderr)
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		orgs, err := db.ListOrganizers(ctx)
		if err != nil {
			return err
		}
		tokens, err := db.ListTokens(ctx, "")
		if err != nil {
			return err
		}
		valid := map[string]int{}
		for _, t := range tokens {
			if t.RevokedAt.IsZero() {
				valid[t.OrganizerID]++
			}
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tVALID TOKENS")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", o.ID, o.Name, o.CreatedAt.UTC().Format(time.RFC3339), valid[o.ID])
		}
		return tw.Flush()
	})
}

// withReadModel opens the data directory and its read model, brings the
// read model up to date with the ledger, and calls fn with both.
func withReadModel(ctx context.Context, sf storeFlags, stderr io.Writer, fn func(*store, *sqlite.DB) error) error {
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
	bg, stop := context.WithCancel(ctx)
	projErr := make(chan error, 1)
	go func() { projErr <- db.Run(bg, st.led) }()
	err = catchUp(ctx, st.led, db, projErr)
	if err == nil {
		err = fn(st, db)
	}
	stop()
	if perr := <-projErr; err == nil && perr != nil && !errors.Is(perr, context.Canceled) {
		err = fmt.Errorf("read model projection: %w", perr)
	}
	return err
}

// findOrganizer finds an organizer by id or else by name. Errors: NotFound;
// Invalid when several organizers have the name.
func findOrganizer(ctx context.Context, db *sqlite.DB, idOrName string) (sqlite.Organizer, error) {
	orgs, err := db.ListOrganizers(ctx)
	if err != nil {
		return sqlite.Organizer{}, err
	}
	var named []sqlite.Organizer
	for _, o := range orgs {
		if o.ID == idOrName {
			return o, nil
		}
		if o.Name == idOrName {
			named = append(named, o)
		}
	}
	switch len(named) {
	case 0:
		return sqlite.Organizer{}, fault.New(fault.NotFound, "no organizer has the id or name %q (admit organizer list shows them)", idOrName)
	case 1:
		return named[0], nil
	}
	ids := make([]string, len(named))
	for i, o := range named {
		ids[i] = o.ID
	}
	return sqlite.Organizer{}, &usageError{fmt.Sprintf("%d organizers are named %q: give the id of one (%s)", len(named), idOrName, strings.Join(ids, ", "))}
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
	made, err := desk.Found(ctx, *name, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "organizer: %s\ntoken: %s\nfirst owner's invitation (open it on the server's public URL): %s\n",
		made.OrganizerID, made.Token, links.Invitation(made.Owner.Token))
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
	fmt.Fprintf(stdout, "read model rebuilt up to ledger sequence %v in %s\n", pos, time.Since(start).Round(time.Millisecond))
	return nil
}

// openReadModel opens the read model of a data directory.
func openReadModel(dir string) (*sqlite.DB, error) {
	return sqlite.Open(filepath.Join(dir, "readmodel.db"))
}
