package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/organizer"
	"github.com/admit-org/admit/internal/sqlite"
)

// memberInvite makes an invitation from the command line: how an operator
// lets someone into an organizer's console who nobody there can invite
// (its owners forgot their passwords or left).
func memberInvite(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("member invite", "Makes an invitation to an organizer's console and prints its link once: whoever opens\nit chooses a name and a password and joins with the role. Run it while admit serve is\nstopped (it uses the same data directory), or against the cluster with --nats.", getenv, stderr)
	org := f.String("organizer", "", "the organizer: its id (or_…) or its name, as admit organizer list shows them")
	email := f.String("email", "", "whom it is for; default: none, whoever opens the link gives theirs")
	role := f.String("role", "owner", "the role: owner, admin, box_office, door or viewer")
	publicURL := f.String("public-url", "", "the server's public URL, to print the whole link; default: the path alone")
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
	base, err := links.Parse(*publicURL)
	if *publicURL != "" && err != nil {
		return &usageError{"--public-url: " + err.Error()}
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		o, err := findOrganizer(ctx, db, *org)
		if err != nil {
			return err
		}
		inv, err := (&organizer.Desk{Ledger: st.led, Now: time.Now}).Invite(ctx, operator(o.ID), o.ID, *email, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "invitation to %s (%s) as %s, valid until %s; shown once:\n", o.Name, o.ID, r.Label(),
			inv.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, base.URL(links.Invitation(inv.Token)))
		return nil
	})
}

func memberList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("member list", "Lists an organizer's members and open invitations: id, e-mail, name, role, joined.\nRun it while admit serve is stopped, or against the cluster with --nats.", getenv, stderr)
	org := f.String("organizer", "", "the organizer: its id (or_…) or its name")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return &usageError{"--organizer is required: the organizer's id (or_…) or name, as admit organizer list shows them"}
	}
	return withReadModel(ctx, sf, stderr, func(st *store, db *sqlite.DB) error {
		o, err := findOrganizer(ctx, db, *org)
		if err != nil {
			return err
		}
		ms, err := db.ListMembers(ctx, o.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tJOINED")
		for _, m := range ms {
			joined := "invited"
			if !m.JoinedAt.IsZero() {
				joined = m.JoinedAt.UTC().Format(time.RFC3339)
			}
			email, name := m.Email, m.Name
			if email == "" {
				email = "-"
			}
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, email, name, m.Role, joined)
		}
		return tw.Flush()
	})
}
