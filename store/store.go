package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors shared by every store implementation. Callers test them
// with errors.Is; the HTTP layer maps them to status codes.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid")
	ErrConflict     = errors.New("conflict")
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable is a store that cannot be reached or did not answer
	// in time: the call may succeed when tried again later.
	ErrUnavailable = errors.New("store unavailable")
)

// DefaultAlternateMaxAge is how long a superseded repomd.xml stays acceptable,
// as in MirrorManager.
const DefaultAlternateMaxAge = 4 * 24 * time.Hour

// ScannedRepomd is what the master scan found for one directory.
type ScannedRepomd struct {
	Directory string
	Repomd    Repomd
	// Repo and Arch name the repository the scan rules mapped the directory to;
	// empty when no rule matched.
	Repo, Arch string
}

// ScanSummary says what recording a scan changed.
type ScanSummary struct {
	Changed      []string // directories whose current repomd changed (or that are new)
	Unchanged    int
	Repositories int // repositories created from scan rules
	Expired      int // alternates dropped for age
}

// Store persists the dataset. Every implementation validates each change
// against the whole model and leaves stored data intact when it fails.
type Store interface {
	// Load returns the whole dataset, for building a snapshot or exporting.
	Load(ctx context.Context) (*Dataset, error)
	// Export calls fn with the dataset but its freshness and with rows,
	// which yields the freshness in Load's order one row at a time: both
	// come from one read snapshot, and a large network's freshness is never
	// held whole. rows can be called once, before fn returns.
	Export(ctx context.Context, fn func(d *Dataset, rows FreshnessRows) error) error
	// Import replaces the declarative part (mirrors, locations, repositories,
	// redirects, scan rules) with d's, keeping scanned directories and the
	// freshness of mirrors that remain.
	Import(ctx context.Context, d *Dataset) error
	// Restore replaces everything with d (moving a data set between stores).
	Restore(ctx context.Context, d *Dataset) error

	// Mirror returns the named mirror; ErrNotFound when there is none.
	Mirror(ctx context.Context, name string) (Mirror, error)
	// Mirrors returns every mirror, sorted by name.
	Mirrors(ctx context.Context) ([]Mirror, error)
	// CreateMirror stores a new mirror; ErrConflict when one of that name exists.
	CreateMirror(ctx context.Context, m Mirror) error
	// UpdateMirror applies change to the stored mirror and stores the result
	// in one step, so that changes made at once (through several replicas)
	// cannot undo each other. ErrNotFound when there is none; an error from
	// change aborts with nothing written. It returns the stored mirror.
	UpdateMirror(ctx context.Context, name string, change func(*Mirror) error) (Mirror, error)
	DeleteMirror(ctx context.Context, name string) error

	// Location returns the named location; ErrNotFound when there is none.
	Location(ctx context.Context, name string) (Location, error)
	// Locations returns every location, sorted by name.
	Locations(ctx context.Context) ([]Location, error)
	// CreateLocation stores a new location; ErrConflict when one of that
	// name exists, decided in one step with the write.
	CreateLocation(ctx context.Context, l Location) error
	// UpdateLocation changes a stored location in one step, as UpdateMirror.
	UpdateLocation(ctx context.Context, name string, change func(*Location) error) (Location, error)
	DeleteLocation(ctx context.Context, name string) error

	// Repository returns the repository of prefix and arch; ErrNotFound
	// when there is none.
	Repository(ctx context.Context, prefix, arch string) (Repository, error)
	// Repositories returns every repository, sorted by prefix and arch.
	Repositories(ctx context.Context) ([]Repository, error)
	// CreateRepository stores a new repository; ErrConflict when its prefix
	// and arch are taken, decided in one step with the write.
	CreateRepository(ctx context.Context, r Repository) error
	// UpdateRepository changes a stored repository in one step, as UpdateMirror.
	UpdateRepository(ctx context.Context, prefix, arch string, change func(*Repository) error) (Repository, error)
	DeleteRepository(ctx context.Context, prefix, arch string) error

	// Redirects returns every redirect, sorted by the prefix redirected.
	Redirects(ctx context.Context) ([]Redirect, error)
	// CreateRedirect stores a new redirect; ErrConflict when its prefix is
	// already redirected, decided in one step with the write.
	CreateRedirect(ctx context.Context, r Redirect) error
	DeleteRedirect(ctx context.Context, from string) error

	// Directory returns the scanned state of one directory; ErrNotFound
	// when the scan has not seen it.
	Directory(ctx context.Context, path string) (Directory, error)
	// Directories returns the directories equal to or under prefix (all of
	// them for an empty prefix), sorted by path.
	Directories(ctx context.Context, prefix string) ([]Directory, error)
	// Freshness returns the freshness reports of one mirror, of one
	// directory, or both (an empty argument matches any), sorted by mirror
	// and directory.
	Freshness(ctx context.Context, mirror, directory string) ([]Freshness, error)

	// RecordScan records a scan of the master tree at time now: a changed
	// repomd becomes current and the previous one an alternate; alternates
	// superseded longer than maxAge ago are dropped; repositories named by
	// the scan rules are created when missing.
	RecordScan(ctx context.Context, scanned []ScannedRepomd, now time.Time, maxAge time.Duration) (ScanSummary, error)
	// RecordTree replaces the recorded directories of the master tree and
	// the details of its chosen files with a scan's, writing only what
	// changed. Nothing changes when any of them is invalid.
	RecordTree(ctx context.Context, dirs []string, files []TreeFile) (TreeSummary, error)
	// ExpireAlternates drops every alternate of a directory at once.
	ExpireAlternates(ctx context.Context, directory string) error
	// Report records that a mirror serves the repomd with f.SHA256 for
	// f.Directory, with SourceReport. It fails with ErrConflict unless that
	// is the directory's current repomd or a listed alternate, and when the
	// crawler saw the mirror not serving it after the scan recorded it
	// (CheckReport).
	Report(ctx context.Context, f Freshness) error
	// Forget drops a mirror's freshness for every directory under prefix, so
	// that it stops being listed there; it returns how many were dropped.
	Forget(ctx context.Context, mirror, prefix string) (int, error)

	// ReplaceCloudRanges replaces a provider's published address ranges
	// and records the version (syncToken) they came from.
	ReplaceCloudRanges(ctx context.Context, src CloudSource, ranges []CloudRange) error

	// Overrides returns the netblock → country and country → continent
	// overrides; ReplaceOverrides replaces both lists as a whole.
	Overrides(ctx context.Context) (Overrides, error)
	ReplaceOverrides(ctx context.Context, o Overrides) error

	// Tokens: admin API credentials and the audit log.
	Tokens
	// Stats: request and countme statistics.
	Stats

	// CrawlStore: the crawler's results, mirror health and propagation.
	CrawlStore

	// ChangeLog: what changed, for patching snapshots.
	ChangeLog

	// Changes delivers a value whenever the stored data may have changed,
	// including changes made by other processes, until ctx ends.
	Changes(ctx context.Context) <-chan struct{}
	Close() error
}
