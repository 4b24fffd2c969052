package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

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
	err := s.writeUnchecked(ctx, func(tx *sql.Tx) error {
		if err := restore(ctx, tx, d); err != nil {
			return err
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, store.NewAuditEntry(ctx, time.Now(), "restore", "dataset", detail))
	})
	return wrap(err, "restore")
}

// writeUnchecked is writeTx on the writer's connection with its foreign
// keys off: each of half a million freshness rows would otherwise look up
// its mirror and its directory as it is written, a tenth of a large
// network's restore. restore checks the references once, at the end, and
// fails (the transaction rolls back) if any is missing. SQLite changes
// the setting only outside a transaction, so it is set around one.
func (s *Store) writeUnchecked(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer func() {
		if _, ferr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); ferr != nil {
			// Not back into the pool without its foreign keys.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, ferr)
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	return s.finish(tx, fn)
}

// restore replaces the stored dataset with d, normalised and validated.
// It works with foreign keys on or off: it empties each table itself
// rather than through the cascades, and checks the references at the end.
func restore(ctx context.Context, tx *sql.Tx, d *store.Dataset) error {
	if err := quietly(ctx, tx, func() error { return restoreAll(ctx, tx, d) }); err != nil {
		return err
	}
	return checkForeignKeys(ctx, tx)
}

// restoreEmpties is what a restore deletes before it writes, each table
// before those its rows refer to: with foreign keys off nothing cascades.
// A table left out that refers to one emptied fails checkForeignKeys.
var restoreEmpties = []string{"freshness", "crawl_observations", "protocol_health", "mirror_health", "mirror_urls",
	"mirror_netblocks", "mirror_countries_allowed", "mirror_locations", "mirrors", "repomd_alternates", "directories",
	"cloud_ranges", "cloud_sources", "tree_directories", "tree_files"}

// checkForeignKeys fails with store.ErrInvalid, naming the first, if a row
// refers to one that is not there. Freshness, half a million rows at a
// large network's scale, is checked by its distinct mirrors and
// directories, each found by one seek in its key or its index: the same
// check at a fraction of the cost of a look-up a row, or of a scan.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	var table, parent string
	err := tx.QueryRowContext(ctx, `SELECT c."table", c.parent FROM sqlite_schema s, pragma_foreign_key_check(s.name) c
		WHERE s.type = 'table' AND s.name <> 'freshness' LIMIT 1`).Scan(&table, &parent)
	if err == nil {
		return fmt.Errorf("%w: a row of %s refers to a missing row of %s", store.ErrInvalid, table, parent)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, q := range []string{skipScan("mirror", "mirrors", "name"), skipScan("directory", "directories", "path")} {
		var kind, name string
		err := tx.QueryRowContext(ctx, q).Scan(&kind, &name)
		if err == nil {
			return fmt.Errorf("%w: freshness for the unknown %s %q", store.ErrInvalid, kind, name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// skipScan is a query for the first distinct value of freshness's column
// that parent's key lacks, found seek by seek.
func skipScan(column, parent, key string) string {
	return `WITH RECURSIVE v(x) AS (SELECT min(` + column + `) FROM freshness
		UNION ALL SELECT (SELECT min(` + column + `) FROM freshness WHERE ` + column + ` > v.x) FROM v WHERE v.x IS NOT NULL)
		SELECT '` + column + `', x FROM v WHERE x IS NOT NULL AND x NOT IN (SELECT ` + key + ` FROM ` + parent + `) LIMIT 1`
}

func restoreAll(ctx context.Context, tx *sql.Tx, d *store.Dataset) error {
	// Freshness goes first: dropping it row by row through the cascades
	// would cost more than the rest of the restore.
	for _, table := range restoreEmpties {
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
