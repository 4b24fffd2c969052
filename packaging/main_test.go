package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// scratchDir holds what the tests build once per run: the three programs.
// Set by TestMain and read-only afterwards.
var scratchDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "packaging-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratchDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the directory of go.mod, one above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(scratchDir, "bin")
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/metalinkd", "./cmd/mirror-sync", "./cmd/client-init")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/...: %v\n%s", err, out)
	}
	return dir, nil
})

// buildPrograms returns the directory of metalinkd, mirror-sync and
// client-init, built once per run.
func buildPrograms(t *testing.T) string {
	t.Helper()
	dir, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
