package store

import (
	"context"
	"fmt"
	"slices"
)

// The embedded store keeps everything in one file, so a narrow read costs
// a read of the file; it still hands out only what was asked for.

// Mirror implements Store.
func (e *Embedded) Mirror(ctx context.Context, name string) (Mirror, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return Mirror{}, err
	}
	i := d.mirrorIndex(name)
	if i < 0 {
		return Mirror{}, fmt.Errorf("mirror %q: %w", name, ErrNotFound)
	}
	return d.Mirrors[i], nil
}

// Mirrors implements Store.
func (e *Embedded) Mirrors(ctx context.Context) ([]Mirror, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return d.Mirrors, nil
}

// Location implements Store.
func (e *Embedded) Location(ctx context.Context, name string) (Location, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return Location{}, err
	}
	i := d.locationIndex(name)
	if i < 0 {
		return Location{}, fmt.Errorf("location %q: %w", name, ErrNotFound)
	}
	return d.Locations[i], nil
}

// Locations implements Store.
func (e *Embedded) Locations(ctx context.Context) ([]Location, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return d.Locations, nil
}

// Repository implements Store.
func (e *Embedded) Repository(ctx context.Context, prefix, arch string) (Repository, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return Repository{}, err
	}
	i := d.repositoryIndex(prefix, arch)
	if i < 0 {
		return Repository{}, fmt.Errorf("repository %s/%s: %w", prefix, arch, ErrNotFound)
	}
	return d.Repositories[i], nil
}

// Repositories implements Store.
func (e *Embedded) Repositories(ctx context.Context) ([]Repository, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return d.Repositories, nil
}

// Redirects implements Store.
func (e *Embedded) Redirects(ctx context.Context) ([]Redirect, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return d.Redirects, nil
}

// Directory implements Store.
func (e *Embedded) Directory(ctx context.Context, path string) (Directory, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return Directory{}, err
	}
	i := d.directoryIndex(path)
	if i < 0 {
		return Directory{}, fmt.Errorf("directory %q: %w", path, ErrNotFound)
	}
	return d.Directories[i], nil
}

// Directories implements Store.
func (e *Embedded) Directories(ctx context.Context, prefix string) ([]Directory, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(d.Directories, func(x Directory) bool { return !UnderPrefix(x.Path, prefix) }), nil
}

// Freshness implements Store.
func (e *Embedded) Freshness(ctx context.Context, mirror, directory string) ([]Freshness, error) {
	d, err := e.Load(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(d.Freshness, func(f Freshness) bool {
		return mirror != "" && f.Mirror != mirror || directory != "" && f.Directory != directory
	}), nil
}
