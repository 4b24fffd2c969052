package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// embeddedFormat is the version of the embedded store's file layout.
const embeddedFormat = 1

const (
	embeddedFile = "metalinkd.json"
	lockFile     = ".lock"
)

// Embedded is the store that needs no database: the whole dataset in one
// JSON file in a data directory, replaced atomically (temporary file, fsync,
// rename) under an exclusive file lock, so that several processes (the
// server, import, scan) can share it and a crash never leaves a torn file.
type Embedded struct {
	dir       string
	poll      time.Duration
	retention AuditRetention
}

type embeddedDoc struct {
	Format  int          `json:"format"`
	Dataset *Dataset     `json:"dataset"`
	Tokens  []Token      `json:"tokens,omitempty"`
	Audit   []AuditEntry `json:"audit,omitempty"`
}

// defaultEmbeddedAudit is the embedded store's default audit retention:
// fewer entries than DefaultAuditRetention's, since every change rewrites
// the whole file.
var defaultEmbeddedAudit = AuditRetention{MaxEntries: 10_000, MaxAge: DefaultAuditRetention.MaxAge}

// EmbeddedOption configures OpenEmbedded.
type EmbeddedOption func(*Embedded)

// EmbeddedAuditRetention sets how much of the audit log the embedded store
// keeps; by default the newest 10,000 entries of the last 180 days.
func EmbeddedAuditRetention(r AuditRetention) EmbeddedOption {
	return func(e *Embedded) { e.retention = r.WithDefaults(defaultEmbeddedAudit) }
}

// OpenEmbedded opens (creating if needed) the embedded store in dir.
func OpenEmbedded(dir string, opts ...EmbeddedOption) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	e := &Embedded{dir: dir, poll: 500 * time.Millisecond, retention: defaultEmbeddedAudit}
	for _, o := range opts {
		o(e)
	}
	// A writer that died between creating its temporary file and renaming
	// it left a full-size copy of the data behind; writers hold the lock
	// while theirs exists, so under it every one found is stale.
	if err := withFileLock(e.lockPath(), func() error { return removeStaleTemps(e.path()) }); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if _, err := e.read(); err != nil {
		return nil, err
	}
	return e, nil
}

// Dir returns the data directory.
func (e *Embedded) Dir() string { return e.dir }

func (e *Embedded) path() string { return filepath.Join(e.dir, embeddedFile) }

func (e *Embedded) lockPath() string { return filepath.Join(e.dir, lockFile) }

