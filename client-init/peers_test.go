package clientinit

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// startPeer starts cmd, waits until addr accepts connections and stops the
// process by its pid when the test ends.
func startPeer(t *testing.T, cmd *exec.Cmd, addr string) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopPeer(t, cmd.Process, exited) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s (pid %d) exited before serving %s: %v", filepath.Base(cmd.Path), pid, addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) never listened on %s", filepath.Base(cmd.Path), pid, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopPeer ends a child by its pid: SIGTERM, then SIGKILL if it lingers.
func stopPeer(t *testing.T, p *os.Process, exited chan error) {
	if err := p.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("signal pid %d: %v", p.Pid, err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Logf("pid %d ignored SIGTERM; killing it", p.Pid)
		p.Kill()
		<-exited
	}
}

// portOf returns the port of a host:port address.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	return port
}
