package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release the checks run.
const AxeVersion = "4.14.1"

// WCAG22AA are the axe tags of the WCAG 2.0, 2.1 and 2.2 success criteria
// at levels A and AA.
var WCAG22AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Axe returns the source of axe-core's axe.min.js. It keeps one copy per
// machine in os.UserCacheDir()/admit-tools/axe-core-VERSION and installs it
// there from the npm registry when it is missing (npm install --no-save
// --prefix DIR axe-core@VERSION); it fails t when it can do neither. axe is
// never vendored into the repository.
func Axe(t testing.TB) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("axe-core: no cache directory to keep it in: %v", err)
	}
	dir := filepath.Join(cache, "admit-tools", "axe-core-"+AxeVersion)
	src, err := readAxe(dir)
	if err == nil {
		return src
	}
	if !os.IsNotExist(err) {
		t.Fatalf("axe-core: %v", err)
	}
	if err := installAxe(dir); err != nil {
		t.Fatalf("axe-core %s is needed by the browser tests and could not be installed: %v", AxeVersion, err)
	}
	src, err = readAxe(dir)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return src
}

// readAxe reads axe.min.js from an npm prefix, checking its version.
func readAxe(dir string) (string, error) {
	pkg := filepath.Join(dir, "node_modules", "axe-core")
	meta, err := os.ReadFile(filepath.Join(pkg, "package.json"))
	if err != nil {
		return "", err
	}
	var v struct{ Version string }
	if err := json.Unmarshal(meta, &v); err != nil {
		return "", fmt.Errorf("%s: %w", pkg, err)
	}
	if v.Version != AxeVersion {
		return "", fmt.Errorf("%s is axe-core %s, not %s: remove the directory to install it again", pkg, v.Version, AxeVersion)
	}
	src, err := os.ReadFile(filepath.Join(pkg, "axe.min.js"))
	return string(src), err
}

// installAxe installs axe-core into a directory next to dir and renames it
// to dir, so test binaries running at once never see half an install.
func installAxe(dir string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not installed: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".axe-core-install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", tmp, "axe-core@"+AxeVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return nil // another test binary installed it meanwhile
		}
		return err
	}
	return nil
}

// Violation is one rule of axe that the page breaks.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Tags    []string `json:"tags"`
	Nodes   []struct {
		Target  []string `json:"target"`
		HTML    string   `json:"html"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n  %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n  - %s\n    %s\n    %s", strings.Join(n.Target, " "), n.HTML,
			strings.ReplaceAll(n.Summary, "\n", "\n    "))
	}
	return b.String()
}

// Check runs axe (the source that Axe returned) on the tab's document
// with the rules of the tags, and returns the violations. It injects axe
// into the page when the page does not have it yet.
func Check(ctx context.Context, axe string, tags ...string) ([]Violation, error) {
	has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, err
	}
	if !has {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axe+"\n;0")); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.version`))
	if err != nil {
		return nil, err
	}
	if version != AxeVersion {
		return nil, fmt.Errorf("the page runs axe-core %s, not %s", version, AxeVersion)
	}
	values, err := json.Marshal(tags)
	if err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]Violation](`axe.run(document, {
		runOnly: {type: "tag", values: `+string(values)+`},
		resultTypes: ["violations"],
	}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
		nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary})),
	})))`, chromedp.EvalAwaitPromise))
}
