package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// The crawler's part of the contract:
//   - RecordCrawl writes only what changed and says how much (Written);
//     SeenError keeps what is stored; a SeenOK of a repomd no longer
//     accepted counts as SeenOther.
//   - Precedence: the newer observation wins; a report cannot make a
//     mirror fresh for a repomd the crawler saw it not serving after the
//     scan recorded that repomd (ErrConflict); a report of a repomd
//     recorded after the last crawl is accepted; never-crawled mirrors
//     report as before.
//   - After CrawlPolicy.DisableAfter failed crawls in a row the mirror is
//     disabled with a reason and a time; a good crawl brings it back
//     unless ManualRecovery; Recover always does. Mirror.Enabled stays.
//   - Only a crawl that changes freshness or disables or recovers the
//     mirror is signalled by Changes.

// crawlDataset is a small network for the crawl tests: two public
// mirrors, a regional one, dirOS with a current repomd and an alternate,
// dirUpdates with a current one.
func crawlDataset() *store.Dataset {
	regional := mirror("s3-us-east-1")
	regional.Private, regional.Region, regional.Bucket, regional.Locations = true, "us-east-1", "metalinkd-us-east-1", []string{"us-east-1"}
	return &store.Dataset{
		Mirrors:   []store.Mirror{mirror("pub1.example.org"), mirror("pub2.example.org"), regional},
		Locations: []store.Location{{Name: "us-east-1"}},
		Directories: []store.Directory{
			{Path: dirOS, Current: repomd("os 2", at(0)), Alternates: []store.Repomd{superseded(repomd("os 1", at(-2*time.Hour)), at(0))}},
			{Path: dirUpdates, Current: repomd("up 1", at(0))},
		},
	}
}

func sha(seed string) string { return hexDigest("sha256 "+seed, 64) }

// crawlAt returns a crawl of m started at start that reached it over https.
func crawlAt(m string, start time.Duration, obs ...store.Observation) store.CrawlResult {
	return store.CrawlResult{
		Mirror: m, Started: at(start), Finished: at(start + time.Minute),
		Checks:       []store.ProtocolCheck{{Protocol: "https", OK: true}},
		Observations: obs,
	}
}

// failedCrawlAt returns a crawl of m that timed out over https.
func failedCrawlAt(m string, start time.Duration) store.CrawlResult {
	return store.CrawlResult{
		Mirror: m, Started: at(start), Finished: at(start + time.Minute),
		Checks: []store.ProtocolCheck{{Protocol: "https", Reason: store.ReasonTimeout, Detail: "no answer in 30s"}},
		Observations: []store.Observation{
			{Directory: dirOS, Status: store.SeenError, Detail: "timeout"},
		},
	}
}

func ok(dir, seed string) store.Observation {
	return store.Observation{Directory: dir, Status: store.SeenOK, SHA256: sha(seed)}
}

func seen(dir, status string) store.Observation {
	return store.Observation{Directory: dir, Status: status}
}

func recordCrawl(t *testing.T, s store.Store, r store.CrawlResult, p store.CrawlPolicy) store.CrawlOutcome {
	t.Helper()
	out, err := s.RecordCrawl(ctx(t), r, p)
	if err != nil {
		t.Fatalf("RecordCrawl(%s at %v): %v", r.Mirror, r.Started, err)
	}
	return out
}

func checkOutcome(t *testing.T, got, want store.CrawlOutcome) {
	t.Helper()
	if got != want {
		t.Errorf("RecordCrawl = %+v, want %+v", got, want)
	}
}

// checkFreshness fails the test unless the mirror's freshness is want.
func checkFreshness(t *testing.T, s store.Store, m string, want ...store.Freshness) {
	t.Helper()
	got, err := s.Freshness(ctx(t), m, "")
	must(t, "Freshness", err)
	if diff := cmp.Diff(want, got, datasetOpts); diff != "" {
		t.Errorf("freshness of %s (-want +got):\n%s", m, diff)
	}
}

func health(t *testing.T, s store.Store, m string) store.MirrorHealth {
	t.Helper()
	hs, err := s.Health(ctx(t), m)
	must(t, "Health", err)
	if len(hs) != 1 || hs[0].Mirror != m {
		t.Fatalf("Health(%q) = %+v, want the one mirror", m, hs)
	}
	return hs[0]
}

