package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// The embedded store used to keep everything in one JSON file, rewritten
// whole on every change. Its data is carried over on the first open.
const (
	legacyFile   = "metalinkd.json"
	legacyFormat = 1
	// legacySuffix is added to the file's name once its data is in the database.
	legacySuffix = ".migrated"
)

// legacyDoc is the former JSON file's document.
type legacyDoc struct {
	Format  int                `json:"format"`
	Dataset *store.Dataset     `json:"dataset"`
	Tokens  []store.Token      `json:"tokens,omitempty"`
	Audit   []store.AuditEntry `json:"audit,omitempty"`
}

// importLegacy carries the data of a former JSON file in the data
// directory over into an empty database, in one transaction with its
// tokens and audit log, then renames the file aside. A database that
// already holds data is never overwritten: that is refused with an error.
func (s *Store) importLegacy(ctx context.Context) error {
	path := filepath.Join(s.dir, legacyFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	var doc legacyDoc
	err = json.NewDecoder(f).Decode(&doc)
	f.Close()
	if err != nil {
		return fmt.Errorf("embedded store: %s is damaged: %w", path, err)
	}
	if doc.Format != legacyFormat {
		return fmt.Errorf("embedded store: %s has format %d, this binary reads %d", path, doc.Format, legacyFormat)
	}
	if doc.Dataset == nil {
		doc.Dataset = &store.Dataset{}
	}
	d := doc.Dataset
	d.Normalize()
	if err := d.Validate(); err != nil {
		return fmt.Errorf("embedded store: %s: %w", path, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var done, rows int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM legacy_import WHERE file = ?`, legacyFile).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return nil // imported before; only the rename was missed
		}
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM mirrors) + (SELECT count(*) FROM directories) +
			(SELECT count(*) FROM tokens) + (SELECT count(*) FROM audit)`).Scan(&rows); err != nil {
			return err
		}
		if rows > 0 {
			return fmt.Errorf("%s holds data and so does %s: move one of them away", FileName, legacyFile)
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		if err := restore(ctx, tx, d); err != nil {
			return err
		}
		for _, t := range doc.Tokens {
			if err := insertToken(ctx, tx, t); err != nil {
				return fmt.Errorf("token %q: %w", t.ID, translate(err))
			}
		}
		for _, e := range doc.Audit {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO legacy_import (file, imported) VALUES (?, ?)`, legacyFile, micros(time.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("embedded store: carrying over %s: %w", path, err)
	}
	if err := os.Rename(path, path+legacySuffix); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	return nil
}
