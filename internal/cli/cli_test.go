package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/geoip/geoiptest"
	"github.com/metalinkd/metalinkd/internal/logging"
)

type run struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	e := Env{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code := Main(context.Background(), e, args)
	return run{code, out.String(), errb.String()}
}

const mirrorsYAML = `locations:
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
  - name: fresh-later
    country: DE
    bandwidth: 100
    always_up_to_date: false
    urls: [http://later.example/pub]
`

func writeRepomd(t *testing.T, root, dir, rev string) {
	t.Helper()
	p := filepath.Join(root, dir, "repodata", "repomd.xml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	doc := "<repomd><revision>" + rev + "</revision></repomd>"
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportScanReportServe walks an admin's first steps: import a mirrors
// file, scan the master tree, report a mirror's content, and serve.
func TestImportScanReportServe(t *testing.T) {
	data, master := t.TempDir(), t.TempDir()
	env := map[string]string{"METALINKD_DATA_DIR": data}
	const dir = "releases/41/Everything/x86_64/os"
	writeRepomd(t, master, dir, "1")

	if r := runCLI(t, env, strings.Replace(mirrorsYAML, "bandwidth: 100\n", "bandwidth: 0\n", 1), "import", "-"); r.code != ExitError || !strings.Contains(r.stderr, "mirrors[1].bandwidth") || !strings.Contains(r.stderr, "line 12") {
		t.Fatalf("invalid import: %+v", r)
	}
	if r := runCLI(t, env, mirrorsYAML, "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	if r := runCLI(t, env, "", "scan", "--root", master); r.code != ExitOK || !strings.Contains(r.stdout, "1 changed") {
		t.Fatalf("scan: %+v", r)
	}
	// The bucket and fresh-later need reports before they are listed.
	if r := runCLI(t, env, "", "report", "--mirror", "bucket", "--directory", dir); r.code != ExitOK {
		t.Fatalf("report: %+v", r)
	}
	if r := runCLI(t, env, "", "report", "--mirror", "de", "--directory", dir, "--sha256", strings.Repeat("0", 64)); r.code != ExitError || !strings.Contains(r.stderr, "neither the current") {
		t.Fatalf("report of an unknown repomd: %+v", r)
	}
	writeRepomd(t, master, dir, "2")
	if r := runCLI(t, env, "", "scan", "--root", master); r.code != ExitOK {
		t.Fatalf("rescan: %+v", r)
	}
	geo := geoiptest.Write(t, []geoiptest.Entry{{CIDR: "192.0.2.0/24", Country: "DE"}})
	c, err := LoadServeConfig(Env{Getenv: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: io.Discard},
		[]string{"--geoip-db", geo, "--allow-ip-param"})
	if err != nil {
		t.Fatal(err)
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
	body := fetch(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&ip=192.0.2.9")
	// The bucket still carries the previous repomd, now an alternate: listed first.
	if !strings.Contains(body, "<mm0:alternates>") || !strings.Contains(body, `preference="100" mm0:private="True">http://bucket.example/pub/`+dir) {
		t.Errorf("metalink:\n%s", body)
	}
	if strings.Contains(body, "later.example") {
		t.Error("a mirror without a report was listed")
	}
	list := fetch(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&ip=192.0.2.9")
	if !strings.HasPrefix(list, "# repo = fedora-41 arch = x86_64 country = DE ") || !strings.Contains(list, "http://de.example/pub/"+dir+"/\n") {
		t.Errorf("mirrorlist with GeoIP:\n%s", list)
	}
	if r := runCLI(t, env, "", "expire", "--directory", dir); r.code != ExitOK {
		t.Fatalf("expire: %+v", r)
	}
	if r := runCLI(t, env, "", "export"); r.code != ExitOK || !strings.Contains(r.stdout, "directories:") {
		t.Fatalf("export: %+v", r)
	}
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestUsage(t *testing.T) {
	if r := runCLI(t, nil, "", "frobnicate"); r.code != ExitUsage || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("%+v", r)
	}
	if r := runCLI(t, nil, "", "serve", "--listen", "nope"); r.code != ExitUsage {
		t.Errorf("%+v", r)
	}
	if r := runCLI(t, nil, "", "serve", "--trusted-proxy", "10.0.0.1/8"); r.code != ExitUsage || !strings.Contains(r.stderr, "host bits") {
		t.Errorf("%+v", r)
	}
	r := runCLI(t, nil, "", "serve", "-h")
	for _, flag := range []string{"-listen", "-data-dir", "-demo", "-geoip-db", "-asn-db", "-trusted-proxy", "-minimum", "-access-log"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("serve -h does not document %s", flag)
		}
	}
	if r.code != ExitOK {
		t.Errorf("serve -h exit %d", r.code)
	}
	if r := runCLI(t, map[string]string{"METALINKD_LISTEN": "127.0.0.1:9999"}, "", "serve", "--print-config"); !strings.Contains(r.stdout, `"listen": "127.0.0.1:9999"`) {
		t.Errorf("environment default not used: %+v", r)
	}
}
