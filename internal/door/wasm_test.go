package door

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWasmIsGenerated checks that the committed assets/qr.wasm and
// assets/wasm_exec.js are what go generate makes now, from these sources
// with this toolchain: it runs the generator into a temporary directory
// and compares the bytes. When it fails, run go generate ./internal/door
// and commit the result.
func TestWasmIsGenerated(t *testing.T) {
	// The go command's build cache knows the sources it compiles, but the
	// test cache does not: reading them here makes a change to them run
	// this test again.
	for _, dir := range []string{"qrwasm", "qrdecode", "genwasm"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("the sources in %s: %v", dir, err)
		}
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmp := t.TempDir()
	start := time.Now()
	cmd := exec.Command("go", "run", "./genwasm", "-o", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./genwasm: %v\n%s", err, out)
	}
	t.Logf("the generator took %v", time.Since(start).Round(time.Millisecond))
	for _, name := range []string{"qr.wasm", "wasm_exec.js"} {
		built, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("assets", name))
		if err != nil {
			t.Fatalf("%v: run go generate ./internal/door", err)
		}
		if !bytes.Equal(built, committed) {
			t.Errorf("assets/%s (%d bytes) is not what the generator builds now (%d bytes): "+
				"run go generate ./internal/door and commit the result", name, len(committed), len(built))
		}
	}
}
