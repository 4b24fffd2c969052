package clientinit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testpeer.RemoveBuilt()
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

// clientInitBinary returns the client-init binary built as the package
// ships it: static, with CGO_ENABLED=0.
func clientInitBinary(t *testing.T) string {
	t.Helper()
	return testpeer.ClientInit(t)
}
