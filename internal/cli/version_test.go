package cli

import (
	"testing"

	"github.com/metalinkd/metalinkd/internal/version"
)

func TestVersion(t *testing.T) {
	want := "metalinkd " + version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		if r := runCLI(t, nil, "", args...); r.code != ExitOK || r.stdout != want || r.stderr != "" {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want 0 and %q", args, r.code, r.stdout, r.stderr, want)
		}
	}
	if r := runCLI(t, nil, "", "version", "extra"); r.code != ExitUsage {
		t.Errorf("version extra: code %d, want %d", r.code, ExitUsage)
	}
}
