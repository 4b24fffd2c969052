package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// module is this module's import path, so that a build works from any
// package directory.
const module = "github.com/metalinkd/metalinkd"

// scratch is the directory the programs are built into, once per test
// binary; RemoveBuilt deletes it.
var scratch = sync.OnceValues(func() (string, error) {
	return os.MkdirTemp("", "metalinkd-test-bin-")
})

var (
	metalinkd  = sync.OnceValues(func() (string, error) { return build("metalinkd", nil) })
	clientInit = sync.OnceValues(func() (string, error) {
		// As the package ships it: static and stripped.
		return build("client-init", []string{"CGO_ENABLED=0"}, "-trimpath", "-ldflags=-s -w")
	})
)

// Metalinkd returns the path of this module's metalinkd binary, built on
// first use; it fails t when the build fails.
func Metalinkd(t testing.TB) string {
	t.Helper()
	return must(t, metalinkd)
}

// ClientInit returns the path of this module's client-init binary, built on
// first use as its package ships it (static, with CGO_ENABLED=0); it fails t
// when the build fails.
func ClientInit(t testing.TB) string {
	t.Helper()
	return must(t, clientInit)
}

// RemoveBuilt deletes the binaries built so far. TestMain calls it after
// the tests have run.
func RemoveBuilt() {
	if dir, err := scratch(); err == nil {
		os.RemoveAll(dir)
	}
}

func must(t testing.TB, built func() (string, error)) string {
	t.Helper()
	path, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// build runs go build on cmd/name with the extra environment and flags.
func build(name string, env []string, flags ...string) (string, error) {
	dir, err := scratch()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	args := append(append([]string{"build"}, flags...), "-o", out, module+"/cmd/"+name)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	return out, nil
}
