package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// crawlFixture is an embedded store holding a scanned tree and mirrors
// served on loopback: fresh, stale (reported fresh before), alternate,
// dead, and a private and a regional one that are never crawled.
type crawlFixture struct {
	dir  string
	tree *crawltest.Tree
	// storeArgs select the fixture's store on the command line.
	storeArgs []string
	open      func(t *testing.T) store.Store
	// deadAddr is where the dead mirror would listen.
	deadAddr string
}

func newCrawlFixture(t *testing.T) crawlFixture { return newCrawlFixtureIn(t, "embedded") }

// newCrawlFixtureIn makes the fixture in the embedded store or, for
// "postgres", in a database of its own.
func newCrawlFixtureIn(t *testing.T, kind string) crawlFixture {
	t.Helper()
	ctx := context.Background()
	f := crawlFixture{dir: t.TempDir(), tree: crawltest.NewTree(2)}
	f.storeArgs = []string{"--data-dir", f.dir}
	f.open = func(t *testing.T) store.Store {
		st, err := sqlite.Open(ctx, f.dir)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if kind == "postgres" {
		pg.Require(t)
		dsn := pg.NewDatabase(t, true)
		f.storeArgs = []string{"--database-url", dsn}
		f.open = func(t *testing.T) store.Store {
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
	}
	st := f.open(t)
	defer st.Close()
	if err := f.tree.Record(ctx, st); err != nil {
		t.Fatal(err)
	}
	serve := func(ip string, k crawltest.Kind) string {
		s, err := crawltest.Serve(ip, f.tree, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.URL
	}
	dead, err := crawltest.RefusedURL("127.0.5.4")
	if err != nil {
		t.Fatal(err)
	}
	f.deadAddr = strings.TrimSuffix(strings.TrimPrefix(dead, "http://"), "/pub")
	for _, m := range []store.Mirror{
		{Name: "fresh", URLs: []string{serve("127.0.5.1", crawltest.Fresh)}},
		{Name: "stale", URLs: []string{serve("127.0.5.2", crawltest.StaleKind)}},
		{Name: "alt", URLs: []string{serve("127.0.5.3", crawltest.AltOnly)}},
		{Name: "dead", URLs: []string{dead}},
		{Name: "private", Private: true, URLs: []string{serve("127.0.5.5", crawltest.Fresh)}},
		{Name: "regional", Region: "us-east-1", Bucket: "regional-bucket", URLs: []string{serve("127.0.5.6", crawltest.Fresh)}},
	} {
		m.Country, m.Bandwidth, m.Enabled = "DE", 100, true
		if err := st.CreateMirror(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range f.tree.Dirs {
		if err := st.Report(ctx, store.Freshness{Mirror: "stale", Directory: d.Path, SHA256: d.Current.SHA256}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestCrawlDryRun(t *testing.T) {
	f := newCrawlFixture(t)
	r := runCLI(t, nil, "", "crawl", "--data-dir", f.dir, "--dry-run", "--timeout", "5s", "--deadline", "20s")
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var want []string
	for _, d := range f.tree.Dirs {
		want = append(want,
			fmt.Sprintf("  fresh %s: would list (serves %.12s)", d.Path, d.Current.SHA256),
			fmt.Sprintf("  alt %s: would list (serves %.12s)", d.Path, d.Alternates[0].SHA256),
			fmt.Sprintf("  stale %s: would drop (serves another repomd.xml)", d.Path))
	}
	var got []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "  ") {
			got = append(got, l)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s\nstdout:\n%s", diff, r.stdout)
	}
	for _, s := range []string{
		"fresh: 2 fresh, 0 stale, 0 failed; http ok\n",
		"stale: 0 fresh, 2 stale, 0 failed; http ok\n",
		"dead: 0 fresh, 0 stale, 2 failed; http refused (",
		"crawled 4 of 4 mirrors (1 failed) in ",
		"directories: 4 fresh, 2 stale, 2 failed (of 2 per mirror)\n",
		"dry run: 6 freshness rows would be written; nothing was\n",
		"would be disabled: 0\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "private") || strings.Contains(r.stdout, "regional") {
		t.Errorf("a private or regional mirror was crawled:\n%s", r.stdout)
	}
	// The health rule too: with --disable-after 1 the dead mirror would
	// be disabled, and nothing is written.
	r = runCLI(t, nil, "", "crawl", "--data-dir", f.dir, "--dry-run", "--mirror", "dead", "--disable-after", "1")
	for _, s := range []string{"  dead: would be disabled (1 consecutive failed crawls; last: http refused (", "would be disabled: 1 (dead)\n"} {
		if r.code != ExitOK || !strings.Contains(r.stdout, s) {
			t.Errorf("exit %d, stdout lacks %q:\n%s", r.code, s, r.stdout)
		}
	}
	st := f.open(t)
	defer st.Close()
	if hs, err := st.Health(context.Background(), ""); err != nil || len(hs) != 0 {
		t.Errorf("a dry run recorded health: %+v %v", hs, err)
	}
	if fr, err := st.Freshness(context.Background(), "", ""); err != nil || len(fr) != 2 {
		t.Errorf("a dry run changed freshness: %+v %v", fr, err)
	}

	// The filters: one mirror, one category.
	r = runCLI(t, nil, "", "crawl", "--data-dir", f.dir, "--dry-run", "--mirror", "fresh", "--category", f.tree.Dirs[1].Path)
	if r.code != ExitOK || !strings.Contains(r.stdout, "crawled 1 of 1 mirrors (0 failed)") || strings.Count(r.stdout, "would list") != 1 {
		t.Errorf("filtered: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCrawlUsage(t *testing.T) {
	f := newCrawlFixture(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"--repo", "a/b/c"}, `--repo "a/b/c": want PREFIX or PREFIX/ARCH`},
		{[]string{"--mirror", "nosuch", "--dry-run"}, "no such mirror: nosuch"},
		{[]string{"--category", "epel", "--dry-run"}, "no scanned directory matches"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		r := runCLI(t, nil, "", append([]string{"crawl", "--data-dir", f.dir}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
	}
}

// On a terminal the progress is a bar on stderr: stdout keeps the
// summary alone.
func TestCrawlProgressOnTerminal(t *testing.T) {
	f := newCrawlFixture(t)
	var out, errb strings.Builder
	env := Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, TTY: true}
	if code := Main(context.Background(), env, []string{"crawl", "--data-dir", f.dir, "--dry-run"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "fresh: 2 fresh") || !strings.Contains(out.String(), "crawled 4 of 4 mirrors") {
		t.Errorf("stdout on a terminal:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "mirrors") {
		t.Errorf("no progress bar on stderr: %q", errb.String())
	}
}

// --every crawls, waits, and stops cleanly (exit 0) when its context
// ends, as SIGINT and SIGTERM end it.
func TestCrawlEvery(t *testing.T) {
	f := newCrawlFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &notifyingBuffer{want: "next crawl at", seen: make(chan struct{})}
	var errb strings.Builder
	env := Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb}
	done := make(chan int)
	go func() { done <- Main(ctx, env, []string{"crawl", "--data-dir", f.dir, "--every", "1h"}) }()
	<-out.seen
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("exit %d after the context ended, want 0; stderr: %s", code, errb.String())
	}
	if s := out.String(); strings.Count(s, "crawled 4 of 4 mirrors") != 1 {
		t.Errorf("stdout:\n%s", s)
	}
}

// notifyingBuffer closes seen once want was written.
type notifyingBuffer struct {
	mu   sync.Mutex
	b    strings.Builder
	want string
	seen chan struct{}
	once sync.Once
}

func (n *notifyingBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.b.Write(p)
	if strings.Contains(n.b.String(), n.want) {
		n.once.Do(func() { close(n.seen) })
	}
	return len(p), nil
}

func (n *notifyingBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// With --manual-recovery a mirror the crawler disabled stays out after a
// successful crawl, until an admin recovers it.
func TestCrawlManualRecovery(t *testing.T) {
	f := newCrawlFixture(t)
	args := []string{"crawl", "--data-dir", f.dir, "--mirror", "dead", "--disable-after", "1", "--manual-recovery"}
	if r := runCLI(t, nil, "", args...); r.code != ExitOK || !strings.Contains(r.stdout, "disabled: 1 (dead)") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	back, err := crawltest.ServeAt(f.deadAddr, f.tree, crawltest.Fresh)
	if err != nil {
		t.Skipf("the dead mirror's address was taken meanwhile: %v", err)
	}
	defer back.Close()
	if r := runCLI(t, nil, "", args...); r.code != ExitOK || !strings.Contains(r.stdout, "recovered: 0\n") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	st := f.open(t)
	defer st.Close()
	hs, err := st.Health(context.Background(), "dead")
	if err != nil || len(hs) != 1 || !hs[0].Disabled || hs[0].ConsecutiveFailures != 0 {
		t.Errorf("dead's health after a successful crawl under --manual-recovery: %+v %v", hs, err)
	}
}

// --ca-file is how an HTTPS mirror with a private CA is trusted.
func TestCrawlCAFile(t *testing.T) {
	f := newCrawlFixture(t)
	ca, err := crawltest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	s, err := crawltest.ServeTLS("127.0.5.7", f.tree, crawltest.Fresh, ca, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := f.open(t)
	if err := st.CreateMirror(context.Background(), store.Mirror{Name: "tls", Country: "DE", Bandwidth: 1, Enabled: true, URLs: []string{s.URL}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"crawl", "--data-dir", f.dir, "--dry-run", "--mirror", "tls"}
	if r := runCLI(t, nil, "", base...); r.code != ExitOK || !strings.Contains(r.stdout, "tls: 0 fresh, 0 stale, 2 failed; https tls (") {
		t.Errorf("without the CA: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runCLI(t, map[string]string{"METALINKD_CRAWL_CA_FILE": caFile}, "", base...)
	if r.code != ExitOK || !strings.Contains(r.stdout, "tls: 2 fresh, 0 stale, 0 failed; https ok") {
		t.Errorf("with the CA: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "", append(base, "--ca-file", filepath.Join(f.dir, "metalinkd.db"))...); r.code != ExitUsage || !strings.Contains(r.stderr, "holds no PEM certificate") {
		t.Errorf("a file without certificates: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A mirror deleted while the crawl runs is skipped, not a failed crawl.
func TestCrawlMirrorDeletedMeanwhile(t *testing.T) {
	f := newCrawlFixture(t)
	st := f.open(t)
	defer st.Close()
	mirrors, err := st.Mirrors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMirror(context.Background(), "alt"); err != nil {
		t.Fatal(err)
	}
	o := &crawlOptions{policy: store.CrawlPolicy{DisableAfter: 4}, keepPropagation: time.Hour}
	var out strings.Builder
	run := newCrawlRun(Env{Stdout: &out, Stderr: &out}, st, o, 1, f.tree.Dirs)
	// The crawl had listed "alt" before it was deleted.
	var alt store.Mirror
	for _, m := range mirrors {
		if m.Name == "alt" {
			alt = m
		}
	}
	c := crawler.New(crawler.Config{})
	if err := c.Crawl(context.Background(), []store.Mirror{alt}, f.tree.Dirs, run.record); err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	if !strings.Contains(out.String(), "alt: deleted during the crawl; not recorded") {
		t.Errorf("output:\n%s", out.String())
	}
}
