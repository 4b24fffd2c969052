package mm2

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// ourOwn is what the store holds before the first import: a regional
// bucket with its location and a report in a MirrorManager tree, a mirror
// created by our admins, a tree of our own with its repository and
// freshness, cloud ranges, and a mirror of an earlier import that
// MirrorManager2 no longer has.
func ourOwn() *store.Dataset {
	repomd := func(seed string) store.Repomd {
		return store.Repomd{Size: 10, Timestamp: 1795000000, MD5: hex(seed, 32), SHA1: hex(seed, 40),
			SHA256: hex(seed, 64), SHA512: hex(seed, 128), Recorded: time.Unix(1795000000, 0).UTC()}
	}
	return &store.Dataset{
		Locations: []store.Location{{Name: "us-east-1", Description: "AWS US East", CloudRegions: []string{"us-east-1"}}},
		Mirrors: []store.Mirror{
			{Name: "s3-us-east-1", Country: "US", Bandwidth: 100000, Enabled: true, Region: "us-east-1",
				Bucket: "fedora-us-east-1", Locations: []string{"us-east-1"}, URLs: []string{"https://fedora-us-east-1.s3.amazonaws.com/pub"}},
			{Name: "admin-mirror", Country: "DE", Bandwidth: 50, Enabled: true, URLs: []string{"https://admin.example.de/pub"}},
			{Name: "mm2-gone.example.org", Country: "US", Bandwidth: 10, Enabled: true, URLs: []string{"https://gone.example.org/pub"}},
		},
		Repositories: []store.Repository{{Prefix: "other-1", Arch: "x86_64", Directory: "other/1/x86_64"}},
		Directories:  []store.Directory{{Path: "other/1/x86_64", Current: repomd("other")}},
		Freshness: []store.Freshness{
			{Mirror: "s3-us-east-1", Directory: "other/1/x86_64", SHA256: hex("other", 64), Reported: time.Unix(1795000100, 0).UTC()},
			{Mirror: "mm2-gone.example.org", Directory: "other/1/x86_64", SHA256: hex("other", 64), Reported: time.Unix(1795000100, 0).UTC()},
		},
		NetblockCountries: []store.NetblockCountry{{Netblock: "203.0.113.128/25", Country: "FR"}, {Netblock: "10.0.0.0/8", Country: "CA"}},
		CloudRanges:       []store.CloudRange{{Prefix: "100.24.0.0/13", Provider: "aws", Region: "us-east-1"}},
		CloudSources:      []store.CloudSource{{Provider: "aws", SyncToken: "1", Imported: time.Unix(1795000000, 0).UTC()}},
	}
}

func hex(seed string, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[(int(seed[i%len(seed)])+i)%16]
	}
	return string(b)
}

// importInto merges a conversion of url into the store and writes it as
// the command does, and returns what it changed.
func importInto(t *testing.T, st store.Store, url string) store.Diff {
	t.Helper()
	stored, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stored.Normalize()
	merged := Merge(stored, convertFixture(t, url), "")
	if err := merged.Validate(); err != nil {
		t.Fatalf("merged dataset: %v", err)
	}
	diff := store.DiffAll(stored, merged)
	if !diff.Empty() {
		if err := st.Restore(t.Context(), merged); err != nil {
			t.Fatal(err)
		}
	}
	return diff
}

func kind(d store.Diff, name string) store.KindDiff {
	for _, k := range d {
		if k.Kind == name {
			return k
		}
	}
	return store.KindDiff{}
}

