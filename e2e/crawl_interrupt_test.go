package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestCrawlInterrupted runs the metalinkd binary's crawl over 40 mirrors,
// four of which hang, and ends it mid-crawl: by SIGINT once the first 20
// are done (exit code 4), and by SIGKILL while mirrors are still being
// recorded. Either way every mirror is recorded whole (health and its
// freshness) or not at all, and the crawl lock is free again.
func TestCrawlInterrupted(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
			t.Run(kind+"/"+sig.String(), func(t *testing.T) { testCrawlInterrupted(t, kind, sig) })
		}
	}
}

// interruptFixture is a store with 40 mirrors of 2 directories each:
// m20 to m23 hang, the others are fresh.
type interruptFixture struct {
	args []string // select the store on the command line
	open func() (store.Store, error)
}

func newInterruptFixture(t *testing.T, kind string, tree *crawltest.Tree) interruptFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := interruptFixture{args: []string{"--data-dir", dir}, open: func() (store.Store, error) { return sqlite.Open(ctx, dir) }}
	if kind == "postgres" {
		pg.Require(t)
		dsn := pg.NewDatabase(t, true)
		f.args = []string{"--database-url", dsn}
		f.open = func() (store.Store, error) { return postgres.Open(ctx, dsn) }
	}
	st, err := f.open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := tree.Record(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		k := crawltest.Fresh
		if i >= 20 && i < 24 {
			k = crawltest.Hang
		}
		s, err := crawltest.Serve(crawltest.IP(600+i), tree, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		m := store.Mirror{Name: fmt.Sprintf("m%02d", i), Country: "DE", Bandwidth: 100, Enabled: true, URLs: []string{s.URL}}
		if err := st.CreateMirror(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func testCrawlInterrupted(t *testing.T, kind string, sig syscall.Signal) {
	tree := crawltest.NewTree(2)
	f := newInterruptFixture(t, kind, tree)
	bin := testpeer.Metalinkd(t)
	cmd := exec.Command(bin, append([]string{"crawl", "--concurrency", "4", "--timeout", "10m", "--deadline", "10m"}, f.args...)...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	p := testpeer.Start(t, cmd)
	// SIGINT once the 20 mirrors before the hanging ones are done;
	// SIGKILL while the first are still being recorded.
	after := 20
	if sig == syscall.SIGKILL {
		after = 3
	}
	sc := bufio.NewScanner(stdout)
	var out []string
	done := 0
	for done < after && sc.Scan() {
		out = append(out, sc.Text())
		if strings.HasPrefix(sc.Text(), "m") {
			done++
		}
	}
	if done < after {
		t.Fatalf("the crawl ended after %d mirrors:\n%s\n%s", done, strings.Join(out, "\n"), stderr.String())
	}
	if err := syscall.Kill(p.Pid(), sig); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	err = p.Err()
	var ee *exec.ExitError
	switch {
	case sig == syscall.SIGINT && (!errors.As(err, &ee) || ee.ExitCode() != 4):
		t.Errorf("after SIGINT: %v, want exit code 4; stderr:\n%s", err, stderr.String())
	case sig == syscall.SIGINT && !strings.Contains(strings.Join(out, "\n"), "crawled 20 of 40 mirrors"):
		t.Errorf("after SIGINT the summary does not say 20 of 40 mirrors:\n%s", strings.Join(out, "\n"))
	case sig == syscall.SIGKILL && (!errors.As(err, &ee) || ee.ExitCode() != -1):
		t.Errorf("after SIGKILL: %v, want a killed process", err)
	}

	st, err := f.open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recorded := checkWholeMirrors(t, st)
	if sig == syscall.SIGINT && recorded != 20 {
		t.Errorf("%d mirrors recorded after SIGINT, want the 20 done", recorded)
	}
	if recorded < after {
		t.Errorf("%d mirrors recorded, fewer than the %d the crawl reported done", recorded, after)
	}
	if pts, err := st.Propagation(context.Background(), "", time.Time{}); err != nil || len(pts) != 0 {
		t.Errorf("an interrupted crawl recorded propagation: %+v %v", pts, err)
	}
	// The lock went with the process.
	testpeer.MustEventually(t, 30*time.Second, "the crawl lock to be free", func() bool {
		unlock, err := st.LockCrawl(context.Background())
		if err != nil {
			return false
		}
		return unlock() == nil
	})
}

// checkWholeMirrors checks that each mirror is recorded whole or not at
// all, and returns how many are.
func checkWholeMirrors(t *testing.T, st store.Store) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for i := range 40 {
		name := fmt.Sprintf("m%02d", i)
		hs, err := st.Health(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := st.Freshness(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		crawled := len(hs) == 1 && !hs[0].LastCrawl.IsZero()
		switch {
		case crawled && len(fr) == 2:
			n++
		case !crawled && len(fr) == 0:
		default:
			t.Errorf("%s is half recorded: health %+v, freshness %+v", name, hs, fr)
		}
	}
	return n
}
