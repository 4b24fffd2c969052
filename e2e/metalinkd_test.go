package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// metalinkd drives the metalinkd binary against one data directory: its
// admin commands, and one server process tracked by pid.
type metalinkd struct {
	bin     string // the metalinkd binary
	dataDir string
	logPath string // the server's stderr: one line per request
	url     string // the running server's base URL
	// serveArgs are flags added to every serve.
	serveArgs []string
}

func newMetalinkd(t *testing.T, dir string) *metalinkd {
	t.Helper()
	return &metalinkd{bin: testpeer.Metalinkd(t), dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "metalinkd.log")}
}

// run runs one admin command (import, scan, report) to completion.
func (d *metalinkd) run(t *testing.T, command string, args ...string) {
	t.Helper()
	args = append([]string{command, "--data-dir", d.dataDir}, args...)
	out, err := exec.Command(d.bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("metalinkd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// serve starts the server on a free loopback port and waits until /healthz
// answers. The process is stopped by its pid when the test ends. Another
// program may take the port between the probe and the bind, so a server that
// exits before answering is started again on another port, twice at most.
func (d *metalinkd) serve(t *testing.T) {
	t.Helper()
	var err error
	for range 3 {
		if err = d.start(t); err == nil {
			return
		}
		t.Logf("%v; retrying", err)
	}
	t.Fatal(err)
}

// start runs one server process and waits for it to answer /healthz.
func (d *metalinkd) start(t *testing.T) error {
	t.Helper()
	addr := testpeer.FreeAddr(t)
	logFile, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d.bin, append([]string{"serve", "--data-dir", d.dataDir, "--listen", addr}, d.serveArgs...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := testpeer.Start(t, cmd)
	logFile.Close()
	d.url = "http://" + addr
	if err := testpeer.WaitReady(p, 30*time.Second, testpeer.HTTPOK(d.url+"/healthz")); err != nil {
		select {
		case <-p.Exited():
			return fmt.Errorf("metalinkd serve: %v\n%s", err, d.serverLog(t))
		default:
			t.Fatalf("metalinkd serve never answered /healthz: %v\n%s", err, d.serverLog(t))
		}
	}
	return nil
}

// serverLog returns what the server has logged so far.
func (d *metalinkd) serverLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metalink fetches /metalink with the given query and returns the body.
func (d *metalinkd) metalink(t *testing.T, query string) string {
	t.Helper()
	status, body, err := httpGet(d.url + "/metalink?" + query)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("GET /metalink?%s: status %d\n%s", query, status, body)
	}
	return body
}

// waitForMetalink polls /metalink until its body satisfies ok: the server
// picks up changes made by other processes on its own schedule.
func (d *metalinkd) waitForMetalink(t *testing.T, query, what string, ok func(string) bool) string {
	t.Helper()
	var body string
	if !testpeer.Eventually(30*time.Second, func() bool { body = d.metalink(t, query); return ok(body) }) {
		t.Fatalf("metalink?%s never showed %s; last answer:\n%s", query, what, body)
	}
	return body
}

// httpClient is the tests' HTTP client; its timeout only turns a hang into
// a failure.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// httpGet fetches url and returns the status and the body.
func httpGet(url string) (int, string, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// mirrorsFile writes a metalinkd mirrors file (YAML) registering the
// us-east-1 location, one regional mirror there that needs reports to be
// listed, and public mirrors that are always up to date.
func mirrorsFile(t *testing.T, dir string, regional *mirror, public ...*mirror) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "locations:\n  - name: us-east-1\n    description: AWS US East (N. Virginia)\nmirrors:\n")
	fmt.Fprintf(&b, "  - name: %s\n    country: US\n    bandwidth: 10000\n    urls: [%q]\n"+
		"    locations: [us-east-1]\n    region: us-east-1\n    always_up_to_date: false\n", regional.name, regional.URL())
	countries := []string{"US", "DE", "FR", "JP"}
	for i, m := range public {
		fmt.Fprintf(&b, "  - name: %s\n    country: %s\n    bandwidth: 1000\n    urls: [%q]\n    always_up_to_date: true\n",
			m.name, countries[i%len(countries)], m.URL())
	}
	path := filepath.Join(dir, "mirrors.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
