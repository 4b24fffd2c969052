package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// The narrow reads answer what Load holds, in the same order.
func testNarrowReads(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	d := load(t, s)
	check := func(what string, want, got any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(want, got, datasetOpts); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	ms, err := s.Mirrors(ctx(t))
	check("Mirrors", d.Mirrors, ms, err)
	for _, want := range d.Mirrors {
		m, err := s.Mirror(ctx(t), want.Name)
		check("Mirror "+want.Name, want, m, err)
		fs, err := s.Freshness(ctx(t), want.Name, "")
		check("Freshness of "+want.Name, filter(d.Freshness, func(f store.Freshness) bool { return f.Mirror == want.Name }), fs, err)
	}
	ls, err := s.Locations(ctx(t))
	check("Locations", d.Locations, ls, err)
	for _, want := range d.Locations {
		l, err := s.Location(ctx(t), want.Name)
		check("Location "+want.Name, want, l, err)
	}
	rs, err := s.Repositories(ctx(t))
	check("Repositories", d.Repositories, rs, err)
	for _, want := range d.Repositories {
		r, err := s.Repository(ctx(t), want.Prefix, want.Arch)
		check("Repository "+want.Prefix+"/"+want.Arch, want, r, err)
	}
	rds, err := s.Redirects(ctx(t))
	check("Redirects", d.Redirects, rds, err)
	dirs, err := s.Directories(ctx(t), "")
	check("Directories", d.Directories, dirs, err)
	for _, want := range d.Directories {
		dir, err := s.Directory(ctx(t), want.Path)
		check("Directory "+want.Path, want, dir, err)
		fs, err := s.Freshness(ctx(t), "", want.Path)
		check("Freshness of "+want.Path, filter(d.Freshness, func(f store.Freshness) bool { return f.Directory == want.Path }), fs, err)
	}
	fs, err := s.Freshness(ctx(t), "", "")
	check("Freshness", d.Freshness, fs, err)
	// A prefix matches whole path components.
	for _, prefix := range []string{dirOS, "pub/fedora", "pub/fedora/linux/releases/43/Everything", "pub/fed", "nothing"} {
		dirs, err := s.Directories(ctx(t), prefix)
		check("Directories under "+prefix, filter(d.Directories, func(x store.Directory) bool { return store.UnderPrefix(x.Path, prefix) }), dirs, err)
	}
}

// A single entry that is missing is ErrNotFound.
func testNarrowReadsMissing(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	reads := map[string]func() error{
		"Mirror":          func() error { _, err := s.Mirror(ctx(t), "missing.example.org"); return err },
		"Mirror empty":    func() error { _, err := s.Mirror(ctx(t), ""); return err },
		"Location":        func() error { _, err := s.Location(ctx(t), "ap-south-9"); return err },
		"Location empty":  func() error { _, err := s.Location(ctx(t), ""); return err },
		"Repository":      func() error { _, err := s.Repository(ctx(t), "fedora-43", "s390x"); return err },
		"Repository none": func() error { _, err := s.Repository(ctx(t), "", ""); return err },
		"Directory":       func() error { _, err := s.Directory(ctx(t), "pub/none"); return err },
	}
	for name, read := range reads {
		if err := read(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

func filter[T any](list []T, keep func(T) bool) []T {
	var out []T
	for _, x := range list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
