package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// maxAge is the alternates' lifetime in the scan tests.
const maxAge = 48 * time.Hour

func recordScan(t *testing.T, s store.Store, now time.Time, scans ...store.ScannedRepomd) store.ScanSummary {
	t.Helper()
	sum, err := s.RecordScan(ctx(t), scans, now, maxAge)
	if err != nil {
		t.Fatalf("RecordScan: %v", err)
	}
	slices.Sort(sum.Changed)
	return sum
}

func checkSummary(t *testing.T, got, want store.ScanSummary) {
	t.Helper()
	if diff := cmp.Diff(want, got, datasetOpts); diff != "" {
		t.Errorf("scan summary (-want +got):\n%s", diff)
	}
}

func testScanNewDirectory(t *testing.T, s store.Store) {
	sum := recordScan(t, s, at(0), scanned(dirOS, "a", at(0)), scanned(dirUpdates, "u", at(0)))
	checkSummary(t, sum, store.ScanSummary{Changed: []string{dirOS, dirUpdates}})
	// Recorded is when the scan first saw the version.
	checkData(t, s, &store.Dataset{Directories: []store.Directory{
		{Path: dirOS, Current: repomd("a", at(0))},
		{Path: dirUpdates, Current: repomd("u", at(0))},
	}})
}

func testScanUnchangedAndChanged(t *testing.T, s store.Store) {
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)))

	// Unchanged: nothing moves, not even Recorded.
	sum := recordScan(t, s, at(time.Hour), scanned(dirOS, "a", at(0)))
	checkSummary(t, sum, store.ScanSummary{Unchanged: 1})
	want := &store.Dataset{Directories: []store.Directory{{Path: dirOS, Current: repomd("a", at(0))}}}
	checkData(t, s, want)

	// Changed: the previous version becomes an alternate.
	sum = recordScan(t, s, at(2*time.Hour), scanned(dirOS, "b", at(2*time.Hour)))
	checkSummary(t, sum, store.ScanSummary{Changed: []string{dirOS}})
	want.Directories[0] = store.Directory{
		Path:       dirOS,
		Current:    repomd("b", at(2*time.Hour)),
		Alternates: []store.Repomd{superseded(repomd("a", at(0)), at(2*time.Hour))},
	}
	checkData(t, s, want)

	// Alternates are kept newest first.
	sum = recordScan(t, s, at(3*time.Hour), scanned(dirOS, "c", at(3*time.Hour)))
	checkSummary(t, sum, store.ScanSummary{Changed: []string{dirOS}})
	want.Directories[0] = store.Directory{
		Path:    dirOS,
		Current: repomd("c", at(3*time.Hour)),
		Alternates: []store.Repomd{
			superseded(repomd("b", at(2*time.Hour)), at(3*time.Hour)),
			superseded(repomd("a", at(0)), at(2*time.Hour)),
		},
	}
	checkData(t, s, want)
}

// Alternates superseded longer than maxAge ago are dropped, in every
// directory, with the freshness reports that named them.
func testScanExpiresAlternates(t *testing.T, s store.Store) {
	must(t, "CreateMirror", s.CreateMirror(ctx(t), mirror("m.example.org")))
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)), scanned(dirUpdates, "u1", at(0)))
	recordScan(t, s, at(time.Hour), scanned(dirOS, "b", at(time.Hour)), scanned(dirUpdates, "u2", at(time.Hour)))
	recordScan(t, s, at(2*time.Hour), scanned(dirOS, "c", at(2*time.Hour)))
	report := func(dir, seed string) store.Freshness {
		return store.Freshness{Mirror: "m.example.org", Directory: dir, SHA256: repomd(seed, at(0)).SHA256, Reported: at(2 * time.Hour)}
	}
	must(t, "Report", s.Report(ctx(t), report(dirOS, "a")))
	must(t, "Report", s.Report(ctx(t), report(dirUpdates, "u1")))

	osAt := func(alternates ...store.Repomd) store.Directory {
		return store.Directory{Path: dirOS, Current: repomd("c", at(2*time.Hour)), Alternates: alternates}
	}
	updatesAt := func(alternates ...store.Repomd) store.Directory {
		return store.Directory{Path: dirUpdates, Current: repomd("u2", at(time.Hour)), Alternates: alternates}
	}
	a := superseded(repomd("a", at(0)), at(time.Hour))
	b := superseded(repomd("b", at(time.Hour)), at(2*time.Hour))
	u1 := superseded(repomd("u1", at(0)), at(time.Hour))

	// Exactly maxAge after a and u1 were superseded, they are still accepted.
	sum := recordScan(t, s, at(time.Hour+maxAge), scanned(dirOS, "c", at(0)))
	checkSummary(t, sum, store.ScanSummary{Unchanged: 1})
	want := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("m.example.org")},
		Directories: []store.Directory{osAt(b, a), updatesAt(u1)},
		Freshness:   []store.Freshness{report(dirOS, "a"), report(dirUpdates, "u1")},
	}
	checkData(t, s, want)

	// A microsecond later they go, including u1 of the directory not scanned.
	sum = recordScan(t, s, at(time.Hour+maxAge+time.Microsecond), scanned(dirOS, "c", at(0)))
	checkSummary(t, sum, store.ScanSummary{Unchanged: 1, Expired: 2})
	want.Directories = []store.Directory{osAt(b), updatesAt()}
	want.Freshness = nil
	checkData(t, s, want)
}

