package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

// These tests run the real binary, built once, as separate processes.
var (
	binary string
	pg     *pgtest.Server
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "metalinkd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "metalinkd")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building metalinkd: %v\n%s", err, out)
		return 1
	}
	pg = pgtest.Connect()
	defer pg.Close()
	return m.Run()
}

// require skips t when a service or tool it needs is missing, or fails it
// when CI=true, where a missing dependency must not pass quietly.
func require(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: the test needs it)", msg)
	}
	t.Skip(msg)
}

// cliResult is what one run of a metalinkd command left behind.
type cliResult struct {
	code           int
	stdout, stderr string
}

// metalinkd runs a command of the binary against the database at dbURL.
// The deadline only turns a hang into a failure.
func metalinkd(t *testing.T, dbURL string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
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
	r := metalinkd(t, dbURL, args...)
	if r.code != 0 {
		t.Fatalf("metalinkd %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// replica is one `metalinkd serve` process.
type replica struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startReplica starts `metalinkd serve` on a free loopback port and waits
// until /healthz answers. The process is stopped (SIGTERM, then SIGKILL,
// by pid) when t ends, and its log is printed if t failed.
func startReplica(t *testing.T, name, dbURL string) *replica {
	t.Helper()
	// A port found free may be taken before the child binds it: try again.
	for attempt := 1; ; attempt++ {
		r := spawnReplica(t, name, dbURL)
		if r.waitHealthy(t) {
			return r
		}
		if attempt == 3 {
			b, _ := os.ReadFile(r.log)
			t.Fatalf("replica %s did not start:\n%s", name, b)
		}
	}
}

func spawnReplica(t *testing.T, name, dbURL string) *replica {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := &replica{name: name, url: "http://" + addr, done: make(chan struct{}),
		log: filepath.Join(t.TempDir(), name+".log")}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// Only notifications may trigger reloads here: the safety reload is
	// pushed out of the test's reach.
	r.cmd = exec.Command(binary, "serve", "--listen", addr, "--reload-interval", "1h",
		"--log-format", "json", "--access-log=false")
	r.cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			b, _ := os.ReadFile(r.log)
			t.Logf("log of replica %s (pid %d):\n%s", r.name, r.cmd.Process.Pid, b)
		}
	})
	return r
}

// waitHealthy reports whether /healthz answered before the process ended.
func (r *replica) waitHealthy(t *testing.T) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return false
		default:
		}
		if code, _, err := get(r.url + "/healthz"); err == nil && code == http.StatusOK {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// stop ends the process by its pid: SIGTERM, then SIGKILL after 5 s.
func (r *replica) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

// get fetches url and returns the status and the body.
func get(url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// metalinkPath asks for the fixture repository's metalink.
const metalinkPath = "/metalink?repo=fedora-41&arch=x86_64"

// fixtureDir is the fixture repository's directory in the master tree.
const fixtureDir = "releases/41/Everything/x86_64/os"

// mirrorsFile lists two mirrors: alpha is always listed; beta only once a
// report says it carries the current repomd.xml. The repository is named
// because an import replaces the stored repositories, those a scan created
// included.
const mirrorsFile = `repositories:
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
	if err := os.WriteFile(mirrors, []byte(mirrorsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dbURL, "import", mirrors)
	mustRun(t, dbURL, "scan", "--root", filepath.Join(dir, "master"))
}

// lists reports whether a metalink body lists the mirror at host.
func lists(body, host string) bool {
	return strings.Contains(body, "://"+host+"/")
}
