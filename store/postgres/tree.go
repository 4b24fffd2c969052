package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// RecordTree implements store.Store with the embedded store's logic: it
// reads the recorded tree, applies the scan's and writes only the rows
// that differ, in one transaction.
func (s *Store) RecordTree(ctx context.Context, dirs []string, files []store.TreeFile) (store.TreeSummary, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	var sum store.TreeSummary
	detail := map[string]int{"tree_directories": len(dirs), "files": len(files)}
	err := s.write(ctx, change{"scan_tree", "master", detail}, func(tx pgx.Tx) error {
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
func loadTree(ctx context.Context, tx pgx.Tx) (*store.Dataset, error) {
	var d store.Dataset
	rows, _ := tx.Query(ctx, `SELECT path FROM tree_directories ORDER BY path COLLATE "C"`)
	dirs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	rows, _ = tx.Query(ctx, `SELECT path, size, mtime, sha256 FROM tree_files ORDER BY path COLLATE "C"`)
	files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (f store.TreeFile, err error) {
		err = r.Scan(&f.Path, &f.Size, &f.MTime, &f.SHA256)
		return f, err
	})
	if err != nil {
		return nil, err
	}
	d.TreeDirectories, d.Files = dirs, files
	return &d, nil
}

// writeTreeChanges writes what turns before's tree into after's, each kind
// of change in one statement.
func writeTreeChanges(ctx context.Context, tx pgx.Tx, before, after *store.Dataset) error {
	addDirs, dropDirs, putFiles, dropFiles := store.TreeChanges(before, after)
	if len(dropDirs) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM tree_directories WHERE path = ANY($1)`, dropDirs); err != nil {
			return err
		}
	}
	if len(addDirs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO tree_directories (path) SELECT unnest($1::text[])`, addDirs); err != nil {
			return err
		}
	}
	if len(dropFiles) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM tree_files WHERE path = ANY($1)`, dropFiles); err != nil {
			return err
		}
	}
	if len(putFiles) == 0 {
		return nil
	}
	paths, sizes, mtimes, sums := make([]string, len(putFiles)), make([]int64, len(putFiles)),
		make([]int64, len(putFiles)), make([]string, len(putFiles))
	for i, f := range putFiles {
		paths[i], sizes[i], mtimes[i], sums[i] = f.Path, f.Size, f.MTime, f.SHA256
	}
	_, err := tx.Exec(ctx, `INSERT INTO tree_files (path, size, mtime, sha256)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256`,
		paths, sizes, mtimes, sums)
	return err
}
