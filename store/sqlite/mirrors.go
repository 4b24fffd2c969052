package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// CreateMirror implements store.Store. The write lock makes the check and
// the insert one step across processes.
func (s *Store) CreateMirror(ctx context.Context, m store.Mirror) error {
	m = cloneMirror(m)
	store.NormalizeMirror(&m)
	err := s.write(ctx, change{"create_mirror", m.Name, store.Change{After: m}}, func(tx *sql.Tx) error {
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
	var before, out store.Mirror
	err := s.write(ctx, change{"update_mirror", name, store.Change{Before: &before, After: &out}}, func(tx *sql.Tx) error {
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
func putMirror(ctx context.Context, tx *sql.Tx, m store.Mirror) error {
	names, err := collect(ctx, tx, func(r *sql.Rows) (n string, err error) { err = r.Scan(&n); return n, err },
		`SELECT name FROM locations`)
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
	w, err := newMirrorWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	return w.put(ctx, m)
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
	var before store.Mirror
	err := s.write(ctx, change{"delete_mirror", name, store.Change{Before: &before}}, func(tx *sql.Tx) error {
		existing, err := loadMirrors(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		return deleteOne(ctx, tx, `DELETE FROM mirrors WHERE name = ?`, name)
	})
	return wrap(err, "mirror %q", name)
}

// deleteOne runs a DELETE that must remove exactly one row.
func deleteOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// mirrorWriter creates or replaces mirrors with prepared statements,
// keeping the freshness of those it replaces.
type mirrorWriter struct {
	upsert, clear        []*sql.Stmt
	url, netblock, place *sql.Stmt
	allowed              *sql.Stmt
}

func newMirrorWriter(ctx context.Context, tx *sql.Tx) (*mirrorWriter, error) {
	w := &mirrorWriter{}
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, query)
		return st
	}
	w.upsert = []*sql.Stmt{prep(`INSERT INTO mirrors (name, country, bandwidth, enabled, private, always_up_to_date, asn, region, bucket, ipv4, ipv6)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET country = excluded.country, bandwidth = excluded.bandwidth,
			enabled = excluded.enabled, private = excluded.private, always_up_to_date = excluded.always_up_to_date,
			asn = excluded.asn, region = excluded.region, bucket = excluded.bucket, ipv4 = excluded.ipv4, ipv6 = excluded.ipv6`)}
	for _, table := range []string{"mirror_urls", "mirror_netblocks", "mirror_locations", "mirror_countries_allowed"} {
		w.clear = append(w.clear, prep(`DELETE FROM `+table+` WHERE mirror = ?`))
	}
	w.url = prep(`INSERT INTO mirror_urls (mirror, position, url) VALUES (?, ?, ?)`)
	w.netblock = prep(`INSERT INTO mirror_netblocks (mirror, position, netblock) VALUES (?, ?, ?)`)
	w.place = prep(`INSERT INTO mirror_locations (mirror, position, location) VALUES (?, ?, ?)`)
	w.allowed = prep(`INSERT INTO mirror_countries_allowed (mirror, position, country) VALUES (?, ?, ?)`)
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *mirrorWriter) put(ctx context.Context, m store.Mirror) error {
	if _, err := w.upsert[0].ExecContext(ctx, m.Name, m.Country, m.Bandwidth, m.Enabled, m.Private, m.AlwaysUpToDate,
		int64(m.ASN), m.Region, m.Bucket, m.ServesIPv4(), m.ServesIPv6()); err != nil {
		return err
	}
	for _, st := range w.clear {
		if _, err := st.ExecContext(ctx, m.Name); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		st     *sql.Stmt
		values []string
	}{{w.url, m.URLs}, {w.netblock, m.Netblocks}, {w.place, m.Locations}, {w.allowed, m.CountriesAllowed}} {
		for i, v := range l.values {
			if _, err := l.st.ExecContext(ctx, m.Name, i, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *mirrorWriter) close() {
	for _, st := range append(append(w.upsert, w.clear...), w.url, w.netblock, w.place, w.allowed) {
		if st != nil {
			st.Close()
		}
	}
}
