package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// one returns the only element of list, or store.ErrNotFound.
func one[T any](list []T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(list) == 0 {
		return zero, store.ErrNotFound
	}
	return list[0], nil
}

// Mirror implements store.Store.
func (s *Store) Mirror(ctx context.Context, name string) (m store.Mirror, err error) {
	if name == "" {
		return m, wrap(store.ErrNotFound, "mirror %q", name)
	}
	err = s.read(ctx, func(tx *sql.Tx) error { m, err = one(loadMirrors(ctx, tx, name)); return err })
	return m, wrap(err, "mirror %q", name)
}

// Mirrors implements store.Store.
func (s *Store) Mirrors(ctx context.Context) (ms []store.Mirror, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { ms, err = loadMirrors(ctx, tx, ""); return err })
	return ms, wrap(err, "mirrors")
}

// Location implements store.Store.
func (s *Store) Location(ctx context.Context, name string) (l store.Location, err error) {
	if name == "" {
		return l, wrap(store.ErrNotFound, "location %q", name)
	}
	err = s.read(ctx, func(tx *sql.Tx) error { l, err = one(loadLocations(ctx, tx, name)); return err })
	return l, wrap(err, "location %q", name)
}

// Locations implements store.Store.
func (s *Store) Locations(ctx context.Context) (ls []store.Location, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { ls, err = loadLocations(ctx, tx, ""); return err })
	return ls, wrap(err, "locations")
}

// Repository implements store.Store.
func (s *Store) Repository(ctx context.Context, prefix, arch string) (r store.Repository, err error) {
	if prefix == "" {
		return r, wrap(store.ErrNotFound, "repository %s/%s", prefix, arch)
	}
	err = s.read(ctx, func(tx *sql.Tx) error { r, err = one(loadRepositories(ctx, tx, prefix, arch)); return err })
	return r, wrap(err, "repository %s/%s", prefix, arch)
}

// Repositories implements store.Store.
func (s *Store) Repositories(ctx context.Context) (rs []store.Repository, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { rs, err = loadRepositories(ctx, tx, "", ""); return err })
	return rs, wrap(err, "repositories")
}

// Redirects implements store.Store.
func (s *Store) Redirects(ctx context.Context) (rs []store.Redirect, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { rs, err = loadRedirects(ctx, tx); return err })
	return rs, wrap(err, "redirects")
}

// Directory implements store.Store.
func (s *Store) Directory(ctx context.Context, path string) (d store.Directory, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { d, err = one(loadDirectories(ctx, tx, []string{path})); return err })
	return d, wrap(err, "directory %q", path)
}

// Directories implements store.Store.
func (s *Store) Directories(ctx context.Context, prefix string) (ds []store.Directory, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		if prefix == "" {
			ds, err = loadDirectories(ctx, tx, nil)
			return err
		}
		// The range of paths that start with prefix + "/" ('0' follows '/').
		ds, err = loadDirectoriesWhere(ctx, tx, `path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0')`,
			`directory = ?1 OR (directory > ?1 || '/' AND directory < ?1 || '0')`, prefix)
		return err
	})
	return ds, wrap(err, "directories under %q", prefix)
}

// Freshness implements store.Store.
func (s *Store) Freshness(ctx context.Context, mirror, directory string) (fs []store.Freshness, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { fs, err = loadFreshness(ctx, tx, mirror, directory); return err })
	return fs, wrap(err, "freshness")
}