func crawled(m, dir, seed string, t time.Duration) store.Freshness {
	return store.Freshness{Mirror: m, Directory: dir, SHA256: sha(seed), Reported: at(t), Source: store.SourceCrawl}
}

func testCrawlWritesOnlyChanges(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	const m = "pub1.example.org"
	p := store.CrawlPolicy{DisableAfter: store.DefaultDisableAfter}

	out := recordCrawl(t, s, crawlAt(m, time.Hour, ok(dirOS, "os 2"), ok(dirUpdates, "up 1")), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 2})
	checkFreshness(t, s, m, crawled(m, dirOS, "os 2", time.Hour), crawled(m, dirUpdates, "up 1", time.Hour))

	// The same again: nothing written; the rows keep the first crawl's time.
	out = recordCrawl(t, s, crawlAt(m, 2*time.Hour, ok(dirOS, "os 2"), ok(dirUpdates, "up 1")), p)
	checkOutcome(t, out, store.CrawlOutcome{})
	checkFreshness(t, s, m, crawled(m, dirOS, "os 2", time.Hour), crawled(m, dirUpdates, "up 1", time.Hour))
	h := health(t, s, m)
	want := store.MirrorHealth{Mirror: m, LastCrawl: at(2*time.Hour + time.Minute),
		Protocols: []store.ProtocolHealth{{Protocol: "https", LastSuccess: at(2*time.Hour + time.Minute)}}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}

	// An alternate is still fresh (one row changed); a missing directory
	// is not (one row removed); a directory the store does not know is
	// skipped.
	out = recordCrawl(t, s, crawlAt(m, 3*time.Hour, ok(dirOS, "os 1"), seen(dirUpdates, store.SeenMissing),
		ok("pub/nowhere", "x")), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 2})
	checkFreshness(t, s, m, crawled(m, dirOS, "os 1", 3*time.Hour))

	// An error teaches nothing: the freshness stays.
	out = recordCrawl(t, s, crawlAt(m, 4*time.Hour, seen(dirOS, store.SeenError), seen(dirUpdates, store.SeenError)), p)
	checkOutcome(t, out, store.CrawlOutcome{})
	checkFreshness(t, s, m, crawled(m, dirOS, "os 1", 3*time.Hour))

	// A repomd the directory does not accept is as good as none.
	out = recordCrawl(t, s, crawlAt(m, 5*time.Hour, ok(dirOS, "os 0")), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 1})
	checkFreshness(t, s, m)

	// The other mirror was never touched, and Load agrees.
	checkFreshness(t, s, "pub2.example.org")
	d := load(t, s)
	if len(d.Health) != 1 || d.Health[0].Mirror != m {
		t.Errorf("Load().Health = %+v, want pub1's only", d.Health)
	}
}

