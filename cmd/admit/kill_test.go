package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startProcess runs the admit binary as a child process and returns its
// URL once it serves.
func startProcess(t *testing.T, bin, dir string) (cmd *exec.Cmd, url string) {
	t.Helper()
	cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dir,
		"--bootstrap-token-file", filepath.Join(dir, "token"), "--log-format", "json", "--exempt-loopback")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("admit serve exited before serving")
			}
			if u, found := strings.CutPrefix(line, "admit is running at "); found {
				go func() {
					for range lines {
					}
				}()
				return cmd, u
			}
		case <-timeout:
			t.Fatal("admit serve did not start within 30 s")
		}
	}
}

// TestKill9KeepsAcknowledgedHolds kills the server with SIGKILL while buyers
// are taking holds, restarts it, and checks that every hold a buyer was told
// about is still there, and that no quota is exceeded.
func TestKill9KeepsAcknowledgedHolds(t *testing.T) {
	bin := mustBinary(t)
	dir := t.TempDir()
	proc, url := startProcess(t, bin, dir)
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, url, strings.TrimSpace(string(token)))
	const capacity = 300
	evID, ttID := setupEvent(c, capacity)

	// Buyers take holds until the kill; every acknowledged hold is noted.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	pub := &client{t: t, base: url, http: c.http}
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := pub.tryHold(evID, ttID)
				if err != nil {
					return // the server is gone
				}
				if r != "" {
					mu.Lock()
					acked = append(acked, r)
					mu.Unlock()
				}
			}
		})
	}
	eventually(t, "some holds", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 40 })
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	close(stop)
	wg.Wait()

	_, url = startProcess(t, bin, dir)
	pub = newClient(t, url, "")
	held := 0
	for _, h := range acked {
		got := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/holds/"+h, nil)
		if got["status"] != "active" {
			t.Errorf("hold %s after kill -9: %v", h, got)
		}
		held += int(got["quantity"].(float64))
	}
	av := pub.must(200, "GET", "/api/v1/public/events/"+evID+"/availability", nil)
	left := int(av["quotas"].([]any)[0].(map[string]any)["available"].(float64))
	// Holds whose answer was lost in the kill may exist too, so at least the
	// acknowledged ones are taken, and never more than the capacity.
	if left < 0 || capacity-left < held {
		t.Fatalf("after kill -9: %d acknowledged tickets held, but %d of %d still available", held, left, capacity)
	}
	t.Logf("%d acknowledged holds (%d tickets) survived kill -9; %d tickets available", len(acked), held, left)
}

// tryHold asks for one ticket; it returns the hold id, "" when refused, or
// an error when the server cannot be reached.
func (c *client) tryHold(evID, ttID string) (string, error) {
	req := `{"items":[{"ticket_type_id":"` + ttID + `","quantity":1}]}`
	resp, err := c.http.Post(c.base+"/api/v1/public/events/"+evID+"/holds", "application/json", strings.NewReader(req))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		return "", nil
	}
	var h struct{ ID string }
	if err := jsonDecode(resp.Body, &h); err != nil {
		return "", err
	}
	return h.ID, nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
