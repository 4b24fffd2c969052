package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestMirrorAccessLog checks the harness itself: a mirror serves its tree
// under the Fedora prefix, logs each request, and refuses once stopped.
func TestMirrorAccessLog(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, repoDir, "repodata", "repomd.xml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("<repomd/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := startMirror(t, "test", root)
	get := func(path string) int {
		resp, err := http.Get(m.URL() + "/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if got := get(repoDir + "/repodata/repomd.xml"); got != http.StatusOK {
		t.Errorf("GET repomd.xml: status %d, want 200", got)
	}
	if got := get(repoDir + "/repodata/missing.xml"); got != http.StatusNotFound {
		t.Errorf("GET missing.xml: status %d, want 404", got)
	}
	if got := m.served("/repodata/repomd.xml"); got != 1 {
		t.Errorf("served repomd.xml %d times, want 1\n%s", got, m.accessLog())
	}
	if got := m.requests(); got != 2 {
		t.Errorf("logged %d requests, want 2\n%s", got, m.accessLog())
	}
	m.stop()
	if _, err := http.Get(m.URL() + "/" + repoDir + "/repodata/repomd.xml"); err == nil {
		t.Error("a stopped mirror still answered")
	}
}
