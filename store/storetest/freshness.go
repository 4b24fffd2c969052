package storetest

import (
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

func testReport(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()
	updates := want.Directories[1]

	// The current repomd.
	f := store.Freshness{Mirror: "private.example.net", Directory: dirUpdates, SHA256: updates.Current.SHA256, Reported: at(4 * time.Hour)}
	must(t, "Report", s.Report(ctx(t), f))
	want.Freshness = append(want.Freshness[:1], append([]store.Freshness{f}, want.Freshness[1:]...)...)
	checkData(t, s, want)

	// A listed alternate; a mirror has one report per directory, the latest.
	f.SHA256, f.Reported = updates.Alternates[1].SHA256, at(5*time.Hour)
	must(t, "Report", s.Report(ctx(t), f))
	want.Freshness[1] = f
	checkData(t, s, want)
}

func testReportRejected(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	valid := store.Freshness{Mirror: "private.example.net", Directory: dirOS, SHA256: hexDigest("os", 64), Reported: at(time.Hour)}
	tests := []struct {
		name   string
		change func(f *store.Freshness)
		want   error
	}{
		// mirror-sync uploaded a repomd the master scan has not seen, or
		// one already expired: listing the mirror could break clients.
		{"unknown repomd", func(f *store.Freshness) { f.SHA256 = hexDigest("unknown", 64) }, store.ErrConflict},
		{"repomd of another directory", func(f *store.Freshness) { f.SHA256 = hexDigest("sha256 updates 3", 64) }, store.ErrConflict},
		{"unknown mirror", func(f *store.Freshness) { f.Mirror = "nobody.example.org" }, store.ErrNotFound},
		{"unknown directory", func(f *store.Freshness) { f.Directory = "pub/nowhere" }, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid
			tt.change(&f)
			rejected(t, s, tt.want, func() error { return s.Report(ctx(t), f) })
		})
	}
}

func testForget(t *testing.T, s store.Store) {
	dirs := []string{"pub/fedora/a", "pub/fedora/b/c", "pub/fedora-secondary/x", "pub/epel/y"}
	d := &store.Dataset{Mirrors: []store.Mirror{mirror("m1.example.org"), mirror("m2.example.org")}}
	for _, dir := range dirs {
		r := repomd(dir, at(0))
		d.Directories = append(d.Directories, store.Directory{Path: dir, Current: r})
	}
	for _, m := range d.Mirrors {
		for _, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path, SHA256: dir.Current.SHA256, Reported: at(time.Hour)})
		}
	}
	d.Normalize()
	must(t, "Restore", s.Restore(ctx(t), d))
	want := load(t, s)

	forget := func(mirror, prefix string, n int) {
		t.Helper()
		got, err := s.Forget(ctx(t), mirror, prefix)
		if err != nil || got != n {
			t.Fatalf("Forget(%q, %q) = %d, %v; want %d", mirror, prefix, got, err, n)
		}
	}
	// Whole path components only: pub/fedora-secondary stays.
	forget("m1.example.org", "pub/fedora", 2)
	want.Freshness = dropFreshness(want.Freshness, "m1.example.org", "pub/fedora/a", "pub/fedora/b/c")
	checkData(t, s, want)

	forget("m1.example.org", "pub/fedora", 0)
	// A trailing slash is the same prefix, and a directory is its own prefix.
	forget("m1.example.org", "pub/fedora-secondary/x/", 1)
	want.Freshness = dropFreshness(want.Freshness, "m1.example.org", "pub/fedora-secondary/x")
	checkData(t, s, want)

	// An empty prefix covers the whole tree; m2 keeps its reports throughout.
	forget("m1.example.org", "", 1)
	want.Freshness = dropFreshness(want.Freshness, "m1.example.org", "pub/epel/y")
	checkData(t, s, want)
	if len(want.Freshness) != len(dirs) {
		t.Errorf("m2.example.org has %d reports left, want %d", len(want.Freshness), len(dirs))
	}

	rejected(t, s, store.ErrNotFound, func() error {
		_, err := s.Forget(ctx(t), "nobody.example.org", "")
		return err
	})
}

// dropFreshness returns fs without the reports of mirror for dirs.
func dropFreshness(fs []store.Freshness, mirror string, dirs ...string) []store.Freshness {
	var kept []store.Freshness
	for _, f := range fs {
		drop := false
		for _, d := range dirs {
			drop = drop || (f.Mirror == mirror && f.Directory == d)
		}
		if !drop {
			kept = append(kept, f)
		}
	}
	return kept
}
