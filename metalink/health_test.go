package metalink

import (
	"slices"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// A mirror the crawler disabled is left out of answers, though its admin
// left it enabled and it is fresh; one it crawled and kept is listed.
func TestCrawlerDisabledLeftOut(t *testing.T) {
	d := fixture()
	d.Health = []store.MirrorHealth{
		{Mirror: "de1", LastCrawl: testNow, ConsecutiveFailures: 4, Disabled: true,
			Reason: "4 consecutive failed crawls", Since: testNow.Add(-time.Hour)},
		{Mirror: "fr", LastCrawl: testNow},
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	q := ParseQuery("country=global")
	snap := NewSnapshot(d, testNow)
	dir := snap.repo("fedora-41", "x86_64").Dir
	got := names(snap, selectFor(snap, dir, &q, Client{}, seeded()))
	if slices.Contains(got, "de1") {
		t.Errorf("global answer %v lists de1, which the crawler disabled", got)
	}
	if !slices.Contains(got, "fr") || !slices.Contains(got, "de2") {
		t.Errorf("global answer %v lacks fr or de2", got)
	}
	// Without the health, de1 is back.
	d.Health = nil
	snap = NewSnapshot(d, testNow)
	dir = snap.repo("fedora-41", "x86_64").Dir
	if got := names(snap, selectFor(snap, dir, &q, Client{}, seeded())); !slices.Contains(got, "de1") {
		t.Errorf("global answer %v lacks de1 without health", got)
	}
}
