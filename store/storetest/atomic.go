package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func testCreateLocation(t *testing.T, s store.Store) {
	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "us-east-1", Description: "Virginia"}))
	rejected(t, s, store.ErrConflict, func() error {
		return s.CreateLocation(ctx(t), store.Location{Name: "us-east-1", Description: "other"})
	})
	checkData(t, s, &store.Dataset{Locations: []store.Location{{Name: "us-east-1", Description: "Virginia"}}})
}

func testUpdateLocation(t *testing.T, s store.Store) {
	_, err := s.UpdateLocation(ctx(t), "us-east-1", func(*store.Location) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing location: %v, want ErrNotFound", err)
	}
	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "us-east-1"}))
	got, err := s.UpdateLocation(ctx(t), "us-east-1", func(l *store.Location) error {
		l.CloudRegions = append(l.CloudRegions, "us-east-2")
		return nil
	})
	must(t, "UpdateLocation", err)
	want := store.Location{Name: "us-east-1", CloudRegions: []string{"us-east-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("returned location (-want +got):\n%s", diff)
	}
	checkData(t, s, &store.Dataset{Locations: []store.Location{want}})
	abort := errors.New("changed my mind")
	rejected(t, s, abort, func() error {
		_, err := s.UpdateLocation(ctx(t), "us-east-1", func(l *store.Location) error { l.Description = "x"; return abort })
		return err
	})
	rejected(t, s, store.ErrInvalid, func() error {
		_, err := s.UpdateLocation(ctx(t), "us-east-1", func(l *store.Location) error { l.Name = "us-west-1"; return nil })
		return err
	})
}

func testCreateRepository(t *testing.T, s store.Store) {
	r := store.Repository{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS}
	must(t, "CreateRepository", s.CreateRepository(ctx(t), r))
	other := r
	other.Directory, other.Disabled = dirUpdates, true
	rejected(t, s, store.ErrConflict, func() error { return s.CreateRepository(ctx(t), other) })
	checkData(t, s, &store.Dataset{Repositories: []store.Repository{r}})
}

func testUpdateRepository(t *testing.T, s store.Store) {
	_, err := s.UpdateRepository(ctx(t), "fedora-43", "x86_64", func(*store.Repository) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing repository: %v, want ErrNotFound", err)
	}
	r := store.Repository{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS}
	must(t, "CreateRepository", s.CreateRepository(ctx(t), r))
	got, err := s.UpdateRepository(ctx(t), "fedora-43", "x86_64", func(x *store.Repository) error { x.Disabled = true; return nil })
	must(t, "UpdateRepository", err)
	r.Disabled = true
	if got != r {
		t.Errorf("returned %+v, want %+v", got, r)
	}
	checkData(t, s, &store.Dataset{Repositories: []store.Repository{r}})
	abort := errors.New("changed my mind")
	rejected(t, s, abort, func() error {
		_, err := s.UpdateRepository(ctx(t), "fedora-43", "x86_64", func(x *store.Repository) error { x.Disabled = false; return abort })
		return err
	})
	rejected(t, s, store.ErrInvalid, func() error {
		_, err := s.UpdateRepository(ctx(t), "fedora-43", "x86_64", func(x *store.Repository) error { x.Arch = "aarch64"; return nil })
		return err
	})
}

func testCreateRedirect(t *testing.T, s store.Store) {
	rd := store.Redirect{From: "fedora-45", To: "rawhide"}
	must(t, "CreateRedirect", s.CreateRedirect(ctx(t), rd))
	rejected(t, s, store.ErrConflict, func() error {
		return s.CreateRedirect(ctx(t), store.Redirect{From: "fedora-45", To: "fedora-44"})
	})
	checkData(t, s, &store.Dataset{Redirects: []store.Redirect{rd}})
}
