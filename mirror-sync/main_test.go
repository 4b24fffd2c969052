package mirrorsync

import (
	"context"
	"os"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// childEnv makes the test binary run the mirror-sync command line instead of
// the tests, so that tests can start, and SIGKILL, a real worker process.
const childEnv = "MIRRORSYNC_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(Main(context.Background(), Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
	}
	code := m.Run()
	for _, set := range []*rpmSet{&smallRPMs, &manyRPMs, &bigRPMs} {
		if set.dir != "" {
			os.RemoveAll(set.dir)
		}
	}
	testpeer.RemoveBuilt()
	os.Exit(code)
}
