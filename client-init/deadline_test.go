package clientinit

import (
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// silentEndpoint returns a loopback URL whose listener accepts connections
// and never answers, as a firewalled or hung metadata address does.
func silentEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// TestNoMetadataDeadline is the one test that measures time: with the
// default --timeout, a guest whose metadata address never answers must be
// done within 2 seconds (the bound), with its files unchanged.
func TestNoMetadataDeadline(t *testing.T) {
	tests := []struct {
		name     string
		endpoint func(*testing.T) string
	}{
		{"silent endpoint", silentEndpoint},
		{"refused connections", closedEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := tt.endpoint(t)
			root := t.TempDir()
			seedVars(t, root, "us-east-1\n")
			start := time.Now()
			res := runInProcess(t, withEndpoints(ep, ep, ep, "--root", root)...)
			elapsed := time.Since(start)
			t.Logf("no-metadata run took %v", elapsed)
			if elapsed >= 2*time.Second {
				t.Errorf("run took %v, want under 2s", elapsed)
			}
			if res.code != exitNoMetadata {
				t.Errorf("exit %d, want %d", res.code, exitNoMetadata)
			}
			wantVars(t, root, "us-east-1\n")
		})
	}
}

// TestBinaryNoMetadataDeadline runs the shipped binary, as systemd does,
// against a silent metadata address: the whole process must end within
// 2 seconds with exit code 3.
func TestBinaryNoMetadataDeadline(t *testing.T) {
	ep := silentEndpoint(t)
	root := t.TempDir()
	cmd := exec.Command(clientInitBinary(t), withEndpoints(ep, ep, ep, "--root", root)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	t.Logf("client-init binary, no metadata: %v, %v\n%s", elapsed, err, out)
	if elapsed >= 2*time.Second {
		t.Errorf("run took %v, want under 2s", elapsed)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitNoMetadata {
		t.Errorf("exit %d, want %d", code, exitNoMetadata)
	}
	wantVars(t, root, absentFile)
}
