package freshness

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func TestCategoryOf(t *testing.T) {
	for path, want := range map[string]string{
		"releases/41/Everything/x86_64/os":   "releases/41",
		"/updates/42/Everything/aarch64/":    "updates/42",
		"development/rawhide/Everything/src": "development/rawhide",
		"epel/9":                             "epel/9",
		"iso":                                "iso",
	} {
		if got := CategoryOf(path); got != want {
			t.Errorf("CategoryOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	now := store.Repomd{SHA256: "now", Timestamp: 20}
	old := store.Repomd{SHA256: "old", Timestamp: 10}
	dirs := []store.Directory{
		{Path: "releases/41/a", Current: now, Alternates: []store.Repomd{old}},
		{Path: "releases/41/b", Current: now},
		{Path: "updates/41/a", Current: store.Repomd{SHA256: "upd", Timestamp: 30}},
	}
	mirrors := []store.Mirror{{Name: "fresh"}, {Name: "mixed"}, {Name: "gone"}, {Name: "silent"}, {Name: "always", AlwaysUpToDate: true}}
	at := time.Unix(1, 0)
	reports := []store.Freshness{
		{Mirror: "fresh", Directory: "releases/41/a", SHA256: "now"},
		{Mirror: "fresh", Directory: "updates/41/a", SHA256: "upd"},
		{Mirror: "mixed", Directory: "releases/41/a", SHA256: "old", Reported: at},
		{Mirror: "mixed", Directory: "releases/41/b", SHA256: "now"},
		{Mirror: "gone", Directory: "releases/41/b", SHA256: "older", Reported: at},
		{Mirror: "always", Directory: "releases/41/b", SHA256: "older"},
		{Mirror: "fresh", Directory: "never/scanned", SHA256: "x"},
		{Mirror: "unlisted", Directory: "releases/41/a", SHA256: "now"},
	}
	got := Count(mirrors, dirs, reports)
	want := Tally{
		Mirrors: []Mirror{
			{Name: "fresh", Directories: Counts{Fresh: 2, Unknown: 1}, Categories: map[string]State{"releases/41": Fresh, "updates/41": Fresh}},
			{Name: "mixed", Directories: Counts{Fresh: 1, Alternate: 1, Unknown: 1},
				Stale:      []StaleDirectory{{Directory: "releases/41/a", SHA256: "old", Reported: at, State: Alternate}},
				Categories: map[string]State{"releases/41": Alternate}, LastReport: at},
			{Name: "gone", Directories: Counts{Outdated: 1, Unknown: 2},
				Stale:      []StaleDirectory{{Directory: "releases/41/b", SHA256: "older", Reported: at, State: Outdated}},
				Categories: map[string]State{"releases/41": Outdated}, LastReport: at},
			{Name: "silent", Directories: Counts{Unknown: 3}, Categories: map[string]State{}},
			{Name: "always", Directories: Counts{Fresh: 3}, Categories: map[string]State{"releases/41": Fresh, "updates/41": Fresh}},
		},
		Categories: []Category{
			{Name: "releases/41", Directories: 2, Latest: 20, Mirrors: Counts{Fresh: 2, Alternate: 1, Outdated: 1, Unknown: 1}},
			{Name: "updates/41", Directories: 1, Latest: 30, Mirrors: Counts{Fresh: 2, Unknown: 3}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Count (-want +got):\n%s", diff)
	}
	if c := got.Categories[0].Mirrors; c.Stale() != 2 || c.Total() != len(mirrors) {
		t.Errorf("releases/41: %d stale of %d, want 2 of %d", c.Stale(), c.Total(), len(mirrors))
	}
}
