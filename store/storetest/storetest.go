// Package storetest is the contract test suite that every store.Store
// implementation must pass. It exercises the stores through the interface
// only, so that the embedded and the PostgreSQL store behave alike.
//
// Where store.go leaves a behaviour open, the suite settles it, following
// MirrorManager where it had an answer:
//   - Create* of an existing key is ErrConflict and Update* of a missing
//     one ErrNotFound, each decided in one step with the write, so that
//     replicas sharing a store cannot both create the same thing; Update*
//     cannot change the key. Delete* of something missing is ErrNotFound.
//   - The narrow reads (Mirror, Locations, Directories, …) agree with Load:
//     same values, same order; a single missing entry is ErrNotFound.
//   - A rejected change returns an error matching ErrInvalid (bad input),
//     ErrNotFound (a missing mirror, directory, …) or ErrConflict (a
//     location still in use, a report of an unknown repomd), and leaves
//     the stored data exactly as it was.
//   - Load returns the dataset in canonical form and order (as
//     store.Dataset.Normalize leaves it): mirrors, locations, repositories,
//     redirects, directories and freshness sorted by key; the order of a
//     mirror's URLs, netblocks and locations, of the scan rules and of the
//     alternates (newest first) is kept.
//   - Mirrors are stored normalised: upper-case country, base URLs without
//     a trailing slash, netblocks in CIDR form.
//   - A freshness report that names a repomd no longer accepted (after a
//     scan expired its alternate, or ExpireAlternates) is dropped: in
//     MirrorManager such a mirror is no longer up to date for the directory.
//   - Alternates expire in every directory when a scan is recorded, not
//     only in the directories it scanned, and only when superseded longer
//     than maxAge ago (exactly maxAge ago is still accepted).
//   - Deleting a location that a mirror names is ErrConflict rather than a
//     silent removal from the mirror: regional mirrors would otherwise drop
//     out of their region's lists.
//   - Import keeps the cloud ranges: they come from the providers' lists,
//     not from the mirrors file. Their order is not part of the contract.
//   - Every change is recorded in the audit log, in the same transaction,
//     with the actor of its context; a rejected change records nothing.
//   - RecordTree replaces the recorded directories and file details as a
//     whole (a directory or file the scan no longer saw is gone), keeps the
//     repomd state, and Import keeps the tree as it keeps the directories.
//   - The crawler's part (RecordCrawl, Health, Recover, propagation, the
//     crawl lock) is settled in crawl.go.
//   - Forget matches whole path components: prefix "pub/fedora" covers
//     "pub/fedora/x" but not "pub/fedora-secondary"; an unknown mirror is
//     ErrNotFound.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

