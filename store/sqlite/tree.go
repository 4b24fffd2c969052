package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// RecordTree implements store.Store: it reads the recorded tree, applies
// the scan's and writes only the rows that differ, in one transaction.
func (s *Store) RecordTree(ctx context.Context, dirs []string, files []store.TreeFile) (store.TreeSummary, error) {
	var sum store.TreeSummary
	detail := map[string]int{"tree_directories": len(dirs), "files": len(files)}
	err := s.write(ctx, change{"scan_tree", "master", detail}, func(tx *sql.Tx) error {
		before, err := loadTree(ctx, tx)
		if err != nil {
			return err
		}
		after := &store.Dataset{TreeDirectories: before.TreeDirectories, Files: before.Files}
		sum = after.ApplyTree(dirs, files)
		if err := after.Validate(); err != nil {
			return err
		}
		return writeTreeChanges(ctx, tx, before, after)
	})
	return sum, wrap(err, "recording the tree")
}

// loadTree returns a dataset holding only the recorded tree, normalised.
func loadTree(ctx context.Context, tx *sql.Tx) (*store.Dataset, error) {
	var d store.Dataset
	var err error
	d.TreeDirectories, err = collect(ctx, tx, func(r *sql.Rows) (p string, err error) { err = r.Scan(&p); return p, err },
		`SELECT path FROM tree_directories ORDER BY path`)
	if err != nil {
		return nil, err
	}
	d.Files, err = collect(ctx, tx, func(r *sql.Rows) (f store.TreeFile, err error) {
		err = r.Scan(&f.Path, &f.Size, &f.MTime, &f.SHA256)
		return f, err
	}, `SELECT path, size, mtime, sha256 FROM tree_files ORDER BY path`)
	return &d, err
}

// writeTreeChanges writes what turns before's tree into after's.
func writeTreeChanges(ctx context.Context, tx *sql.Tx, before, after *store.Dataset) error {
	addDirs, dropDirs, putFiles, dropFiles := store.TreeChanges(before, after)
	steps := []struct {
		query string
		n     int
		args  func(i int) []any
	}{
		{`DELETE FROM tree_directories WHERE path = ?`, len(dropDirs), func(i int) []any { return []any{dropDirs[i]} }},
		{`INSERT INTO tree_directories (path) VALUES (?)`, len(addDirs), func(i int) []any { return []any{addDirs[i]} }},
		{`DELETE FROM tree_files WHERE path = ?`, len(dropFiles), func(i int) []any { return []any{dropFiles[i]} }},
		{`INSERT INTO tree_files (path, size, mtime, sha256) VALUES (?, ?, ?, ?)
			ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256`,
			len(putFiles), func(i int) []any {
				f := putFiles[i]
				return []any{f.Path, f.Size, f.MTime, f.SHA256}
			}},
	}
	for _, st := range steps {
		if st.n == 0 {
			continue
		}
		prep, err := tx.PrepareContext(ctx, st.query)
		if err != nil {
			return err
		}
		for i := 0; i < st.n; i++ {
			if _, err := prep.ExecContext(ctx, st.args(i)...); err != nil {
				prep.Close()
				return err
			}
		}
		if err := prep.Close(); err != nil {
			return err
		}
	}
	return nil
}
