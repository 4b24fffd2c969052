package cli

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/store"
)

// TestCrawlRecords crawls the fixture into each store and checks the
// exact freshness, health and propagation recorded; then the dead mirror
// is disabled after --disable-after failed crawls and recovers once it
// serves; a report cannot undo what the crawl saw; a second crawler is
// refused.
func TestCrawlRecords(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		t.Run(kind, func(t *testing.T) { testCrawlRecords(t, kind) })
	}
}

func testCrawlRecords(t *testing.T, kind string) {
	ctx := context.Background()
	f := newCrawlFixtureIn(t, kind)
	crawl := func(args ...string) run {
		t.Helper()
		r := runCLI(t, nil, "", append(append([]string{"crawl", "--timeout", "5s", "--deadline", "20s", "--disable-after", "2"}, f.storeArgs...), args...)...)
		if r.code != ExitOK {
			t.Fatalf("crawl %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	r := crawl()
	for _, s := range []string{"crawled 4 of 4 mirrors (1 failed)", "freshness rows written: 6\n", "disabled: 0\n", "recovered: 0\n"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	st := f.open(t)
	defer st.Close()

	// Freshness: fresh and alt from the crawl, stale's report dropped.
	fr, err := st.Freshness(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Freshness
	for _, m := range []string{"alt", "fresh"} {
		for _, d := range f.tree.Dirs {
			sha := d.Current.SHA256
			if m == "alt" {
				sha = d.Alternates[0].SHA256
			}
			want = append(want, store.Freshness{Mirror: m, Directory: d.Path, SHA256: sha, Source: store.SourceCrawl})
		}
	}
	if diff := cmp.Diff(want, fr, cmpopts.IgnoreFields(store.Freshness{}, "Reported")); diff != "" {
		t.Errorf("freshness (-want +got):\n%s", diff)
	}

	// Health: the dead mirror's refusal, one failure so far.
	times := cmpopts.IgnoreFields(store.MirrorHealth{}, "LastCrawl", "Since")
	ptimes := cmpopts.IgnoreFields(store.ProtocolHealth{}, "LastSuccess", "LastFailure", "LastDetail")
	dead := health(t, st, "dead")
	wantDead := store.MirrorHealth{Mirror: "dead", ConsecutiveFailures: 1,
		Protocols: []store.ProtocolHealth{{Protocol: "http", LastReason: store.ReasonRefused, ConsecutiveFailures: 1}}}
	if diff := cmp.Diff(wantDead, dead, times, ptimes); diff != "" || dead.LastCrawl.IsZero() || dead.Protocols[0].LastFailure.IsZero() ||
		!dead.Protocols[0].LastSuccess.IsZero() || !strings.Contains(dead.Protocols[0].LastDetail, "connection refused") {
		t.Errorf("dead's health (-want +got):\n%s%+v", diff, dead)
	}
	for _, m := range []string{"fresh", "stale", "alt"} {
		h := health(t, st, m)
		want := store.MirrorHealth{Mirror: m, Protocols: []store.ProtocolHealth{{Protocol: "http"}}}
		if diff := cmp.Diff(want, h, times, ptimes); diff != "" || h.LastCrawl.IsZero() || h.Protocols[0].LastSuccess.IsZero() || !h.Protocols[0].LastFailure.IsZero() {
			t.Errorf("%s's health (-want +got):\n%s%+v", m, diff, h)
		}
	}
	if hs, err := st.Health(ctx, "private"); err != nil || len(hs) != 0 && !hs[0].LastCrawl.IsZero() {
		t.Errorf("private was crawled: %+v %v", hs, err)
	}

	// Propagation: per directory one mirror current, one older, one
	// other (stale), one failed (dead).
	pts, err := st.Propagation(ctx, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var wantPts []store.PropagationPoint
	for _, d := range f.tree.Dirs {
		wantPts = append(wantPts, store.PropagationPoint{Directory: d.Path, SHA256: d.Current.SHA256, Current: 1, Older: 1, Other: 1, Failed: 1})
	}
	if diff := cmp.Diff(wantPts, pts, cmpopts.IgnoreFields(store.PropagationPoint{}, "At"),
		cmpopts.SortSlices(func(a, b store.PropagationPoint) bool { return a.Directory < b.Directory })); diff != "" {
		t.Errorf("propagation (-want +got):\n%s", diff)
	}

	// The flip-flop rule: the crawl saw stale serve another repomd, so
	// its own report of the current one is refused.
	d0 := f.tree.Dirs[0]
	if err := st.Report(ctx, store.Freshness{Mirror: "stale", Directory: d0.Path, SHA256: d0.Current.SHA256}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("report after a crawl saw the mirror stale: %v, want ErrConflict", err)
	}

	// A second crawler is refused with its own exit code.
	unlock, err := st.LockCrawl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locked := runCLI(t, nil, "", append([]string{"crawl"}, f.storeArgs...)...)
	if locked.code != ExitLocked || !strings.Contains(locked.stderr, "another crawl is running") {
		t.Errorf("second crawler: exit %d, stderr %q; want %d", locked.code, locked.stderr, ExitLocked)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}

	// The second failed crawl disables the dead mirror, with its reason.
	r = crawl("--mirror", "dead")
	if !strings.Contains(r.stdout, "disabled: 1 (dead)") || !strings.Contains(r.stdout, "; DISABLED") {
		t.Errorf("second failed crawl did not disable dead:\n%s", r.stdout)
	}
	dead = health(t, st, "dead")
	wantDead.ConsecutiveFailures, wantDead.Protocols[0].ConsecutiveFailures, wantDead.Disabled = 2, 2, true
	wantDead.Reason = dead.Reason
	if diff := cmp.Diff(wantDead, dead, times, ptimes); diff != "" || dead.Since.IsZero() ||
		!strings.HasPrefix(dead.Reason, "2 consecutive failed crawls; last: http refused (dial tcp "+f.deadAddr) {
		t.Errorf("dead's health after two failed crawls (-want +got):\n%s%+v", diff, dead)
	}

	// It comes back once it serves, and is fresh at once.
	l, err := net.Listen("tcp", f.deadAddr)
	if err != nil {
		t.Skipf("the dead mirror's address %s was taken meanwhile: %v", f.deadAddr, err)
	}
	l.Close()
	back, err := crawltest.ServeAt(f.deadAddr, f.tree, crawltest.Fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	r = crawl("--mirror", "dead")
	if !strings.Contains(r.stdout, "recovered: 1 (dead)") {
		t.Errorf("a successful crawl did not recover dead:\n%s", r.stdout)
	}
	if dead = health(t, st, "dead"); dead.Disabled || dead.ConsecutiveFailures != 0 || dead.Reason != "" {
		t.Errorf("dead's health after recovery: %+v", dead)
	}
	if fr, err := st.Freshness(ctx, "dead", ""); err != nil || len(fr) != 2 {
		t.Errorf("dead's freshness after recovery: %+v %v", fr, err)
	}
}

func health(t *testing.T, st store.Store, mirror string) store.MirrorHealth {
	t.Helper()
	hs, err := st.Health(context.Background(), mirror)
	if err != nil || len(hs) != 1 {
		t.Fatalf("health of %s: %+v %v", mirror, hs, err)
	}
	return hs[0]
}
