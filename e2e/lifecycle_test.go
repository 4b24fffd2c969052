package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/internal/version"
)

// lifecycle is one metalinkd server process whose logs go to files, for
// the tests of its signals.
type lifecycle struct {
	md         *metalinkd
	proc       *testpeer.Process
	log        string // --log-file
	access     string // --access-log-file
	stderr     string
	masterRoot string
}

// gammaMirrors adds one mirror to replicaMirrors' network.
const gammaMirrors = `repositories:
  - {prefix: fedora-41, arch: x86_64, directory: ` + fixtureDir + `}
mirrors:
  - name: gamma
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [http://gamma.example/pub]
`

// newLifecycle seeds an embedded store with the replica fixture and starts
// a server on it with the given extra flags and its logs in files.
func newLifecycle(t *testing.T, flags ...string) *lifecycle {
	t.Helper()
	dir := t.TempDir()
	l := &lifecycle{md: newMetalinkd(t, dir), log: filepath.Join(dir, "server.log"),
		access: filepath.Join(dir, "access.log"), stderr: filepath.Join(dir, "stderr.log"),
		masterRoot: filepath.Join(dir, "master")}
	repomd := filepath.Join(l.masterRoot, fixtureDir, "repodata", "repomd.xml")
	if err := os.MkdirAll(filepath.Dir(repomd), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(repomd, []byte(fixtureRepomd), 0o644); err != nil {
		t.Fatal(err)
	}
	l.md.run(t, "import", writeLifecycleFile(t, dir, "mirrors.yaml", replicaMirrors))
	l.md.run(t, "scan", "--root", l.masterRoot)
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range []string{l.stderr, l.log, l.access} {
				b, _ := os.ReadFile(p)
				t.Logf("%s:\n%s", filepath.Base(p), b)
			}
		}
	})
	var err error
	for range 3 {
		if err = l.start(t, flags); err == nil {
			return l
		}
		t.Logf("%v; retrying", err)
	}
	t.Fatal(err)
	return nil
}

// start runs the server on a free port and waits until it answers; a
// server that lost its port to another program is reported, not fatal.
func (l *lifecycle) start(t *testing.T, flags []string) error {
	t.Helper()
	addr := testpeer.FreeAddr(t)
	stderr, err := os.Create(l.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	args := append([]string{"serve", "--data-dir", l.md.dataDir, "--listen", addr, "--log-format", "json",
		"--log-file", l.log, "--access-log-file", l.access, "--reload-interval", "1h"}, flags...)
	cmd := exec.Command(l.md.bin, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	l.proc = testpeer.Start(t, cmd)
	l.md.url = "http://" + addr
	if err := testpeer.WaitReady(l.proc, 30*time.Second, testpeer.HTTPOK(l.md.url+"/healthz")); err != nil {
		select {
		case <-l.proc.Exited():
			return err
		default:
			t.Fatal(err)
		}
	}
	return nil
}

func (l *lifecycle) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(l.proc.Pid(), sig); err != nil {
		t.Fatalf("signal %v to pid %d: %v", sig, l.proc.Pid(), err)
	}
}

func (l *lifecycle) running() bool {
	select {
	case <-l.proc.Exited():
		return false
	default:
		return true
	}
}

func writeLifecycleFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func logHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

// TestSIGHUPReopensLogsAndReloads is logrotate's and systemctl reload's
// path: the files are renamed, SIGHUP arrives, and the server goes on
// running with new files at the original paths and a fresh snapshot.
func TestSIGHUPReopensLogsAndReloads(t *testing.T) {
	l := newLifecycle(t, "--drain", "0s")
	l.md.metalink(t, "repo=fedora-41&arch=x86_64&before=rotation")
	testpeer.MustEventually(t, 10*time.Second, "the first access line", func() bool {
		return logHas(l.access, "before=rotation")
	})
	for _, p := range []string{l.log, l.access} {
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
	// The store changes; the embedded store's watcher may or may not see it
	// first, but only SIGHUP writes a reload line with reason "request".
	l.md.run(t, "import", "--merge", writeLifecycleFile(t, t.TempDir(), "gamma.yaml", gammaMirrors))
	l.signal(t, syscall.SIGHUP)

	testpeer.MustEventually(t, 10*time.Second, "a new server log with the reopen and the requested reload", func() bool {
		return logHas(l.log, `"msg":"log files reopened"`) && logHas(l.log, `"reason":"request"`)
	})
	l.md.waitForMetalink(t, "repo=fedora-41&arch=x86_64&after=rotation", "the added mirror", func(body string) bool {
		return lists(body, "gamma.example")
	})
	testpeer.MustEventually(t, 10*time.Second, "a new access log with the next request", func() bool {
		return logHas(l.access, "after=rotation")
	})
	if !l.running() {
		t.Fatalf("metalinkd exited on SIGHUP: %v", l.proc.Err())
	}
	if logHas(l.access+".1", "after=rotation") || logHas(l.log+".1", "log files reopened") {
		t.Error("lines written after SIGHUP went to the renamed files")
	}
	if !logHas(l.log+".1", `"msg":"listening"`) {
		t.Error("the renamed server log lost the lines written before SIGHUP")
	}
}

// TestSIGTERMDrains: /readyz turns 503 "draining" while the answers go
// on, then the process exits 0.
func TestSIGTERMDrains(t *testing.T) {
	l := newLifecycle(t, "--drain", "8s")
	l.signal(t, syscall.SIGTERM)
	var body string
	testpeer.MustEventually(t, 10*time.Second, "/readyz to answer 503 draining", func() bool {
		var status int
		var err error
		status, body, err = httpGet(l.md.url + "/readyz")
		return err == nil && status == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, `"status":"draining"`) {
		t.Errorf("readyz body while draining: %s", body)
	}
	if status, body, err := httpGet(l.md.url + metalinkPath); err != nil || status != http.StatusOK || !lists(body, "alpha.example") {
		t.Errorf("metalink while draining: %d %v\n%s", status, err, body)
	}
	select {
	case <-l.proc.Exited():
	case <-time.After(60 * time.Second):
		t.Fatal("metalinkd did not exit after the drain")
	}
	if err := l.proc.Err(); err != nil {
		t.Errorf("metalinkd ended with %v, want exit status 0", err)
	}
	if !logHas(l.log, `"msg":"shutting down"`) {
		t.Error("no shutdown line in the server log")
	}
}

// TestMetalinkdVersion: --version, the version subcommand and /readyz tell the same
// build.
func TestMetalinkdVersion(t *testing.T) {
	l := newLifecycle(t, "--drain", "0s")
	var outs []string
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(l.md.bin, args...).Output()
		if err != nil {
			t.Fatalf("metalinkd %v: %v", args, err)
		}
		outs = append(outs, string(out))
	}
	if outs[0] != outs[1] || !strings.HasPrefix(outs[0], "metalinkd ") {
		t.Errorf("--version %q, version %q", outs[0], outs[1])
	}
	status, body, err := httpGet(l.md.url + "/readyz")
	if err != nil || status != http.StatusOK {
		t.Fatalf("readyz: %d %v", status, err)
	}
	var ready struct {
		Version version.Info `json:"version"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil {
		t.Fatal(err)
	}
	if want := "metalinkd " + ready.Version.String() + "\n"; outs[0] != want || ready.Version.Go == "" {
		t.Errorf("--version %q, readyz's version %+v", outs[0], ready.Version)
	}
}
