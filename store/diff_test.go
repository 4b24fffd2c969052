package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

// kindOf returns the named kind of a diff, failing when it is missing.
func kindOf(t *testing.T, d store.Diff, kind string) store.KindDiff {
	t.Helper()
	for _, k := range d {
		if k.Kind == kind {
			return k
		}
	}
	t.Fatalf("no kind %q in %+v", kind, d)
	return store.KindDiff{}
}

func TestDiffDeclarative(t *testing.T) {
	withBandwidth := func(m store.Mirror, bw int, urls ...string) store.Mirror {
		m.Bandwidth = bw
		if urls != nil {
			m.URLs = urls
		}
		return m
	}
	tests := []struct {
		name     string
		old, new store.Dataset
		kind     string
		want     store.KindDiff
	}{{
		name: "equal, nil and empty lists alike",
		old:  store.Dataset{Mirrors: []store.Mirror{mirror("a")}},
		new:  store.Dataset{Mirrors: []store.Mirror{func() store.Mirror { m := mirror("a"); m.Netblocks = []string{}; return m }()}},
		kind: "mirror",
		want: store.KindDiff{Kind: "mirror", Plural: "mirrors", Declarative: true},
	}, {
		name: "mirrors added, removed and changed, sorted by name",
		old:  store.Dataset{Mirrors: []store.Mirror{mirror("z"), mirror("c"), mirror("b")}},
		new: store.Dataset{Mirrors: []store.Mirror{
			mirror("y"), withBandwidth(mirror("c"), 99, "https://c.example/other"), mirror("b"), mirror("a"),
		}},
		kind: "mirror",
		want: store.KindDiff{Kind: "mirror", Plural: "mirrors", Declarative: true,
			Added: []string{"a", "y"}, Removed: []string{"z"},
			Changed: []store.EntryChange{{Key: "c", Fields: []string{"bandwidth", "urls"}}}},
	}, {
		name: "locations",
		old:  store.Dataset{Locations: []store.Location{{Name: "eu-west-1"}, {Name: "us-east-1"}}},
		new:  store.Dataset{Locations: []store.Location{{Name: "us-east-1", CloudRegions: []string{"us-east-2"}, Description: "x"}}},
		kind: "location",
		want: store.KindDiff{Kind: "location", Plural: "locations", Declarative: true, Removed: []string{"eu-west-1"},
			Changed: []store.EntryChange{{Key: "us-east-1", Fields: []string{"description", "cloud_regions"}}}},
	}, {
		name: "repositories by prefix and arch",
		old: store.Dataset{Repositories: []store.Repository{
			{Prefix: "fedora-41", Arch: "x86_64", Directory: "a"}, {Prefix: "fedora-41", Arch: "aarch64", Directory: "b"},
		}},
		new: store.Dataset{Repositories: []store.Repository{
			{Prefix: "fedora-41", Arch: "x86_64", Directory: "a", Disabled: true}, {Prefix: "fedora-42", Arch: "aarch64", Directory: "b"},
		}},
		kind: "repository",
		want: store.KindDiff{Kind: "repository", Plural: "repositories", Declarative: true,
			Added: []string{"fedora-42/aarch64"}, Removed: []string{"fedora-41/aarch64"},
			Changed: []store.EntryChange{{Key: "fedora-41/x86_64", Fields: []string{"disabled"}}}},
	}, {
		name: "redirects by source",
		old:  store.Dataset{Redirects: []store.Redirect{{From: "fedora-45", To: "rawhide"}}},
		new:  store.Dataset{Redirects: []store.Redirect{{From: "fedora-45", To: "fedora-44"}}},
		kind: "redirect",
		want: store.KindDiff{Kind: "redirect", Plural: "redirects", Declarative: true,
			Changed: []store.EntryChange{{Key: "fedora-45", Fields: []string{"to"}}}},
	}, {
		name: "scan rules in another order",
		old:  store.Dataset{ScanRules: []store.ScanRule{{Pattern: "^a$", Repo: "a", Arch: "x"}, {Pattern: "^b$", Repo: "b", Arch: "x"}}},
		new:  store.Dataset{ScanRules: []store.ScanRule{{Pattern: "^c$", Repo: "c", Arch: "x"}, {Pattern: "^b$", Repo: "b", Arch: "y"}, {Pattern: "^a$", Repo: "a", Arch: "x"}}},
		kind: "scan rule",
		want: store.KindDiff{Kind: "scan rule", Plural: "scan rules", Declarative: true, Added: []string{"^c$"},
			Changed: []store.EntryChange{{Key: "^b$", Fields: []string{"arch"}}}, Reordered: true},
	}, {
		name: "a rule inserted before the others is no reordering",
		old:  store.Dataset{ScanRules: []store.ScanRule{{Pattern: "^a$"}, {Pattern: "^b$"}}},
		new:  store.Dataset{ScanRules: []store.ScanRule{{Pattern: "^c$"}, {Pattern: "^a$"}, {Pattern: "^b$"}}},
		kind: "scan rule",
		want: store.KindDiff{Kind: "scan rule", Plural: "scan rules", Declarative: true, Added: []string{"^c$"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kindOf(t, store.DiffDeclarative(&tt.old, &tt.new), tt.kind)
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestDiffAll(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	repomd := func(sum string) store.Repomd {
		return store.Repomd{Size: 1, SHA256: sum, Recorded: t0}
	}
	old := &store.Dataset{
		Mirrors:      []store.Mirror{mirror("a")},
		Directories:  []store.Directory{{Path: "d1", Current: repomd("1")}, {Path: "d2", Current: repomd("2")}},
		Freshness:    []store.Freshness{{Mirror: "a", Directory: "d1", SHA256: "1", Reported: t0}},
		CloudRanges:  []store.CloudRange{{Provider: "aws", Region: "us-east-1", Prefix: "192.0.2.0/24"}},
		CloudSources: []store.CloudSource{{Provider: "aws", SyncToken: "1", Imported: t0}},
	}
	// The same instants in another zone, as a store may load them.
	berlin := time.FixedZone("CET", 3600)
	d1 := store.Directory{Path: "d1", Current: repomd("1")}
	d1.Current.Recorded = t0.In(berlin)
	changed := store.Directory{Path: "d2", Current: repomd("2"), Alternates: []store.Repomd{repomd("0")}}
	tests := []struct {
		name string
		new  *store.Dataset
		kind string
		want store.KindDiff
	}{{
		name: "times compare as instants",
		new:  &store.Dataset{Directories: []store.Directory{d1, {Path: "d2", Current: repomd("2")}}},
		kind: "directory",
		want: store.KindDiff{Kind: "directory", Plural: "directories"},
	}, {
		name: "directories",
		new:  &store.Dataset{Directories: []store.Directory{changed, {Path: "d3", Current: repomd("3")}}},
		kind: "directory",
		want: store.KindDiff{Kind: "directory", Plural: "directories", Added: []string{"d3"}, Removed: []string{"d1"},
			Changed: []store.EntryChange{{Key: "d2", Fields: []string{"alternates"}}}},
	}, {
		name: "freshness by mirror and directory",
		new:  &store.Dataset{Freshness: []store.Freshness{{Mirror: "a", Directory: "d1", SHA256: "2", Reported: t0}}},
		kind: "freshness",
		want: store.KindDiff{Kind: "freshness", Plural: "freshness",
			Changed: []store.EntryChange{{Key: "a d1", Fields: []string{"sha256"}}}},
	}, {
		name: "cloud ranges absent from the file",
		new:  &store.Dataset{},
		kind: "cloud range",
		want: store.KindDiff{Kind: "cloud range", Plural: "cloud ranges", Removed: []string{"aws us-east-1 192.0.2.0/24"}},
	}, {
		name: "cloud sources",
		new:  &store.Dataset{CloudSources: []store.CloudSource{{Provider: "aws", SyncToken: "2", Imported: t0}}},
		kind: "cloud source",
		want: store.KindDiff{Kind: "cloud source", Plural: "cloud sources",
			Changed: []store.EntryChange{{Key: "aws", Fields: []string{"sync_token"}}}},
	}, {
		name: "the declarative kinds are there too",
		new:  &store.Dataset{},
		kind: "mirror",
		want: store.KindDiff{Kind: "mirror", Plural: "mirrors", Declarative: true, Removed: []string{"a"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kindOf(t, store.DiffAll(old, tt.new), tt.kind)
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestDiffEmptyAndRemovals(t *testing.T) {
	a := &store.Dataset{
		Mirrors:      []store.Mirror{mirror("b"), mirror("a")},
		Repositories: []store.Repository{{Prefix: "p", Arch: "x", Directory: "d"}},
	}
	if d := store.DiffAll(a, a.Clone()); !d.Empty() || d.Removals() != nil {
		t.Errorf("a dataset against its copy: %+v", d)
	}
	d := store.DiffDeclarative(a, &store.Dataset{Mirrors: []store.Mirror{mirror("c")}})
	if d.Empty() {
		t.Error("a different dataset compared equal")
	}
	want := []string{"mirror a", "mirror b", "repository p/x"}
	if diff := cmp.Diff(want, d.Removals()); diff != "" {
		t.Errorf("Removals (-want +got)\n%s", diff)
	}
}

func TestMerge(t *testing.T) {
	changedA := mirror("a")
	changedA.Bandwidth = 500
	tests := []struct {
		name         string
		stored, file store.Dataset
		want         store.Dataset
	}{{
		name:   "file entries added and replaced, stored ones kept",
		stored: store.Dataset{Mirrors: []store.Mirror{mirror("a"), mirror("admin-added")}, Locations: []store.Location{{Name: "us-east-1"}}},
		file:   store.Dataset{Mirrors: []store.Mirror{mirror("new"), changedA}, Locations: []store.Location{{Name: "eu-west-1"}}},
		want: store.Dataset{
			Mirrors:   []store.Mirror{changedA, mirror("admin-added"), mirror("new")},
			Locations: []store.Location{{Name: "us-east-1"}, {Name: "eu-west-1"}},
		},
	}, {
		name: "repositories and redirects by key",
		stored: store.Dataset{
			Repositories: []store.Repository{{Prefix: "p", Arch: "x", Directory: "old"}, {Prefix: "p", Arch: "y", Directory: "y"}},
			Redirects:    []store.Redirect{{From: "a", To: "b"}},
		},
		file: store.Dataset{
			Repositories: []store.Repository{{Prefix: "p", Arch: "x", Directory: "new"}},
			Redirects:    []store.Redirect{{From: "c", To: "d"}},
		},
		want: store.Dataset{
			Repositories: []store.Repository{{Prefix: "p", Arch: "x", Directory: "new"}, {Prefix: "p", Arch: "y", Directory: "y"}},
			Redirects:    []store.Redirect{{From: "a", To: "b"}, {From: "c", To: "d"}},
		},
	}, {
		name:   "scan rules in the file's order, stored ones after their predecessor",
		stored: store.Dataset{ScanRules: []store.ScanRule{{Pattern: "x"}, {Pattern: "a", Repo: "old"}, {Pattern: "y"}, {Pattern: "b"}}},
		file:   store.Dataset{ScanRules: []store.ScanRule{{Pattern: "b"}, {Pattern: "c"}, {Pattern: "a", Repo: "new"}}},
		want:   store.Dataset{ScanRules: []store.ScanRule{{Pattern: "x"}, {Pattern: "b"}, {Pattern: "c"}, {Pattern: "a", Repo: "new"}, {Pattern: "y"}}},
	}, {
		name:   "only the declarative part",
		stored: store.Dataset{Directories: []store.Directory{{Path: "d"}}, Freshness: []store.Freshness{{Mirror: "a", Directory: "d"}}},
		file:   store.Dataset{Directories: []store.Directory{{Path: "e"}}},
		want:   store.Dataset{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.Merge(&tt.stored, &tt.file)
			if d := cmp.Diff(&tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if removed := store.DiffDeclarative(&tt.stored, got).Removals(); len(removed) > 0 {
				t.Errorf("merge removed %v", removed)
			}
		})
	}
}

func TestMergeDoesNotShareMemory(t *testing.T) {
	stored := &store.Dataset{Mirrors: []store.Mirror{mirror("a")}}
	file := &store.Dataset{Mirrors: []store.Mirror{mirror("b")}}
	got := store.Merge(stored, file)
	got.Mirrors[0].URLs[0] = "changed"
	got.Mirrors[1].URLs[0] = "changed"
	if stored.Mirrors[0].URLs[0] == "changed" || file.Mirrors[0].URLs[0] == "changed" {
		t.Error("the merge shares memory with its inputs")
	}
}

func TestMergeAll(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	stored := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("a"), mirror("b")},
		Directories: []store.Directory{{Path: "d1", Current: store.Repomd{SHA256: "1"}}, {Path: "d2", Current: store.Repomd{SHA256: "2"}}},
		Freshness: []store.Freshness{
			{Mirror: "a", Directory: "d1", SHA256: "1", Reported: t0},
			{Mirror: "b", Directory: "d2", SHA256: "2", Reported: t0},
		},
		CloudRanges: []store.CloudRange{{Provider: "aws", Region: "us-east-1", Prefix: "192.0.2.0/24"}},
	}
	file := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("a")},
		Directories: []store.Directory{{Path: "d2", Current: store.Repomd{SHA256: "3"}}, {Path: "d3", Current: store.Repomd{SHA256: "4"}}},
		Freshness:   []store.Freshness{{Mirror: "a", Directory: "d3", SHA256: "4", Reported: t0}},
	}
	want := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("a"), mirror("b")},
		Directories: []store.Directory{{Path: "d1", Current: store.Repomd{SHA256: "1"}}, {Path: "d2", Current: store.Repomd{SHA256: "3"}}, {Path: "d3", Current: store.Repomd{SHA256: "4"}}},
		// b's report for d2 named a repomd the file replaced.
		Freshness:   []store.Freshness{{Mirror: "a", Directory: "d1", SHA256: "1", Reported: t0}, {Mirror: "a", Directory: "d3", SHA256: "4", Reported: t0}},
		CloudRanges: []store.CloudRange{{Provider: "aws", Region: "us-east-1", Prefix: "192.0.2.0/24"}},
	}
	if d := cmp.Diff(want, store.MergeAll(stored, file), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// DiffAll sees the crawler's health and a freshness row's source, and
// counts a report's two spellings of its source as one.
func TestDiffAllHealthAndSource(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	old := &store.Dataset{
		Freshness: []store.Freshness{{Mirror: "a", Directory: "d", SHA256: "x", Reported: at},
			{Mirror: "b", Directory: "d", SHA256: "x", Reported: at}},
		Health: []store.MirrorHealth{{Mirror: "a", LastCrawl: at}},
	}
	new := old.Clone()
	new.Freshness[0].Source = store.SourceReport
	new.Freshness[1].Source = store.SourceCrawl
	new.Health[0].Disabled, new.Health[0].Reason = true, "4 consecutive failed crawls"
	new.Health = append(new.Health, store.MirrorHealth{Mirror: "b", LastCrawl: at})
	var fresh, health store.KindDiff
	for _, k := range store.DiffAll(old, new) {
		switch k.Kind {
		case "freshness":
			fresh = k
		case "health":
			health = k
		}
	}
	if len(fresh.Changed) != 1 || fresh.Changed[0].Key != "b d" || fresh.Changed[0].Fields[0] != "source" {
		t.Errorf("freshness diff %+v, want b's source changed only", fresh)
	}
	if len(health.Changed) != 1 || health.Changed[0].Fields[0] != "disabled" || len(health.Added) != 1 || health.Added[0] != "b" {
		t.Errorf("health diff %+v, want a disabled and b added", health)
	}
	if m := store.MergeAll(old, new); len(m.Health) != 2 || !m.Health[0].Disabled {
		t.Errorf("MergeAll health %+v, want the file's", m.Health)
	}
}

// From an empty dataset everything is added: each key once, in order.
func TestDiffFromEmpty(t *testing.T) {
	d := store.DiffAll(&store.Dataset{}, &store.Dataset{
		Mirrors:   []store.Mirror{mirror("b"), mirror("a"), mirror("b")},
		Freshness: []store.Freshness{{Mirror: "b", Directory: "d"}, {Mirror: "a", Directory: "d"}},
	})
	got := map[string][]string{}
	for _, k := range d {
		if len(k.Removed)+len(k.Changed) > 0 || k.Reordered {
			t.Errorf("%s: %+v, want additions only", k.Plural, k)
		}
		if len(k.Added) > 0 {
			got[k.Plural] = k.Added
		}
	}
	want := map[string][]string{"mirrors": {"a", "b"}, "freshness": {"a d", "b d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("added (-want +got)\n%s", diff)
	}
}
