package testpeer

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// grace is how long a peer may take to end after SIGTERM before SIGKILL.
const grace = 10 * time.Second

// Process is a peer's process started by a test and ended by its pid,
// never by its name.
type Process struct {
	t      testing.TB
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how the process ended, once exited is closed
}

// Start starts cmd and stops it when t ends.
func Start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", filepath.Base(cmd.Path), err)
	}
	p := &Process{t: t, cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Stop)
	return p
}

// Name is the program's file name.
func (p *Process) Name() string { return filepath.Base(p.cmd.Path) }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process ended (nil for exit status 0); valid once Exited
// is closed.
func (p *Process) Err() error {
	<-p.exited
	return p.err
}

// Stop ends the process: SIGTERM, then SIGKILL if it lingers. Stopping an
// ended process does nothing.
func (p *Process) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Logf("signal %s (pid %d): %v", p.Name(), p.Pid(), err)
	}
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.t.Logf("%s (pid %d) ignored SIGTERM; killing it", p.Name(), p.Pid())
		p.cmd.Process.Kill()
		<-p.exited
	}
}
