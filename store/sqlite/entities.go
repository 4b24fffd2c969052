package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// CreateLocation implements store.Store. The write lock makes the check
// and the insert one step across processes.
func (s *Store) CreateLocation(ctx context.Context, l store.Location) error {
	err := s.write(ctx, change{"put_location", l.Name, store.Change{After: l}}, func(tx *sql.Tx) error {
		existing, err := loadLocations(ctx, tx, l.Name)
		if err != nil {
			return err
		}
		d := &store.Dataset{Locations: existing}
		if err := d.ApplyCreateLocation(l); err != nil {
			return err
		}
		return putLocation(ctx, tx, l)
	})
	return wrap(err, "location %q", l.Name)
}

// UpdateLocation implements store.Store: the location is read, changed and
// written under the write lock, so concurrent updates serialise.
func (s *Store) UpdateLocation(ctx context.Context, name string, fn func(*store.Location) error) (store.Location, error) {
	var before, out store.Location
	err := s.write(ctx, change{"put_location", name, store.Change{Before: &before, After: &out}}, func(tx *sql.Tx) error {
		existing, err := loadLocations(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		d := &store.Dataset{Locations: existing}
		if out, err = d.ApplyUpdateLocation(name, fn); err != nil {
			return err
		}
		return putLocation(ctx, tx, out)
	})
	if err != nil {
		return store.Location{}, wrap(err, "location %q", name)
	}
	return out, nil
}

// putLocation validates l and writes it.
func putLocation(ctx context.Context, tx *sql.Tx, l store.Location) error {
	if err := (&store.Dataset{Locations: []store.Location{l}}).Validate(); err != nil {
		return err
	}
	return upsertLocation(ctx, tx, l)
}

func upsertLocation(ctx context.Context, tx *sql.Tx, l store.Location) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO locations (name, description, cloud_regions) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, cloud_regions = excluded.cloud_regions`,
		l.Name, l.Description, strings.Join(l.CloudRegions, " "))
	return err
}

// DeleteLocation implements store.Store. A location that a mirror still
// names is not deleted (store.ErrConflict).
func (s *Store) DeleteLocation(ctx context.Context, name string) error {
	var before store.Location
	err := s.write(ctx, change{"delete_location", name, store.Change{Before: &before}}, func(tx *sql.Tx) error {
		existing, err := loadLocations(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		users, err := collect(ctx, tx, func(r *sql.Rows) (m string, err error) { err = r.Scan(&m); return m, err },
			`SELECT mirror FROM mirror_locations WHERE location = ? ORDER BY mirror`, name)
		if err != nil {
			return err
		}
		d := &store.Dataset{Locations: existing}
		for _, m := range users {
			d.Mirrors = append(d.Mirrors, store.Mirror{Name: m, Locations: []string{name}})
		}
		if err := d.ApplyDeleteLocation(name); err != nil {
			return err
		}
		return deleteOne(ctx, tx, `DELETE FROM locations WHERE name = ?`, name)
	})
	return wrap(err, "location %q", name)
}

// CreateRepository implements store.Store, in one step as CreateLocation.
func (s *Store) CreateRepository(ctx context.Context, r store.Repository) error {
	err := s.write(ctx, change{"put_repository", r.Prefix + "/" + r.Arch, store.Change{After: r}}, func(tx *sql.Tx) error {
		existing, err := loadRepositories(ctx, tx, r.Prefix, r.Arch)
		if err != nil {
			return err
		}
		d := &store.Dataset{Repositories: existing}
		if err := d.ApplyCreateRepository(r); err != nil {
			return err
		}
		return putRepository(ctx, tx, r)
	})
	return wrap(err, "repository %s/%s", r.Prefix, r.Arch)
}

// UpdateRepository implements store.Store, serialised as UpdateLocation.
func (s *Store) UpdateRepository(ctx context.Context, prefix, arch string, fn func(*store.Repository) error) (store.Repository, error) {
	var before, out store.Repository
	err := s.write(ctx, change{"put_repository", prefix + "/" + arch, store.Change{Before: &before, After: &out}}, func(tx *sql.Tx) error {
		existing, err := loadRepositories(ctx, tx, prefix, arch)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		d := &store.Dataset{Repositories: existing}
		if out, err = d.ApplyUpdateRepository(prefix, arch, fn); err != nil {
			return err
		}
		return putRepository(ctx, tx, out)
	})
	if err != nil {
		return store.Repository{}, wrap(err, "repository %s/%s", prefix, arch)
	}
	return out, nil
}

// putRepository validates r and writes it.
func putRepository(ctx context.Context, tx *sql.Tx, r store.Repository) error {
	if err := (&store.Dataset{Repositories: []store.Repository{r}}).Validate(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO repositories (prefix, arch, directory, disabled) VALUES (?, ?, ?, ?)
		ON CONFLICT (prefix, arch) DO UPDATE SET directory = excluded.directory, disabled = excluded.disabled`,
		r.Prefix, r.Arch, r.Directory, r.Disabled)
	return err
}

// DeleteRepository implements store.Store.
func (s *Store) DeleteRepository(ctx context.Context, prefix, arch string) error {
	var before store.Repository
	err := s.write(ctx, change{"delete_repository", prefix + "/" + arch, store.Change{Before: &before}}, func(tx *sql.Tx) error {
		existing, err := loadRepositories(ctx, tx, prefix, arch)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		return deleteOne(ctx, tx, `DELETE FROM repositories WHERE prefix = ? AND arch = ?`, prefix, arch)
	})
	return wrap(err, "repository %s/%s", prefix, arch)
}

// CreateRedirect implements store.Store. Redirects are validated together,
// since one may not point at another.
func (s *Store) CreateRedirect(ctx context.Context, r store.Redirect) error {
	err := s.write(ctx, change{"put_redirect", r.From, store.Change{After: r}}, func(tx *sql.Tx) error {
		all, err := loadRedirects(ctx, tx)
		if err != nil {
			return err
		}
		d := &store.Dataset{Redirects: all}
		if err := d.ApplyCreateRedirect(r); err != nil {
			return err
		}
		if err := d.Validate(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO redirects (from_prefix, to_prefix) VALUES (?, ?)`, r.From, r.To)
		return err
	})
	return wrap(err, "redirect %q", r.From)
}

// DeleteRedirect implements store.Store.
func (s *Store) DeleteRedirect(ctx context.Context, from string) error {
	err := s.write(ctx, change{"delete_redirect", from, nil}, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM redirects WHERE from_prefix = ?`, from)
	})
	return wrap(err, "redirect %q", from)
}
