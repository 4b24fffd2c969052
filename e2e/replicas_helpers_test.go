package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// The replica and outage tests run the real binary on PostgreSQL, each
// command and server as a separate process.

// cliResult is what one run of a metalinkd command left behind.
type cliResult struct {
	code           int
	stdout, stderr string
}

// metalinkdOn runs a command of the binary against the database at dbURL.
// The deadline only turns a hang into a failure.
func metalinkdOn(t *testing.T, dbURL string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testpeer.Metalinkd(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
	if ctx.Err() != nil {
		t.Fatalf("metalinkd %v did not finish: %+v", args, r)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("metalinkd %v: %v", args, err)
	}
	return r
}

// mustRun runs a command that has to succeed.
func mustRun(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	r := metalinkdOn(t, dbURL, args...)
	if r.code != 0 {
		t.Fatalf("metalinkd %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// replica is one `metalinkd serve` process.
type replica struct {
	name string
	url  string
	log  string
}

// startReplica starts `metalinkd serve` on a free loopback port and waits
// until /healthz answers. The process is stopped (SIGTERM, then SIGKILL,
// by pid) when t ends, and its log is printed if t failed. Extra flags
// follow the defaults, so they override them.
func startReplica(t *testing.T, name, dbURL string, extra ...string) *replica {
	t.Helper()
	// A port found free may be taken before the child binds it: try again.
	for attempt := 1; ; attempt++ {
		r, p := spawnReplica(t, name, dbURL, extra...)
		err := testpeer.WaitReady(p, 20*time.Second, testpeer.HTTPOK(r.url+"/healthz"))
		if err == nil {
			return r
		}
		if attempt == 3 {
			b, _ := os.ReadFile(r.log)
			t.Fatalf("replica %s did not start: %v\n%s", name, err, b)
		}
	}
}

func spawnReplica(t *testing.T, name, dbURL string, extra ...string) (*replica, *testpeer.Process) {
	t.Helper()
	addr := testpeer.FreeAddr(t)
	dir := t.TempDir()
	r := &replica{name: name, url: "http://" + addr, log: filepath.Join(dir, name+".log")}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// Only notifications may trigger reloads here: the safety reload is
	// pushed out of the test's reach.
	// The snapshot cache stays in the test's directory.
	args := append([]string{"serve", "--listen", addr, "--reload-interval", "1h",
		"--log-format", "json", "--access-log=false", "--snapshot-cache", filepath.Join(dir, "snapshot-cache")}, extra...)
	cmd := exec.Command(testpeer.Metalinkd(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Registered before the process's stop, so it runs after it.
	var pid int
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(r.log)
			t.Logf("log of replica %s (pid %d):\n%s", r.name, pid, b)
		}
	})
	p := testpeer.Start(t, cmd)
	pid = p.Pid()
	return r, p
}

// metalinkPath asks for the fixture repository's metalink.
const metalinkPath = "/metalink?repo=fedora-41&arch=x86_64"

// fixtureDir is the fixture repository's directory in the master tree.
const fixtureDir = "releases/41/Everything/x86_64/os"

// replicaMirrors lists two mirrors: alpha is always listed; beta only once a
// report says it carries the current repomd.xml. The repository is named
// because an import replaces the stored repositories, those a scan created
// included.
const replicaMirrors = `repositories:
  - {prefix: fedora-41, arch: x86_64, directory: ` + fixtureDir + `}
mirrors:
  - name: alpha
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [http://alpha.example/pub]
  - name: beta
    country: FR
    bandwidth: 100
    urls: [http://beta.example/pub]
`

// fixtureRepomd is the fixture repository's repomd.xml.
const fixtureRepomd = "<repomd><revision>1</revision></repomd>\n"

// seed imports the mirrors file and scans a one-repository master tree
// into the database at dbURL.
func seed(t *testing.T, dbURL string) {
	t.Helper()
	dir := t.TempDir()
	repomd := filepath.Join(dir, "master", fixtureDir, "repodata", "repomd.xml")
	if err := os.MkdirAll(filepath.Dir(repomd), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(repomd, []byte(fixtureRepomd), 0o644); err != nil {
		t.Fatal(err)
	}
	mirrors := filepath.Join(dir, "mirrors.yaml")
	if err := os.WriteFile(mirrors, []byte(replicaMirrors), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dbURL, "import", mirrors)
	mustRun(t, dbURL, "scan", "--root", filepath.Join(dir, "master"))
}

// lists reports whether a metalink body lists the mirror at host.
func lists(body, host string) bool {
	return strings.Contains(body, "://"+host+"/")
}
