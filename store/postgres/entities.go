package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// CreateLocation implements store.Store. The write lock makes the check
// and the insert one step across replicas.
func (s *Store) CreateLocation(ctx context.Context, l store.Location) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"put_location", l.Name, store.Change{After: l}}, func(tx pgx.Tx) error {
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
	defer s.bound(&ctx, s.timeouts.Write)()
	var before, out store.Location
	err := s.write(ctx, change{"put_location", name, store.Change{Before: &before, After: &out}}, func(tx pgx.Tx) error {
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
func putLocation(ctx context.Context, tx pgx.Tx, l store.Location) error {
	if err := (&store.Dataset{Locations: []store.Location{l}}).Validate(); err != nil {
		return err
	}
	return upsertLocation(ctx, tx, l)
}

// DeleteLocation implements store.Store. A location that a mirror still
// names is not deleted (store.ErrConflict).
func (s *Store) DeleteLocation(ctx context.Context, name string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	var before store.Location
	err := s.write(ctx, change{"delete_location", name, store.Change{Before: &before}}, func(tx pgx.Tx) error {
		existing, err := loadLocations(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		var users []string
		err = tx.QueryRow(ctx, `SELECT ARRAY(SELECT mirror FROM mirror_locations
			WHERE location = $1 ORDER BY mirror COLLATE "C")
			FROM locations WHERE name = $1`, name).Scan(&users)
		if err != nil {
			return err
		}
		d := &store.Dataset{Locations: []store.Location{{Name: name}}}
		for _, m := range users {
			d.Mirrors = append(d.Mirrors, store.Mirror{Name: m, Locations: []string{name}})
		}
		if err := d.ApplyDeleteLocation(name); err != nil {
			return err
		}
		return deleteOne(ctx, tx, `DELETE FROM locations WHERE name = $1`, name)
	})
	return wrap(err, "location %q", name)
}

// CreateRepository implements store.Store, in one step across replicas
// as CreateLocation.
func (s *Store) CreateRepository(ctx context.Context, r store.Repository) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"put_repository", r.Prefix + "/" + r.Arch, store.Change{After: r}}, func(tx pgx.Tx) error {
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
	defer s.bound(&ctx, s.timeouts.Write)()
	var before, out store.Repository
	err := s.write(ctx, change{"put_repository", prefix + "/" + arch, store.Change{Before: &before, After: &out}}, func(tx pgx.Tx) error {
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
func putRepository(ctx context.Context, tx pgx.Tx, r store.Repository) error {
	if err := (&store.Dataset{Repositories: []store.Repository{r}}).Validate(); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO repositories (prefix, arch, directory, disabled) VALUES ($1, $2, $3, $4)
		ON CONFLICT (prefix, arch) DO UPDATE SET directory = excluded.directory, disabled = excluded.disabled`,
		r.Prefix, r.Arch, r.Directory, r.Disabled)
	return err
}

// DeleteRepository implements store.Store.
func (s *Store) DeleteRepository(ctx context.Context, prefix, arch string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	var before store.Repository
	err := s.write(ctx, change{"delete_repository", prefix + "/" + arch, store.Change{Before: &before}}, func(tx pgx.Tx) error {
		existing, err := loadRepositories(ctx, tx, prefix, arch)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			before = existing[0]
		}
		return deleteOne(ctx, tx, `DELETE FROM repositories WHERE prefix = $1 AND arch = $2`, prefix, arch)
	})
	return wrap(err, "repository %s/%s", prefix, arch)
}

// CreateRedirect implements store.Store. Redirects are validated together,
// since one may not point at another.
func (s *Store) CreateRedirect(ctx context.Context, r store.Redirect) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"put_redirect", r.From, store.Change{After: r}}, func(tx pgx.Tx) error {
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
		_, err = tx.Exec(ctx, `INSERT INTO redirects (from_prefix, to_prefix) VALUES ($1, $2)`, r.From, r.To)
		return err
	})
	return wrap(err, "redirect %q", r.From)
}

// DeleteRedirect implements store.Store.
func (s *Store) DeleteRedirect(ctx context.Context, from string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"delete_redirect", from, nil}, func(tx pgx.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM redirects WHERE from_prefix = $1`, from)
	})
	return wrap(err, "redirect %q", from)
}

func upsertLocation(ctx context.Context, tx pgx.Tx, l store.Location) error {
	regions := l.CloudRegions
	if regions == nil {
		regions = []string{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO locations (name, description, cloud_regions) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, cloud_regions = excluded.cloud_regions`,
		l.Name, l.Description, regions)
	return err
}
