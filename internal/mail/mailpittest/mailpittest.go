package mailpittest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// modulePath is the module whose root holds tools/mailpit.
const modulePath = "github.com/admit-org/admit"

// startTimeout bounds how long Start waits for one Mailpit to answer; it
// normally takes half a second.
const startTimeout = 30 * time.Second

// Server is a running Mailpit. Its methods fail the test on any error.
// They are safe for concurrent use.
type Server struct {
	SMTPHost string // "127.0.0.1"
	SMTPPort int
	APIURL   string // base URL of the web UI and REST API, without a trailing slash
	client   *http.Client
}

// Summary is one message in Mailpit's list (GET /api/v1/messages).
type Summary struct {
	ID          string // Mailpit's own ID: the argument of Message and Attachment
	MessageID   string // the Message-ID header, without angle brackets
	From        *mail.Address
	To          []*mail.Address
	Subject     string
	Created     time.Time
	Size        uint64
	Attachments int    // how many
	Username    string // the SMTP AUTH user name, if the client authenticated
	Snippet     string
}

// Detail is one message as Mailpit parsed it (GET /api/v1/message/{ID}),
// with its headers (GET /api/v1/message/{ID}/headers).
type Detail struct {
	ID          string
	MessageID   string // the Message-ID header, without angle brackets
	From        *mail.Address
	To          []*mail.Address
	Subject     string
	Text        string // the text/plain part, decoded
	HTML        string // the text/html part, decoded
	Attachments []Attachment
	Username    string              // the SMTP AUTH user name, if the client authenticated
	Headers     map[string][]string // canonical header names, e.g. "Message-Id"
}

// Attachment describes one attachment of a Detail.
type Attachment struct {
	PartID      string // the argument of Server.Attachment
	FileName    string
	ContentType string
	Size        uint64
}

// Start builds Mailpit if needed, starts one on free 127.0.0.1 ports with
// extra flags args, waits until its HTTP API and SMTP port answer, and stops
// it when the test ends. It fails the test (never skips) if Mailpit cannot
// be built or started.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("mailpittest: Mailpit could not be built, and these tests need a real SMTP server.\n"+
			"Build it by hand from the repository root to see why:\n\n"+
			"\tgo build -modfile=tools/mailpit/go.mod -o /tmp/mailpit github.com/axllent/mailpit\n\n"+
			"(the module proxy must serve github.com/axllent/mailpit and its dependencies as tools/mailpit/go.sum lists them).\n"+
			"The error was: %v", err)
	}
	dir := t.TempDir()
	const attempts = 5
	for attempt := 1; ; attempt++ {
		s, err := launch(t, bin, dir, attempt, args)
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || attempt == attempts {
			t.Fatalf("mailpittest: start Mailpit (attempt %d): %v", attempt, err)
		}
		t.Logf("mailpittest: %v; trying other ports", err)
	}
}

var errPortTaken = errors.New("a port was taken before Mailpit could listen on it")

// launch starts one Mailpit and waits until it is ready. On success the
// process is stopped by t.Cleanup; on failure it is already stopped.
func launch(t testing.TB, bin, dir string, attempt int, args []string) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	smtpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	label := "mailpittest-" + rand.Text()
	cmd := exec.Command(bin, append([]string{
		"--smtp", smtpAddr,
		"--listen", httpAddr,
		"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", attempt)),
		"--label", label,
		"--disable-version-check",
		"--smtp-disable-rdns",
	}, args...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { // owned by stop: it ends when the process does
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	s := &Server{
		SMTPHost: "127.0.0.1",
		SMTPPort: ports[0],
		APIURL:   "http://" + httpAddr,
		client:   &http.Client{Timeout: 10 * time.Second},
	}
	if err := s.waitReady(label, exited); err != nil {
		stop()
		if strings.Contains(out.String(), "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("%w; Mailpit said:\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("mailpittest: Mailpit's output:\n%s", out.String())
		}
	})
	return s, nil
}

// waitReady polls until the HTTP API answers with our label (not some
// other server that took the port) and the SMTP port accepts connections,
// until Mailpit exits, or until startTimeout passes.
func (s *Server) waitReady(label string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = s.ready(ctx, label); last == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("Mailpit exited before it was ready (last check: %v)", last)
		case <-ctx.Done():
			return fmt.Errorf("Mailpit was not ready after %s: %v", startTimeout, last)
		case <-tick.C:
		}
	}
}

