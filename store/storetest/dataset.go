package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func testLoadEmpty(t *testing.T, s store.Store) {
	checkData(t, s, &store.Dataset{})
}

func testRestoreRoundTrip(t *testing.T, s store.Store) {
	in := fullDataset()
	must(t, "Restore", s.Restore(ctx(t), in))
	checkData(t, s, fullDataset())
	if diff := cmp.Diff(fullDataset(), in, datasetOpts); diff != "" {
		t.Errorf("Restore modified its argument (-want +got):\n%s", diff)
	}
	// The store keeps no reference to the caller's data.
	in.Mirrors[0].URLs[0] = "https://changed.example/"
	in.Directories[1].Alternates[0].SHA256 = hexDigest("changed", 64)
	checkData(t, s, fullDataset())
}

func testRestoreReplacesEverything(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	small := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("other.example.org")},
		Directories: []store.Directory{{Path: "pub/other", Current: repomd("other", at(0))}},
		Freshness: []store.Freshness{{Mirror: "other.example.org", Directory: "pub/other",
			SHA256: hexDigest("sha256 other", 64), Reported: at(time.Second)}},
	}
	must(t, "Restore", s.Restore(ctx(t), small))
	checkData(t, s, small)
	must(t, "Restore", s.Restore(ctx(t), &store.Dataset{}))
	checkData(t, s, &store.Dataset{})
}

func testRestoreInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	tests := []struct {
		name   string
		change func(d *store.Dataset)
	}{
		{"freshness of an unknown mirror", func(d *store.Dataset) { d.Freshness[0].Mirror = "nobody.example.org" }},
		{"freshness of an unknown directory", func(d *store.Dataset) { d.Freshness[0].Directory = "pub/nowhere" }},
		{"last freshness row with an upper-case sha256", func(d *store.Dataset) {
			f := &d.Freshness[len(d.Freshness)-1]
			f.SHA256 = "ABCDEF" + f.SHA256[6:]
		}},
		{"freshness listed twice", func(d *store.Dataset) {
			dup := d.Freshness[0]
			dup.SHA256 = d.Freshness[len(d.Freshness)-1].SHA256
			d.Freshness = append(d.Freshness, dup)
		}},
		{"mirror in an unknown location", func(d *store.Dataset) { d.Locations = d.Locations[1:] }},
		{"duplicate mirror", func(d *store.Dataset) { d.Mirrors[1].Name = d.Mirrors[0].Name }},
		{"duplicate directory", func(d *store.Dataset) { d.Directories[1].Path = d.Directories[0].Path }},
		{"alternate with an upper-case sha256", func(d *store.Dataset) {
			d.Directories[1].Alternates[0].SHA256 = "ABCDEF" + d.Directories[1].Alternates[0].SHA256[6:]
		}},
		{"current without sha256", func(d *store.Dataset) { d.Directories[0].Current.SHA256 = "" }},
		{"directory with a leading slash", func(d *store.Dataset) { d.Directories[0].Path = "/" + dirOS }},
		{"cloud range that is not a netblock", func(d *store.Dataset) { d.CloudRanges[0].Prefix = "3.80.0.0/33" }},
		{"cloud range without region", func(d *store.Dataset) { d.CloudRanges[0].Region = "" }},
		{"location with a bad cloud region", func(d *store.Dataset) { d.Locations[1].CloudRegions = []string{"US East"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fullDataset()
			tt.change(d)
			rejected(t, s, store.ErrInvalid, func() error { return s.Restore(ctx(t), d) })
		})
	}
}

func testLoadReturnsACopy(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	d := load(t, s)
	d.Mirrors[1].URLs[0] = "https://changed.example/"
	d.Mirrors = d.Mirrors[:1]
	d.Directories[1].Alternates = nil
	checkData(t, s, fullDataset())
}

// Import replaces what the mirrors file declares and keeps what the scan
// and the mirrors reported, except the freshness of mirrors it removes.
func testImportKeepsScannedState(t *testing.T, s store.Store) {
	full := fullDataset()
	must(t, "Restore", s.Restore(ctx(t), full))

	decl := declarative(fullDataset())
	decl.Mirrors = decl.Mirrors[2:] // drops mirror.example.org, which has freshness
	decl.Mirrors[1].Bandwidth = 20000
	decl.Mirrors = append(decl.Mirrors, mirror("zz.example.org"))
	decl.Locations = append(decl.Locations, store.Location{Name: "zz-new-1"})
	decl.Repositories = decl.Repositories[1:]
	decl.Redirects = nil
	decl.ScanRules = decl.ScanRules[1:]
	// Import ignores directories and freshness.
	decl.Directories = []store.Directory{{Path: "pub/ignored", Current: repomd("ignored", at(0))}}
	decl.Freshness = []store.Freshness{{Mirror: "zz.example.org", Directory: "pub/ignored",
		SHA256: hexDigest("sha256 ignored", 64), Reported: at(0)}}
	must(t, "Import", s.Import(ctx(t), decl))

	// Cloud ranges come from the providers, not the mirrors file: kept too.
	want := withScanned(decl, full)
	want.Freshness = full.Freshness[1:]
	checkData(t, s, want)
}

func testImportInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	tests := []struct {
		name   string
		change func(d *store.Dataset)
	}{
		{"mirror in an unknown location", func(d *store.Dataset) { d.Locations = d.Locations[:1] }},
		{"duplicate mirror", func(d *store.Dataset) { d.Mirrors[1].Name = d.Mirrors[0].Name }},
		{"unknown country", func(d *store.Dataset) { d.Mirrors[0].Country = "XX" }},
		{"zero bandwidth", func(d *store.Dataset) { d.Mirrors[0].Bandwidth = 0 }},
		{"duplicate location", func(d *store.Dataset) { d.Locations[0].Name = d.Locations[1].Name }},
		{"duplicate repository", func(d *store.Dataset) { d.Repositories[0].Arch = d.Repositories[1].Arch }},
		{"redirect to itself", func(d *store.Dataset) { d.Redirects[0].To = d.Redirects[0].From }},
		{"scan rule that does not compile", func(d *store.Dataset) { d.ScanRules[0].Pattern = "^pub/(" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := declarative(fullDataset())
			tt.change(d)
			rejected(t, s, store.ErrInvalid, func() error { return s.Import(ctx(t), d) })
		})
	}
}