// A version that comes back (a rolled-back compose) is current again and
// no longer listed as an alternate.
func testScanRolledBack(t *testing.T, s store.Store) {
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)))
	recordScan(t, s, at(time.Hour), scanned(dirOS, "b", at(time.Hour)))
	sum := recordScan(t, s, at(2*time.Hour), scanned(dirOS, "a", at(0)))
	checkSummary(t, sum, store.ScanSummary{Changed: []string{dirOS}})
	current := repomd("a", at(0))
	current.Recorded = at(2 * time.Hour)
	checkData(t, s, &store.Dataset{Directories: []store.Directory{{
		Path:       dirOS,
		Current:    current,
		Alternates: []store.Repomd{superseded(repomd("b", at(time.Hour)), at(2*time.Hour))},
	}}})
}

// Repositories that the scan rules name are created when missing, and
// existing ones are left as they are.
func testScanCreatesRepositories(t *testing.T, s store.Store) {
	existing := store.Repository{Prefix: "updates-released-f43", Arch: "x86_64", Directory: "pub/elsewhere", Disabled: true}
	must(t, "CreateRepository", s.CreateRepository(ctx(t), existing))
	release := scanned(dirOS, "a", at(0))
	release.Repo, release.Arch = "fedora-43", "x86_64"
	updates := scanned(dirUpdates, "u", at(0))
	updates.Repo, updates.Arch = existing.Prefix, existing.Arch
	unmapped := scanned("pub/misc", "m", at(0))

	sum := recordScan(t, s, at(0), release, updates, unmapped)
	checkSummary(t, sum, store.ScanSummary{Changed: []string{dirOS, dirUpdates, "pub/misc"}, Repositories: 1})
	want := []store.Repository{{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS}, existing}
	if diff := cmp.Diff(want, load(t, s).Repositories, datasetOpts); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}

	// Created once: the next scan finds it.
	sum = recordScan(t, s, at(time.Hour), release, updates, unmapped)
	checkSummary(t, sum, store.ScanSummary{Unchanged: 3})
}

func testScanInvalid(t *testing.T, s store.Store) {
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)))
	tests := []struct {
		name   string
		change func(r *store.ScannedRepomd)
	}{
		{"no sha256", func(r *store.ScannedRepomd) { r.Repomd.SHA256 = "" }},
		{"upper-case sha256", func(r *store.ScannedRepomd) { r.Repomd.SHA256 = "AB" + r.Repomd.SHA256[2:] }},
		{"short sha512", func(r *store.ScannedRepomd) { r.Repomd.SHA512 = r.Repomd.SHA512[:127] }},
		{"negative size", func(r *store.ScannedRepomd) { r.Repomd.Size = -1 }},
		{"absolute directory", func(r *store.ScannedRepomd) { r.Directory = "/pub/new" }},
		{"empty directory", func(r *store.ScannedRepomd) { r.Directory = "" }},
		{"repository with a bad prefix", func(r *store.ScannedRepomd) { r.Repo, r.Arch = "bad prefix", "x86_64" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := scanned("pub/new", "n", at(time.Hour))
			tt.change(&bad)
			// A good entry in the same scan is not recorded either.
			rejected(t, s, store.ErrInvalid, func() error {
				_, err := s.RecordScan(ctx(t), []store.ScannedRepomd{scanned(dirOS, "b", at(time.Hour)), bad}, at(time.Hour), maxAge)
				return err
			})
		})
	}
}

func testExpireAlternates(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()
	must(t, "ExpireAlternates", s.ExpireAlternates(ctx(t), dirUpdates))
	want.Directories[1].Alternates = nil
	// s3-us-east-1 served an alternate of that directory: it is no longer fresh there.
	want.Freshness = want.Freshness[:2]
	checkData(t, s, want)

	// Expiring a directory without alternates changes nothing.
	must(t, "ExpireAlternates", s.ExpireAlternates(ctx(t), dirOS))
	checkData(t, s, want)

	rejected(t, s, store.ErrNotFound, func() error { return s.ExpireAlternates(ctx(t), "pub/nowhere") })
}

// testImportKeepsScanDerivedRepositories: a mirrors file without
// repositories does not take away those the scan derived from Fedora's
// layout; declaring one (here disabled) overrides it.
func testImportKeepsScanDerivedRepositories(t *testing.T, s store.Store) {
	release := scanned(dirOS, "a", at(0))
	release.Repo, release.Arch = "fedora-43", "x86_64"
	recordScan(t, s, at(0), release)
	must(t, "Import", s.Import(ctx(t), &store.Dataset{}))
	want := []store.Repository{{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS}}
	if diff := cmp.Diff(want, load(t, s).Repositories, datasetOpts); diff != "" {
		t.Errorf("after importing an empty file (-want +got):\n%s", diff)
	}
	want[0].Disabled = true
	must(t, "Import", s.Import(ctx(t), &store.Dataset{Repositories: want}))
	if diff := cmp.Diff(want, load(t, s).Repositories, datasetOpts); diff != "" {
		t.Errorf("after declaring it disabled (-want +got):\n%s", diff)
	}
}