func testCrawlPrecedence(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	const m = "pub1.example.org"
	var p store.CrawlPolicy
	report := func(seed string, when time.Duration) store.Freshness {
		return store.Freshness{Mirror: m, Directory: dirOS, SHA256: sha(seed), Reported: at(when)}
	}

	// The crawler saw no repomd.xml at 1h, after "os 2" (recorded at 0) and
	// "os 1": a report of either cannot make the mirror fresh.
	checkOutcome(t, recordCrawl(t, s, crawlAt(m, time.Hour, seen(dirOS, store.SeenMissing)), p), store.CrawlOutcome{})
	for _, seed := range []string{"os 2", "os 1"} {
		rejected(t, s, store.ErrConflict, func() error { return s.Report(ctx(t), report(seed, 2*time.Hour)) })
	}
	err := s.Report(ctx(t), report("os 2", 2*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "crawler saw") {
		t.Errorf("refused report's error %v does not say why", err)
	}

	// A repomd recorded after the last crawl may be reported.
	recordScan(t, s, at(3*time.Hour), scanned(dirOS, "os 3", at(3*time.Hour)))
	r3 := report("os 3", 3*time.Hour+time.Minute)
	must(t, "Report of a repomd newer than the crawl", s.Report(ctx(t), r3))
	checkFreshness(t, s, m, r3)

	// A crawl that started before the report is older: the report stays.
	out := recordCrawl(t, s, crawlAt(m, 3*time.Hour, seen(dirOS, store.SeenOther)), p)
	checkOutcome(t, out, store.CrawlOutcome{})
	checkFreshness(t, s, m, r3)

	// A newer crawl that sees something else wins, and from then on the
	// report of "os 3" is refused.
	out = recordCrawl(t, s, crawlAt(m, 4*time.Hour, store.Observation{Directory: dirOS, Status: store.SeenOther, SHA256: sha("os 9")}), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 1})
	checkFreshness(t, s, m)
	rejected(t, s, store.ErrConflict, func() error { return s.Report(ctx(t), report("os 3", 5*time.Hour)) })

	// Once the crawler sees it, it is fresh again, and a report the
	// crawler agrees with is accepted.
	out = recordCrawl(t, s, crawlAt(m, 6*time.Hour, ok(dirOS, "os 3")), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 1})
	checkFreshness(t, s, m, crawled(m, dirOS, "os 3", 6*time.Hour))
	r7 := report("os 3", 7*time.Hour)
	must(t, "Report the crawler agrees with", s.Report(ctx(t), r7))
	checkFreshness(t, s, m, r7)

	// Serving the alternate "os 2" now: a report of "os 3" is refused again,
	// one of "os 2" is what the crawler saw.
	out = recordCrawl(t, s, crawlAt(m, 8*time.Hour, ok(dirOS, "os 2")), p)
	checkOutcome(t, out, store.CrawlOutcome{Written: 1})
	rejected(t, s, store.ErrConflict, func() error { return s.Report(ctx(t), report("os 3", 9*time.Hour)) })
	must(t, "Report of what the crawler saw", s.Report(ctx(t), report("os 2", 9*time.Hour)))

	// A mirror never crawled (a regional one, here) reports as before.
	fr := store.Freshness{Mirror: "s3-us-east-1", Directory: dirOS, SHA256: sha("os 2"), Reported: at(9 * time.Hour)}
	must(t, "Report of a regional mirror", s.Report(ctx(t), fr))
	checkFreshness(t, s, "s3-us-east-1", fr)

	// A report cannot claim to be a crawl.
	bad := report("os 2", 10*time.Hour)
	bad.Source = store.SourceCrawl
	rejected(t, s, store.ErrInvalid, func() error { return s.Report(ctx(t), bad) })
}

