package freshness

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// A Counter fed rows one at a time tallies a subset of the mirrors as
// Count does those mirrors alone, without the stale lists it was not asked
// to keep; crawls do not count as reports for LastReport.
func TestCounterSubset(t *testing.T) {
	dirs := []store.Directory{
		{Path: "releases/41/a", Current: store.Repomd{SHA256: "now", Timestamp: 20}, Alternates: []store.Repomd{{SHA256: "old"}}},
		{Path: "updates/41/a", Current: store.Repomd{SHA256: "upd", Timestamp: 30}},
	}
	mirrors := []store.Mirror{{Name: "a"}, {Name: "b"}, {Name: "c", AlwaysUpToDate: true}}
	at, later := time.Unix(100, 0), time.Unix(200, 0)
	reports := []store.Freshness{
		{Mirror: "a", Directory: "releases/41/a", SHA256: "old", Reported: at},
		{Mirror: "a", Directory: "updates/41/a", SHA256: "upd", Reported: later, Source: store.SourceCrawl},
		{Mirror: "b", Directory: "releases/41/a", SHA256: "now", Reported: later},
		{Mirror: "b", Directory: "updates/41/a", SHA256: "gone", Reported: at},
	}
	c := NewCounter(mirrors, dirs, false)
	for i := range reports {
		c.Add(&reports[i])
	}
	notB := func(m *store.Mirror) bool { return m.Name != "b" }
	got := c.Tally(notB)
	want := Count([]store.Mirror{mirrors[0], mirrors[2]}, dirs, reports)
	for i := range want.Mirrors {
		want.Mirrors[i].Stale = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tally of a and c (-want +got):\n%s", diff)
	}
	if got.Mirrors[0].LastReport != at {
		t.Errorf("a's last report = %v, want %v (its crawl is not a report)", got.Mirrors[0].LastReport, at)
	}
	all := c.Tally(nil)
	if b := all.Mirrors[1]; b.Directories != (Counts{Fresh: 1, Outdated: 1}) || b.Categories["updates/41"] != Outdated {
		t.Errorf("b = %+v, want one fresh and one outdated directory, updates/41 outdated", b)
	}
}
