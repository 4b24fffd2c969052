// Package testpeer helps tests run the real programs they talk to (the
// metalinkd binary, S3 and metadata servers, the yum clients): it finds or
// builds them, hands out loopback addresses, starts them and stops them by
// pid, waits until they serve, and skips a test whose peer is missing, or
// fails it under CI=true, where every peer must be installed. Its Eventually
// is the one way tests poll for a condition.
package testpeer

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Require returns the path of a program a test needs. Programs installed
// with go install are found in GOPATH/bin even when PATH lacks it. When the
// program is missing the test is skipped, or failed under CI=true; install
// says how to get it.
func Require(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Missing(t, name+" is not installed (install: "+install+")")
	return ""
}

// Missing skips the test with why, or fails it when CI=true.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true requires it", why)
	}
	t.Skipf("skipping: %s", why)
}

// FreeAddr returns a 127.0.0.1 address whose port was free just now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