func testCrawlDisableAndRecover(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	const m = "pub1.example.org"
	p := store.CrawlPolicy{DisableAfter: 3}
	recordCrawl(t, s, crawlAt(m, 0, ok(dirOS, "os 2")), p)

	for i := range 2 {
		checkOutcome(t, recordCrawl(t, s, failedCrawlAt(m, time.Duration(i+1)*time.Hour), p), store.CrawlOutcome{})
	}
	h := health(t, s, m)
	if h.Disabled || h.ConsecutiveFailures != 2 {
		t.Errorf("after 2 failed crawls: %+v, want enabled with 2 failures", h)
	}
	want := store.ProtocolHealth{Protocol: "https", LastSuccess: at(time.Minute), LastFailure: at(2*time.Hour + time.Minute),
		LastReason: store.ReasonTimeout, LastDetail: "no answer in 30s", ConsecutiveFailures: 2}
	if diff := cmp.Diff([]store.ProtocolHealth{want}, h.Protocols); diff != "" {
		t.Errorf("protocol health (-want +got):\n%s", diff)
	}

	// The third takes the mirror out of answers, with a reason; its
	// freshness and the admin's flag stay.
	checkOutcome(t, recordCrawl(t, s, failedCrawlAt(m, 3*time.Hour), p), store.CrawlOutcome{Disabled: true})
	h = health(t, s, m)
	if !h.Disabled || !h.Since.Equal(at(3*time.Hour+time.Minute)) || !strings.Contains(h.Reason, "3 consecutive failed crawls") ||
		!strings.Contains(h.Reason, "timeout") {
		t.Errorf("after 3 failed crawls: %+v, want disabled since the third with its reason", h)
	}
	checkFreshness(t, s, m, crawled(m, dirOS, "os 2", 0))
	if mm, err := s.Mirror(ctx(t), m); err != nil || !mm.Enabled {
		t.Errorf("Mirror = %+v, %v; the admin's Enabled must stay", mm, err)
	}
	if d := load(t, s); !d.CrawlerDisabled()[m] {
		t.Errorf("Load().Health = %+v, want %s disabled", d.Health, m)
	}
	// Disabled once: the next failure is not a new disable.
	checkOutcome(t, recordCrawl(t, s, failedCrawlAt(m, 4*time.Hour), p), store.CrawlOutcome{})

	// A good crawl brings it back.
	checkOutcome(t, recordCrawl(t, s, crawlAt(m, 5*time.Hour, ok(dirOS, "os 2")), p), store.CrawlOutcome{Recovered: true})
	h = health(t, s, m)
	if h.Disabled || h.ConsecutiveFailures != 0 || h.Reason != "" || !h.Since.IsZero() {
		t.Errorf("after a good crawl: %+v, want back", h)
	}

	// With manual recovery only Recover brings it back.
	p.ManualRecovery = true
	for i := range 3 {
		recordCrawl(t, s, failedCrawlAt(m, time.Duration(6+i)*time.Hour), p)
	}
	checkOutcome(t, recordCrawl(t, s, crawlAt(m, 10*time.Hour, ok(dirOS, "os 2")), p), store.CrawlOutcome{})
	if h = health(t, s, m); !h.Disabled || h.ConsecutiveFailures != 0 {
		t.Errorf("after a good crawl with manual recovery: %+v, want still disabled, no failures", h)
	}
	must(t, "Recover", s.Recover(ctx(t), m))
	if h = health(t, s, m); h.Disabled || h.Reason != "" {
		t.Errorf("after Recover: %+v, want back", h)
	}
	if err := s.Recover(ctx(t), "nobody.example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Recover of an unknown mirror = %v, want ErrNotFound", err)
	}
	// A mirror never crawled has nothing to recover from.
	must(t, "Recover of a mirror never crawled", s.Recover(ctx(t), "pub2.example.org"))

	// DisableAfter 0 never disables.
	for i := range 5 {
		checkOutcome(t, recordCrawl(t, s, failedCrawlAt("pub2.example.org", time.Duration(i)*time.Hour), store.CrawlPolicy{}), store.CrawlOutcome{})
	}
	if h = health(t, s, "pub2.example.org"); h.Disabled || h.ConsecutiveFailures != 5 {
		t.Errorf("with DisableAfter 0: %+v, want enabled with 5 failures", h)
	}
}

func testCrawlRejected(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	valid := crawlAt("pub1.example.org", time.Hour, ok(dirOS, "os 2"))
	tests := []struct {
		name   string
		change func(r *store.CrawlResult)
		want   error
	}{
		{"unknown mirror", func(r *store.CrawlResult) { r.Mirror = "nobody.example.org" }, store.ErrNotFound},
		{"no mirror", func(r *store.CrawlResult) { r.Mirror = "" }, store.ErrInvalid},
		{"bad status", func(r *store.CrawlResult) { r.Observations[0].Status = "fine" }, store.ErrInvalid},
		{"bad sha256", func(r *store.CrawlResult) { r.Observations[0].SHA256 = "ABC" }, store.ErrInvalid},
		{"bad protocol", func(r *store.CrawlResult) { r.Checks[0].Protocol = "gopher" }, store.ErrInvalid},
		{"no time", func(r *store.CrawlResult) { r.Started, r.Finished = time.Time{}, time.Time{} }, store.ErrInvalid},
		{"directory twice", func(r *store.CrawlResult) { r.Observations = append(r.Observations, r.Observations[0]) }, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid
			r.Checks = append([]store.ProtocolCheck(nil), valid.Checks...)
			r.Observations = append([]store.Observation(nil), valid.Observations...)
			tt.change(&r)
			rejected(t, s, tt.want, func() error { _, err := s.RecordCrawl(ctx(t), r, store.CrawlPolicy{}); return err })
		})
	}
	if hs, err := s.Health(ctx(t), ""); err != nil || len(hs) != 0 {
		t.Errorf("Health after rejected crawls = %+v, %v; want none", hs, err)
	}
}

