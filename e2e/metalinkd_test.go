package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// metalinkd drives the metalinkd binary against one data directory: its
// admin commands, and one server process tracked by pid.
type metalinkd struct {
	dataDir string
	logPath string // the server's stderr: one line per request
	url     string // the running server's base URL
}

func newMetalinkd(t *testing.T, dir string) *metalinkd {
	t.Helper()
	requireMetalinkd(t)
	return &metalinkd{dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "metalinkd.log")}
}

// run runs one admin command (import, scan, report) to completion.
func (d *metalinkd) run(t *testing.T, command string, args ...string) {
	t.Helper()
	args = append([]string{command, "--data-dir", d.dataDir}, args...)
	out, err := exec.Command(metalinkdBin, args...).CombinedOutput()
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
	cmd := exec.Command(metalinkdBin, "serve", "--data-dir", d.dataDir, "--listen", addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopProcess(t, cmd.Process, exited) })
	d.url = "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("metalinkd serve (pid %d) exited: %v\n%s", cmd.Process.Pid, err, d.serverLog(t))
		default:
		}
		if status, _, err := httpGet(d.url + "/healthz"); err == nil && status == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("metalinkd serve (pid %d) never answered /healthz\n%s", cmd.Process.Pid, d.serverLog(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopProcess ends a child by its pid: SIGTERM, then SIGKILL if it lingers.
func stopProcess(t *testing.T, p *os.Process, exited chan error) {
	if err := p.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("signal pid %d: %v", p.Pid, err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		p.Kill()
		<-exited
	}
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
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := d.metalink(t, query)
		if ok(body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("metalink?%s never showed %s; last answer:\n%s", query, what, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func httpGet(url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
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
