package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
)

// adminServer imports mirrorsYAML into a new embedded store, makes the
// first admin token with `token create`, and serves the real handler. It
// returns the store's environment and the admin CLI's environment.
func adminServer(t *testing.T) (storeEnv, apiEnv map[string]string) {
	t.Helper()
	return adminServerOn(t, mirrorsYAML, nil)
}

// adminServerOn is adminServer on a store that imported data and, when
// prepare is not nil, was then changed by prepare before the server
// started (so that its first snapshot has the changes).
func adminServerOn(t *testing.T, data string, prepare func(storeEnv map[string]string)) (storeEnv, apiEnv map[string]string) {
	t.Helper()
	storeEnv = map[string]string{"METALINKD_DATA_DIR": t.TempDir(), "USER": "alice"}
	if r := runCLI(t, storeEnv, data, "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	if prepare != nil {
		prepare(storeEnv)
	}
	r := runCLI(t, storeEnv, "", "token", "create", "--scope", "admin", "--name", "first admin")
	secret := strings.TrimSpace(r.stdout)
	if r.code != ExitOK || !strings.HasPrefix(secret, "mlk_") || strings.Contains(secret, "\n") || !strings.Contains(r.stderr, "not shown again") {
		t.Fatalf("token create: %+v", r)
	}
	c, err := LoadServeConfig(Env{Getenv: func(k string) string { return storeEnv[k] }, Stdout: io.Discard, Stderr: io.Discard}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, cleanup, err := wireServer(ctx, c, slog.New(slog.DiscardHandler), nil, logging.JSON)
	if err != nil {
		t.Fatal(err)
	}
	h := w.srv.Handler()
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); cancel(); cleanup() })
	return storeEnv, map[string]string{"METALINKD_SERVER": ts.URL, "METALINKD_TOKEN": secret}
}

// cli runs a command and fails the test unless it exits with code and its
// output contains each of want.
func cliExpect(t *testing.T, env map[string]string, code int, want []string, args ...string) run {
	t.Helper()
	r := runCLI(t, env, "", args...)
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("%s: output lacks %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), w, r.stdout, r.stderr)
		}
	}
	return r
}

// column returns the offset of the first of words in line.
func column(line, word string) int { return strings.Index(line, word) }

func TestMirrorCommands(t *testing.T) {
	storeEnv, api := adminServer(t)
	cliExpect(t, api, ExitOK, []string{"added mirror m3"},
		"mirror", "add", "m3", "--country", "fr", "--bandwidth", "100", "--url", "https://m3.example/pub", "--url", "rsync://m3.example/pub",
		"--netblock", "198.51.100.0/24", "--asn", "64501", "--always-up-to-date")

	r := cliExpect(t, api, ExitOK, []string{"NAME", "BANDWIDTH", "always-up-to-date", "https://m3.example/pub rsync://m3.example/pub"}, "mirror", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("mirror list: want a header and 4 rows:\n%s", r.stdout)
	}
	var row string
	for _, l := range lines {
		if strings.HasPrefix(l, "m3 ") {
			row = l
		}
	}
	if column(lines[0], "COUNTRY") != column(row, "FR") || column(lines[0], "BANDWIDTH") != column(row, "100") {
		t.Errorf("columns not aligned:\n%s", r.stdout)
	}

	r = cliExpect(t, api, ExitOK, nil, "mirror", "list", "--json")
	var list struct{ Mirrors []store.Mirror }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Mirrors) != 4 || list.Mirrors[3].Name != "m3" || list.Mirrors[3].ASN != 64501 {
		t.Errorf("mirror list --json: %v\n%s", err, r.stdout)
	}

	// Every invalid field is named, one per line; nothing is added.
	r = cliExpect(t, api, ExitError, []string{"invalid data (HTTP 400)\n", "\n  country (\"m4\"): ", "\n  bandwidth (\"m4\"): ", "\n  urls[0] (\"m4\"): ", "has no scheme"},
		"mirror", "add", "m4", "--country", "XX", "--bandwidth", "0", "--url", "m4.example/pub")
	if r.stdout != "" {
		t.Errorf("a refused add printed %q", r.stdout)
	}
	cliExpect(t, api, ExitError, []string{"not found (HTTP 404)"}, "mirror", "get", "m4")
	cliExpect(t, api, ExitError, []string{`mirror "m3" already exists (HTTP 409)`}, "mirror", "add", "m3", "--country", "FR", "--bandwidth", "1", "--url", "http://x.example/")

	cliExpect(t, api, ExitOK, []string{"updated mirror m3"}, "mirror", "update", "m3", "--bandwidth", "500", "--netblock", "")
	r = cliExpect(t, api, ExitOK, []string{"bandwidth          500", "always_up_to_date  yes", "no freshness reports"}, "mirror", "get", "m3")
	if strings.Contains(r.stdout, "198.51.100.0/24") {
		t.Errorf("--netblock '' did not clear the netblocks:\n%s", r.stdout)
	}
	master := t.TempDir()
	writeRepomd(t, master, "releases/41/Everything/x86_64/os", "1")
	cliExpect(t, storeEnv, ExitOK, nil, "scan", "--root", master)
	cliExpect(t, storeEnv, ExitOK, nil, "report", "--mirror", "bucket", "--directory", "releases/41/Everything/x86_64/os")
	cliExpect(t, api, ExitOK, []string{"DIRECTORY", "REPORTED", "releases/41/Everything/x86_64/os  "}, "mirror", "get", "bucket")
	cliExpect(t, api, ExitOK, []string{"disabled mirror m3"}, "mirror", "disable", "m3")
	r = cliExpect(t, api, ExitOK, nil, "mirror", "get", "--json", "m3")
	var m store.Mirror
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Enabled || m.Bandwidth != 500 {
		t.Errorf("mirror get --json after disable: %v %+v", err, m)
	}
	cliExpect(t, api, ExitOK, []string{"enabled mirror m3"}, "mirror", "enable", "m3")
	cliExpect(t, api, ExitOK, []string{"deleted mirror m3"}, "mirror", "delete", "m3")
	cliExpect(t, api, ExitError, []string{`mirror "m3" not found (HTTP 404)`}, "mirror", "delete", "m3")
}

