package crawler_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
)

// freeAddr returns ip with a port that was free just now.
func freeAddr(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func peerEnv() []string {
	return append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
}

// TestCrawlLighttpd checks a mirror served by Debian's lighttpd: fresh,
// then asked again conditionally (lighttpd's ETag), which its access log
// shows as 304s.
func TestCrawlLighttpd(t *testing.T) {
	bin := testpeer.Require(t, "lighttpd", "apt-get install -y lighttpd")
	tree := crawltest.NewTree(4)
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := tree.WriteTree(www, crawltest.Current, map[string]bool{tree.Dirs[3].Path: true}); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t, "127.0.3.1")
	host, port, _ := net.SplitHostPort(addr)
	access := filepath.Join(dir, "access.log")
	conf := fmt.Sprintf(`server.document-root = %q
server.bind = %q
server.port = %s
server.errorlog = %q
server.modules = ("mod_accesslog")
accesslog.filename = %q
mimetype.assign = (".xml" => "text/xml")
`, www, host, port, filepath.Join(dir, "error.log"), access)
	cf := filepath.Join(dir, "lighttpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-D", "-f", cf)
	cmd.Env = peerEnv()
	p := testpeer.Start(t, cmd)
	base := "http://" + addr + "/pub"
	if err := testpeer.WaitReady(p, 10*time.Second, testpeer.HTTPOK(base+"/"+tree.Dirs[0].Path+"/repodata/repomd.xml")); err != nil {
		t.Fatal(err)
	}
	mirrors := []store.Mirror{{Name: "lighttpd", Country: "DE", Bandwidth: 1, Enabled: true, URLs: []string{base}}}
	wantObs := func() []store.Observation {
		var out []store.Observation
		for i, d := range tree.Dirs {
			if i == 3 {
				out = append(out, store.Observation{Directory: d.Path, Status: store.SeenMissing, Detail: "HTTP 404"})
				continue
			}
			out = append(out, store.Observation{Directory: d.Path, Status: store.SeenOK, SHA256: tree.SHA256(d.Path, crawltest.Current)})
		}
		return out
	}()
	c := crawler.New(crawler.Config{Timeout: 5 * time.Second, Deadline: 20 * time.Second})
	for round := range 2 {
		got := collect(t, c, mirrors, tree.Dirs)["lighttpd"]
		if diff := cmp.Diff(httpOK("http"), got.Checks); diff != "" {
			t.Errorf("round %d: checks (-want +got):\n%s", round, diff)
		}
		if diff := cmp.Diff(wantObs, got.Observations); diff != "" {
			t.Errorf("round %d: observations (-want +got):\n%s", round, diff)
		}
	}
	testpeer.MustEventually(t, 10*time.Second, "lighttpd's access log", func() bool {
		b, _ := os.ReadFile(access)
		return strings.Count(string(b), "\n") >= 8
	})
	b, _ := os.ReadFile(access)
	if n := strings.Count(string(b), `" 304 `); n != 3 {
		t.Errorf("lighttpd answered %d 304s on the second crawl, want 3; log:\n%s", n, b)
	}
}

