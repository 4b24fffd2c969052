package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// CreateMirror implements store.Store. The write lock makes the check and
// the insert one step across replicas.
func (s *Store) CreateMirror(ctx context.Context, m store.Mirror) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	m = cloneMirror(m)
	store.NormalizeMirror(&m)
	err := s.write(ctx, change{"create_mirror", m.Name, store.Change{After: m}}, func(tx pgx.Tx) error {
		existing, err := loadMirrors(ctx, tx, m.Name)
		if err != nil {
			return err
		}
		d := &store.Dataset{Mirrors: existing}
		if err := d.ApplyCreateMirror(m); err != nil {
			return err
		}
		return putMirror(ctx, tx, m)
	})
	return wrap(err, "mirror %q", m.Name)
}

// UpdateMirror implements store.Store: the mirror is read, changed and
// written under the write lock, so concurrent updates serialise.
func (s *Store) UpdateMirror(ctx context.Context, name string, fn func(*store.Mirror) error) (store.Mirror, error) {
	defer s.bound(&ctx, s.timeouts.Write)()
	var before, out store.Mirror
	err := s.write(ctx, change{"update_mirror", name, store.Change{Before: &before, After: &out}}, func(tx pgx.Tx) error {
		existing, err := loadMirrors(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = cloneMirror(existing[0])
		}
		d := &store.Dataset{Mirrors: existing}
		if out, err = d.ApplyUpdateMirror(name, fn); err != nil {
			return err
		}
		return putMirror(ctx, tx, out)
	})
	if err != nil {
		return store.Mirror{}, wrap(err, "mirror %q", name)
	}
	return out, nil
}

// putMirror validates m against the stored locations and writes it.
func putMirror(ctx context.Context, tx pgx.Tx, m store.Mirror) error {
	rows, _ := tx.Query(ctx, `SELECT name FROM locations`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	locs := make(map[string]bool, len(names))
	for _, n := range names {
		locs[n] = true
	}
	if err := store.ValidateMirror(&m, locs); err != nil {
		return err
	}
	return upsertMirrors(ctx, tx, []store.Mirror{m})
}

// cloneMirror copies m's lists, which normalising rewrites in place.
func cloneMirror(m store.Mirror) store.Mirror {
	m.URLs = append([]string(nil), m.URLs...)
	m.Netblocks = append([]string(nil), m.Netblocks...)
	m.Locations = append([]string(nil), m.Locations...)
	m.CountriesAllowed = append([]string(nil), m.CountriesAllowed...)
	return m
}

// DeleteMirror implements store.Store. The mirror's freshness goes with it.
func (s *Store) DeleteMirror(ctx context.Context, name string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	var before store.Mirror
	err := s.write(ctx, change{"delete_mirror", name, store.Change{Before: &before}}, func(tx pgx.Tx) error {
		existing, err := loadMirrors(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		return deleteOne(ctx, tx, `DELETE FROM mirrors WHERE name = $1`, name)
	})
	return wrap(err, "mirror %q", name)
}

// deleteOne runs a DELETE that must remove exactly one row.
func deleteOne(ctx context.Context, tx pgx.Tx, sql string, args ...any) error {
	tag, err := tx.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return err
}

// upsertMirrors creates or replaces mirrors, with their URLs, netblocks and
// locations, keeping their freshness.
func upsertMirrors(ctx context.Context, tx pgx.Tx, ms []store.Mirror) error {
	var (
		names, countries, regions, buckets []string
		bandwidths, asns                   []int64
		enabled, private, upToDate         []bool
		ipv4, ipv6                         []bool
		urls, netblocks, locations         children
		allowed                            children
	)
	for _, m := range ms {
		names = append(names, m.Name)
		countries = append(countries, m.Country)
		bandwidths = append(bandwidths, int64(m.Bandwidth))
		enabled = append(enabled, m.Enabled)
		private = append(private, m.Private)
		upToDate = append(upToDate, m.AlwaysUpToDate)
		asns = append(asns, int64(m.ASN))
		regions = append(regions, m.Region)
		buckets = append(buckets, m.Bucket)
		urls.add(m.Name, m.URLs)
		netblocks.add(m.Name, m.Netblocks)
		locations.add(m.Name, m.Locations)
		allowed.add(m.Name, m.CountriesAllowed)
		ipv4, ipv6 = append(ipv4, m.ServesIPv4()), append(ipv6, m.ServesIPv6())
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO mirrors (name, country, bandwidth, enabled, private, always_up_to_date, asn, region, bucket, ipv4, ipv6)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[], $5::bool[], $6::bool[],
			$7::bigint[], $8::text[], $9::text[], $10::bool[], $11::bool[])
		ON CONFLICT (name) DO UPDATE SET country = excluded.country, bandwidth = excluded.bandwidth,
			enabled = excluded.enabled, private = excluded.private,
			always_up_to_date = excluded.always_up_to_date, asn = excluded.asn,
			region = excluded.region, bucket = excluded.bucket, ipv4 = excluded.ipv4, ipv6 = excluded.ipv6`,
		names, countries, bandwidths, enabled, private, upToDate, asns, regions, buckets, ipv4, ipv6)
	if err != nil {
		return err
	}
	for _, table := range []string{"mirror_urls", "mirror_netblocks", "mirror_locations", "mirror_countries_allowed"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE mirror = ANY($1)`, names); err != nil {
			return err
		}
	}
	inserts := []struct {
		table, column, cast string
		rows                children
	}{
		{"mirror_urls", "url", "text", urls},
		{"mirror_netblocks", "netblock", "cidr", netblocks},
		{"mirror_locations", "location", "text", locations},
		{"mirror_countries_allowed", "country", "text", allowed},
	}
	for _, in := range inserts {
		if len(in.rows.mirrors) == 0 {
			continue
		}
		sql := fmt.Sprintf(`INSERT INTO %s (mirror, position, %s)
			SELECT m, p, v::%s FROM unnest($1::text[], $2::int[], $3::text[]) AS t(m, p, v)`,
			in.table, in.column, in.cast)
		if _, err := tx.Exec(ctx, sql, in.rows.mirrors, in.rows.positions, in.rows.values); err != nil {
			return err
		}
	}
	return nil
}

// children holds the rows of one of a mirror's child tables as columns.
type children struct {
	mirrors   []string
	positions []int32
	values    []string
}

func (c *children) add(mirror string, values []string) {
	for i, v := range values {
		c.mirrors = append(c.mirrors, mirror)
		c.positions = append(c.positions, int32(i))
		c.values = append(c.values, v)
	}
}
