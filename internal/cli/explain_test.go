package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

// explainYAML has a mirror for each reason the admin API adds to
// selection's own (disabled by its admin, by the crawler), one never
// reported, one that will serve an older repomd.xml, a regional bucket
// and a private mirror.
const explainYAML = `locations:
  - name: us-east-1
mirrors:
  - name: bucket
    country: US
    bandwidth: 1000
    region: us-east-1
    locations: [us-east-1]
    urls: [http://bucket.example/pub]
  - name: de
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [http://de.example/pub]
  - name: unreported
    country: DE
    bandwidth: 100
    urls: [http://unreported.example/pub]
  - name: stale
    country: DE
    bandwidth: 100
    urls: [http://stale.example/pub]
  - name: campus
    country: DE
    bandwidth: 10
    private: true
    always_up_to_date: true
    netblocks: [192.0.2.0/24]
    urls: [http://campus.example/pub]
  - name: off
    country: DE
    bandwidth: 100
    enabled: false
    always_up_to_date: true
    urls: [http://off.example/pub]
  - name: down
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [http://down.example/pub]
`

// downHealth, added to a full export, takes down out of answers as the
// crawler would.
const downHealth = `health:
  - mirror: down
    disabled: true
    reason: 4 consecutive failed crawls
`

// TestExplain runs the real server on a store where stale reported a
// repomd.xml that was then replaced (an accepted alternate), asks `metalinkd explain` about
// a German client and about one inside campus's netblock, and checks each
// mirror's step or reason, the table, --json, and that the listed mirrors
// are the real metalink's.
func TestExplain(t *testing.T) {
	const dir = "releases/41/Everything/x86_64/os"
	yaml := strings.Replace(explainYAML, "mirrors:", "repositories:\n  - prefix: fedora-41\n    arch: x86_64\n    directory: "+dir+"\nmirrors:", 1)
	yaml = strings.ReplaceAll(yaml, "    urls: [http://", "    enabled: true\n    urls: [http://")
	yaml = strings.Replace(yaml, "enabled: false\n    always_up_to_date: true\n    enabled: true\n", "enabled: false\n    always_up_to_date: true\n", 1)
	_, api := adminServerOn(t, yaml, func(env map[string]string) {
		master := t.TempDir()
		writeRepomd(t, master, dir, "1")
		cliExpect(t, env, ExitOK, nil, "scan", "--root", master)
		cliExpect(t, env, ExitOK, nil, "report", "--mirror", "stale", "--directory", dir)
		cliExpect(t, env, ExitOK, nil, "report", "--mirror", "bucket", "--directory", dir)
		writeRepomd(t, master, dir, "2")
		cliExpect(t, env, ExitOK, nil, "scan", "--root", master)
		cliExpect(t, env, ExitOK, nil, "report", "--mirror", "bucket", "--directory", dir)
		full := cliExpect(t, env, ExitOK, nil, "export").stdout
		if r := runCLI(t, env, full+downHealth, "import", "-"); r.code != ExitOK {
			t.Fatalf("import with health: %+v", r)
		}
	})

	r := cliExpect(t, api, ExitOK, nil, "explain", "--repo", "fedora-41", "--arch", "x86_64", "--country", "DE", "--json")
	var e adminapi.Explanation
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, r.stdout)
	}
	want := map[string]string{"de": "country", "bucket": "regional", "unreported": "not-carried",
		"stale": "country: " + adminapi.DetailOlder, "campus": "private", "off": "disabled",
		"down": "disabled-by-crawler: 4 consecutive failed crawls"}
	checkExplained(t, e, want)
	if e.Directory != dir || e.Status != http.StatusOK {
		t.Errorf("directory %q status %d, want %q 200", e.Directory, e.Status, dir)
	}
	var listed []string
	for i, m := range e.Listed {
		listed = append(listed, m.Mirror)
		if m.Position != i+1 {
			t.Errorf("%s at position %d, want %d", m.Mirror, m.Position, i+1)
		}
	}
	// The two German mirrors come in a random order, drawn per request.
	slices.Sort(listed)
	if got := metalinkMirrors(t, api["METALINKD_SERVER"]+"/metalink?repo=fedora-41&arch=x86_64&country=DE"); !slices.Equal(got, listed) {
		t.Errorf("the metalink lists %v, explained as %v", got, listed)
	}

	r = cliExpect(t, api, ExitOK, []string{"directory " + dir + "; client country -, ASN -, family any"},
		"explain", "--repo", "fedora-41", "--arch", "x86_64", "--ip", "192.0.2.7")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	wantRows := []string{
		"POSITION  MIRROR      STEP      LEFT OUT             DETAIL",
		"1         campus      netblock  -                    -",
		"-         bucket      -         regional             -",
		"-         unreported  -         not-carried          -",
		"-         down        -         disabled-by-crawler  4 consecutive failed crawls",
		"-         off         -         disabled             -",
	}
	// de and stale follow campus in the global step, in a random order.
	if len(lines) != 10 || lines[2] != wantRows[0] || lines[3] != wantRows[1] || strings.Join(lines[6:], "\n") != strings.Join(wantRows[2:], "\n") ||
		!strings.Contains(lines[4]+lines[5], "de          global    -                    -") ||
		!strings.Contains(lines[4]+lines[5], "stale       global    -                    "+adminapi.DetailOlder) {
		t.Errorf("explain --ip table:\n%s\nwant rows:\n%s", r.stdout, strings.Join(wantRows, "\n"))
	}

	cliExpect(t, api, ExitOK, []string{`no mirrors: the answer is 404 "repo = nope arch = x86_64 error: invalid repo or arch"`},
		"explain", "--repo", "nope", "--arch", "x86_64")
	cliExpect(t, api, ExitError, []string{"ip"}, "explain", "--repo", "fedora-41", "--arch", "x86_64", "--ip", "not-an-ip")
	cliExpect(t, api, ExitUsage, []string{"--repo and --arch, or --path"}, "explain", "--repo", "fedora-41")
	noAdmin := map[string]string{"METALINKD_SERVER": api["METALINKD_SERVER"], "METALINKD_TOKEN": "mlk_wrong"}
	cliExpect(t, noAdmin, ExitError, []string{"401"}, "explain", "--repo", "fedora-41", "--arch", "x86_64")
}

// checkExplained compares every mirror of e, as its step or the reason
// it was left out (then ": detail" when there is one), with want.
func checkExplained(t *testing.T, e adminapi.Explanation, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, m := range e.Listed {
		got[m.Mirror] = m.Step
	}
	for _, m := range e.LeftOut {
		got[m.Mirror] = m.Reason
	}
	for _, m := range append(e.Listed, e.LeftOut...) {
		if m.Detail != "" {
			got[m.Mirror] += ": " + m.Detail
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("explained %d mirrors (%v), want %d", len(got), got, len(want))
	}
}

// metalinkMirrors fetches a metalink and names the mirrors of its URLs by
// their host's first label, sorted.
func metalinkMirrors(t *testing.T, u string) []string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, part := range strings.Split(string(body), "://")[1:] {
		if host, rest, _ := strings.Cut(part, "."); strings.HasPrefix(rest, "example/") {
			names = append(names, host)
		}
	}
	slices.Sort(names)
	return names
}
