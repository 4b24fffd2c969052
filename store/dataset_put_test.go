package store

import (
	"testing"
)

// The create-or-replace mutations and the deletions of locations,
// repositories and redirects, on the sample dataset of
// dataset_table_test.go.

func TestApplyPutMutations(t *testing.T) {
	runMutations(t, []mutationCase{
		{name: "put mirror adds a new one in canonical form",
			apply: func(d *Dataset) error {
				d.ApplyPutMirror(Mirror{Name: "gamma", Country: "jp", Bandwidth: 5, URLs: []string{"https://gamma.example/"},
					Netblocks: []string{"198.51.100.7"}})
				return nil
			},
			want: edit(func(d *Dataset) {
				d.Mirrors = append(d.Mirrors, Mirror{Name: "gamma", Country: "JP", Bandwidth: 5,
					URLs: []string{"https://gamma.example"}, Netblocks: []string{"198.51.100.7/32"}})
			})},
		{name: "put mirror replaces one of the same name and keeps its freshness",
			apply: func(d *Dataset) error {
				d.ApplyPutMirror(Mirror{Name: "alpha", Country: "AT", Bandwidth: 1, URLs: []string{"ftp://alpha.example"}})
				return nil
			},
			want: edit(func(d *Dataset) {
				d.Mirrors[0] = Mirror{Name: "alpha", Country: "AT", Bandwidth: 1, URLs: []string{"ftp://alpha.example"}}
			})},
		{name: "put location adds a new one",
			apply: func(d *Dataset) error { d.ApplyPutLocation(Location{Name: "eu-west-1"}); return nil },
			want:  edit(func(d *Dataset) { d.Locations = append(d.Locations, Location{Name: "eu-west-1"}) })},
		{name: "put location replaces one of the same name",
			apply: func(d *Dataset) error {
				d.ApplyPutLocation(Location{Name: "us-east-1", Description: "N. Virginia", CloudRegions: []string{"us-east-2"}})
				return nil
			},
			want: edit(func(d *Dataset) {
				d.Locations[0] = Location{Name: "us-east-1", Description: "N. Virginia", CloudRegions: []string{"us-east-2"}}
			})},
		{name: "delete location",
			apply: func(d *Dataset) error {
				d.ApplyPutLocation(Location{Name: "eu-west-1"})
				return d.ApplyDeleteLocation("eu-west-1")
			}},
		{name: "delete of a location a mirror uses",
			apply:   func(d *Dataset) error { return d.ApplyDeleteLocation("us-east-1") },
			wantErr: ErrConflict},
		{name: "delete of an unknown location",
			apply:   func(d *Dataset) error { return d.ApplyDeleteLocation("eu-west-1") },
			wantErr: ErrNotFound},
		{name: "put repository adds one for another arch",
			apply: func(d *Dataset) error {
				d.ApplyPutRepository(Repository{Prefix: "fedora-41", Arch: "aarch64", Directory: "releases/41/Everything/aarch64/os"})
				return nil
			},
			want: edit(func(d *Dataset) {
				d.Repositories = append(d.Repositories,
					Repository{Prefix: "fedora-41", Arch: "aarch64", Directory: "releases/41/Everything/aarch64/os"})
			})},
		{name: "put repository replaces the same prefix and arch",
			apply: func(d *Dataset) error {
				d.ApplyPutRepository(Repository{Prefix: "fedora-41", Arch: "x86_64", Directory: dir42, Disabled: true})
				return nil
			},
			want: edit(func(d *Dataset) {
				d.Repositories[0] = Repository{Prefix: "fedora-41", Arch: "x86_64", Directory: dir42, Disabled: true}
			})},
		{name: "delete repository",
			apply: func(d *Dataset) error { return d.ApplyDeleteRepository("fedora-41", "x86_64") },
			want:  edit(func(d *Dataset) { d.Repositories = nil })},
		{name: "delete of a repository for another arch",
			apply:   func(d *Dataset) error { return d.ApplyDeleteRepository("fedora-41", "aarch64") },
			wantErr: ErrNotFound},
		{name: "put redirect adds one",
			apply: func(d *Dataset) error { d.ApplyPutRedirect(Redirect{From: "fedora-45", To: "rawhide"}); return nil },
			want:  edit(func(d *Dataset) { d.Redirects = []Redirect{{From: "fedora-45", To: "rawhide"}} })},
		{name: "put redirect replaces one from the same prefix",
			apply: func(d *Dataset) error {
				d.ApplyPutRedirect(Redirect{From: "fedora-45", To: "rawhide"})
				d.ApplyPutRedirect(Redirect{From: "fedora-45", To: "fedora-41"})
				return nil
			},
			want: edit(func(d *Dataset) { d.Redirects = []Redirect{{From: "fedora-45", To: "fedora-41"}} })},
		{name: "delete redirect",
			apply: func(d *Dataset) error {
				d.ApplyPutRedirect(Redirect{From: "fedora-45", To: "rawhide"})
				return d.ApplyDeleteRedirect("fedora-45")
			}},
		{name: "delete of an unknown redirect",
			apply:   func(d *Dataset) error { return d.ApplyDeleteRedirect("fedora-45") },
			wantErr: ErrNotFound},
	})
}

// TestApplyPutMirrorCopies checks that the stored mirror shares no slice
// with the caller's, which may go on changing it.
func TestApplyPutMirrorCopies(t *testing.T) {
	d := sample()
	m := Mirror{Name: "gamma", Country: "JP", Bandwidth: 5, URLs: []string{"https://gamma.example"},
		Netblocks: []string{"198.51.100.0/24"}, Locations: []string{"us-east-1"}}
	d.ApplyPutMirror(m)
	m.URLs[0], m.Netblocks[0], m.Locations[0] = "changed", "changed", "changed"
	got := d.Mirrors[len(d.Mirrors)-1]
	if got.URLs[0] != "https://gamma.example" || got.Netblocks[0] != "198.51.100.0/24" || got.Locations[0] != "us-east-1" {
		t.Errorf("the stored mirror changed with the caller's: %+v", got)
	}
}
