package mirrorsync

import (
	"slices"
	"testing"
	"time"
)

// planFixture is a directory "d" with one package, one metadata file and
// repomd.xml, and helpers to describe a bucket and a state around it.
func planFixture() *manifest {
	return &manifest{Directory: "d", RepomdSHA256: "r2", Files: []file{
		{Path: "d/Packages/a.rpm", Kind: kindPackage, Size: 10, Sum: sum{"sha256", "a"}},
		{Path: "d/repodata/p.xml.gz", Kind: kindMetadata, Size: 5, Sum: sum{"sha256", "p2"}},
		{Path: "d/repodata/repomd.xml", Kind: kindRepomd, Size: 3, Sum: sum{"sha256", "r2"}},
	}}
}

func obj(p string, size int64, etag string) object {
	return object{Path: p, Size: size, ETag: etag, Modified: t0}
}

func TestMakePlan(t *testing.T) {
	tests := []struct {
		name      string
		listed    []object
		state     map[string]objectState
		live      []string // files of the live version the state records
		uploads   []string
		withdraw  bool
		skipped   int
		unchecked int
	}{
		{name: "empty bucket", uploads: []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"}},
		{name: "all present and vouched for",
			listed:  []object{obj("d/Packages/a.rpm", 10, "e1"), obj("d/repodata/p.xml.gz", 5, "e2"), obj("d/repodata/repomd.xml", 3, "e3")},
			state:   map[string]objectState{"d/Packages/a.rpm": {10, "e1", map[string]string{"sha256": "a"}}, "d/repodata/p.xml.gz": {5, "e2", map[string]string{"sha256": "p2"}}, "d/repodata/repomd.xml": {3, "e3", map[string]string{"sha256": "r2"}}},
			skipped: 3},
		{name: "etag changed behind the state's back",
			listed:  []object{obj("d/Packages/a.rpm", 10, "other")},
			state:   map[string]objectState{"d/Packages/a.rpm": {10, "e1", map[string]string{"sha256": "a"}}},
			uploads: []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"}, unchecked: 1},
		{name: "size differs: overwrite, no HEAD needed",
			listed:  []object{obj("d/Packages/a.rpm", 11, "e1")},
			uploads: []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"}},
		{name: "overwrite of a file the live repomd names withdraws it",
			listed: []object{obj("d/Packages/a.rpm", 10, "e1"), obj("d/repodata/p.xml.gz", 5, "e2"), obj("d/repodata/repomd.xml", 3, "e3")},
			state: map[string]objectState{"d/Packages/a.rpm": {10, "e1", map[string]string{"sha256": "a"}}, "d/repodata/p.xml.gz": {5, "e2", map[string]string{"sha256": "p1"}},
				"d/repodata/repomd.xml": {3, "e3", map[string]string{"sha256": "r1"}}},
			live:    []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"},
			uploads: []string{"d/repodata/p.xml.gz", "d/repodata/repomd.xml"}, withdraw: true, skipped: 1},
		{name: "overwrite of a file the live repomd does not name",
			listed: []object{obj("d/repodata/p.xml.gz", 5, "e2"), obj("d/repodata/repomd.xml", 3, "e3")},
			state: map[string]objectState{"d/repodata/p.xml.gz": {5, "e2", map[string]string{"sha256": "p1"}},
				"d/repodata/repomd.xml": {3, "e3", map[string]string{"sha256": "r1"}}},
			live:    []string{"d/repodata/other.xml.gz", "d/repodata/repomd.xml"},
			uploads: []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"}},
		{name: "unknown live repomd: assume it names the overwritten file",
			listed:  []object{obj("d/repodata/p.xml.gz", 5, "e2"), obj("d/repodata/repomd.xml", 3, "e3")},
			state:   map[string]objectState{"d/repodata/p.xml.gz": {5, "e2", map[string]string{"sha256": "p1"}}},
			uploads: []string{"d/Packages/a.rpm", "d/repodata/p.xml.gz", "d/repodata/repomd.xml"}, withdraw: true, unchecked: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := planFixture()
			listed := map[string]object{}
			for _, o := range tc.listed {
				listed[o.Path] = o
			}
			st := newState("d", t0)
			for p, o := range tc.state {
				st.Objects[p] = o
			}
			if tc.live != nil {
				st.Versions = []version{{SHA256: "r1", Files: tc.live}}
			}
			if got := len(unverified(m, listed, st)); got != tc.unchecked {
				t.Errorf("unverified = %d, want %d", got, tc.unchecked)
			}
			p := makePlan(m, listed, st)
			var got []string
			for _, f := range p.Uploads {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, tc.uploads) || (len(p.Withdraw) > 0) != tc.withdraw || p.Skipped != tc.skipped {
				t.Errorf("plan: uploads %v withdraw %v skipped %d", got, p.Withdraw, p.Skipped)
			}
			for i := 1; i < len(p.Uploads); i++ {
				if p.Uploads[i].Kind < p.Uploads[i-1].Kind {
					t.Errorf("upload order broken at %s", p.Uploads[i].Path)
				}
			}
		})
	}
}

func TestCollectable(t *testing.T) {
	day := 24 * time.Hour
	grace := 4 * day
	m := planFixture()
	tests := []struct {
		name     string
		now      time.Time
		versions []version
		created  time.Time
		listed   []object
		want     []string
	}{
		{name: "old version within grace is kept", now: t0.Add(3 * day),
			versions: []version{{SHA256: "r2", Files: []string{"d/Packages/a.rpm"}}, {SHA256: "r1", Superseded: t0, Files: []string{"d/Packages/old.rpm"}}},
			listed:   []object{obj("d/Packages/old.rpm", 1, "x"), obj("d/Packages/a.rpm", 10, "y")}},
		{name: "old version past grace is collected", now: t0.Add(5 * day),
			versions: []version{{SHA256: "r2", Files: []string{"d/Packages/a.rpm"}}, {SHA256: "r1", Superseded: t0, Files: []string{"d/Packages/old.rpm"}}},
			listed:   []object{obj("d/Packages/old.rpm", 1, "x"), obj("d/Packages/a.rpm", 10, "y")}, want: []string{"d/Packages/old.rpm"}},
		{name: "stray waits for grace on itself and on the state", now: t0.Add(5 * day), created: t0.Add(2 * day),
			listed: []object{obj("d/stray", 1, "x")}},
		{name: "old stray in an old state goes", now: t0.Add(5 * day), created: t0,
			listed: []object{obj("d/stray", 1, "x")}, want: []string{"d/stray"}},
		{name: "nested directory and state are not ours", now: t0.Add(50 * day),
			listed: []object{obj("d/debug/repodata/repomd.xml", 1, "x"), obj(statePath("d"), 1, "x")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newState("d", tc.created)
			st.Versions = tc.versions
			listed := map[string]object{}
			for _, o := range tc.listed {
				listed[o.Path] = o
			}
			got := collectable(m, listed, []string{"d/debug"}, st, tc.now, grace)
			if !slices.Equal(got, tc.want) {
				t.Errorf("collectable = %v, want %v", got, tc.want)
			}
		})
	}
}
