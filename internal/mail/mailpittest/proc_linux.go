package mailpittest

import "syscall"

// sysProcAttr makes the kernel kill Mailpit if the test process dies
// without running its cleanups (a test timeout's panic, a kill), so no
// orphan keeps running. Pdeathsig follows the OS thread that started the
// process, and Go ends a thread only when a goroutine locked to it exits,
// which nothing here does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