// Health and crawl-sourced freshness go through Restore and Load; health
// must name existing mirrors; Import keeps it; a deleted mirror takes its
// health along.
func testCrawlRestoreRoundTrip(t *testing.T, s store.Store) {
	d := crawlDataset()
	d.Freshness = []store.Freshness{
		crawled("pub1.example.org", dirOS, "os 2", time.Hour),
		{Mirror: "pub2.example.org", Directory: dirOS, SHA256: sha("os 1"), Reported: at(time.Hour)},
	}
	d.Health = []store.MirrorHealth{
		{Mirror: "pub1.example.org", LastCrawl: at(time.Hour), Protocols: []store.ProtocolHealth{
			{Protocol: "http", LastSuccess: at(time.Hour)},
			{Protocol: "https", LastFailure: at(time.Hour), LastReason: store.ReasonTLS, LastDetail: "x509", ConsecutiveFailures: 1},
		}},
		{Mirror: "pub2.example.org", LastCrawl: at(2 * time.Hour), ConsecutiveFailures: 4, Disabled: true,
			Reason: "4 consecutive failed crawls", Since: at(2 * time.Hour)},
	}
	must(t, "Restore", s.Restore(ctx(t), d))
	checkData(t, s, d)
	hs, err := s.Health(ctx(t), "")
	must(t, "Health", err)
	if diff := cmp.Diff(d.Health, hs); diff != "" {
		t.Errorf("Health (-want +got):\n%s", diff)
	}

	// The canonical form of a report's source is empty.
	r := d.Clone()
	r.Freshness[1].Source = store.SourceReport
	must(t, "Restore", s.Restore(ctx(t), r))
	checkData(t, s, d)

	bad := d.Clone()
	bad.Health = append(bad.Health, store.MirrorHealth{Mirror: "nobody.example.org"})
	rejected(t, s, store.ErrInvalid, func() error { return s.Restore(ctx(t), bad) })
	bad = d.Clone()
	bad.Freshness[0].Source = "rumour"
	rejected(t, s, store.ErrInvalid, func() error { return s.Restore(ctx(t), bad) })

	// Import changes the declarative part only: the health stays.
	must(t, "Import", s.Import(ctx(t), declarative(d)))
	if hs, err := s.Health(ctx(t), ""); err != nil || len(hs) != 2 {
		t.Errorf("Health after Import = %+v, %v; want both kept", hs, err)
	}
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), "pub2.example.org"))
	if hs, err := s.Health(ctx(t), ""); err != nil || len(hs) != 1 || hs[0].Mirror != "pub1.example.org" {
		t.Errorf("Health after deleting pub2 = %+v, %v", hs, err)
	}
}

func testPropagation(t *testing.T, s store.Store) {
	point := func(dir string, when time.Duration, current int) store.PropagationPoint {
		return store.PropagationPoint{Directory: dir, At: at(when), SHA256: sha("os 2"), Current: current, Older: 2, Other: 1, Failed: 1}
	}
	keep := 90 * time.Minute
	must(t, "RecordPropagation", s.RecordPropagation(ctx(t), []store.PropagationPoint{point(dirOS, 0, 1), point(dirUpdates, 0, 5)}, keep))
	must(t, "RecordPropagation", s.RecordPropagation(ctx(t), []store.PropagationPoint{point(dirOS, time.Hour, 2)}, keep))
	all, err := s.Propagation(ctx(t), "", time.Time{})
	must(t, "Propagation", err)
	want := []store.PropagationPoint{point(dirOS, 0, 1), point(dirUpdates, 0, 5), point(dirOS, time.Hour, 2)}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Propagation (-want +got):\n%s", diff)
	}
	// Two hours on, the points of 0 are older than keep and go.
	must(t, "RecordPropagation", s.RecordPropagation(ctx(t), []store.PropagationPoint{point(dirOS, 2*time.Hour, 3)}, keep))
	all, err = s.Propagation(ctx(t), "", time.Time{})
	must(t, "Propagation", err)
	want = []store.PropagationPoint{point(dirOS, time.Hour, 2), point(dirOS, 2*time.Hour, 3)}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Propagation after retention (-want +got):\n%s", diff)
	}
	// One directory, since a time.
	got, err := s.Propagation(ctx(t), dirOS, at(90*time.Minute))
	must(t, "Propagation", err)
	if diff := cmp.Diff(want[1:], got); diff != "" {
		t.Errorf("Propagation(dirOS, since 90m) (-want +got):\n%s", diff)
	}
	if got, err := s.Propagation(ctx(t), dirUpdates, time.Time{}); err != nil || len(got) != 0 {
		t.Errorf("Propagation(dirUpdates) = %+v, %v; want none left", got, err)
	}
	bad := point(dirOS, 3*time.Hour, -1)
	if err := s.RecordPropagation(ctx(t), []store.PropagationPoint{bad}, keep); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("RecordPropagation of a negative count = %v, want ErrInvalid", err)
	}
}

