package e2e

// The reliability suite: hostile input, floods with a probe, database
// faults under load and killed imports, against the real binary. Its short
// form runs with go test; METALINKD_RELIABILITY=long (scripts/reliability.sh)
// makes the floods, loads and kill counts larger.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/mirrorsfile"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// longForm reports whether the long form of the suite was asked for.
func longForm() bool { return os.Getenv("METALINKD_RELIABILITY") == "long" }

// sized returns short, or long in the long form.
func sized(short, long int) int {
	if longForm() {
		return long
	}
	return short
}

// storeServer is `metalinkd serve` on the demo data, in an embedded store
// (dataDir) or a PostgreSQL database (dbURL) that the test reads too.
type storeServer struct {
	addr    string
	dataDir string
	log     string
	dbURL   string
	st      store.Store // the test's own handle on the server's store
}

// serveEmbedded starts the real binary on the demo data in a fresh
// embedded store and waits until /healthz answers.
func serveEmbedded(t *testing.T, flags ...string) *storeServer {
	t.Helper()
	dir := t.TempDir()
	s := &storeServer{dataDir: filepath.Join(dir, "data"), log: filepath.Join(dir, "metalinkd.log")}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("server log:\n%s", b)
		}
	})
	var lastErr error
	for range 3 { // another program may take the port between probe and bind
		s.addr = testpeer.FreeAddr(t)
		logFile, err := os.Create(s.log)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"serve", "--demo", "--data-dir", s.dataDir, "--listen", s.addr,
			"--access-log=false", "--log-format", "json"}, flags...)
		cmd := exec.Command(testpeer.Metalinkd(t), args...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		p := testpeer.Start(t, cmd)
		logFile.Close()
		if lastErr = testpeer.WaitReady(p, 30*time.Second, testpeer.HTTPOK("http://"+s.addr+"/healthz")); lastErr == nil {
			st, err := sqlite.Open(context.Background(), s.dataDir)
			if err != nil {
				t.Fatalf("open the embedded store: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			s.st = st
			return s
		}
	}
	t.Fatal(lastErr)
	return nil
}

// servePostgres starts the real binary on a new database of the shared
// PostgreSQL server holding the demo data, and waits until /healthz answers.
func servePostgres(t *testing.T) *storeServer {
	t.Helper()
	dbURL := pg.NewDatabase(t, true)
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := mirrorsfile.Write(&b, mirrorsfile.YAML, d, true, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dbURL, "import", file)
	r := startReplica(t, "corpus", dbURL)
	st, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &storeServer{addr: strings.TrimPrefix(r.url, "http://"), log: r.log, dbURL: dbURL, st: st}
}

// serveEach runs f on a server of each store: the embedded one, and
// PostgreSQL unless the shared server is missing (skipped, or failed under
// CI=true).
func serveEach(t *testing.T, f func(t *testing.T, s *storeServer)) {
	t.Run("embedded", func(t *testing.T) { f(t, serveEmbedded(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, servePostgres(t)) })
}

// cli runs a metalinkd command on the server's store and returns its
// standard output.
func (s *storeServer) cli(t *testing.T, args ...string) []byte {
	t.Helper()
	if s.dbURL != "" {
		return []byte(mustRun(t, s.dbURL, args...))
	}
	n := 1 // the command's words, which the flags follow
	if args[0] == "token" {
		n = 2
	}
	withDir := append(append(slices.Clone(args[:n]), "--data-dir", s.dataDir), args[n:]...)
	out, err := exec.Command(testpeer.Metalinkd(t), withDir...).Output()
	if err != nil {
		t.Fatalf("metalinkd %v: %v", args, err)
	}
	return out
}

// token makes a token of that name and scope on the server's store and
// waits until the server accepts it.
func (s *storeServer) token(t *testing.T, name, scope string) string {
	t.Helper()
	out := s.cli(t, "token", "create", "--name", name, "--scope", scope, "--json")
	var tok struct{ Secret string }
	if err := json.Unmarshal(out, &tok); err != nil || tok.Secret == "" {
		t.Fatalf("token create printed %q: %v", out, err)
	}
	// The admin API follows the store's tokens: a known token gets 200, or
	// 403 when its scope is not admin. Each try comes from another address:
	// an unknown token counts against its client's budget of bad tokens.
	try := 0
	testpeer.MustEventually(t, 20*time.Second, "the server to know the new token", func() bool {
		try++
		src := fmt.Sprintf("127.0.3.%d", try%250+1)
		resp := rawDo(t, src, s.addr, request{method: "GET", target: "/api/v1/mirrors", token: tok.Secret})
		return resp.status == http.StatusOK || resp.status == http.StatusForbidden
	})
	return tok.Secret
}

// export is the store's export, as `metalinkd export` writes it.
func (s *storeServer) export(t *testing.T) []byte {
	t.Helper()
	return exportStore(t, s.st)
}

// exportStore writes st as a complete mirrors file.
func exportStore(t *testing.T, st store.Store) []byte {
	t.Helper()
	d, err := st.Load(context.Background())
	if err != nil {
		t.Fatalf("load the store: %v", err)
	}
	var b bytes.Buffer
	if err := mirrorsfile.Write(&b, mirrorsfile.YAML, d, true, nil); err != nil {
		t.Fatalf("export: %v", err)
	}
	return b.Bytes()
}

// mirrorBases are the URLs of the mirrors the demo data has: every URL an
// answer lists starts with one of them.
func mirrorBases(t *testing.T) []string {
	t.Helper()
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	for _, m := range d.Mirrors {
		for _, u := range m.URLs {
			bases = append(bases, strings.TrimSuffix(u, "/")+"/")
		}
	}
	if len(bases) == 0 {
		t.Fatal("the demo data has no mirror URLs")
	}
	return bases
}

// request is one HTTP/1.1 request written as given: the target is sent
// byte for byte, so that hostile paths and queries reach the server unchanged.
type request struct {
	method, target string
	token          string // bearer secret; empty sends no Authorization
	header         string // extra header lines, each ending in \r\n
	body           []byte
}

// response is what came back: the status (0 when the server closed the
// connection without one) and the body.
type response struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// rawDo sends r on a new connection from the loopback address src.
func rawDo(t testing.TB, src, addr string, r request) response {
	t.Helper()
	c, err := dialFrom(src, addr)
	if err != nil {
		return response{err: err}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // only turns a hang into a failure
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", r.method, r.target, addr)
	if r.token != "" {
		fmt.Fprintf(&head, "Authorization: Bearer %s\r\n", r.token)
	}
	if r.body != nil {
		fmt.Fprintf(&head, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(r.body))
	}
	head.WriteString(r.header)
	head.WriteString("\r\n")
	// The server may answer (413, 431) before reading everything: write
	// beside the read, and ignore a write cut short.
	go func() {
		c.Write(head.Bytes())
		c.Write(r.body)
	}()
	// The method tells the reader whether a body follows (none for HEAD).
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: r.method})
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

// latencies summarises a probe's request times.
type latencies []time.Duration

func (l latencies) String() string {
	if len(l) == 0 {
		return "no requests"
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return fmt.Sprintf("p50 %v, p99 %v, max %v (%d requests)", s[len(s)/2].Round(time.Microsecond),
		s[len(s)*99/100].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond), len(s))
}

// figure prints a line for the long form's summary (scripts/reliability.sh
// collects the lines that start with "reliability:") and logs it.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	fmt.Fprintf(os.Stderr, "reliability: %s: %s\n", t.Name(), line)
}

// lineDiff lists the lines of a that b lacks (-) and those of b that a
// lacks (+), at most 20 of each.
func lineDiff(a, b []byte) string {
	count := func(s []byte) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(string(s), "\n") {
			m[l]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	for _, side := range []struct {
		sign     string
		from, to map[string]int
		text     []byte
	}{{"-", ca, cb, a}, {"+", cb, ca, b}} {
		n := 0
		for _, l := range strings.Split(string(side.text), "\n") {
			if side.from[l] > side.to[l] && n < 20 {
				out = append(out, side.sign+l)
				side.to[l]++
				n++
			}
		}
	}
	return strings.Join(out, "\n")
}
