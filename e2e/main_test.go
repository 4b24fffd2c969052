package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

// Set once by TestMain and read-only afterwards.
var (
	// scratchDir holds the fixture repositories the tests build.
	scratchDir string
	// pg is the PostgreSQL server the replica tests create databases on.
	pg *pgtest.Server
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "metalinkd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer testpeer.RemoveBuilt()
	scratchDir = dir
	pg = pgtest.Connect()
	defer pg.Close()
	return m.Run()
}

// requireTools skips t when one of the named programs is missing, or fails it
// when CI=true, where every client must be installed. "librepo" stands for
// the python3-librepo bindings of /usr/bin/python3.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		err := toolMissing(name)
		if err == nil {
			continue
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true (apt-get install -y %s): %v", name, debianPackages[name], err)
		}
		t.Skipf("skipping: %s is not available (%v); apt-get install -y %s to run the end-to-end tests",
			name, err, debianPackages[name])
	}
}

// debianPackages names the Debian package providing each required tool.
var debianPackages = map[string]string{
	"dnf":          "dnf",
	"rpmbuild":     "rpm",
	"createrepo_c": "createrepo-c",
	"aria2c":       "aria2",
	"wget2":        "wget2",
	"curl":         "curl",
	"librepo":      "python3-librepo",
}

var librepoMissing = sync.OnceValue(func() error {
	cmd := exec.Command(pythonBin, "-c", "import librepo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + scratchDir, "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import librepo (apt-get install python3-librepo): %v: %s", pythonBin, err, out)
	}
	return nil
})

func toolMissing(name string) error {
	if name == "librepo" {
		return librepoMissing()
	}
	_, err := exec.LookPath(name)
	return err
}

// pythonBin is Debian's interpreter: a python3 earlier on PATH may lack the
// librepo bindings.
const pythonBin = "/usr/bin/python3"
