package clientinit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// regionalMirror is the host of the demo data's bucket mirror for the
// location us-east-1.
const regionalMirror = "metalinkd-demo-us-east-1.s3.us-east-1.amazonaws.com"

// TestEndToEndDNF: client-init learns the region from AWS's metadata mock
// and writes it into a dnf installroot; real dnf then asks metalinkd's
// demo for the metalink with location=us-east-1 and fetches repomd.xml
// from the regional mirror first. A second root, where no metadata service
// answers, shows the contrast: dnf sends $location verbatim and gets the
// ordinary list.
func TestEndToEndDNF(t *testing.T) {
	testpeer.Require(t, "dnf", "apt-get install -y dnf")
	mock := startIMDSMock(t, true, nil) // the mock's default region is us-east-1
	server := startMetalinkdDemo(t)
	mirrors := newDemoMirrors(t)
	metalink := newMetalinkRecorder(t, server, mirrors.url)

	tests := []struct {
		name         string
		awsEndpoint  string
		initCode     int
		wantLocation string
		wantFirst    func(host string) bool
	}{
		{"in region", mock, exitOK, "us-east-1", func(h string) bool { return h == regionalMirror }},
		{"no metadata", closedEndpoint(t), ExitNoMetadata, "$location", func(h string) bool { return h != regionalMirror }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newInstallroot(t, metalink.url+"/metalink?repo=fedora-$releasever&arch=$basearch")
			runBinary(t, exitOK, "repo-files", "--root", root)
			runBinary(t, tt.initCode, withEndpoints(tt.awsEndpoint, closedEndpoint(t), closedEndpoint(t), "--root", root)...)
			metalink.reset()
			mirrors.reset()
			out, err := runDNF(t, root, "makecache")
			if err != nil {
				t.Fatalf("dnf makecache: %v\n%s\nlibrepo log:\n%s", err, out, readFile(t, filepath.Join(root, "var/log/dnf.librepo.log")))
			}
			queries := metalink.queries()
			if len(queries) == 0 {
				t.Fatal("dnf never asked for the metalink")
			}
			for _, q := range queries {
				if got := q.Get("location"); got != tt.wantLocation {
					t.Errorf("dnf sent location=%q, want %q (query %s)", got, tt.wantLocation, q.Encode())
				}
			}
			first := mirrors.firstRepomdHost()
			t.Logf("dnf sent %s; mirror requests: %q", queries[0].Encode(), mirrors.requests())
			if !tt.wantFirst(first) {
				t.Errorf("repomd.xml first fetched from %q", first)
			}
		})
	}
}

// startMetalinkdDemo runs metalinkd "serve --demo" on a free
// loopback port and returns its base URL.
func startMetalinkdDemo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := testpeer.Metalinkd(t)
	addr := testpeer.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--demo", "--data-dir", filepath.Join(dir, "data"), "--listen", addr)
	log, err := os.Create(filepath.Join(dir, "metalinkd.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd.Stdout, cmd.Stderr = log, log
	startPeer(t, cmd, addr)
	return "http://" + addr
}

// demoMirrors serves the demo's real repository (demo/repo) for every
// mirror of the demo data at once: a URL https://HOST/PATH becomes
// http://127.0.0.1:PORT/HOST/PATH, and the access log keeps HOST, so it
// tells which mirror dnf fetched each file from.
type demoMirrors struct {
	url string
	mu  sync.Mutex
	log []string // "HOST PATH" per request
}

func newDemoMirrors(t *testing.T) *demoMirrors {
	t.Helper()
	repo := filepath.Join(moduleRoot(t), "internal", "demo", "repo")
	m := &demoMirrors{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, path, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		m.mu.Lock()
		m.log = append(m.log, host+" /"+path)
		m.mu.Unlock()
		_, file, ok := strings.Cut(path, "/repodata/")
		if !ok || strings.Contains(file, "/") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(repo, "repodata", file))
	}))
	t.Cleanup(srv.Close)
	m.url = srv.URL
	return m
}

func (m *demoMirrors) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = nil
}

// firstRepomdHost returns the mirror that was asked for repomd.xml first.
func (m *demoMirrors) firstRepomdHost() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, line := range m.log {
		if host, path, _ := strings.Cut(line, " "); strings.HasSuffix(path, "/repodata/repomd.xml") {
			return host
		}
	}
	return ""
}

// metalinkRecorder stands between dnf and metalinkd. It records the query
// dnf sent, passes it to metalinkd unchanged, and rewrites each mirror URL
// of the answer onto the loopback mirrors, keeping the document order, so
// that dnf never reaches beyond this machine.
type metalinkRecorder struct {
	url  string
	mu   sync.Mutex
	seen []url.Values
}

var mirrorURL = regexp.MustCompile(`(<url protocol=")[a-z]+(" type=")[a-z]+("[^>]*>)[a-z]+://`)

func newMetalinkRecorder(t *testing.T, server, mirrors string) *metalinkRecorder {
	t.Helper()
	rec := &metalinkRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			t.Errorf("dnf sent a query that does not parse: %q", r.URL.RawQuery)
		}
		rec.mu.Lock()
		rec.seen = append(rec.seen, q)
		rec.mu.Unlock()
		resp, err := http.Get(server + r.URL.Path + "?" + r.URL.RawQuery)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		doc := mirrorURL.ReplaceAllString(string(body), "${1}http${2}http${3}"+mirrors+"/")
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, doc)
	}))
	t.Cleanup(srv.Close)
	rec.url = srv.URL
	return rec
}

func (rec *metalinkRecorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.seen = nil
}

func (rec *metalinkRecorder) queries() []url.Values {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]url.Values(nil), rec.seen...)
}

// newInstallroot makes a dnf installroot whose one repository uses the
// metalink URL, with dnf's configuration inside so the host's is not read.
func newInstallroot(t *testing.T, metalink string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	files := map[string]string{
		"etc/dnf/dnf.conf": "[main]\ngpgcheck=0\nskip_if_unavailable=False\ndebuglevel=10\nlogfilelevel=10\n",
		"etc/yum.repos.d/fedora.repo": "[fedora]\nname=Fedora $releasever - $basearch\nmetalink=" + metalink +
			"\nenabled=1\ngpgcheck=0\n",
	}
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runBinary runs the built client-init and fails t unless it exits with code.
func runBinary(t *testing.T, code int, args ...string) {
	t.Helper()
	cmd := exec.Command(clientInitBinary(t), args...)
	out, _ := cmd.CombinedOutput()
	if got := cmd.ProcessState.ExitCode(); got != code {
		t.Fatalf("client-init %q: exit %d, want %d\n%s", args, got, code, out)
	}
}

// runDNF runs dnf in the installroot, with its cache inside it (dnf 4 does
// not prefix the installroot to a cachedir given with --setopt).
func runDNF(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	base := []string{"-v", "-y", "--disableplugin=local", "--installroot=" + root, "--releasever=41",
		"--forcearch=x86_64", "--setopt=cachedir=" + filepath.Join(root, "var/cache/dnf")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dnf", append(base, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(root, "root"), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

// requests returns the access log: "HOST PATH" per request.
func (m *demoMirrors) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}
