package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpOnStdoutMistakesOnStderr: asked-for help goes to stdout, once;
// a mistake's usage goes to stderr.
func TestHelpOnStdoutMistakesOnStderr(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "serve"}, {"serve", "--help"}, {"ticket", "verify", "-h"},
		{"token", "revoke", "--help"}, {"organizer", "list", "--help"}, {"help", "bench"}, {"flags", "--help"}, {"help", "flags"},
		{"flags", "set", "--help"}, {"flags", "unset", "-h"}, {"flags", "list", "--help"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, noEnv, &out, &errOut)
		if err != errHelp || errOut.Len() > 0 || strings.Count(out.String(), "Usage:") != 1 {
			t.Errorf("admit %s: %v; stdout %d bytes with %d Usage:, stderr %q; want the help once on stdout",
				strings.Join(args, " "), err, out.Len(), strings.Count(out.String(), "Usage:"), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--nope"}, noEnv, &out, &errOut)
	if exitCode(err) != 2 || out.Len() > 0 || !strings.Contains(errOut.String(), "Usage: admit serve") {
		t.Errorf("serve --nope: %v; stdout %q, stderr %q; want the usage on stderr", err, out.String(), errOut.String())
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, noEnv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "admit ") || !strings.Contains(lines[0], "go1.") || !strings.HasPrefix(lines[1], "revision ") {
		t.Fatalf("admit version:\n%s", out.String())
	}
}
