package storetest

import (
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

func testLocations(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()

	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "ap-south-1", Description: "Mumbai"}))
	want.Locations = append([]store.Location{{Name: "ap-south-1", Description: "Mumbai"}}, want.Locations...)
	checkData(t, s, want)

	_, err := s.UpdateLocation(ctx(t), "ap-south-1", func(l *store.Location) error { l.Description = ""; return nil })
	must(t, "UpdateLocation", err)
	want.Locations[0].Description = ""
	checkData(t, s, want)

	must(t, "DeleteLocation", s.DeleteLocation(ctx(t), "ap-south-1"))
	want.Locations = want.Locations[1:]
	checkData(t, s, want)

	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteLocation(ctx(t), "ap-south-1") })
	// us-east-1 is named by two mirrors, eu-west-1 by one that lists it second.
	for _, name := range []string{"us-east-1", "eu-west-1"} {
		rejected(t, s, store.ErrConflict, func() error { return s.DeleteLocation(ctx(t), name) })
	}

	// Once no mirror names it, it can go.
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), "disabled.example.com"))
	must(t, "DeleteLocation", s.DeleteLocation(ctx(t), "eu-west-1"))
}

func testLocationInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	for _, name := range []string{"", "US-East-1", "us_east_1", "-us", "us-", "$location", "us east", strings.Repeat("a", 64)} {
		t.Run(name, func(t *testing.T) {
			rejected(t, s, store.ErrInvalid, func() error { return s.CreateLocation(ctx(t), store.Location{Name: name}) })
		})
	}
	t.Run("long description", func(t *testing.T) {
		l := store.Location{Name: "us-east-1", Description: strings.Repeat("x", 201)}
		rejected(t, s, store.ErrInvalid, func() error {
			return s.CreateLocation(ctx(t), store.Location{Name: "ap-south-1", Description: l.Description})
		})
		rejected(t, s, store.ErrInvalid, func() error {
			_, err := s.UpdateLocation(ctx(t), l.Name, func(x *store.Location) error { *x = l; return nil })
			return err
		})
	})
	// The longest valid name is accepted.
	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: strings.Repeat("a", 63)}))
}

func testRepositories(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()

	r := store.Repository{Prefix: "epel-10", Arch: "x86_64", Directory: "pub/epel/10/Everything/x86_64"}
	must(t, "CreateRepository", s.CreateRepository(ctx(t), r))
	want.Repositories = append([]store.Repository{r}, want.Repositories...)
	checkData(t, s, want)

	// The key is prefix and arch together.
	r2 := r
	r2.Arch, r2.Directory = "aarch64", "pub/epel/10/Everything/aarch64"
	must(t, "CreateRepository", s.CreateRepository(ctx(t), r2))
	want.Repositories = append([]store.Repository{r2}, want.Repositories...)
	checkData(t, s, want)

	r.Directory, r.Disabled = "pub/archive/epel/10/Everything/x86_64", true
	_, err := s.UpdateRepository(ctx(t), r.Prefix, r.Arch, func(x *store.Repository) error { *x = r; return nil })
	must(t, "UpdateRepository", err)
	want.Repositories[1] = r
	checkData(t, s, want)

	must(t, "DeleteRepository", s.DeleteRepository(ctx(t), "epel-10", "x86_64"))
	want.Repositories = append(want.Repositories[:1], want.Repositories[2:]...)
	checkData(t, s, want)

	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteRepository(ctx(t), "epel-10", "x86_64") })
	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteRepository(ctx(t), "rawhide", "aarch64") })
}

func testRepositoryInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	valid := store.Repository{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS}
	tests := []struct {
		name   string
		change func(r *store.Repository)
	}{
		{"empty prefix", func(r *store.Repository) { r.Prefix = "" }},
		{"prefix with a space", func(r *store.Repository) { r.Prefix = "fedora 43" }},
		{"empty arch", func(r *store.Repository) { r.Arch = "" }},
		{"arch with a slash", func(r *store.Repository) { r.Arch = "x86/64" }},
		{"empty directory", func(r *store.Repository) { r.Directory = "" }},
		{"absolute directory", func(r *store.Repository) { r.Directory = "/" + dirOS }},
		{"directory with a trailing slash", func(r *store.Repository) { r.Directory = dirOS + "/" }},
		{"directory leaving the tree", func(r *store.Repository) { r.Directory = "../etc" }},
		{"directory that is the tree root", func(r *store.Repository) { r.Directory = "." }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Both a new repository and a replacement are checked.
			r := store.Repository{Prefix: "epel-10", Arch: "x86_64", Directory: dirOS}
			tt.change(&r)
			rejected(t, s, store.ErrInvalid, func() error { return s.CreateRepository(ctx(t), r) })
			r = valid
			tt.change(&r)
			if r.Prefix != valid.Prefix || r.Arch != valid.Arch {
				return // a change of key, which UpdateRepository refuses for its own reason
			}
			rejected(t, s, store.ErrInvalid, func() error {
				_, err := s.UpdateRepository(ctx(t), r.Prefix, r.Arch, func(x *store.Repository) error { *x = r; return nil })
				return err
			})
		})
	}
}

func testRedirects(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()

	must(t, "CreateRedirect", s.CreateRedirect(ctx(t), store.Redirect{From: "fedora-44", To: "rawhide"}))
	want.Redirects = append([]store.Redirect{{From: "fedora-44", To: "rawhide"}}, want.Redirects...)
	checkData(t, s, want)

	// A prefix already redirected is not redirected again.
	rejected(t, s, store.ErrConflict, func() error {
		return s.CreateRedirect(ctx(t), store.Redirect{From: "fedora-44", To: "fedora-43"})
	})

	must(t, "DeleteRedirect", s.DeleteRedirect(ctx(t), "fedora-44"))
	want.Redirects = want.Redirects[1:]
	checkData(t, s, want)

	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteRedirect(ctx(t), "fedora-44") })
}

func testRedirectInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	tests := []store.Redirect{
		{From: "", To: "rawhide"},
		{From: "fedora-44", To: ""},
		{From: "rawhide", To: "rawhide"},
		// A redirect to a redirected prefix: point at the final one instead.
		{From: "fedora-44", To: "fedora-45"},
		// Redirecting a prefix that others are redirected to, likewise.
		{From: "rawhide", To: "fedora-43"},
	}
	for _, r := range tests {
		t.Run(r.From+"->"+r.To, func(t *testing.T) {
			rejected(t, s, store.ErrInvalid, func() error { return s.CreateRedirect(ctx(t), r) })
		})
	}
}
