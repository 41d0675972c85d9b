// Command genwasm builds the door scanner's WebAssembly QR code reader:
// package qrwasm compiled with GOOS=js GOARCH=wasm into DIR/qr.wasm, and
// the Go toolchain's own support script, $(go env GOROOT)/lib/wasm/
// wasm_exec.js, copied to DIR/wasm_exec.js beside it. It runs in
// internal/door (go generate ./internal/door):
//
//	go run ./genwasm [-o DIR]
//
// DIR is assets by default. The build is reproducible: -trimpath, no VCS
// stamp, and no GOFLAGS or GOWASM from the environment, so the same
// toolchain and sources give the same bytes, which is what the package's
// test checks of the committed files.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("o", "assets", "the directory to write qr.wasm and wasm_exec.js to")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "genwasm:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	goroot, err := goCmd(nil, "env", "GOROOT")
	if err != nil {
		return err
	}
	support, err := os.ReadFile(filepath.Join(strings.TrimSpace(goroot), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("the toolchain's wasm support script: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), support, 0o644); err != nil {
		return err
	}
	env := []string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOWASM="}
	out := filepath.Join(dir, "qr.wasm")
	if _, err := goCmd(env, "build", "-trimpath", "-buildvcs=false", "-o", out, "./qrwasm"); err != nil {
		return err
	}
	return os.Chmod(out, 0o644) // an asset, not a program to run here
}

// goCmd runs the go command with the environment and the extra variables,
// and returns its output.
func goCmd(env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}