func TestLocationAndRepoCommands(t *testing.T) {
	_, api := adminServer(t)
	cliExpect(t, api, ExitOK, []string{"added location eu-west-1"}, "location", "add", "eu-west-1", "--description", "Ireland", "--cloud-region", "eu-west-1")
	r := cliExpect(t, api, ExitOK, []string{"NAME", "CLOUD-REGIONS", "DESCRIPTION"}, "location", "list")
	if !strings.Contains(r.stdout, "eu-west-1  eu-west-1      Ireland") || !strings.Contains(r.stdout, "us-east-1  -              -") {
		t.Errorf("location list:\n%s", r.stdout)
	}
	cliExpect(t, api, ExitError, []string{"name (\"Bad Name\")"}, "location", "add", "Bad Name")
	cliExpect(t, api, ExitError, []string{"still named by a mirror", "(HTTP 409)"}, "location", "delete", "us-east-1")
	cliExpect(t, api, ExitOK, []string{"deleted location eu-west-1"}, "location", "delete", "eu-west-1")

	const dir = "releases/41/Everything/x86_64/os"
	cliExpect(t, api, ExitOK, []string{"added repository fedora-41 x86_64"}, "repo", "add", "fedora-41", "x86_64", "--directory", dir)
	cliExpect(t, api, ExitError, []string{"directory (\"epel-9\")"}, "repo", "add", "epel-9", "x86_64", "--directory", "/abs/")
	cliExpect(t, api, ExitOK, []string{"disabled repository fedora-41 x86_64"}, "repo", "disable", "fedora-41", "x86_64")
	cliExpect(t, api, ExitOK, []string{"fedora-41  x86_64  " + dir + "  yes"}, "repo", "list")
	cliExpect(t, api, ExitOK, []string{"enabled repository"}, "repo", "enable", "fedora-41", "x86_64")
	r = cliExpect(t, api, ExitOK, nil, "repo", "list", "--json")
	if !strings.Contains(r.stdout, `"directory": "`+dir+`"`) || strings.Contains(r.stdout, `"disabled": true`) {
		t.Errorf("repo list --json:\n%s", r.stdout)
	}
	cliExpect(t, api, ExitOK, []string{"deleted repository"}, "repo", "delete", "fedora-41", "x86_64")
	cliExpect(t, api, ExitError, []string{"not found (HTTP 404)"}, "repo", "delete", "fedora-41", "x86_64")
}

