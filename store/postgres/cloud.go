package postgres

import (
	"context"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// ReplaceCloudRanges replaces one provider's published ranges and records
// the version they came from, as the embedded store does.
func (s *Store) ReplaceCloudRanges(ctx context.Context, src store.CloudSource, ranges []store.CloudRange) error {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	d := &store.Dataset{}
	d.ApplyCloudRanges(src, ranges)
	if err := d.Validate(); err != nil {
		return wrap(err, "cloud ranges of %q", src.Provider)
	}
	detail := map[string]any{"sync_token": src.SyncToken, "ranges": len(ranges)}
	err := s.write(ctx, change{"replace_cloud_ranges", src.Provider, detail}, func(tx pgx.Tx) error {
		return replaceCloud(ctx, tx, d.CloudSources, d.CloudRanges)
	})
	return wrap(err, "cloud ranges of %q", src.Provider)
}

// replaceCloud replaces the sources given and the ranges of every provider
// named by a source or a range.
func replaceCloud(ctx context.Context, tx pgx.Tx, sources []store.CloudSource, ranges []store.CloudRange) error {
	var providers, tokens []string
	var imported []time.Time
	for _, src := range sources {
		providers = append(providers, src.Provider)
		tokens = append(tokens, src.SyncToken)
		imported = append(imported, src.Imported)
	}
	var rp, prefixes, regions []string
	var positions []int32
	next := map[string]int32{}
	for _, r := range ranges {
		rp = append(rp, r.Provider)
		positions = append(positions, next[r.Provider])
		next[r.Provider]++
		prefixes = append(prefixes, r.Prefix)
		regions = append(regions, r.Region)
	}
	statements := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM cloud_sources WHERE provider = ANY($1)`, []any{providers}},
		{`DELETE FROM cloud_ranges WHERE provider = ANY($1) OR provider = ANY($2)`, []any{providers, rp}},
		{`INSERT INTO cloud_sources (provider, sync_token, imported)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`, []any{providers, tokens, imported}},
		{`INSERT INTO cloud_ranges (provider, position, prefix, region)
			SELECT p, n, c::cidr, r FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS t(p, n, c, r)`,
			[]any{rp, positions, prefixes, regions}},
	}
	for _, st := range statements {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}

func loadCloudRanges(ctx context.Context, tx pgx.Tx) ([]store.CloudRange, error) {
	rows, _ := tx.Query(ctx, `SELECT prefix, provider, region FROM cloud_ranges
		ORDER BY provider COLLATE "C", position`)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CloudRange, error) {
		var r store.CloudRange
		var p netip.Prefix
		err := row.Scan(&p, &r.Provider, &r.Region)
		r.Prefix = p.String()
		return r, err
	})
}

func loadCloudSources(ctx context.Context, tx pgx.Tx) ([]store.CloudSource, error) {
	rows, _ := tx.Query(ctx, `SELECT provider, sync_token, imported FROM cloud_sources ORDER BY provider COLLATE "C"`)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[store.CloudSource])
}
