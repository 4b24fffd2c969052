package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// RecordScan implements store.Store with store.Dataset.ApplyScan, the same
// logic as the embedded store's: it loads the directories and repositories,
// applies the scan and writes back what changed, in one transaction.
func (s *Store) RecordScan(ctx context.Context, scanned []store.ScannedRepomd, now time.Time, maxAge time.Duration) (store.ScanSummary, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	var sum store.ScanSummary
	detail := map[string]int{"directories": len(scanned)}
	err := s.write(ctx, change{"scan", "master", detail}, func(tx pgx.Tx) error {
		dirs, err := loadDirectories(ctx, tx, nil)
		if err != nil {
			return err
		}
		repos, err := loadRepositories(ctx, tx, "", "")
		if err != nil {
			return err
		}
		d := &store.Dataset{Directories: dirs, Repositories: repos}
		before := d.Clone()
		sum = d.ApplyScan(scanned, now, maxAge)
		if err := d.Validate(); err != nil {
			return err
		}
		changed := changedDirectories(before.Directories, d.Directories)
		if err := upsertDirectories(ctx, tx, changed); err != nil {
			return err
		}
		if err := dropUnaccepted(ctx, tx, paths(changed)); err != nil {
			return err
		}
		return insertRepositories(ctx, tx, d.Repositories[len(repos):])
	})
	return sum, wrap(err, "recording a scan")
}

// changedDirectories returns the directories of after that are new or
// differ from before.
func changedDirectories(before, after []store.Directory) []store.Directory {
	old := make(map[string]*store.Directory, len(before))
	for i := range before {
		old[before[i].Path] = &before[i]
	}
	var changed []store.Directory
	for _, d := range after {
		b := old[d.Path]
		if b == nil || !sameRepomd(b.Current, d.Current) ||
			!slices.EqualFunc(b.Alternates, d.Alternates, sameRepomd) {
			changed = append(changed, d)
		}
	}
	return changed
}

func sameRepomd(a, b store.Repomd) bool {
	return a.Size == b.Size && a.Timestamp == b.Timestamp && a.MD5 == b.MD5 && a.SHA1 == b.SHA1 &&
		a.SHA256 == b.SHA256 && a.SHA512 == b.SHA512 &&
		a.Recorded.Equal(b.Recorded) && a.Superseded.Equal(b.Superseded)
}

func paths(dirs []store.Directory) []string {
	p := make([]string, len(dirs))
	for i, d := range dirs {
		p[i] = d.Path
	}
	return p
}

func insertRepositories(ctx context.Context, tx pgx.Tx, repos []store.Repository) error {
	if len(repos) == 0 {
		return nil
	}
	var prefixes, arches, dirs []string
	var disabled []bool
	for _, r := range repos {
		prefixes = append(prefixes, r.Prefix)
		arches = append(arches, r.Arch)
		dirs = append(dirs, r.Directory)
		disabled = append(disabled, r.Disabled)
	}
	_, err := tx.Exec(ctx, `INSERT INTO repositories (prefix, arch, directory, disabled)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[])`, prefixes, arches, dirs, disabled)
	return err
}

// dropUnaccepted forgets the freshness of mirrors, in the given
// directories, that names a repomd which is neither the current one nor a
// listed alternate (store.Directory.Accepts), as the embedded store does.
func dropUnaccepted(ctx context.Context, tx pgx.Tx, dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		DELETE FROM freshness f
		WHERE f.directory = ANY($1)
			AND f.sha256 <> (SELECT d.sha256 FROM directories d WHERE d.path = f.directory)
			AND NOT EXISTS (SELECT 1 FROM repomd_alternates a
				WHERE a.directory = f.directory AND a.sha256 = f.sha256)`, dirs)
	return err
}

// ExpireAlternates implements store.Store. Mirrors that reported an
// alternate stop being fresh for the directory.
func (s *Store) ExpireAlternates(ctx context.Context, dir string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"expire_alternates", dir, nil}, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT true FROM directories WHERE path = $1`, dir).Scan(&exists); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM repomd_alternates WHERE directory = $1`, dir); err != nil {
			return err
		}
		return dropUnaccepted(ctx, tx, []string{dir})
	})
	return wrap(err, "directory %q", dir)
}