func (e *Embedded) read() (*embeddedDoc, error) {
	b, err := os.ReadFile(e.path())
	if errors.Is(err, fs.ErrNotExist) {
		return &embeddedDoc{Format: embeddedFormat, Dataset: &Dataset{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	var doc embeddedDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("embedded store: %s is damaged: %w", e.path(), err)
	}
	if doc.Format != embeddedFormat {
		return nil, fmt.Errorf("embedded store: %s has format %d, this binary knows %d", e.path(), doc.Format, embeddedFormat)
	}
	if doc.Dataset == nil {
		doc.Dataset = &Dataset{}
	}
	return &doc, nil
}

func (e *Embedded) write(doc *embeddedDoc) error {
	doc.Format = embeddedFormat
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	if err := writeFileAtomic(e.path(), b); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	return nil
}

// update applies fn to a fresh copy of the stored dataset under the lock,
// validates the result and writes it with an audit entry for the change;
// on any error nothing is written.
func (e *Embedded) update(ctx context.Context, action, target string, detail any, fn func(d *Dataset) error) error {
	return e.locked(ctx, func(doc *embeddedDoc) error {
		if err := fn(doc.Dataset); err != nil {
			return err
		}
		doc.Dataset.Normalize()
		if err := doc.Dataset.Validate(); err != nil {
			return err
		}
		e.audit(ctx, doc, action, target, detail)
		return nil
	})
}

// locked runs fn on the stored document under the exclusive lock and
// writes the document when fn succeeds.
func (e *Embedded) locked(ctx context.Context, fn func(doc *embeddedDoc) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lf, err := os.OpenFile(filepath.Join(e.dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	defer lf.Close()
	if err := lockFileExclusive(lf); err != nil {
		return fmt.Errorf("embedded store: lock: %w", err)
	}
	defer unlockFile(lf)
	doc, err := e.read()
	if err != nil {
		return err
	}
	if err := fn(doc); err != nil {
		return err
	}
	return e.write(doc)
}

// audit appends the entry of a change and drops the entries that the
// retention no longer keeps.
func (e *Embedded) audit(ctx context.Context, doc *embeddedDoc, action, target string, detail any) {
	now := time.Now()
	entry := NewAuditEntry(ctx, now, action, target, detail)
	entry.ID = 1
	if n := len(doc.Audit); n > 0 {
		entry.ID = doc.Audit[n-1].ID + 1
	}
	doc.Audit = append(doc.Audit, entry)
	drop := 0
	if n := e.retention.MaxEntries; n > 0 && len(doc.Audit) > n {
		drop = len(doc.Audit) - n
	}
	if e.retention.MaxAge > 0 {
		cutoff := now.Add(-e.retention.MaxAge)
		for drop < len(doc.Audit)-1 && doc.Audit[drop].At.Before(cutoff) {
			drop++
		}
	}
	if drop > 0 {
		doc.Audit = append([]AuditEntry(nil), doc.Audit[drop:]...)
	}
}

// Load implements Store.
func (e *Embedded) Load(ctx context.Context) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := e.read()
	if err != nil {
		return nil, err
	}
	return doc.Dataset, nil
}

// Import implements Store.
func (e *Embedded) Import(ctx context.Context, decl *Dataset) error {
	decl = decl.Clone()
	return e.update(ctx, "import", "dataset", map[string]int{"mirrors": len(decl.Mirrors), "locations": len(decl.Locations), "repositories": len(decl.Repositories)}, func(d *Dataset) error { d.ApplyImport(decl); return nil })
}

// Restore implements Store.
func (e *Embedded) Restore(ctx context.Context, all *Dataset) error {
	all = all.Clone()
	return e.update(ctx, "restore", "dataset", map[string]int{"mirrors": len(all.Mirrors), "directories": len(all.Directories)}, func(d *Dataset) error { *d = *all; return nil })
}

// CreateMirror implements Store.
func (e *Embedded) CreateMirror(ctx context.Context, m Mirror) error {
	return e.update(ctx, "create_mirror", m.Name, Change{After: m}, func(d *Dataset) error { return d.ApplyCreateMirror(m) })
}

// UpdateMirror implements Store.
func (e *Embedded) UpdateMirror(ctx context.Context, name string, change func(*Mirror) error) (Mirror, error) {
	var before, out Mirror
	err := e.update(ctx, "update_mirror", name, Change{&before, &out}, func(d *Dataset) (err error) {
		if i := d.mirrorIndex(name); i >= 0 {
			before = d.Mirrors[i]
		}
		out, err = d.ApplyUpdateMirror(name, change)
		return err
	})
	if err != nil {
		return Mirror{}, err
	}
	return out, nil
}

// DeleteMirror implements Store.
func (e *Embedded) DeleteMirror(ctx context.Context, name string) error {
	var before Mirror
	return e.update(ctx, "delete_mirror", name, Change{Before: &before}, func(d *Dataset) error {
		if i := d.mirrorIndex(name); i >= 0 {
			before = d.Mirrors[i]
		}
		return d.ApplyDeleteMirror(name)
	})
}

// CreateLocation implements Store.
func (e *Embedded) CreateLocation(ctx context.Context, l Location) error {
	return e.update(ctx, "put_location", l.Name, Change{After: l}, func(d *Dataset) error { return d.ApplyCreateLocation(l) })
}

// UpdateLocation implements Store.
func (e *Embedded) UpdateLocation(ctx context.Context, name string, change func(*Location) error) (Location, error) {
	var before, out Location
	err := e.update(ctx, "put_location", name, Change{&before, &out}, func(d *Dataset) (err error) {
		if i := d.locationIndex(name); i >= 0 {
			before = d.Locations[i]
		}
		out, err = d.ApplyUpdateLocation(name, change)
		return err
	})
	if err != nil {
		return Location{}, err
	}
	return out, nil
}

// DeleteLocation implements Store.
func (e *Embedded) DeleteLocation(ctx context.Context, name string) error {
	var before Location
	return e.update(ctx, "delete_location", name, Change{Before: &before}, func(d *Dataset) error {
		if i := d.locationIndex(name); i >= 0 {
			before = d.Locations[i]
		}
		return d.ApplyDeleteLocation(name)
	})
}

// CreateRepository implements Store.
func (e *Embedded) CreateRepository(ctx context.Context, r Repository) error {
	return e.update(ctx, "put_repository", r.Prefix+"/"+r.Arch, Change{After: r}, func(d *Dataset) error { return d.ApplyCreateRepository(r) })
}

// UpdateRepository implements Store.
func (e *Embedded) UpdateRepository(ctx context.Context, prefix, arch string, change func(*Repository) error) (Repository, error) {
	var before, out Repository
	err := e.update(ctx, "put_repository", prefix+"/"+arch, Change{&before, &out}, func(d *Dataset) (err error) {
		if i := d.repositoryIndex(prefix, arch); i >= 0 {
			before = d.Repositories[i]
		}
		out, err = d.ApplyUpdateRepository(prefix, arch, change)
		return err
	})
	if err != nil {
		return Repository{}, err
	}
	return out, nil
}

// DeleteRepository implements Store.
func (e *Embedded) DeleteRepository(ctx context.Context, prefix, arch string) error {
	var before Repository
	return e.update(ctx, "delete_repository", prefix+"/"+arch, Change{Before: &before}, func(d *Dataset) error {
		if i := d.repositoryIndex(prefix, arch); i >= 0 {
			before = d.Repositories[i]
		}
		return d.ApplyDeleteRepository(prefix, arch)
	})
}

// CreateRedirect implements Store.
func (e *Embedded) CreateRedirect(ctx context.Context, r Redirect) error {
	return e.update(ctx, "put_redirect", r.From, Change{After: r}, func(d *Dataset) error { return d.ApplyCreateRedirect(r) })
}

// DeleteRedirect implements Store.
func (e *Embedded) DeleteRedirect(ctx context.Context, from string) error {
	return e.update(ctx, "delete_redirect", from, nil, func(d *Dataset) error { return d.ApplyDeleteRedirect(from) })
}

// RecordScan implements Store.
func (e *Embedded) RecordScan(ctx context.Context, scanned []ScannedRepomd, now time.Time, maxAge time.Duration) (ScanSummary, error) {
	var sum ScanSummary
	err := e.update(ctx, "scan", "master", map[string]int{"directories": len(scanned)}, func(d *Dataset) error { sum = d.ApplyScan(scanned, now, maxAge); return nil })
	return sum, err
}

// ExpireAlternates implements Store.
func (e *Embedded) ExpireAlternates(ctx context.Context, dir string) error {
	return e.update(ctx, "expire_alternates", dir, nil, func(d *Dataset) error { return d.ApplyExpireAlternates(dir) })
}

// Report implements Store.
func (e *Embedded) Report(ctx context.Context, f Freshness) error {
	return e.update(ctx, "report", f.Mirror, f, func(d *Dataset) error { return d.ApplyReport(f) })
}

// Forget implements Store.
func (e *Embedded) Forget(ctx context.Context, mirror, prefix string) (int, error) {
	var n int
	err := e.update(ctx, "forget", mirror, map[string]string{"prefix": prefix}, func(d *Dataset) (err error) { n, err = d.ApplyForget(mirror, prefix); return err })
	return n, err
}

// ReplaceCloudRanges implements Store.
func (e *Embedded) ReplaceCloudRanges(ctx context.Context, src CloudSource, ranges []CloudRange) error {
	ranges = slices.Clone(ranges)
	return e.update(ctx, "replace_cloud_ranges", src.Provider, map[string]any{"sync_token": src.SyncToken, "ranges": len(ranges)},
		func(d *Dataset) error { d.ApplyCloudRanges(src, ranges); return nil })
}

// Changes implements Store by watching the data file, so that changes made
// by other processes (import, scan) reach a running server.
func (e *Embedded) Changes(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	last := e.stamp() // before returning, so that no later write goes unsignalled
	go func() {
		t := time.NewTicker(e.poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if s := e.stamp(); s != last {
				last = s
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch
}

type fileStamp struct {
	mod  time.Time
	size int64
	ino  uint64
}

func (e *Embedded) stamp() fileStamp {
	fi, err := os.Stat(e.path())
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ino: inode(fi)}
}

// Close implements Store.
func (e *Embedded) Close() error { return nil }

var _ Store = (*Embedded)(nil)
