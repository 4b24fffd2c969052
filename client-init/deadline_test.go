package clientinit

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestNoMetadataDeadline is the one test that measures time: with the
// default --timeout, a guest whose metadata address never answers must be
// done within 2 seconds (the bound), with its files unchanged.
func TestNoMetadataDeadline(t *testing.T) {
	tests := []struct {
		name     string
		endpoint func(*testing.T) string
	}{
		{"silent endpoint", func(t *testing.T) string { return testpeer.SilentEndpoint(t) }},
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
			if res.code != ExitNoMetadata {
				t.Errorf("exit %d, want %d", res.code, ExitNoMetadata)
			}
			wantVars(t, root, "us-east-1\n")
		})
	}
}

// TestBinaryNoMetadataDeadline runs the shipped binary, as systemd does,
// against a silent metadata address: the whole process must end within
// 2 seconds with exit code 3.
func TestBinaryNoMetadataDeadline(t *testing.T) {
	ep := testpeer.SilentEndpoint(t)
	root := t.TempDir()
	cmd := exec.Command(clientInitBinary(t), withEndpoints(ep, ep, ep, "--root", root)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	t.Logf("client-init binary, no metadata: %v, %v\n%s", elapsed, err, out)
	if elapsed >= 2*time.Second {
		t.Errorf("run took %v, want under 2s", elapsed)
	}
	if code := cmd.ProcessState.ExitCode(); code != ExitNoMetadata {
		t.Errorf("exit %d, want %d", code, ExitNoMetadata)
	}
	wantVars(t, root, absentFile)
}

// drippingEndpoint returns a loopback URL that answers every request with a
// 200 and a region-sized body sent one byte at a time, slower than any
// deadline, as an overloaded or hostile metadata address might.
func drippingEndpoint(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "64")
		w.WriteHeader(http.StatusOK)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range 64 {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			if _, err := w.Write([]byte("a")); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestDrippedAnswerIsNoMetadata checks that an answer still arriving when
// --timeout passes counts as no metadata (exit 3, which the unit treats as
// success), not as an unusable answer, and leaves the files alone.
func TestDrippedAnswerIsNoMetadata(t *testing.T) {
	ep := drippingEndpoint(t)
	root := t.TempDir()
	seedVars(t, root, "us-east-1\n")
	res := runInProcess(t, withEndpoints(ep, ep, ep, "--root", root, "--timeout", "300ms")...)
	if res.code != ExitNoMetadata {
		t.Errorf("exit %d, want %d", res.code, ExitNoMetadata)
	}
	wantVars(t, root, "us-east-1\n")
}
