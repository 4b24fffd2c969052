package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// RecordScan implements store.Store with store.Dataset.ApplyScan: it loads
// the directories and repositories, applies the scan and writes back what
// changed, in one transaction.
func (s *Store) RecordScan(ctx context.Context, scanned []store.ScannedRepomd, now time.Time, maxAge time.Duration) (store.ScanSummary, error) {
	var sum store.ScanSummary
	detail := map[string]int{"directories": len(scanned)}
	err := s.write(ctx, change{"scan", "master", detail}, func(tx *sql.Tx) error {
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
		if b == nil || !sameRepomd(b.Current, d.Current) || !slices.EqualFunc(b.Alternates, d.Alternates, sameRepomd) {
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

func insertRepositories(ctx context.Context, tx *sql.Tx, repos []store.Repository) error {
	if len(repos) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO repositories (prefix, arch, directory, disabled) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range repos {
		if _, err := st.ExecContext(ctx, r.Prefix, r.Arch, r.Directory, r.Disabled); err != nil {
			return err
		}
	}
	return nil
}

// upsertDirectories creates or replaces directories with their alternates.
func upsertDirectories(ctx context.Context, tx *sql.Tx, dirs []store.Directory) error {
	if len(dirs) == 0 {
		return nil
	}
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO directories (path, size, timestamp, md5, sha1, sha256, sha512, recorded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, timestamp = excluded.timestamp,
			md5 = excluded.md5, sha1 = excluded.sha1, sha256 = excluded.sha256, sha512 = excluded.sha512,
			recorded = excluded.recorded`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	clear, err := tx.PrepareContext(ctx, `DELETE FROM repomd_alternates WHERE directory = ?`)
	if err != nil {
		return err
	}
	defer clear.Close()
	alt, err := tx.PrepareContext(ctx, `INSERT INTO repomd_alternates
		(directory, position, size, timestamp, md5, sha1, sha256, sha512, recorded, superseded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer alt.Close()
	for _, d := range dirs {
		c := d.Current
		if _, err := upsert.ExecContext(ctx, d.Path, c.Size, c.Timestamp, c.MD5, c.SHA1, c.SHA256, c.SHA512, micros(c.Recorded)); err != nil {
			return err
		}
		if _, err := clear.ExecContext(ctx, d.Path); err != nil {
			return err
		}
		for i, a := range d.Alternates {
			if _, err := alt.ExecContext(ctx, d.Path, i, a.Size, a.Timestamp, a.MD5, a.SHA1, a.SHA256, a.SHA512,
				micros(a.Recorded), micros(a.Superseded)); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropUnaccepted forgets the freshness of mirrors, in the given
// directories, that names a repomd which is neither the current one nor a
// listed alternate (store.Directory.Accepts).
func dropUnaccepted(ctx context.Context, tx *sql.Tx, dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `
		DELETE FROM freshness
		WHERE directory = ?1
			AND sha256 <> (SELECT d.sha256 FROM directories d WHERE d.path = ?1)
			AND NOT EXISTS (SELECT 1 FROM repomd_alternates a WHERE a.directory = ?1 AND a.sha256 = freshness.sha256)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, d := range dirs {
		if _, err := st.ExecContext(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// ExpireAlternates implements store.Store. Mirrors that reported an
// alternate stop being fresh for the directory.
func (s *Store) ExpireAlternates(ctx context.Context, dir string) error {
	err := s.write(ctx, change{"expire_alternates", dir, nil}, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM directories WHERE path = ?`, dir).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM repomd_alternates WHERE directory = ?`, dir); err != nil {
			return err
		}
		return dropUnaccepted(ctx, tx, []string{dir})
	})
	return wrap(err, "directory %q", dir)
}
