package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	pg = pgtest.Connect()
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// TestPostgresMigrateImportServe runs the production path: migrate a fresh
// database, import, scan, load cloud ranges, and serve from PostgreSQL with
// --verify-location; then moves the whole data set to an embedded store.
func TestPostgresMigrateImportServe(t *testing.T) {
	pg.Require(t)
	dbURL := pg.NewDatabase(t, false)
	master := t.TempDir()
	const dir = "releases/41/Everything/x86_64/os"
	writeRepomd(t, master, dir, "7")
	env := map[string]string{"DATABASE_URL": dbURL, "METALINKD_SNAPSHOT_CACHE": filepath.Join(t.TempDir(), "snapshot-cache")}

	if r := runCLI(t, env, mirrorsYAML, "import", "-"); r.code != ExitError || !strings.Contains(r.stderr, "metalinkd migrate") {
		t.Fatalf("import before migrate: %+v", r)
	}
	for range 2 { // idempotent
		if r := runCLI(t, env, "", "migrate"); r.code != ExitOK || !strings.Contains(r.stdout, "schema at version") {
			t.Fatalf("migrate: %+v", r)
		}
	}
	steps := [][]string{
		{"import", "-"},
		{"scan", "--root", master},
		{"report", "--mirror", "bucket", "--directory", dir},
		{"ranges", "import", "--aws", "../cloudranges/testdata/ip-ranges.json"},
	}
	for _, args := range steps {
		if r := runCLI(t, env, mirrorsYAML, args...); r.code != ExitOK {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	if r := runCLI(t, env, "", "ranges", "import", "--aws", "../cloudranges/testdata/ip-ranges.json"); !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("re-import of the same syncToken: %+v", r)
	}
	if r := runCLI(t, env, "", "ranges", "show"); !hasRow(r.stdout, "us-east-1", "2", "us-east-1") || !hasRow(r.stdout, "eu-west-1", "2", "-") {
		t.Errorf("ranges show: %+v", r)
	}

	getenv := func(k string) string { return env[k] }
	c, err := LoadServeConfig(Env{Getenv: getenv, Stdout: io.Discard, Stderr: io.Discard}, []string{"--verify-location", "--trusted-proxy", "127.0.0.1/32"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.StoreDescription, "@") && !strings.HasPrefix(c.StoreDescription, "postgres:") {
		t.Errorf("store description %q", c.StoreDescription)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, cleanup, err := wireServer(ctx, c, slog.New(slog.DiscardHandler), nil, logging.JSON)
	if err != nil {
		t.Fatal(err)
	}
	h := w.srv.Handler()
	defer cleanup()
	ts := httptest.NewServer(h)
	defer ts.Close()
	// 127.0.0.0/24 is us-east-1 in the fixture ranges; 127.0.1.0/24 eu-west-1.
	// The client's address comes from the trusted proxy: ip= never reaches
	// cloud ranges or location verification.
	inside := fetchFor(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&location=us-east-1", "127.0.0.9")
	if !strings.Contains(inside, "location = us-east-1") || !strings.Contains(inside, "http://bucket.example/pub/") {
		t.Errorf("verified claim from inside the region:\n%s", inside)
	}
	outside := fetchFor(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&location=us-east-1", "127.0.1.9")
	if strings.Contains(outside, "bucket.example") {
		t.Errorf("claim from another region honoured:\n%s", outside)
	}
	noLocation := fetchFor(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64", "127.0.0.9")
	if spoofed := fetch(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&location=us-east-1&ip=127.0.1.9"); !strings.Contains(spoofed, "location = us-east-1") {
		t.Errorf("ip= changed location verification:\n%s", spoofed)
	}
	if !strings.Contains(noLocation, "Using cloud region us-east-1") || !strings.Contains(noLocation, "bucket.example") {
		t.Errorf("cloud address without location:\n%s", noLocation)
	}

	// export from PostgreSQL, import into an embedded store: the same data.
	exp := runCLI(t, env, "", "export")
	if exp.code != ExitOK {
		t.Fatalf("export: %+v", exp)
	}
	emb := map[string]string{"METALINKD_DATA_DIR": t.TempDir()}
	if r := runCLI(t, emb, exp.stdout, "import", "-"); r.code != ExitOK {
		t.Fatalf("import of the export: %+v", r)
	}
	if again := runCLI(t, emb, "", "export"); again.stdout != exp.stdout {
		t.Errorf("embedded export differs from the PostgreSQL export:\n--- postgres\n%s\n--- embedded\n%s", exp.stdout, again.stdout)
	}
}

// hasRow reports whether a table has a line with exactly these fields.
func hasRow(table string, fields ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

// fetchFor gets url through a proxy that forwards for client.
func fetchFor(t *testing.T, url, client string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
