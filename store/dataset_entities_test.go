package store

import (
	"errors"
	"testing"
)

// The create, update and delete mutations of locations, repositories and
// redirects, on the sample dataset of dataset_table_test.go.

func TestApplyEntityMutations(t *testing.T) {
	failing := errors.New("refused")
	runMutations(t, []mutationCase{
		{name: "create location adds a new one",
			apply: func(d *Dataset) error { return d.ApplyCreateLocation(Location{Name: "eu-west-1"}) },
			want:  edit(func(d *Dataset) { d.Locations = append(d.Locations, Location{Name: "eu-west-1"}) })},
		{name: "create location refuses a taken name",
			apply:   func(d *Dataset) error { return d.ApplyCreateLocation(Location{Name: "us-east-1"}) },
			wantErr: ErrConflict},
		{name: "update location changes its fields",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateLocation("us-east-1", func(l *Location) error {
					l.Description, l.CloudRegions = "N. Virginia", []string{"us-east-2"}
					return nil
				})
				return err
			},
			want: edit(func(d *Dataset) {
				d.Locations[0] = Location{Name: "us-east-1", Description: "N. Virginia", CloudRegions: []string{"us-east-2"}}
			})},
		{name: "update location cannot rename",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateLocation("us-east-1", func(l *Location) error { l.Name = "eu-west-1"; return nil })
				return err
			},
			wantErr: ErrInvalid},
		{name: "update of an unknown location",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateLocation("eu-west-1", func(*Location) error { return nil })
				return err
			},
			wantErr: ErrNotFound},
		{name: "a refused location update changes nothing",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateLocation("us-east-1", func(l *Location) error { l.Description = "x"; return failing })
				return err
			},
			wantErr: failing},
		{name: "delete location",
			apply: func(d *Dataset) error {
				if err := d.ApplyCreateLocation(Location{Name: "eu-west-1"}); err != nil {
					return err
				}
				return d.ApplyDeleteLocation("eu-west-1")
			}},
		{name: "delete of a location a mirror uses",
			apply:   func(d *Dataset) error { return d.ApplyDeleteLocation("us-east-1") },
			wantErr: ErrConflict},
		{name: "delete of an unknown location",
			apply:   func(d *Dataset) error { return d.ApplyDeleteLocation("eu-west-1") },
			wantErr: ErrNotFound},
		{name: "create repository for another arch",
			apply: func(d *Dataset) error {
				return d.ApplyCreateRepository(Repository{Prefix: "fedora-41", Arch: "aarch64", Directory: "releases/41/Everything/aarch64/os"})
			},
			want: edit(func(d *Dataset) {
				d.Repositories = append(d.Repositories,
					Repository{Prefix: "fedora-41", Arch: "aarch64", Directory: "releases/41/Everything/aarch64/os"})
			})},
		{name: "create repository refuses a taken prefix and arch",
			apply: func(d *Dataset) error {
				return d.ApplyCreateRepository(Repository{Prefix: "fedora-41", Arch: "x86_64", Directory: dir42})
			},
			wantErr: ErrConflict},
		{name: "update repository changes its directory and flag",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateRepository("fedora-41", "x86_64", func(r *Repository) error {
					r.Directory, r.Disabled = dir42, true
					return nil
				})
				return err
			},
			want: edit(func(d *Dataset) {
				d.Repositories[0] = Repository{Prefix: "fedora-41", Arch: "x86_64", Directory: dir42, Disabled: true}
			})},
		{name: "update repository cannot change its key",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateRepository("fedora-41", "x86_64", func(r *Repository) error { r.Arch = "aarch64"; return nil })
				return err
			},
			wantErr: ErrInvalid},
		{name: "update of an unknown repository",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateRepository("fedora-41", "aarch64", func(*Repository) error { return nil })
				return err
			},
			wantErr: ErrNotFound},
		{name: "delete repository",
			apply: func(d *Dataset) error { return d.ApplyDeleteRepository("fedora-41", "x86_64") },
			want:  edit(func(d *Dataset) { d.Repositories = nil })},
		{name: "delete of a repository for another arch",
			apply:   func(d *Dataset) error { return d.ApplyDeleteRepository("fedora-41", "aarch64") },
			wantErr: ErrNotFound},
		{name: "create redirect",
			apply: func(d *Dataset) error { return d.ApplyCreateRedirect(Redirect{From: "fedora-45", To: "rawhide"}) },
			want:  edit(func(d *Dataset) { d.Redirects = []Redirect{{From: "fedora-45", To: "rawhide"}} })},
		{name: "create redirect refuses a prefix already redirected",
			apply: func(d *Dataset) error {
				if err := d.ApplyCreateRedirect(Redirect{From: "fedora-45", To: "rawhide"}); err != nil {
					return err
				}
				return d.ApplyCreateRedirect(Redirect{From: "fedora-45", To: "fedora-41"})
			},
			want:    edit(func(d *Dataset) { d.Redirects = []Redirect{{From: "fedora-45", To: "rawhide"}} }),
			wantErr: ErrConflict},
		{name: "delete redirect",
			apply: func(d *Dataset) error {
				if err := d.ApplyCreateRedirect(Redirect{From: "fedora-45", To: "rawhide"}); err != nil {
					return err
				}
				return d.ApplyDeleteRedirect("fedora-45")
			}},
		{name: "delete of an unknown redirect",
			apply:   func(d *Dataset) error { return d.ApplyDeleteRedirect("fedora-45") },
			wantErr: ErrNotFound},
	})
}

// TestApplyCreateMirrorCopies checks that the stored mirror shares no slice
// with the caller's, which may go on changing it.
func TestApplyCreateMirrorCopies(t *testing.T) {
	d := sample()
	m := Mirror{Name: "gamma", Country: "JP", Bandwidth: 5, URLs: []string{"https://gamma.example"},
		Netblocks: []string{"198.51.100.0/24"}, Locations: []string{"us-east-1"}}
	if err := d.ApplyCreateMirror(m); err != nil {
		t.Fatal(err)
	}
	m.URLs[0], m.Netblocks[0], m.Locations[0] = "changed", "changed", "changed"
	got := d.Mirrors[len(d.Mirrors)-1]
	if got.URLs[0] != "https://gamma.example" || got.Netblocks[0] != "198.51.100.0/24" || got.Locations[0] != "us-east-1" {
		t.Errorf("the stored mirror changed with the caller's: %+v", got)
	}
}