// TestReimport imports the fixture, imports it again unchanged, then
// changes MirrorManager2's database and imports it once more: each import
// changes what MirrorManager2 changed, and our own additions stay.
func TestReimport(t *testing.T) {
	url := newFixture(t)
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Restore(t.Context(), ourOwn()); err != nil {
		t.Fatal(err)
	}

	first := importInto(t, st, url)
	if k := kind(first, "mirror"); len(k.Added) != 48 || !slices.Equal(k.Removed, []string{"mm2-gone.example.org"}) || len(k.Changed) != 0 {
		t.Errorf("first import: mirrors +%d -%v ~%v; want +48 and the earlier import's mirror removed", len(k.Added), k.Removed, k.Changed)
	}
	if again := importInto(t, st, url); !again.Empty() {
		t.Errorf("an unchanged database changed the store: %+v", again)
	}

	mm2test.Exec(t, url, `
		UPDATE host SET bandwidth_int = 12345 WHERE id = 2;
		DELETE FROM host_category_dir WHERE host_category_id IN (SELECT id FROM host_category WHERE host_id = 3);
		DELETE FROM host_category_url WHERE host_category_id IN (SELECT id FROM host_category WHERE host_id = 3);
		DELETE FROM host_category WHERE host_id = 3;
		DELETE FROM directory_exclusive_host WHERE host_id = 3;
		DELETE FROM host WHERE id = 3;
		INSERT INTO host (id, name, site_id, country, bandwidth_int) VALUES (51, 'new.example.org', 35, 'AT', 900);
		INSERT INTO host_category (host_id, category_id) VALUES (51, 1);
		INSERT INTO host_category_url (host_category_id, url)
			SELECT id, 'https://new.example.org/fedora/linux' FROM host_category WHERE host_id = 51;
		INSERT INTO host_category_dir (host_category_id, path, up2date, directory_id)
			SELECT hc.id, 'releases/41/Everything/x86_64/os/repodata', true, 11 FROM host_category hc WHERE host_id = 51;
		UPDATE host_category_dir SET up2date = false WHERE directory_id = 15
			AND host_category_id = (SELECT id FROM host_category WHERE host_id = 8 AND category_id = 1);
		INSERT INTO repository_redirect (from_repo, to_repo) VALUES ('fedora-43', 'rawhide');`)
	third := importInto(t, st, url)
	want := map[string][3]any{ // added, removed, changed keys
		"mirror":     {[]string{"mm2-new.example.org"}, []string{"mm2-mirror3.us.example.org"}, []store.EntryChange{{Key: "mm2-mirror2.us.example.org", Fields: []string{"bandwidth"}}}},
		"redirect":   {[]string{"fedora-43"}, []string(nil), []store.EntryChange(nil)},
		"location":   {[]string(nil), []string(nil), []store.EntryChange(nil)},
		"repository": {[]string(nil), []string(nil), []store.EntryChange(nil)},
		"directory":  {[]string(nil), []string(nil), []store.EntryChange(nil)},
	}
	for name, w := range want {
		k := kind(third, name)
		got := [3]any{k.Added, k.Removed, k.Changed}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", name, diff)
		}
	}
	f := kind(third, "freshness")
	if len(f.Added) != 1 || len(f.Removed) != 5 {
		t.Errorf("freshness +%v -%v; want the new mirror's one row, mirror3's four and mirror8's updates removed", f.Added, f.Removed)
	}

	after, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	own := ourOwn()
	for _, name := range []string{"s3-us-east-1", "admin-mirror"} {
		if mirrorByName(after, name) == nil {
			t.Errorf("our mirror %s was removed", name)
		}
	}
	if after.Locations[0].Description != own.Locations[0].Description {
		t.Errorf("our location's description became %q", after.Locations[0].Description)
	}
	if len(after.CloudRanges) != 1 || !slices.ContainsFunc(after.Repositories, func(r store.Repository) bool { return r.Prefix == "other-1" }) {
		t.Errorf("cloud ranges %v or our repository other-1 lost", after.CloudRanges)
	}
	wantNC := []store.NetblockCountry{{Netblock: "10.0.0.0/8", Country: "US"}, {Netblock: "192.0.2.0/24", Country: "DE"},
		{Netblock: "203.0.113.128/25", Country: "FR"}}
	if diff := cmp.Diff(wantNC, after.NetblockCountries); diff != "" {
		t.Errorf("netblock countries: ours kept, MirrorManager's added or replacing ours (-want +got)\n%s", diff)
	}
	if !slices.ContainsFunc(after.Freshness, func(f store.Freshness) bool { return f.Mirror == "s3-us-east-1" }) {
		t.Error("the regional bucket's report was dropped")
	}
}
