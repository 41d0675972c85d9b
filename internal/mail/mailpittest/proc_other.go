//go:build !linux

package mailpittest

import "syscall"

// sysProcAttr: elsewhere a Mailpit whose test process died without
// cleaning up keeps running until stopped by hand.
func sysProcAttr() *syscall.SysProcAttr { return nil }
