package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The pure mutations are checked as input dataset, change, expected dataset.

var (
	// t0 is when the sample's older repomd was superseded.
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// t1 is when the sample's mutations happen.
	t1 = t0.Add(time.Hour)
)

const (
	dir41 = "releases/41/Everything/x86_64/os"
	dir42 = "releases/42/Everything/x86_64/os"
)

// repomdN is a repomd whose hashes are all made of the digit n.
func repomdN(n byte, recorded time.Time) Repomd {
	h := func(l int) string { return strings.Repeat(string('0'+n), l) }
	return Repomd{Size: int64(n) * 100, Timestamp: int64(n), MD5: h(32), SHA1: h(40), SHA256: h(64), SHA512: h(128),
		Recorded: recorded}
}

func superseded(r Repomd, at time.Time) Repomd {
	r.Superseded = at
	return r
}

func sha(n byte) string { return strings.Repeat(string('0'+n), 64) }

// sample is a small dataset: two mirrors, two directories (41 with one
// alternate), and three freshness reports, one of them for the alternate.
func sample() *Dataset {
	return &Dataset{
		Mirrors: []Mirror{
			{Name: "alpha", Country: "DE", Bandwidth: 100, Enabled: true, URLs: []string{"https://alpha.example/pub"}},
			{Name: "beta", Country: "FR", Bandwidth: 10, Enabled: true, URLs: []string{"http://beta.example/pub"},
				Locations: []string{"us-east-1"}},
		},
		Locations:    []Location{{Name: "us-east-1"}},
		Repositories: []Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dir41}},
		Directories: []Directory{
			{Path: dir41, Current: repomdN(2, t0), Alternates: []Repomd{superseded(repomdN(1, t0.Add(-time.Hour)), t0)}},
			{Path: dir42, Current: repomdN(3, t0)},
		},
		Freshness: []Freshness{
			{Mirror: "alpha", Directory: dir41, SHA256: sha(2), Reported: t0},
			{Mirror: "beta", Directory: dir41, SHA256: sha(1), Reported: t0},
			{Mirror: "alpha", Directory: dir42, SHA256: sha(3), Reported: t0},
		},
	}
}

// edit returns the sample changed by change.
func edit(change func(d *Dataset)) *Dataset {
	d := sample()
	change(d)
	return d
}

// mutationCase is one pure mutation of the sample dataset.
type mutationCase struct {
	name    string
	apply   func(d *Dataset) error
	want    *Dataset // nil: the sample, unchanged
	wantErr error    // matched with errors.Is
}

func runMutations(t *testing.T, tests []mutationCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sample()
			err := tt.apply(d)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			want := tt.want
			if want == nil {
				want = sample()
			}
			if diff := cmp.Diff(want, d, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dataset (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyMirrorMutations(t *testing.T) {
	gamma := Mirror{Name: "gamma", Country: "jp", Bandwidth: 5, URLs: []string{"https://gamma.example/pub/", "ftp://gamma.example/pub"},
		Netblocks: []string{"198.51.100.7", "2001:db8::/32"}}
	gammaNormal := Mirror{Name: "gamma", Country: "JP", Bandwidth: 5, URLs: []string{"https://gamma.example/pub", "ftp://gamma.example/pub"},
		Netblocks: []string{"198.51.100.7/32", "2001:db8::/32"}}
	refused := errors.New("refused")
	runMutations(t, []mutationCase{
		{name: "create adds the mirror in canonical form",
			apply: func(d *Dataset) error { return d.ApplyCreateMirror(gamma) },
			want:  edit(func(d *Dataset) { d.Mirrors = append(d.Mirrors, gammaNormal) })},
		{name: "create refuses a taken name",
			apply:   func(d *Dataset) error { return d.ApplyCreateMirror(Mirror{Name: "beta", Country: "US"}) },
			wantErr: ErrConflict},
		{name: "update replaces the mirror in canonical form",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateMirror("beta", func(m *Mirror) error {
					m.Bandwidth, m.Country, m.Enabled = 20, "it", false
					m.URLs = append(m.URLs, "rsync://beta.example/pub/")
					return nil
				})
				return err
			},
			want: edit(func(d *Dataset) {
				d.Mirrors[1].Bandwidth, d.Mirrors[1].Country, d.Mirrors[1].Enabled = 20, "IT", false
				d.Mirrors[1].URLs = []string{"http://beta.example/pub", "rsync://beta.example/pub"}
			})},
		{name: "update of an unknown mirror",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateMirror("gamma", func(*Mirror) error { return nil })
				return err
			},
			wantErr: ErrNotFound},
		{name: "update cannot rename",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateMirror("beta", func(m *Mirror) error { m.Name = "delta"; return nil })
				return err
			},
			wantErr: ErrInvalid},
		{name: "a failed update leaves the mirror untouched",
			apply: func(d *Dataset) error {
				_, err := d.ApplyUpdateMirror("beta", func(m *Mirror) error {
					m.URLs[0], m.Locations[0] = "http://changed.example", "changed"
					return refused
				})
				return err
			},
			wantErr: refused},
		{name: "delete removes the mirror and its freshness",
			apply: func(d *Dataset) error { return d.ApplyDeleteMirror("alpha") },
			want: edit(func(d *Dataset) {
				d.Mirrors = d.Mirrors[1:]
				d.Freshness = []Freshness{d.Freshness[1]}
			})},
		{name: "delete of an unknown mirror",
			apply:   func(d *Dataset) error { return d.ApplyDeleteMirror("gamma") },
			wantErr: ErrNotFound},
	})
}

