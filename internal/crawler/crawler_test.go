package crawler_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/store"
)

// collect crawls and returns the results by mirror.
func collect(t *testing.T, c *crawler.Crawler, mirrors []store.Mirror, dirs []store.Directory) map[string]store.CrawlResult {
	t.Helper()
	var mu sync.Mutex
	got := map[string]store.CrawlResult{}
	err := c.Crawl(context.Background(), mirrors, dirs, func(_ context.Context, r store.CrawlResult) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[r.Mirror]; dup {
			t.Errorf("mirror %s recorded twice", r.Mirror)
		}
		got[r.Mirror] = r
		return nil
	})
	if err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	return got
}

// want is what a crawl must see on a mirror of some kind.
type want struct {
	checks []store.ProtocolCheck
	obs    func(tree *crawltest.Tree, d string, i int) store.Observation
	// loose: the detail of an observation is the transport's error text;
	// only its status and a fragment are compared.
	loose string
}

func seen(status string, v crawltest.Version, detail string) func(*crawltest.Tree, string, int) store.Observation {
	return func(tree *crawltest.Tree, d string, _ int) store.Observation {
		o := store.Observation{Directory: d, Status: status, Detail: detail}
		if status == store.SeenOK || status == store.SeenOther {
			o.SHA256 = tree.SHA256(d, v)
		}
		return o
	}
}

// captivePortalSHA is the sha256 of the page a WrongBody mirror serves.
var captivePortalSHA = func() string {
	s := sha256.Sum256([]byte("<html><body>Welcome to our captive portal</body></html>"))
	return hex.EncodeToString(s[:])
}()

func httpOK(proto ...string) []store.ProtocolCheck {
	var out []store.ProtocolCheck
	for _, p := range proto {
		out = append(out, store.ProtocolCheck{Protocol: p, OK: true})
	}
	return out
}

func TestCrawlLoopbackMirrors(t *testing.T) {
	const deadline = 2 * time.Second
	tree := crawltest.NewTree(3)
	ca, err := crawltest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	other, err := crawltest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	deadlineCut := fmt.Sprintf("mirror deadline (%s) reached after 0 of 3 directories", deadline)
	status := func(code int) want {
		d := fmt.Sprintf("HTTP %d", code)
		return want{checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonHTTPStatus, Detail: d}}, obs: seen(store.SeenError, 0, d)}
	}
	kinds := map[crawltest.Kind]want{
		crawltest.Fresh:       {checks: httpOK("http"), obs: seen(store.SeenOK, crawltest.Current, "")},
		crawltest.StaleKind:   {checks: httpOK("http"), obs: seen(store.SeenOther, crawltest.Stale, "")},
		crawltest.AltOnly:     {checks: httpOK("http"), obs: seen(store.SeenOK, crawltest.Alternate, "")},
		crawltest.Redirecting: {checks: httpOK("http"), obs: seen(store.SeenOK, crawltest.Current, "")},
		crawltest.MissingDir: {checks: httpOK("http"), obs: func(tree *crawltest.Tree, d string, i int) store.Observation {
			if i == 0 {
				return store.Observation{Directory: d, Status: store.SeenMissing, Detail: "HTTP 404"}
			}
			return seen(store.SeenOK, crawltest.Current, "")(tree, d, i)
		}},
		crawltest.NotFound:  {checks: httpOK("http"), obs: seen(store.SeenMissing, 0, "HTTP 404")},
		crawltest.Status500: status(500),
		crawltest.Status503: status(503),
		crawltest.Forbidden: status(403),
		crawltest.OffHost: {checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonHTTPStatus, Detail: "redirected off the mirror, to elsewhere.invalid"}},
			obs: seen(store.SeenError, 0, "redirected off the mirror, to elsewhere.invalid")},
		crawltest.WrongBody: {checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonWrongContent, Detail: "not a repomd.xml"}},
			obs: func(_ *crawltest.Tree, d string, _ int) store.Observation {
				return store.Observation{Directory: d, Status: store.SeenOther, Detail: "not a repomd.xml",
					SHA256: captivePortalSHA}
			}},
		crawltest.Drip: {checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonTimeout, Detail: deadlineCut}}, loose: "deadline"},
		crawltest.Hang: {checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonTimeout, Detail: deadlineCut}}, loose: "deadline"},
	}
	order := []crawltest.Kind{crawltest.Fresh, crawltest.Fresh, crawltest.Fresh, crawltest.StaleKind, crawltest.AltOnly, crawltest.MissingDir,
		crawltest.NotFound, crawltest.Status500, crawltest.Status503, crawltest.Forbidden, crawltest.Redirecting, crawltest.OffHost,
		crawltest.WrongBody, crawltest.Drip, crawltest.Hang, crawltest.StaleKind, crawltest.AltOnly, crawltest.Fresh}

	var conns atomic.Int64
	var mirrors []store.Mirror
	expect := map[string]want{}
	servers := map[string]*crawltest.Server{}
	add := func(name string, w want, urls ...string) {
		mirrors = append(mirrors, store.Mirror{Name: name, Country: "DE", Bandwidth: 100, Enabled: true, URLs: urls})
		expect[name] = w
	}
	serve := func(i int, k crawltest.Kind) *crawltest.Server {
		s, err := crawltest.Serve(crawltest.IP(i), tree, k, &conns)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	const n = 216
	for i := range n {
		k := order[i%len(order)]
		s := serve(i, k)
		name := fmt.Sprintf("m%03d-%s", i, k)
		servers[name] = s
		add(name, kinds[k], s.URL)
	}
	// HTTPS with the test CA, trusted through the crawler's config.
	good, err := crawltest.ServeTLS(crawltest.IP(n), tree, crawltest.Fresh, ca, &conns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { good.Close() })
	add("tls-good", want{checks: httpOK("https"), obs: seen(store.SeenOK, crawltest.Current, "")}, good.URL)
	// A certificate from a CA the crawler does not trust.
	bad, err := crawltest.ServeTLS(crawltest.IP(n+1), tree, crawltest.Fresh, other, &conns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bad.Close() })
	add("tls-bad", want{checks: []store.ProtocolCheck{{Protocol: "https", Reason: store.ReasonTLS}}, obs: seen(store.SeenError, 0, ""), loose: "certificate signed by unknown authority"}, bad.URL)
	// Bad HTTPS but good HTTP: the observations come over HTTP.
	plain := serve(n+2, crawltest.Fresh)
	add("tls-bad-http-good", want{checks: []store.ProtocolCheck{{Protocol: "http", OK: true}, {Protocol: "https", Reason: store.ReasonTLS}},
		obs: seen(store.SeenOK, crawltest.Current, ""), loose: "checks"}, bad.URL, plain.URL)
	refused, err := crawltest.RefusedURL(crawltest.IP(n + 3))
	if err != nil {
		t.Fatal(err)
	}
	add("refused", want{checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonRefused}}, obs: seen(store.SeenError, 0, ""), loose: "connection refused"}, refused)
	// ftp is not checked.
	add("fresh-and-ftp", want{checks: httpOK("http"), obs: seen(store.SeenOK, crawltest.Current, "")}, "ftp://127.0.0.1/pub", servers["m000-fresh"].URL)

	c := crawler.New(crawler.Config{Concurrency: 64, PerMirror: 2, Timeout: 30 * time.Second, Deadline: deadline, RootCAs: ca.Pool})
	got := collect(t, c, mirrors, tree.Dirs)
	if len(got) != len(mirrors) {
		t.Fatalf("%d results for %d mirrors", len(got), len(mirrors))
	}
	for _, m := range mirrors {
		compare(t, tree, m.Name, expect[m.Name], got[m.Name])
	}
	// Kept-alive connections: at most 2 per mirror, except where the
	// crawler had to drop them (a TLS failure, a request cut off).
	for name, s := range servers {
		if k := s.Kind; k != crawltest.Hang && k != crawltest.Drip && k != crawltest.OffHost && name != "m000-fresh" {
			if c := s.Conns.Load(); c > 2 {
				t.Errorf("%s accepted %d connections, want at most 2", name, c)
			}
		}
	}
	t.Logf("%d mirrors accepted %d connections", len(mirrors), conns.Load())

	// A second crawl by the same crawler asks conditionally: fresh
	// mirrors answer 304 and are still seen fresh.
	again := collect(t, c, mirrors[1:3], tree.Dirs)
	for _, m := range mirrors[1:3] {
		compare(t, tree, m.Name, expect[m.Name], again[m.Name])
		if nm := servers[m.Name].NotModified.Load(); nm != 3 {
			t.Errorf("%s answered %d 304s on the second crawl, want 3", m.Name, nm)
		}
	}
}

