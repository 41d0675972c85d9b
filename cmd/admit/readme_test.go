package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tourBlocks returns the README's curl tour: the ```sh blocks, at the start
// of a line, of the section "## A tour with curl".
func tourBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## A tour with curl\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for ok {
		var block string
		if _, section, ok = strings.Cut(section, "\n```sh\n"); ok {
			block, section, ok = strings.Cut(section, "\n```")
			blocks = append(blocks, block+"\n")
		}
	}
	if len(blocks) != 2 || !strings.Contains(blocks[0], "TOKEN=admit_…") {
		t.Fatalf("README.md has no curl tour: two ```sh blocks after \"## A tour with curl\", the first with TOKEN=admit_… (found %d)", len(blocks))
	}
	return blocks
}

// runTour runs script with bash -euo pipefail in a temporary directory, with
// TMPDIR there too, so that it writes nothing in the checkout.
func runTour(t *testing.T, tmp, script string) (string, error) {
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestREADMETour runs the README's curl tour, as written, against a fresh
// server, so the README stays true.
func TestREADMETour(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README tour needs curl, and this machine has none: install it (apt-get install curl)")
	}
	blocks := tourBlocks(t)
	a := startAdmit(t, t.TempDir())
	script := blocks[0]
	_, zbar := exec.LookPath("zbarimg")
	if zbar == nil {
		script += blocks[1]
	}
	script = strings.NewReplacer("http://127.0.0.1:8080", a.url, "TOKEN=admit_…", "TOKEN="+a.token,
		"go run ./cmd/admit ", mustBinary(t)+" ").Replace(script)
	tmp := t.TempDir()
	got, err := runTour(t, tmp, script)
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s", err, got)
	}
	want := []string{`"status":"on_sale"`, `"status":"active"`, `"status":"released"`, `"name":"Spring Concert"`}
	if zbar == nil {
		want = append(want, `"status":"paid"`, "signature OK", `"result":"ok"`, `"result":"already_checked_in"`,
			`"counts":{"in":1,"out":0,"admitted":1,"expected":2}`, `"status":"refunded"`)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the tour's output lacks %s:\n%s", w, got)
		}
	}
	if strings.Contains(got, "problem") || strings.Contains(got, `"code"`) {
		t.Errorf("the tour met an error:\n%s", got)
	}
	if zbar != nil {
		t.Skip("zbarimg is missing (apt-get install zbar-tools): the tour's second part, past the hold, did not run")
	}
	for _, f := range []string{"tickets.pdf", "ticket.png"} {
		if m, _ := filepath.Glob(filepath.Join(tmp, "*", f)); len(m) != 1 {
			t.Errorf("the tour did not save %s under its $OUT", f)
		}
		if _, err := os.Stat(filepath.Join(tmp, f)); err == nil {
			t.Errorf("the tour saved %s in the directory it runs in", f)
		}
	}
}

// TestREADMETourStopsOnAWrongToken: with a wrong token, the tour's first
// call fails with the problem it got, and nothing after it runs.
func TestREADMETourStopsOnAWrongToken(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README tour needs curl, and this machine has none: install it (apt-get install curl)")
	}
	a := startAdmit(t, t.TempDir())
	script := strings.NewReplacer("http://127.0.0.1:8080", a.url, "TOKEN=admit_…", "TOKEN=admit_"+strings.Repeat("a", 32)).Replace(tourBlocks(t)[0])
	got, err := runTour(t, t.TempDir(), script)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 22 || !strings.Contains(got, `"code":"unauthorized"`) ||
		!strings.Contains(got, "returned error: 401") {
		t.Fatalf("with a wrong token the tour's first call must fail (curl's exit 22, the problem and curl's error); err %v, output:\n%s", err, got)
	}
	if strings.Contains(got, "Spring Concert") {
		t.Fatalf("the tour went on after the wrong token:\n%s", got)
	}
}