func TestApplyUpdateMirrorReturnsTheStoredMirror(t *testing.T) {
	d := sample()
	got, err := d.ApplyUpdateMirror("alpha", func(m *Mirror) error { m.Country = "at"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d.Mirrors[0], got); diff != "" || got.Country != "AT" {
		t.Errorf("returned mirror differs from the stored one (-stored +returned):\n%s", diff)
	}
}

func TestApplyFreshnessMutations(t *testing.T) {
	forget := func(mirror, prefix string, want int) func(d *Dataset) error {
		return func(d *Dataset) error {
			n, err := d.ApplyForget(mirror, prefix)
			if err == nil && n != want {
				t.Errorf("ApplyForget(%q, %q) forgot %d, want %d", mirror, prefix, n, want)
			}
			return err
		}
	}
	runMutations(t, []mutationCase{
		{name: "report of the current repomd adds freshness",
			apply: func(d *Dataset) error {
				return d.ApplyReport(Freshness{Mirror: "beta", Directory: dir42, SHA256: sha(3), Reported: t1})
			},
			want: edit(func(d *Dataset) {
				d.Freshness = append(d.Freshness, Freshness{Mirror: "beta", Directory: dir42, SHA256: sha(3), Reported: t1})
			})},
		{name: "report of an alternate replaces the mirror's freshness",
			apply: func(d *Dataset) error {
				return d.ApplyReport(Freshness{Mirror: "alpha", Directory: dir41, SHA256: sha(1), Reported: t1})
			},
			want: edit(func(d *Dataset) { d.Freshness[0].SHA256, d.Freshness[0].Reported = sha(1), t1 })},
		{name: "report by an unknown mirror",
			apply: func(d *Dataset) error {
				return d.ApplyReport(Freshness{Mirror: "gamma", Directory: dir41, SHA256: sha(2)})
			},
			wantErr: ErrNotFound},
		{name: "report for an unknown directory",
			apply: func(d *Dataset) error {
				return d.ApplyReport(Freshness{Mirror: "alpha", Directory: "releases/43", SHA256: sha(2)})
			},
			wantErr: ErrNotFound},
		{name: "report of a repomd neither current nor alternate",
			apply: func(d *Dataset) error {
				return d.ApplyReport(Freshness{Mirror: "alpha", Directory: dir41, SHA256: sha(3)})
			},
			wantErr: ErrConflict},
		{name: "forget under a directory prefix",
			apply: forget("alpha", "/releases/41/", 1),
			want:  edit(func(d *Dataset) { d.Freshness = d.Freshness[1:] })},
		{name: "forget of a directory itself",
			apply: forget("beta", dir41, 1),
			want:  edit(func(d *Dataset) { d.Freshness = []Freshness{d.Freshness[0], d.Freshness[2]} })},
		{name: "forget with an empty prefix covers everything",
			apply: forget("alpha", "", 2),
			want:  edit(func(d *Dataset) { d.Freshness = []Freshness{d.Freshness[1]} })},
		{name: "forget matches whole path components",
			apply: forget("alpha", "releases/4", 0)},
		{name: "forget for an unknown mirror",
			apply:   forget("gamma", "", 0),
			wantErr: ErrNotFound},
	})
}

func TestApplyExpireAlternates(t *testing.T) {
	runMutations(t, []mutationCase{
		{name: "expiry drops the alternates and the freshness of them",
			apply: func(d *Dataset) error { return d.ApplyExpireAlternates(dir41) },
			want: edit(func(d *Dataset) {
				d.Directories[0].Alternates = nil
				d.Freshness = []Freshness{d.Freshness[0], d.Freshness[2]}
			})},
		{name: "expiry of a directory without alternates changes nothing",
			apply: func(d *Dataset) error { return d.ApplyExpireAlternates(dir42) }},
		{name: "expiry of an unknown directory",
			apply:   func(d *Dataset) error { return d.ApplyExpireAlternates("releases/43") },
			wantErr: ErrNotFound},
	})
}

func TestApplyScan(t *testing.T) {
	const maxAge = 4 * 24 * time.Hour
	const dir43 = "releases/43/Everything/x86_64/os"
	tests := []struct {
		name    string
		scanned []ScannedRepomd
		now     time.Time
		want    *Dataset
		sum     ScanSummary
	}{
		{name: "nothing scanned, nothing old enough to expire", now: t1, want: sample()},
		{name: "an unchanged directory",
			scanned: []ScannedRepomd{{Directory: dir42, Repomd: repomdN(3, time.Time{}), Repo: "fedora-42", Arch: "x86_64"}},
			now:     t1,
			want: edit(func(d *Dataset) {
				d.Repositories = append(d.Repositories, Repository{Prefix: "fedora-42", Arch: "x86_64", Directory: dir42})
			}),
			sum: ScanSummary{Unchanged: 1, Repositories: 1}},
		{name: "a new directory and its repository",
			scanned: []ScannedRepomd{{Directory: dir43, Repomd: repomdN(5, time.Time{}), Repo: "fedora-43", Arch: "x86_64"}},
			now:     t1,
			want: edit(func(d *Dataset) {
				d.Repositories = append(d.Repositories, Repository{Prefix: "fedora-43", Arch: "x86_64", Directory: dir43})
				d.Directories = append(d.Directories, Directory{Path: dir43, Current: repomdN(5, t1)})
			}),
			sum: ScanSummary{Changed: []string{dir43}, Repositories: 1}},
		{name: "a directory no rule maps adds no repository",
			scanned: []ScannedRepomd{{Directory: "misc/tree", Repomd: repomdN(5, time.Time{})}},
			now:     t1,
			want: edit(func(d *Dataset) {
				d.Directories = append(d.Directories, Directory{Path: "misc/tree", Current: repomdN(5, t1)})
			}),
			sum: ScanSummary{Changed: []string{"misc/tree"}}},
		{name: "a known repository is not added twice",
			scanned: []ScannedRepomd{{Directory: dir41, Repomd: repomdN(2, time.Time{}), Repo: "fedora-41", Arch: "x86_64"}},
			now:     t1,
			want:    sample(),
			sum:     ScanSummary{Unchanged: 1}},
		{name: "a new repomd makes the current one the newest alternate",
			scanned: []ScannedRepomd{{Directory: dir41, Repomd: repomdN(4, time.Time{})}},
			now:     t1,
			want: edit(func(d *Dataset) {
				d.Directories[0].Current = repomdN(4, t1)
				d.Directories[0].Alternates = []Repomd{superseded(repomdN(2, t0), t1), superseded(repomdN(1, t0.Add(-time.Hour)), t0)}
			}),
			sum: ScanSummary{Changed: []string{dir41}}},
		{name: "a rolled-back repomd stops being an alternate",
			scanned: []ScannedRepomd{{Directory: dir41, Repomd: repomdN(1, time.Time{})}},
			now:     t1,
			want: edit(func(d *Dataset) {
				d.Directories[0].Current = repomdN(1, t1)
				d.Directories[0].Alternates = []Repomd{superseded(repomdN(2, t0), t1)}
			}),
			sum: ScanSummary{Changed: []string{dir41}}},
		{name: "alternates older than the maximum age expire with their freshness",
			now: t0.Add(maxAge + time.Second),
			want: edit(func(d *Dataset) {
				d.Directories[0].Alternates = nil
				d.Freshness = []Freshness{d.Freshness[0], d.Freshness[2]}
			}),
			sum: ScanSummary{Expired: 1}},
		{name: "an alternate exactly at the maximum age stays",
			now:  t0.Add(maxAge),
			want: sample()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sample()
			sum := d.ApplyScan(tt.scanned, tt.now, maxAge)
			if diff := cmp.Diff(tt.want, d, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dataset (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sum, sum, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyImport(t *testing.T) {
	rule := ScanRule{Pattern: `^misc/(\w+)$`, Repo: "misc-$1", Arch: "noarch"}
	tests := []struct {
		name string
		decl *Dataset
		want *Dataset
	}{
		{name: "the declarative part is replaced; scanned state and remaining mirrors' freshness stay",
			decl: &Dataset{
				Mirrors:      []Mirror{{Name: "alpha", Country: "AT", Bandwidth: 1, URLs: []string{"https://alpha.example"}}},
				Locations:    []Location{{Name: "eu-west-1"}},
				Repositories: []Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dir41, Disabled: true}},
				Redirects:    []Redirect{{From: "fedora-45", To: "rawhide"}},
				ScanRules:    []ScanRule{rule},
			},
			want: edit(func(d *Dataset) {
				d.Mirrors = []Mirror{{Name: "alpha", Country: "AT", Bandwidth: 1, URLs: []string{"https://alpha.example"}}}
				d.Locations = []Location{{Name: "eu-west-1"}}
				// The scan rules still map directory 42; 41 is declared (disabled).
				d.Repositories = []Repository{
					{Prefix: "fedora-41", Arch: "x86_64", Directory: dir41, Disabled: true},
					{Prefix: "fedora-42", Arch: "x86_64", Directory: dir42},
				}
				d.Redirects = []Redirect{{From: "fedora-45", To: "rawhide"}}
				d.ScanRules = []ScanRule{rule}
				d.Freshness = []Freshness{d.Freshness[0], d.Freshness[2]}
			})},
		{name: "an empty declaration keeps only what the scan derives",
			decl: &Dataset{},
			want: edit(func(d *Dataset) {
				d.Mirrors, d.Locations, d.Freshness = nil, nil, nil
				d.Repositories = []Repository{
					{Prefix: "fedora-41", Arch: "x86_64", Directory: dir41},
					{Prefix: "fedora-42", Arch: "x86_64", Directory: dir42},
				}
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sample()
			d.ApplyImport(tt.decl)
			if diff := cmp.Diff(tt.want, d, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dataset (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyCloudRanges(t *testing.T) {
	d := sample()
	d.CloudRanges = []CloudRange{
		{Prefix: "3.80.0.0/12", Provider: "aws", Region: "us-east-1"},
		{Prefix: "34.0.0.0/15", Provider: "gcp", Region: "us-east1"},
	}
	d.CloudSources = []CloudSource{{Provider: "aws", SyncToken: "1"}, {Provider: "gcp", SyncToken: "g"}}
	d.ApplyCloudRanges(CloudSource{Provider: "aws", SyncToken: "2", Imported: t1},
		[]CloudRange{{Prefix: "52.0.0.0/15", Provider: "aws", Region: "eu-west-1"}})
	want := sample()
	want.CloudRanges = []CloudRange{
		{Prefix: "34.0.0.0/15", Provider: "gcp", Region: "us-east1"},
		{Prefix: "52.0.0.0/15", Provider: "aws", Region: "eu-west-1"},
	}
	want.CloudSources = []CloudSource{{Provider: "gcp", SyncToken: "g"}, {Provider: "aws", SyncToken: "2", Imported: t1}}
	if diff := cmp.Diff(want, d, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("dataset (-want +got):\n%s", diff)
	}
}