func (s *Server) ready(ctx context.Context, label string) error {
	var ui struct{ Label string }
	if err := s.getJSON(ctx, "/api/v1/webui", &ui); err != nil {
		return err
	}
	if ui.Label != label {
		return fmt.Errorf("%s is another Mailpit (label %q)", s.APIURL, ui.Label)
	}
	// Listening is enough: the greeting cannot be read without TLS when
	// Mailpit is started with --smtp-require-tls.
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.SMTPHost, strconv.Itoa(s.SMTPPort)))
	if err != nil {
		return err
	}
	return conn.Close()
}

// Messages returns every message Mailpit holds, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	// While a message is being stored, Mailpit may count it before it lists
	// it: ask again until the two agree, for two seconds at most.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var list struct {
			Total    int `json:"total"`
			Messages []Summary
		}
		if err := s.getJSON(context.Background(), "/api/v1/messages?limit=1000", &list); err != nil {
			t.Fatalf("mailpittest: %v", err)
		}
		if list.Total == len(list.Messages) {
			return list.Messages
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpittest: Mailpit holds %d messages but listed %d", list.Total, len(list.Messages))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitMessages polls until Mailpit holds at least n messages and returns
// them, newest first; it fails the test if that takes longer than timeout.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Summary {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		msgs := s.Messages(t)
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-deadline.C:
			t.Fatalf("mailpittest: %d messages after %s, want %d", len(msgs), timeout, n)
		case <-tick.C:
		}
	}
}

// Message returns the message with Mailpit's ID id, and its headers.
func (s *Server) Message(t testing.TB, id string) Detail {
	t.Helper()
	var d Detail
	p := "/api/v1/message/" + url.PathEscape(id)
	if err := s.getJSON(context.Background(), p, &d); err != nil {
		t.Fatalf("mailpittest: %v", err)
	}
	if err := s.getJSON(context.Background(), p+"/headers", &d.Headers); err != nil {
		t.Fatalf("mailpittest: %v", err)
	}
	return d
}

// Raw returns the message with Mailpit's ID id as it arrived over SMTP.
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	b, err := s.get(context.Background(), "/api/v1/message/"+url.PathEscape(id)+"/raw")
	if err != nil {
		t.Fatalf("mailpittest: %v", err)
	}
	return b
}

// Attachment returns the decoded content of part partID (Attachment.PartID)
// of the message with Mailpit's ID msgID.
func (s *Server) Attachment(t testing.TB, msgID, partID string) []byte {
	t.Helper()
	b, err := s.get(context.Background(), "/api/v1/message/"+url.PathEscape(msgID)+"/part/"+url.PathEscape(partID))
	if err != nil {
		t.Fatalf("mailpittest: %v", err)
	}
	return b
}

func (s *Server) getJSON(ctx context.Context, path string, v any) error {
	b, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

func (s *Server) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.APIURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, b)
	}
	return b, nil
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may take one before Mailpit listens on it: Start
// then tries again.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Held open until all are chosen, so they differ.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// binary returns the path of a Mailpit built from tools/mailpit, building
// it on the first call in this process.
var binary = sync.OnceValues(build)

func build() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	tools := filepath.Join(root, "tools", "mailpit")
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(tools, name))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "admit", "mailpit", hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "mailpit")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build beside the final name and rename, so that test processes
	// building at the same time never see half a binary.
	tmp := filepath.Join(dir, "mailpit.tmp-"+rand.Text())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, "github.com/axllent/mailpit")
	cmd.Dir = tools
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build in %s: %w\n%s", tools, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return bin, nil
}

// repoRoot walks up from the working directory (a test's is its package's
// directory) to the directory whose go.mod declares modulePath.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && declares(b, modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// declares reports whether the go.mod text gomod declares module path.
func declares(gomod []byte, path string) bool {
	for line := range strings.Lines(string(gomod)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" && strings.Trim(f[1], `"`) == path {
			return true
		}
	}
	return false
}

// syncBuffer collects a process's output; Mailpit writes from several
// goroutines while a test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
