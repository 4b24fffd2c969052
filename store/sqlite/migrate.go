package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/metalinkd/metalinkd/migrations"
	sqlitemigrations "github.com/metalinkd/metalinkd/migrations/sqlite"
)

// migrate brings the schema up to the version this binary knows, in one
// transaction under the write lock, so that processes opening the data
// directory together apply each migration once. A schema newer than the
// binary is refused with a *migrations.VersionError.
func (s *Store) migrate(ctx context.Context) error {
	if err := migrateDB(ctx, s.writer, sqlitemigrations.Files); err != nil {
		return fmt.Errorf("embedded store: %s: %w", s.dir, err)
	}
	return nil
}

// migrateDB applies the migrations of files that db (whose transactions
// begin IMMEDIATE) lacks, in one transaction.
func migrateDB(ctx context.Context, db *sql.DB, files fs.FS) error {
	ms, err := migrations.Parse(files)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The bookkeeping table is the one thing that cannot be a migration.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))`); err != nil {
		return err
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return err
	}
	if version > len(ms) {
		return &migrations.VersionError{Database: version, Binary: len(ms)}
	}
	for _, m := range ms[version:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("applying %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return tx.Commit()
}
