package clientinit

import (
	"errors"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// requirePeer returns the path of a program a test runs as a real peer. It
// skips the test when the program is missing, or fails it under CI=true,
// where every peer must be installed.
func requirePeer(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		// go install puts programs in GOPATH/bin, which PATH may lack.
		candidate := filepath.Join(build.Default.GOPATH, "bin", name)
		if _, serr := os.Stat(candidate); serr == nil {
			return candidate
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true (%v); install: %s", name, err, install)
		}
		t.Skipf("skipping: %s is not installed (%v); install: %s", name, err, install)
	}
	return path
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port free just now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

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
