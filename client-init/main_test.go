package clientinit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// scratchDir holds what the tests build once per run, such as the static
// client-init binary. Set by TestMain and read-only afterwards.
var scratchDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "client-init-test-")
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
	bin := filepath.Join(scratchDir, "client-init")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/client-init")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/client-init: %v\n%s", err, out)
	}
	return bin, nil
})

// clientInitBinary returns the client-init binary built as the package
// ships it: static, with CGO_ENABLED=0.
func clientInitBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
