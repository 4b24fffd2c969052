package clientinit

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// startPeer starts cmd, waits until addr accepts connections and stops the
// process by its pid when the test ends.
func startPeer(t *testing.T, cmd *exec.Cmd, addr string) {
	t.Helper()
	p := testpeer.Start(t, cmd)
	if err := testpeer.WaitReady(p, 30*time.Second, testpeer.Listening(addr)); err != nil {
		t.Fatalf("%v on %s", err, addr)
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
