package mirrorsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// metalinkd is the real server on an embedded store in a temporary
// directory. Its commands run as child processes; serve runs until the test
// ends and is stopped by its pid.
type metalinkd struct {
	t    *testing.T
	bin  string
	data string
	URL  string // http://127.0.0.1:PORT once serving
	log  string
}

func newMetalinkd(t *testing.T) *metalinkd {
	t.Helper()
	m := &metalinkd{t: t, bin: testpeer.Metalinkd(t), data: t.TempDir(), log: filepath.Join(t.TempDir(), "metalinkd.log")}
	// Registered before serve's stop, so it runs after it.
	t.Cleanup(func() {
		if b, err := os.ReadFile(m.log); t.Failed() && err == nil {
			t.Logf("log of metalinkd serve:\n%s", b)
		}
	})
	return m
}

// env is the environment of the server's processes: the embedded store in
// the test's directory, never a PostgreSQL database named by the caller's.
func (m *metalinkd) env() []string {
	env := []string{"METALINKD_DATA_DIR=" + m.data}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL") && !strings.HasPrefix(kv, "METALINKD_") {
			env = append(env, kv)
		}
	}
	return env
}

// run runs a command on the store and returns its exit code and output.
// The deadline only turns a hang into a failure.
func (m *metalinkd) run(args ...string) (int, string, string) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bin, args...)
	cmd.Env = m.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok || ctx.Err() != nil {
			m.t.Fatalf("metalinkd %v: %v\n%s", args, err, errb.String())
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// must runs a command that has to succeed and returns its standard output.
func (m *metalinkd) must(args ...string) string {
	m.t.Helper()
	code, out, errs := m.run(args...)
	if code != 0 {
		m.t.Fatalf("metalinkd %v: exit %d\n%s%s", args, code, out, errs)
	}
	return out
}

// token creates a token with the scope and returns its secret, which
// `token create` prints alone on standard output.
func (m *metalinkd) token(scope string) string {
	m.t.Helper()
	return strings.TrimSpace(m.must("token", "create", "--scope", scope))
}

// serve starts `metalinkd serve` on a free loopback port and waits until
// /healthz answers, trying another port if the one found free was taken.
func (m *metalinkd) serve() {
	m.t.Helper()
	for attempt := 1; ; attempt++ {
		if m.spawn() {
			return
		}
		if attempt == 3 {
			b, _ := os.ReadFile(m.log)
			m.t.Fatalf("metalinkd serve did not start:\n%s", b)
		}
	}
}

func (m *metalinkd) spawn() bool {
	m.t.Helper()
	addr := testpeer.FreeAddr(m.t)
	logf, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(m.bin, "serve", "--listen", addr, "--log-format", "json")
	cmd.Env = m.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	p := testpeer.Start(m.t, cmd)
	m.URL = "http://" + addr
	return testpeer.WaitReady(p, 20*time.Second, testpeer.HTTPOK(m.URL+"/healthz")) == nil
}

var serverHTTP = &http.Client{Timeout: 5 * time.Second}

// api sends a request (with a JSON body unless nil, and a bearer token
// unless empty) to the server and returns the status and the body.
func (m *metalinkd) api(method, path, token string, body any) (int, string) {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			m.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, m.URL+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := serverHTTP.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	metalinkURL    = regexp.MustCompile(`<url [^>]*>([^<]+)</url>`)
	metalinkSHA256 = regexp.MustCompile(`<hash type="sha256">([0-9a-f]{64})</hash>`)
)

// metalink fetches the metalink of repo (arch x86_64) for a guest at
// location and returns its mirror URLs in document order and the sha256 of
// the current repomd.xml (the first one; alternates follow it).
func (m *metalinkd) metalink(repo, location string) ([]string, string) {
	m.t.Helper()
	code, body := m.api(http.MethodGet, "/metalink?repo="+repo+"&arch=x86_64&location="+location, "", nil)
	if code != http.StatusOK {
		m.t.Fatalf("metalink %s at %s: HTTP %d\n%s", repo, location, code, body)
	}
	var urls []string
	for _, u := range metalinkURL.FindAllStringSubmatch(body, -1) {
		urls = append(urls, u[1])
	}
	var sha string
	if s := metalinkSHA256.FindStringSubmatch(body); s != nil {
		sha = s[1]
	}
	return urls, sha
}

// waitMetalink polls the metalink until ok holds for its URLs, for at most
// 10 s (the embedded store reaches the server within about a second), and
// returns the last URLs.
func (m *metalinkd) waitMetalink(repo, location string, ok func([]string) bool) ([]string, bool) {
	m.t.Helper()
	var urls []string
	held := testpeer.Eventually(10*time.Second, func() bool { urls, _ = m.metalink(repo, location); return ok(urls) })
	return urls, held
}

// apiRequests counts the requests to the admin API in the server's access
// log, by method, path and status, as "POST /api/v1/mirrors/m/report 200".
func (m *metalinkd) apiRequests() []string {
	m.t.Helper()
	raw, err := os.ReadFile(m.log)
	if err != nil {
		m.t.Fatal(err)
	}
	n := map[string]int{}
	for _, line := range strings.Split(string(raw), "\n") {
		var r struct {
			Msg, Method, Path string
			Status            int
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Msg == "request" && strings.HasPrefix(r.Path, "/api/") {
			n[fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status)]++
		}
	}
	out := make([]string, 0, len(n))
	for k, c := range n {
		out = append(out, fmt.Sprintf("%s ×%d", k, c))
	}
	sort.Strings(out)
	return out
}
