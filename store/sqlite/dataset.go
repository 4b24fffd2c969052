package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// Import implements store.Store. Mirrors that remain keep their freshness;
// the freshness of removed mirrors goes with them.
func (s *Store) Import(ctx context.Context, decl *store.Dataset) error {
	decl = decl.Copy()
	detail := map[string]int{"mirrors": len(decl.Mirrors), "locations": len(decl.Locations), "repositories": len(decl.Repositories)}
	err := s.write(ctx, change{"import", "dataset", detail}, func(tx *sql.Tx) error {
		// The scanned directories decide which scan-derived repositories stay.
		dirs, err := loadDirectories(ctx, tx, nil)
		if err != nil {
			return err
		}
		d := &store.Dataset{Directories: dirs}
		d.ApplyImport(decl)
		d.Directories = nil // validated and written elsewhere; only the declarative part changes
		d.Normalize()
		if err := d.Validate(); err != nil {
			return err
		}
		return quietly(ctx, tx, func() error { return replaceDeclarative(ctx, tx, d) })
	})
	return wrap(err, "import")
}

// Restore implements store.Store. Tokens and the audit log, which are not
// part of the dataset, are kept.
func (s *Store) Restore(ctx context.Context, all *store.Dataset) error {
	d := all.Copy()
	d.Normalize()
	if err := d.Validate(); err != nil {
		return wrap(err, "restore")
	}
	detail := map[string]int{"mirrors": len(d.Mirrors), "directories": len(d.Directories)}
	err := s.write(ctx, change{"restore", "dataset", detail}, func(tx *sql.Tx) error { return restore(ctx, tx, d) })
	return wrap(err, "restore")
}

// restore replaces the stored dataset with d, normalised and validated.
func restore(ctx context.Context, tx *sql.Tx, d *store.Dataset) error {
	return quietly(ctx, tx, func() error { return restoreAll(ctx, tx, d) })
}

func restoreAll(ctx context.Context, tx *sql.Tx, d *store.Dataset) error {
	// Freshness goes first: dropping it row by row through the cascades
	// would cost more than the rest of the restore.
	for _, table := range []string{"freshness", "crawl_observations", "mirrors", "directories", "cloud_ranges", "cloud_sources",
		"tree_directories", "tree_files"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	if err := replaceDeclarative(ctx, tx, d); err != nil {
		return err
	}
	if err := upsertDirectories(ctx, tx, d.Directories); err != nil {
		return err
	}
	if err := writeTreeChanges(ctx, tx, &store.Dataset{}, d); err != nil {
		return err
	}
	if err := bulkFreshness(ctx, tx, d.Freshness); err != nil {
		return err
	}
	for _, h := range d.Health {
		if err := putHealth(ctx, tx, h); err != nil {
			return err
		}
	}
	return replaceCloud(ctx, tx, d.CloudSources, d.CloudRanges)
}

// replaceDeclarative replaces mirrors, locations, repositories, redirects
// and scan rules with d's. Mirrors are updated in place rather than
// recreated, so that the freshness of those that remain survives.
func replaceDeclarative(ctx context.Context, tx *sql.Tx, d *store.Dataset) error {
	// Locations in use cannot go while a mirror names them.
	if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_locations`); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, m := range d.Mirrors {
		keep[m.Name] = true
	}
	if err := deleteExcept(ctx, tx, `SELECT name FROM mirrors`, `DELETE FROM mirrors WHERE name = ?`, keep); err != nil {
		return err
	}
	keep = map[string]bool{}
	for _, l := range d.Locations {
		keep[l.Name] = true
	}
	if err := deleteExcept(ctx, tx, `SELECT name FROM locations`, `DELETE FROM locations WHERE name = ?`, keep); err != nil {
		return err
	}
	if err := replaceOverrides(ctx, tx, d.NetblockCountries, d.CountryContinents); err != nil {
		return err
	}
	for _, table := range []string{"repositories", "redirects", "scan_rules"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	for _, l := range d.Locations {
		if err := upsertLocation(ctx, tx, l); err != nil {
			return err
		}
	}
	if err := insertRepositories(ctx, tx, d.Repositories); err != nil {
		return err
	}
	for _, r := range d.Redirects {
		if _, err := tx.ExecContext(ctx, `INSERT INTO redirects (from_prefix, to_prefix) VALUES (?, ?)`, r.From, r.To); err != nil {
			return err
		}
	}
	for i, r := range d.ScanRules {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scan_rules (position, pattern, repo, arch) VALUES (?, ?, ?, ?)`,
			i, r.Pattern, r.Repo, r.Arch); err != nil {
			return err
		}
	}
	if len(d.Mirrors) == 0 {
		return nil
	}
	w, err := newMirrorWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for _, m := range d.Mirrors {
		if err := w.put(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// deleteExcept deletes, by the key that list selects, the rows not in keep.
func deleteExcept(ctx context.Context, tx *sql.Tx, list, del string, keep map[string]bool) error {
	names, err := collect(ctx, tx, func(r *sql.Rows) (n string, err error) { err = r.Scan(&n); return n, err }, list)
	if err != nil {
		return err
	}
	for _, n := range names {
		if keep[n] {
			continue
		}
		if _, err := tx.ExecContext(ctx, del, n); err != nil {
			return err
		}
	}
	return nil
}