// quietWait is how long a test watches for a signal that must not come.
// A late signal lets a broken store pass; it never fails a correct one.
const quietWait = 2 * time.Second

func noSignal(t *testing.T, ch <-chan struct{}, after string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("a change was signalled after %s, which changed nothing answers depend on", after)
	case <-time.After(quietWait):
	}
}

func testCrawlChanges(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	const m = "pub1.example.org"
	ch := s.Changes(ctx(t))
	p := store.CrawlPolicy{DisableAfter: 2}
	recordCrawl(t, s, crawlAt(m, time.Hour, ok(dirOS, "os 2")), p)
	waitSignal(t, ch, "a crawl that made a mirror fresh")
	// One signal for the transaction, not one per row.
	noSignal(t, ch, "the signal of one crawl")

	recordCrawl(t, s, crawlAt(m, 2*time.Hour, ok(dirOS, "os 2")), p)
	noSignal(t, ch, "a crawl that changed only the health's times")
	recordCrawl(t, s, failedCrawlAt(m, 3*time.Hour), p)
	noSignal(t, ch, "a first failed crawl")
	must(t, "RecordPropagation", s.RecordPropagation(ctx(t), []store.PropagationPoint{{Directory: dirOS, At: at(3 * time.Hour)}}, time.Hour))
	noSignal(t, ch, "RecordPropagation")

	checkOutcome(t, recordCrawl(t, s, failedCrawlAt(m, 4*time.Hour), p), store.CrawlOutcome{Disabled: true})
	waitSignal(t, ch, "a crawl that disabled the mirror")
	checkOutcome(t, recordCrawl(t, s, crawlAt(m, 5*time.Hour, ok(dirOS, "os 2")), p), store.CrawlOutcome{Recovered: true})
	waitSignal(t, ch, "a crawl that brought the mirror back")
	recordCrawl(t, s, crawlAt(m, 6*time.Hour, seen(dirOS, store.SeenMissing)), p)
	waitSignal(t, ch, "a crawl that made a mirror stale")

	// Only the crawls that changed something are in the audit log.
	entries, err := s.ListAudit(ctx(t), 100, 0)
	must(t, "ListAudit", err)
	n := 0
	for _, e := range entries {
		if e.Action == "crawl" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d crawl entries in the audit log, want 4 (fresh, disabled, recovered, stale)", n)
	}
}

// RunCrawlLock checks that the crawl lock excludes a second handle on the
// same database or data directory. open returns two handles on one new,
// empty store.
func RunCrawlLock(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	a, b := open(t)
	unlockA, err := a.LockCrawl(ctx(t))
	must(t, "LockCrawl", err)
	if _, err := b.LockCrawl(ctx(t)); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("LockCrawl while another handle holds it = %v, want ErrLocked", err)
	}
	// Not reentrant either: a second crawler in this process is refused.
	if _, err := a.LockCrawl(ctx(t)); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("LockCrawl twice on one handle = %v, want ErrLocked", err)
	}
	must(t, "unlock", unlockA())
	must(t, "unlock twice", unlockA())
	unlockB, err := b.LockCrawl(ctx(t))
	must(t, "LockCrawl after unlock", err)
	if _, err := a.LockCrawl(ctx(t)); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("LockCrawl while the other handle holds it = %v, want ErrLocked", err)
	}
	must(t, "unlock", unlockB())
	unlockA, err = a.LockCrawl(ctx(t))
	must(t, "LockCrawl again", err)
	must(t, "unlock", unlockA())
}
