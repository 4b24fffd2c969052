package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// ReplaceCloudRanges replaces one provider's published ranges and records
// the version they came from.
func (s *Store) ReplaceCloudRanges(ctx context.Context, src store.CloudSource, ranges []store.CloudRange) error {
	d := &store.Dataset{}
	d.ApplyCloudRanges(src, ranges)
	d.Normalize()
	if err := d.Validate(); err != nil {
		return wrap(err, "cloud ranges of %q", src.Provider)
	}
	detail := map[string]any{"sync_token": src.SyncToken, "ranges": len(ranges)}
	err := s.write(ctx, change{"replace_cloud_ranges", src.Provider, detail}, func(tx *sql.Tx) error {
		return replaceCloud(ctx, tx, d.CloudSources, d.CloudRanges)
	})
	return wrap(err, "cloud ranges of %q", src.Provider)
}

// replaceCloud replaces the sources given and the ranges of every provider
// named by a source or a range.
func replaceCloud(ctx context.Context, tx *sql.Tx, sources []store.CloudSource, ranges []store.CloudRange) error {
	providers := map[string]bool{}
	for _, src := range sources {
		providers[src.Provider] = true
	}
	for _, r := range ranges {
		providers[r.Provider] = true
	}
	for p := range providers {
		if _, err := tx.ExecContext(ctx, `DELETE FROM cloud_ranges WHERE provider = ?`, p); err != nil {
			return err
		}
	}
	for _, src := range sources {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cloud_sources (provider, sync_token, imported) VALUES (?, ?, ?)
			ON CONFLICT (provider) DO UPDATE SET sync_token = excluded.sync_token, imported = excluded.imported`,
			src.Provider, src.SyncToken, micros(src.Imported)); err != nil {
			return err
		}
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO cloud_ranges (provider, position, prefix, region) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	next := map[string]int{}
	for _, r := range ranges {
		if _, err := st.ExecContext(ctx, r.Provider, next[r.Provider], r.Prefix, r.Region); err != nil {
			return err
		}
		next[r.Provider]++
	}
	return nil
}