// compare checks one mirror's result against what its kind must show.
func compare(t *testing.T, tree *crawltest.Tree, name string, w want, r store.CrawlResult) {
	t.Helper()
	if r.Mirror != name || r.Started.IsZero() || r.Finished.Before(r.Started) {
		t.Errorf("%s: result names %q, started %v, finished %v", name, r.Mirror, r.Started, r.Finished)
	}
	checks := r.Checks
	if w.loose != "" && w.loose != "checks" && w.loose != "deadline" {
		// Transport errors: the reason is exact, the detail carries the text.
		checks = append([]store.ProtocolCheck(nil), r.Checks...)
		for i := range checks {
			if !checks[i].OK {
				if !strings.Contains(checks[i].Detail, w.loose) {
					t.Errorf("%s: %s check detail %q lacks %q", name, checks[i].Protocol, checks[i].Detail, w.loose)
				}
				checks[i].Detail = ""
			}
		}
	}
	if w.loose == "checks" {
		checks = append([]store.ProtocolCheck(nil), r.Checks...)
		for i := range checks {
			checks[i].Detail = ""
		}
	}
	if diff := cmp.Diff(w.checks, checks); diff != "" {
		t.Errorf("%s: checks (-want +got):\n%s", name, diff)
	}
	if len(r.Observations) != len(tree.Dirs) {
		t.Fatalf("%s: %d observations for %d directories", name, len(r.Observations), len(tree.Dirs))
	}
	for i, d := range tree.Dirs {
		o := r.Observations[i]
		switch w.loose {
		case "deadline":
			if o.Directory != d.Path || o.Status != store.SeenError || o.Detail == "" {
				t.Errorf("%s: %s: %+v, want an error with a detail", name, d.Path, o)
			}
			continue
		case "", "checks":
		default:
			if !strings.Contains(o.Detail, w.loose) {
				t.Errorf("%s: %s: detail %q lacks %q", name, d.Path, o.Detail, w.loose)
			}
			o.Detail = ""
		}
		wo := w.obs(tree, d.Path, i)
		if diff := cmp.Diff(wo, o); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", name, d.Path, diff)
		}
	}
}
