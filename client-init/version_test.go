package clientinit

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/metalinkd/metalinkd/internal/version"
)

func TestVersion(t *testing.T) {
	want := "client-init " + version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), Env{Stdout: &stdout, Stderr: &stderr}, args); code != exitOK || stdout.String() != want {
			t.Errorf("%v: exit %d, stdout %q, want 0 and %q; stderr %s", args, code, stdout.String(), want, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), Env{Stdout: &stdout, Stderr: &stderr}, []string{"version", "now"}); code != exitUsage {
		t.Errorf("version now: exit %d, want %d", code, exitUsage)
	}
	// The shipped binary (static, stripped) still carries its build information.
	out, err := exec.Command(clientInitBinary(t), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "client-init ") || !strings.Contains(string(out), runtime.Version()) {
		t.Errorf("client-init --version: %q (%v)", out, err)
	}
}

// TestUserAgent: every request to a metadata service names the program
// and its version, so that the service's logs tell which build asked.
func TestUserAgent(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		w.Header().Set("Metadata-Flavor", "Google")
		w.Header().Set("Content-Type", "application/text")
		w.Write([]byte("projects/1/zones/europe-west4-b"))
	}))
	t.Cleanup(srv.Close)
	res := runInProcess(t, withEndpoints(closedEndpoint(t), srv.URL, closedEndpoint(t), "--root", t.TempDir(), "--provider", "gcp")...)
	if res.code != exitOK {
		t.Fatalf("exit %d, want %d", res.code, exitOK)
	}
	want := "client-init/" + version.Get().Version
	mu.Lock()
	defer mu.Unlock()
	if len(agents) == 0 {
		t.Fatal("no request reached the metadata service")
	}
	for _, ua := range agents {
		if ua != want {
			t.Errorf("User-Agent %q, want %q", ua, want)
		}
	}
}