func TestTokenCommands(t *testing.T) {
	storeEnv, api := adminServer(t)
	cliExpect(t, storeEnv, ExitUsage, []string{"--scope is required"}, "token", "create")
	cliExpect(t, storeEnv, ExitError, []string{`scopes[0]: unknown mirror "nosuch"`}, "token", "create", "--scope", "report:nosuch")
	r := cliExpect(t, storeEnv, ExitOK, nil, "token", "create", "--scope", "report:bucket", "--json")
	var tok struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || tok.ID == "" || !strings.HasPrefix(tok.Secret, "mlk_") {
		t.Fatalf("token create --json: %v\n%s", err, r.stdout)
	}
	r = cliExpect(t, storeEnv, ExitOK, []string{"ID", "SCOPES", "first admin", "report:bucket"}, "token", "list")
	if strings.Contains(r.stdout, tok.Secret) || strings.Contains(r.stdout, api["METALINKD_TOKEN"]) {
		t.Errorf("token list shows a secret:\n%s", r.stdout)
	}

	// A report token may not manage mirrors; a token file works like the variable.
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(tok.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reporter := map[string]string{"METALINKD_SERVER": api["METALINKD_SERVER"], "METALINKD_TOKEN_FILE": file}
	cliExpect(t, reporter, ExitError, []string{"(HTTP 403)"}, "mirror", "list")

	cliExpect(t, storeEnv, ExitOK, []string{"revoked token " + tok.ID}, "token", "revoke", tok.ID)
	// The server learns of a change made by another process when its store
	// signals it (the embedded store is watched): the token fails from then on.
	testpeer.MustEventually(t, 10*time.Second, "the revocation to reach the server", func() bool {
		r := runCLI(t, reporter, "", "mirror", "list")
		return r.code == ExitError && strings.Contains(r.stderr, "revoked (HTTP 401)")
	})
	cliExpect(t, reporter, ExitError, []string{"revoked (HTTP 401)", "check METALINKD_TOKEN"}, "mirror", "list")
	cliExpect(t, storeEnv, ExitError, []string{"not found"}, "token", "revoke", "nosuchtoken")
	r = cliExpect(t, storeEnv, ExitOK, nil, "token", "list", "--json")
	if !strings.Contains(r.stdout, `"revoked": "`) {
		t.Errorf("token list --json does not show the revocation:\n%s", r.stdout)
	}
}

func TestAdminUsage(t *testing.T) {
	api := map[string]string{"METALINKD_SERVER": "http://127.0.0.1:1", "METALINKD_TOKEN": "mlk_x"}
	cliExpect(t, api, ExitUsage, []string{"a subcommand is required", "Subcommands:"}, "mirror")
	cliExpect(t, api, ExitOK, []string{"list", "add", "update", "delete", "enable", "disable"}, "mirror", "-h")
	cliExpect(t, api, ExitUsage, []string{`unknown subcommand "frob"`}, "repo", "frob")
	cliExpect(t, api, ExitUsage, []string{"want NAME"}, "mirror", "get")
	cliExpect(t, api, ExitUsage, []string{"want PREFIX ARCH"}, "repo", "add", "fedora-41", "--directory", "x")
	cliExpect(t, api, ExitUsage, []string{"nothing to change"}, "mirror", "update", "m1")
	cliExpect(t, api, ExitUsage, []string{"flag provided but not defined"}, "location", "list", "--colour")
	cliExpect(t, map[string]string{}, ExitUsage, []string{"no token: set METALINKD_TOKEN"}, "mirror", "list")
	cliExpect(t, map[string]string{"METALINKD_TOKEN": "x", "METALINKD_SERVER": "127.0.0.1:8080"}, ExitUsage, []string{"want an http://"}, "mirror", "list")
	cliExpect(t, api, ExitError, []string{"connection refused"}, "mirror", "list")

	// Every flag is documented in -h.
	for _, tc := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"mirror", "add", "-h"}, []string{"-server", "-json", "-timeout", "-country", "-bandwidth", "-url", "-netblock", "-asn", "-location", "-private", "-always-up-to-date", "-enabled", "-region", "-bucket", "METALINKD_TOKEN"}},
		{[]string{"mirror", "update", "-h"}, []string{"-country", "-bandwidth", "-url", "-netblock"}},
		{[]string{"location", "add", "-h"}, []string{"-description", "-cloud-region", "-server"}},
		{[]string{"repo", "add", "-h"}, []string{"-directory", "-disabled", "-server"}},
		{[]string{"token", "create", "-h"}, []string{"-scope", "-name", "-json", "-data-dir", "-database-url"}},
		{[]string{"token", "revoke", "-h"}, []string{"-data-dir"}},
	} {
		cliExpect(t, nil, ExitOK, tc.flags, tc.args...)
	}
	r := cliExpect(t, nil, ExitOK, []string{"mirror", "location", "repo", "token"}, "--help")
	if !strings.Contains(r.stdout, "admin API") {
		t.Errorf("usage:\n%s", r.stdout)
	}
}

// A report made through the API lists the mirror for the directory on the
// running server, and a forget unlists it.
func TestReportThroughAPI(t *testing.T) {
	storeEnv, api := adminServer(t)
	const dir = "releases/41/Everything/x86_64/os"
	master := t.TempDir()
	writeRepomd(t, master, dir, "1")
	cliExpect(t, storeEnv, ExitOK, nil, "scan", "--root", master)
	raw, err := os.ReadFile(filepath.Join(master, dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r := cliExpect(t, storeEnv, ExitOK, nil, "token", "create", "--scope", "report:fresh-later")
	token := strings.TrimSpace(r.stdout)
	metalink := api["METALINKD_SERVER"] + "/metalink?repo=fedora-41&arch=x86_64"
	if strings.Contains(fetch(t, metalink), "later.example") {
		t.Fatal("fresh-later is listed before any report")
	}

	post := func(action, body string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, api["METALINKD_SERVER"]+"/api/v1/mirrors/fresh-later/"+action, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", action, resp.StatusCode, b)
		}
		return string(b)
	}
	post("report", fmt.Sprintf(`{"directory": %q, "sha256": "%x"}`, dir, sha256.Sum256(raw)))
	testpeer.MustEventually(t, 15*time.Second, "fresh-later listed after its report", func() bool {
		return strings.Contains(fetch(t, metalink), "later.example")
	})
	if got := post("forget", `{"prefix": "releases/41/"}`); !strings.Contains(got, `"forgotten": 1`) {
		t.Errorf("forget answered %s", got)
	}
	testpeer.MustEventually(t, 15*time.Second, "fresh-later unlisted after forget", func() bool {
		return !strings.Contains(fetch(t, metalink), "later.example")
	})
}
