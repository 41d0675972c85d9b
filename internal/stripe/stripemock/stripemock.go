package stripemock

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long Start waits for stripe-mock to answer.
const startTimeout = 60 * time.Second

const (
	module     = "github.com/stripe/stripe-mock"
	rootModule = "github.com/admit-org/admit"
	toolsDir   = "tools/stripe-mock" // relative to the repository root
)

// The binary is built at most once per test process; later calls reuse the
// outcome, failure included.
var build struct {
	once sync.Once
	bin  binary
	err  error
}

// Start starts a stripe-mock listening on 127.0.0.1 only, waits until it
// answers, and returns its HTTP base URL ("http://127.0.0.1:PORT"). The
// process is killed when the test ends. When stripe-mock cannot be built or
// started, Start fails the test, saying what went wrong and how to install
// stripe-mock by hand; it never skips.
func Start(t testing.TB) (apiBase string) {
	t.Helper()
	build.once.Do(func() {
		build.bin, build.err = locate()
		if build.err == nil {
			build.err = build.bin.ensure()
		}
	})
	if err := build.err; err != nil {
		msg := fmt.Sprintf("stripemock: THIS TEST NEEDS stripe-mock, WHICH CANNOT BE BUILT: %v", err)
		if b := build.bin; b.path != "" {
			msg += fmt.Sprintf("\nTo install it by hand where the tests look for it:\n"+
				"\tcd %s && go build -ldflags '-X main.version=%s' -o %s %s\n"+
				"or\n\tGOBIN=%s go install %s@%s",
				b.toolsDir, b.version, b.path, module, filepath.Dir(b.path), module, b.version)
		}
		t.Fatal(msg)
	}

	// Both listeners on the loopback: left out, -https-addr listens on
	// every interface.
	cmd := exec.Command(build.bin.path, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("stripemock: pipe: %v", err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		t.Fatalf("stripemock: cannot start %s: %v", build.bin.path, err)
	}
	w.Close() // the child holds its own copy

	// One goroutine reads the output until the process exits: it reports
	// the HTTP address, then keeps draining, since stripe-mock logs every
	// request and would block on a full pipe.
	addr := make(chan string, 1)
	drained := make(chan struct{})
	var early bytes.Buffer // the output up to the address, for error messages
	var earlyMu sync.Mutex
	go func() {
		defer close(drained)
		defer r.Close()
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(r)
		found := false
		for sc.Scan() {
			if found {
				continue
			}
			earlyMu.Lock()
			early.WriteString(sc.Text() + "\n")
			earlyMu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
				found = true
			}
		}
		_, _ = io.Copy(io.Discard, r) // a line too long for the scanner
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-drained
	})
	output := func() string {
		earlyMu.Lock()
		defer earlyMu.Unlock()
		return early.String()
	}

	// stripe-mock parses Stripe's whole OpenAPI spec before it listens: a
	// few seconds alone, far more on a machine busy with other builds.
	deadline := time.Now().Add(startTimeout)
	select {
	case a := <-addr:
		apiBase = "http://" + a
	case <-drained:
		t.Fatalf("stripemock: stripe-mock exited before listening; its output:\n%s", output())
	case <-time.After(time.Until(deadline)):
		t.Fatalf("stripemock: stripe-mock did not report its HTTP address within %v; its output:\n%s", startTimeout, output())
	}

	// Listening is not answering: poll until a request gets an answer.
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequest(http.MethodGet, apiBase+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_test_stripemock")
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return apiBase
			}
			err = fmt.Errorf("GET /v1/balance: %s", res.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripemock: stripe-mock at %s does not answer: %v; its output:\n%s", apiBase, err, output())
		}
		<-tick.C
	}
}

// binary is where the pinned version of stripe-mock is, or is to be built.
type binary struct {
	toolsDir string // the tools module that pins it
	version  string
	path     string // under the user cache directory
}

// locate finds the pinned version and the binary's path.
func locate() (binary, error) {
	root, err := repoRoot()
	if err != nil {
		return binary{}, err
	}
	b := binary{toolsDir: filepath.Join(root, filepath.FromSlash(toolsDir))}
	if b.version, err = pinnedVersion(filepath.Join(b.toolsDir, "go.mod")); err != nil {
		return binary{}, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return binary{}, fmt.Errorf("no user cache directory: %w", err)
	}
	name := "stripe-mock"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	b.path = filepath.Join(cache, "admit-tools", "stripe-mock-"+b.version, name)
	return b, nil
}

// ensure builds the binary unless it is already there.
func (b binary) ensure() error {
	if _, err := os.Stat(b.path); err == nil {
		return nil
	}
	dir := filepath.Dir(b.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Several test processes (one per package) may build at once: each
	// builds to a file of its own and renames it into place, atomically.
	tmp, err := os.CreateTemp(dir, filepath.Base(b.path)+".build-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed

	cmd := exec.Command("go", "build", "-o", tmp.Name(), "-ldflags", "-X main.version="+b.version, module)
	cmd.Dir = b.toolsDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s@%s in %s: %w\n%s", module, b.version, b.toolsDir, err, out)
	}
	return os.Rename(tmp.Name(), b.path)
}

// repoRoot walks up from the working directory to the directory whose
// go.mod declares admit's module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(data) == rootModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory", rootModule)
		}
		dir = parent
	}
}

// modulePath returns the path in a go.mod's module line.
func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// pinnedVersion returns the version of stripe-mock that the tools module at
// gomod requires.
func pinnedVersion(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("the tools module that pins stripe-mock: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == module {
			return f[1], nil
		}
	}
	return "", errors.New(gomod + " does not require " + module)
}