// Run runs the contract suite. open must return a new, empty store for
// each call; the suite closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"LoadEmpty", testLoadEmpty},
		{"RestoreRoundTrip", testRestoreRoundTrip},
		{"RestoreReplacesEverything", testRestoreReplacesEverything},
		{"RestoreInvalid", testRestoreInvalid},
		{"LoadReturnsACopy", testLoadReturnsACopy},
		{"Export", testExport},
		{"ExportStops", testExportStops},
		{"ImportKeepsScannedState", testImportKeepsScannedState},
		{"ImportInvalid", testImportInvalid},
		{"Mirrors", testMirrors},
		{"MirrorNormalised", testMirrorNormalised},
		{"MirrorURLOrder", testMirrorURLOrder},
		{"MirrorInvalid", testMirrorInvalid},
		{"CreateMirror", testCreateMirror},
		{"UpdateMirror", testUpdateMirror},
		{"UpdateMirrorConcurrent", testUpdateMirrorConcurrent},
		{"ConcurrentCreates", testConcurrentCreates},
		{"Locations", testLocations},
		{"LocationInvalid", testLocationInvalid},
		{"Repositories", testRepositories},
		{"RepositoryInvalid", testRepositoryInvalid},
		{"Redirects", testRedirects},
		{"RedirectInvalid", testRedirectInvalid},
		{"CreateLocation", testCreateLocation},
		{"UpdateLocation", testUpdateLocation},
		{"CreateRepository", testCreateRepository},
		{"UpdateRepository", testUpdateRepository},
		{"CreateRedirect", testCreateRedirect},
		{"NarrowReads", testNarrowReads},
		{"NarrowReadsMissing", testNarrowReadsMissing},
		{"ScanNewDirectory", testScanNewDirectory},
		{"ScanUnchangedAndChanged", testScanUnchangedAndChanged},
		{"ScanExpiresAlternates", testScanExpiresAlternates},
		{"ScanRolledBack", testScanRolledBack},
		{"ScanCreatesRepositories", testScanCreatesRepositories},
		{"ImportKeepsScanDerivedRepositories", testImportKeepsScanDerivedRepositories},
		{"ScanInvalid", testScanInvalid},
		{"ExpireAlternates", testExpireAlternates},
		{"TreeRecorded", testTreeRecorded},
		{"TreeInvalid", testTreeInvalid},
		{"Report", testReport},
		{"ReportRejected", testReportRejected},
		{"Forget", testForget},
		{"Changes", testChanges},
		{"ChangesCoalesce", testChangesCoalesce},
		{"ChangeLogFreshness", testChangeLogFreshness},
		{"ChangeLogMirrors", testChangeLogMirrors},
		{"ChangeLogFull", testChangeLogFull},
		{"ChangeLogBulk", testChangeLogBulk},
		{"CloudRanges", testCloudRanges},
		{"CloudRangesInvalid", testCloudRangesInvalid},
		{"MirrorHostRules", testMirrorHostRules},
		{"Overrides", testOverrides},
		{"OverridesInvalid", testOverridesInvalid},
		{"ImportReplacesOverrides", testImportReplacesOverrides},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"AuditPaging", testAuditPaging},
		{"AuditDetail", testAuditDetail},
		{"Stats", testStats},
		{"StatsInvalid", testStatsInvalid},
		{"StatsRetention", testStatsRetention},
		{"CrawlWritesOnlyChanges", testCrawlWritesOnlyChanges},
		{"CrawlPrecedence", testCrawlPrecedence},
		{"CrawlDisableAndRecover", testCrawlDisableAndRecover},
		{"CrawlRejected", testCrawlRejected},
		{"CrawlRestoreRoundTrip", testCrawlRestoreRoundTrip},
		{"CrawlChanges", testCrawlChanges},
		{"Propagation", testPropagation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// ctx returns a context for one test, ended when it ends.
func ctx(t *testing.T) context.Context { return t.Context() }

func load(t *testing.T, s store.Store) *store.Dataset {
	t.Helper()
	d, err := s.Load(ctx(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

// must fails the test when a change that should succeed fails.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// datasetOpts compares datasets: nil and empty lists are the same, times
// are compared with time.Time.Equal, and the order of cloud ranges and
// sources does not matter (selection puts the ranges in a trie).
var datasetOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.SortSlices(func(a, b store.CloudRange) bool {
		return a.Provider+" "+a.Region+" "+a.Prefix < b.Provider+" "+b.Region+" "+b.Prefix
	}),
	cmpopts.SortSlices(func(a, b store.CloudSource) bool { return a.Provider < b.Provider }),
}

// checkData fails the test unless the store holds want.
func checkData(t *testing.T, s store.Store, want *store.Dataset) {
	t.Helper()
	if diff := cmp.Diff(want, load(t, s), datasetOpts); diff != "" {
		t.Errorf("stored dataset (-want +got):\n%s", diff)
	}
}

// rejected runs a change that must fail with an error matching want, and
// checks that it left the stored data exactly as it was.
func rejected(t *testing.T, s store.Store, want error, change func() error) {
	t.Helper()
	before := load(t, s)
	err := change()
	if !errors.Is(err, want) {
		t.Errorf("got error %v, want one matching %q", err, want)
	}
	if diff := cmp.Diff(before, load(t, s), datasetOpts); diff != "" {
		t.Errorf("a rejected change altered the data (-before +after):\n%s", diff)
	}
}

// at returns the test clock's time plus d. Times are whole microseconds,
// the precision every store keeps.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC).Add(d)
}
