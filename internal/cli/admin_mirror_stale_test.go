package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

// TestMirrorListStale reports two mirrors fresh, publishes a new
// repomd.xml for one directory, and expects `mirror list --stale` to list
// exactly the mirrors left with the older one, with their counts.
func TestMirrorListStale(t *testing.T) {
	storeEnv, api := adminServer(t)
	const (
		a = "releases/41/Everything/x86_64/os"
		b = "releases/41/Everything/aarch64/os"
	)
	master := t.TempDir()
	writeRepomd(t, master, a, "1")
	writeRepomd(t, master, b, "1")
	cliExpect(t, storeEnv, ExitOK, nil, "scan", "--root", master)
	for _, r := range [][]string{{"bucket", a}, {"bucket", b}, {"fresh-later", a}} {
		cliExpect(t, storeEnv, ExitOK, nil, "report", "--mirror", r[0], "--directory", r[1])
	}
	cliExpect(t, api, ExitOK, []string{"no mirror has a stale directory"}, "mirror", "list", "--stale")

	writeRepomd(t, master, a, "2")
	cliExpect(t, storeEnv, ExitOK, nil, "scan", "--root", master)
	r := cliExpect(t, api, ExitOK, nil, "mirror", "list", "--stale")
	want := []string{
		"NAME         ENABLED  FRESH  STALE  UNKNOWN  STALE DIRECTORIES",
		"bucket       yes      1      1      0        " + a,
		"fresh-later  yes      0      1      1        " + a,
	}
	if got := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mirror list --stale:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
	}

	r = cliExpect(t, api, ExitOK, nil, "mirror", "list", "--stale", "--json")
	var view adminapi.FreshnessView
	if err := json.Unmarshal([]byte(r.stdout), &view); err != nil || len(view.Mirrors) != 2 || !view.Mirrors[0].StaleDirectories[0].Accepted {
		t.Errorf("mirror list --stale --json: %v\n%s", err, r.stdout)
	}
}
