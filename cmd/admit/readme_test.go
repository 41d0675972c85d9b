package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestREADMETour runs the README's curl tour, as written, against a fresh
// server, so the README stays true.
func TestREADMETour(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README tour needs curl, and this machine has none: install it (apt-get install curl)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, tour, ok := strings.Cut(string(readme), "## A tour with curl")
	if ok {
		_, tour, ok = strings.Cut(tour, "```sh\n")
	}
	if ok {
		tour, _, ok = strings.Cut(tour, "```")
	}
	if !ok || !strings.Contains(tour, "TOKEN=admit_…") {
		t.Fatal("README.md has no curl tour in a ```sh block after \"## A tour with curl\" (with TOKEN=admit_…)")
	}
	a := startAdmit(t, t.TempDir())
	script := strings.NewReplacer("http://127.0.0.1:8080", a.url, "TOKEN=admit_…", "TOKEN="+a.token).Replace(tour)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{`"status":"on_sale"`, `"status":"active"`, `"status":"released"`, `"name":"Spring Concert"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the tour's output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "problem") || strings.Contains(got, `"code"`) {
		t.Errorf("the tour met an error:\n%s", got)
	}
}
