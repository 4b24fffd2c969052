package crawler_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/store"
)

func serveKind(t *testing.T, ip string, tree *crawltest.Tree, k crawltest.Kind) *crawltest.Server {
	t.Helper()
	s, err := crawltest.Serve(ip, tree, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A hanging mirror under a short request timeout: every directory times
// out on its own, well before the mirror's deadline.
func TestCrawlRequestTimeout(t *testing.T) {
	tree := crawltest.NewTree(2)
	s := serveKind(t, "127.0.4.1", tree, crawltest.Hang)
	c := crawler.New(crawler.Config{Timeout: 300 * time.Millisecond, Deadline: time.Minute})
	r := collect(t, c, []store.Mirror{{Name: "hang", Enabled: true, URLs: []string{s.URL}}}, tree.Dirs)["hang"]
	if len(r.Checks) != 1 || r.Checks[0].Reason != store.ReasonTimeout || strings.Contains(r.Checks[0].Detail, "deadline (") {
		t.Errorf("checks %+v, want one request timeout", r.Checks)
	}
	for _, o := range r.Observations {
		if o.Status != store.SeenError || !strings.Contains(o.Detail, "deadline exceeded") && !strings.Contains(o.Detail, "timeout") {
			t.Errorf("%+v, want an error saying the request's deadline passed", o)
		}
	}
}

// Ending the crawl's context drops the mirrors in flight: nothing
// half-crawled reaches the sink.
func TestCrawlInterrupted(t *testing.T) {
	tree := crawltest.NewTree(2)
	fresh := serveKind(t, "127.0.4.2", tree, crawltest.Fresh)
	hang := serveKind(t, "127.0.4.3", tree, crawltest.Hang)
	mirrors := []store.Mirror{{Name: "fresh", Enabled: true, URLs: []string{fresh.URL}}, {Name: "hang", Enabled: true, URLs: []string{hang.URL}}}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var sunk []string
	c := crawler.New(crawler.Config{Concurrency: 1, Deadline: time.Minute})
	err := c.Crawl(ctx, mirrors, tree.Dirs, func(_ context.Context, r store.CrawlResult) error {
		mu.Lock()
		defer mu.Unlock()
		sunk = append(sunk, r.Mirror)
		go func() {
			for hang.Requests.Load() == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
		}()
		return nil
	})
	if !errors.Is(err, crawler.ErrInterrupted) {
		t.Fatalf("Crawl = %v, want ErrInterrupted", err)
	}
	if diff := cmp.Diff([]string{"fresh"}, sunk); diff != "" {
		t.Errorf("sunk (-want +got):\n%s", diff)
	}
}

// A sink error stops the crawl and is returned.
func TestCrawlSinkError(t *testing.T) {
	tree := crawltest.NewTree(1)
	s := serveKind(t, "127.0.4.4", tree, crawltest.Fresh)
	boom := errors.New("store down")
	err := crawler.New(crawler.Config{}).Crawl(context.Background(), []store.Mirror{{Name: "a", Enabled: true, URLs: []string{s.URL}}}, tree.Dirs,
		func(context.Context, store.CrawlResult) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `mirror "a"`) {
		t.Errorf("Crawl = %v, want the sink's error naming the mirror", err)
	}
}

func TestSelectMirrors(t *testing.T) {
	all := []store.Mirror{
		{Name: "admin-disabled", URLs: []string{"http://a/"}},
		{Name: "ftp-only", Enabled: true, URLs: []string{"ftp://a/"}},
		{Name: "private", Enabled: true, Private: true, URLs: []string{"http://a/"}},
		{Name: "public", Enabled: true, URLs: []string{"http://a/"}},
		{Name: "public2", Enabled: true, URLs: []string{"rsync://a/m"}},
		{Name: "regional", Enabled: true, Region: "us-east-1", URLs: []string{"https://a/"}},
	}
	names := func(ms []store.Mirror) (out []string) {
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	got, unknown := crawler.Filter{}.SelectMirrors(all)
	if diff := cmp.Diff([]string{"public", "public2"}, names(got)); diff != "" || unknown != nil {
		t.Errorf("all: (-want +got):\n%s unknown %v", diff, unknown)
	}
	got, unknown = crawler.Filter{Mirrors: []string{"public2", "private", "nosuch"}}.SelectMirrors(all)
	if diff := cmp.Diff([]string{"public2"}, names(got)); diff != "" || !cmp.Equal(unknown, []string{"nosuch"}) {
		t.Errorf("named: (-want +got):\n%s unknown %v", diff, unknown)
	}
	got, unknown = crawler.Filter{Mirrors: []string{"public"}}.SelectMirrors(all)
	if diff := cmp.Diff([]string{"public"}, names(got)); diff != "" || unknown != nil {
		t.Errorf("one named: (-want +got):\n%s unknown %v", diff, unknown)
	}
}

func TestSelectDirectories(t *testing.T) {
	var dirs []store.Directory
	for _, p := range []string{"epel/9/Everything/x86_64", "fedora/linux/releases/43/Everything/aarch64/os",
		"fedora/linux/releases/43/Everything/x86_64/os", "fedora/linux/updates/43/Everything/x86_64", "fedoraX/a"} {
		dirs = append(dirs, store.Directory{Path: p})
	}
	repos := []store.Repository{
		{Prefix: "fedora-43", Arch: "x86_64", Directory: "fedora/linux/releases/43/Everything/x86_64/os"},
		{Prefix: "fedora-43", Arch: "aarch64", Directory: "fedora/linux/releases/43/Everything/aarch64/os"},
		{Prefix: "updates-released-f43", Arch: "x86_64", Directory: "fedora/linux/updates/43/Everything/x86_64"},
	}
	paths := func(ds []store.Directory) (out []string) {
		for _, d := range ds {
			out = append(out, d.Path)
		}
		return out
	}
	cases := []struct {
		f    crawler.Filter
		want []string
	}{
		{crawler.Filter{}, paths(dirs)},
		{crawler.Filter{Categories: []string{"fedora"}}, paths(dirs[1:4])},
		{crawler.Filter{Categories: []string{"fedora/linux/updates/", "epel"}}, []string{dirs[0].Path, dirs[3].Path}},
		{crawler.Filter{Repos: []string{"fedora-43"}}, paths(dirs[1:3])},
		{crawler.Filter{Repos: []string{"fedora-43/x86_64", "updates-released-f43"}}, paths(dirs[2:4])},
		{crawler.Filter{Repos: []string{"fedora-43"}, Categories: []string{"epel"}}, nil},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, paths(tc.f.SelectDirectories(dirs, repos))); diff != "" {
			t.Errorf("%+v: (-want +got):\n%s", tc.f, diff)
		}
	}
}

func TestPropagation(t *testing.T) {
	tree := crawltest.NewTree(1)
	d := tree.Dirs[0].Path
	at := time.Unix(1764460800, 0).UTC()
	obs := func(status string, v crawltest.Version) store.CrawlResult {
		o := store.Observation{Directory: d, Status: status}
		if status == store.SeenOK {
			o.SHA256 = tree.SHA256(d, v)
		}
		return store.CrawlResult{Observations: []store.Observation{o, {Directory: "not/crawled", Status: store.SeenOK}}}
	}
	results := []store.CrawlResult{obs(store.SeenOK, crawltest.Current), obs(store.SeenOK, crawltest.Current), obs(store.SeenOK, crawltest.Alternate),
		obs(store.SeenOther, 0), obs(store.SeenMissing, 0), obs(store.SeenError, 0)}
	want := []store.PropagationPoint{{Directory: d, At: at, SHA256: tree.SHA256(d, crawltest.Current), Current: 2, Older: 1, Other: 2, Failed: 1}}
	if diff := cmp.Diff(want, crawler.Propagation(tree.Dirs, results, at)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// serveHandler serves h on ip as a mirror's base URL.
func serveHandler(t *testing.T, ip string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String() + "/pub"
}

// Redirects within the host are followed up to MaxRedirects; a body over
// MaxBody is not a repomd.xml.
func TestCrawlRedirectAndBodyCaps(t *testing.T) {
	tree := crawltest.NewTree(1)
	loop := serveHandler(t, "127.0.4.5", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	}))
	big := serveHandler(t, "127.0.4.6", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<repomd>" + strings.Repeat("x", 2000) + "</repomd>"))
	}))
	mirrors := []store.Mirror{{Name: "loop", Enabled: true, URLs: []string{loop}}, {Name: "big", Enabled: true, URLs: []string{big}}}
	got := collect(t, crawler.New(crawler.Config{MaxRedirects: 3, MaxBody: 1000}), mirrors, tree.Dirs)
	d := tree.Dirs[0].Path
	want := map[string]store.CrawlResult{
		"loop": {Checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonHTTPStatus, Detail: "more than 3 redirects"}},
			Observations: []store.Observation{{Directory: d, Status: store.SeenError, Detail: "more than 3 redirects"}}},
		"big": {Checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonWrongContent, Detail: "more than 1000 bytes: not a repomd.xml"}},
			Observations: []store.Observation{{Directory: d, Status: store.SeenOther, Detail: "more than 1000 bytes: not a repomd.xml"}}},
	}
	for name, w := range want {
		r := got[name]
		if diff := cmp.Diff(w.Checks, r.Checks); diff != "" {
			t.Errorf("%s checks (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(w.Observations, r.Observations); diff != "" {
			t.Errorf("%s observations (-want +got):\n%s", name, diff)
		}
	}
}