// TestCrawlRsyncDaemon checks mirrors served by a real rsync --daemon,
// one module per kind, with Debian's rsync client.
func TestCrawlRsyncDaemon(t *testing.T) {
	bin := testpeer.Require(t, "rsync", "apt-get install -y rsync")
	tree := crawltest.NewTree(3)
	dir := t.TempDir()
	write := func(module string, v crawltest.Version, skip map[string]bool) string {
		root := filepath.Join(dir, module)
		if err := tree.WriteTree(root, v, skip); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("[%s]\n  path = %s\n  read only = yes\n", module, root)
	}
	modules := write("fresh", crawltest.Current, nil) + write("stale", crawltest.Stale, nil) +
		write("alt", crawltest.Alternate, nil) + write("missing", crawltest.Current, map[string]bool{tree.Dirs[1].Path: true}) +
		write("touched", crawltest.Current, nil)
	// Right sizes, wrong times: rsync cannot tell, HTTP settles it.
	for _, d := range tree.Dirs {
		f := filepath.Join(dir, "touched", "pub", d.Path, "repodata", "repomd.xml")
		if err := os.Chtimes(f, time.Unix(1, 0), time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t, "127.0.3.2")
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf("use chroot = no\npid file = %s\nlog file = %s\n", filepath.Join(dir, "rsyncd.pid"), filepath.Join(dir, "rsyncd.log"))
	if os.Getuid() == 0 {
		conf += "uid = root\ngid = root\n"
	}
	cf := filepath.Join(dir, "rsyncd.conf")
	if err := os.WriteFile(cf, []byte(conf+modules), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--daemon", "--no-detach", "--config="+cf, "--port="+port, "--address="+host)
	cmd.Env = peerEnv()
	p := testpeer.Start(t, cmd)
	if err := testpeer.WaitReady(p, 10*time.Second, testpeer.Listening(addr)); err != nil {
		t.Fatal(err)
	}
	web, err := crawltest.Serve("127.0.3.3", tree, crawltest.Fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	refused := "rsync://" + freeAddr(t, "127.0.3.4") + "/fresh/pub"
	rs := func(module string) string { return "rsync://" + addr + "/" + module + "/pub" }

	ok := func(v crawltest.Version) func(string, int) store.Observation {
		return func(d string, _ int) store.Observation {
			return store.Observation{Directory: d, Status: store.SeenOK, SHA256: tree.SHA256(d, v)}
		}
	}
	cases := []struct {
		name   string
		urls   []string
		checks []store.ProtocolCheck
		obs    func(d string, i int) store.Observation
		detail string // a fragment of the failed check's detail
	}{
		{"fresh", []string{rs("fresh")}, httpOK("rsync"), ok(crawltest.Current), ""},
		{"alt", []string{rs("alt")}, httpOK("rsync"), ok(crawltest.Alternate), ""},
		{"stale", []string{rs("stale")}, httpOK("rsync"), func(d string, _ int) store.Observation {
			b, _ := tree.Repomd(d, crawltest.Stale)
			return store.Observation{Directory: d, Status: store.SeenOther, Detail: fmt.Sprintf("size %d", len(b))}
		}, ""},
		{"missing", []string{rs("missing")}, httpOK("rsync"), func(d string, i int) store.Observation {
			if i == 1 {
				return store.Observation{Directory: d, Status: store.SeenMissing, Detail: "not in the rsync listing"}
			}
			return ok(crawltest.Current)(d, i)
		}, ""},
		{"touched-with-http", []string{web.URL, rs("touched")}, httpOK("http", "rsync"), ok(crawltest.Current), ""},
		{"fresh-with-http", []string{web.URL, rs("fresh")}, httpOK("http", "rsync"), ok(crawltest.Current), ""},
		{"unknown-module", []string{rs("nosuch")}, []store.ProtocolCheck{{Protocol: "rsync", Reason: store.ReasonError}}, nil, "Unknown module"},
		{"refused", []string{refused}, []store.ProtocolCheck{{Protocol: "rsync", Reason: store.ReasonRefused}}, nil, "connection refused"},
	}
	var mirrors []store.Mirror
	for _, tc := range cases {
		mirrors = append(mirrors, store.Mirror{Name: tc.name, Country: "DE", Bandwidth: 1, Enabled: true, URLs: tc.urls})
	}
	// RsyncMinDirs 1: every mirror with an rsync URL is listed over rsync.
	c := crawler.New(crawler.Config{Timeout: 10 * time.Second, Deadline: 30 * time.Second, Rsync: bin, RsyncMinDirs: 1})
	got := collect(t, c, mirrors, tree.Dirs)
	for _, tc := range cases {
		r := got[tc.name]
		checks := append([]store.ProtocolCheck(nil), r.Checks...)
		for i := range checks {
			if !checks[i].OK && strings.Contains(checks[i].Detail, tc.detail) {
				checks[i].Detail = ""
			}
		}
		if diff := cmp.Diff(tc.checks, checks); diff != "" {
			t.Errorf("%s: checks (-want +got):\n%s", tc.name, diff)
		}
		for i, d := range tree.Dirs {
			var want store.Observation
			if tc.obs != nil {
				want = tc.obs(d.Path, i)
			} else {
				want = store.Observation{Directory: d.Path, Status: store.SeenError, Detail: r.Observations[i].Detail}
				if !strings.Contains(want.Detail, tc.detail) {
					t.Errorf("%s: %s: detail %q lacks %q", tc.name, d.Path, want.Detail, tc.detail)
				}
			}
			if diff := cmp.Diff(want, r.Observations[i]); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", tc.name, d.Path, diff)
			}
		}
	}
	// touched-with-http: the three directories rsync could not tell were
	// settled over HTTP.
	if n := web.Requests.Load(); n < 3 {
		t.Errorf("the HTTP side answered %d requests, want the 3 rechecks and probes", n)
	}
}
