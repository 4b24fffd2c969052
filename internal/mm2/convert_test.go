package mm2

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
	"github.com/metalinkd/metalinkd/store"
)

func mirrorByName(d *store.Dataset, name string) *store.Mirror {
	for i := range d.Mirrors {
		if d.Mirrors[i].Name == name {
			return &d.Mirrors[i]
		}
	}
	return nil
}

// TestConvertHosts checks each host of the fixture against what
// MirrorManager2 makes of it.
func TestConvertHosts(t *testing.T) {
	r := convertFixture(t, newFixture(t))
	d := r.Dataset
	if r.Root != "pub" || !slices.Equal(r.Trees, []string{"fedora/linux", "epel"}) {
		t.Errorf("root %q, trees %q; want pub and [fedora/linux epel]", r.Root, r.Trees)
	}
	if len(d.Mirrors) != 48 {
		t.Errorf("%d mirrors, want 48 (50 hosts, one without URLs, one of an unknown country)", len(d.Mirrors))
	}
	cases := []struct {
		name string
		want store.Mirror
	}{
		{"mm2-mirror5.de.example.org", store.Mirror{Country: "DE", Bandwidth: 500, Enabled: true, URLs: []string{
			"https://mirror5.de.example.org", "http://mirror5.de.example.org", "rsync://mirror5.de.example.org",
			"https://mirror5.de.example.org/mirror2"}}},
		{"mm2-private.corp.example.com", store.Mirror{Country: "US", Bandwidth: 1000, Enabled: true, Private: true,
			URLs: []string{"https://private.corp.example.com"}, Netblocks: []string{"198.51.100.0/24"}}},
		{"mm2-campus.example.edu", store.Mirror{Country: "DE", Bandwidth: 1000, Enabled: true, Private: true,
			URLs: []string{"https://campus.example.edu"}, Netblocks: []string{"203.0.113.0/25"}}},
		{"mm2-banned.example.net", store.Mirror{Country: "FR", Bandwidth: 100, URLs: []string{"https://banned.example.net"}}},
		{"mm2-retired.example.net", store.Mirror{Country: "GB", Bandwidth: 100, URLs: []string{"https://retired.example.net"}}},
		{"mm2-off-admin.example.net", store.Mirror{Country: "US", Bandwidth: 100, URLs: []string{"https://off-admin.example.net"}}},
		{"mm2-off-user.example.net", store.Mirror{Country: "US", Bandwidth: 100, URLs: []string{"https://off-user.example.net"}}},
		{"mm2-isp.example.net", store.Mirror{Country: "DE", Bandwidth: 2000, Enabled: true, ASN: 64500,
			URLs: []string{"https://isp.example.net"}, Netblocks: []string{"192.0.2.128/25"}}},
		{"mm2-cn-only.example.cn", store.Mirror{Country: "CN", Bandwidth: 500, Enabled: true,
			URLs: []string{"https://cn-only.example.cn"}, CountriesAllowed: []string{"CN"}}},
		{"mm2-nopeer.example.net", store.Mirror{Country: "NL", Bandwidth: 300, Enabled: true, URLs: []string{"https://nopeer.example.net"}}},
		{"mm2-mixed.example.org", store.Mirror{Country: "JP", Bandwidth: 400, Enabled: true, URLs: []string{"https://mixed.example.org"}}},
		{"mm2-dnsblock.example.org", store.Mirror{Country: "US", Bandwidth: 400, Enabled: true,
			URLs: []string{"https://dnsblock.example.org"}, Netblocks: []string{"192.0.2.0/26"}}},
		{"mm2-aws-use1.example.com", store.Mirror{Country: "US", Bandwidth: 100000, Enabled: true, Private: true,
			URLs: []string{"https://aws-use1.example.com"}, Netblocks: []string{"100.24.0.0/13"}, Locations: []string{"us-east-1"}}},
		{"mm2-nobw.example.org", store.Mirror{Country: "BR", Bandwidth: 100, Enabled: true, URLs: []string{"https://nobw.example.org"}}},
		{"mm2-mirror1.us.example.org-47", store.Mirror{Country: "US", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://mirror1.us.example.org/site2"}}},
		{"mm2-epel-only.example.org", store.Mirror{Country: "FR", Bandwidth: 700, Enabled: true,
			URLs: []string{"https://epel-only.example.org", "http://epel-only.example.org"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mirrorByName(d, c.name)
			if m == nil {
				t.Fatalf("no mirror %s", c.name)
			}
			c.want.Name = c.name
			if diff := cmp.Diff(c.want, *m); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	wantHealth := []store.MirrorHealth{{Mirror: "mm2-off-user.example.net", LastCrawl: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		ConsecutiveFailures: 4, Disabled: true, Reason: "crawl failed 4 times"}}
	if diff := cmp.Diff(wantHealth, d.Health); diff != "" {
		t.Errorf("health (-want +got)\n%s", diff)
	}
	for _, absent := range []string{"mm2-nourls.example.org", "mm2-nowhere.example.org"} {
		if mirrorByName(d, absent) != nil {
			t.Errorf("%s was converted; it cannot be a mirror", absent)
		}
	}
}

// TestConvertRepositories checks repositories, redirects, locations and
// the repomd versions with MirrorManager's ageing.
func TestConvertRepositories(t *testing.T) {
	d := convertFixture(t, newFixture(t)).Dataset
	wantRepos := []store.Repository{
		{Prefix: "epel-9", Arch: "x86_64", Directory: "epel/9/Everything/x86_64"},
		{Prefix: "fedora-39", Arch: "x86_64", Directory: "fedora/linux/releases/39/Everything/x86_64/os", Disabled: true},
		{Prefix: "fedora-41", Arch: "aarch64", Directory: "fedora/linux/releases/41/Everything/aarch64/os"},
		{Prefix: "fedora-41", Arch: "x86_64", Directory: "fedora/linux/releases/41/Everything/x86_64/os"},
		{Prefix: "rawhide", Arch: "x86_64", Directory: "fedora/linux/development/rawhide/Everything/x86_64/os"},
		{Prefix: "updates-released-f41", Arch: "x86_64", Directory: "fedora/linux/updates/41/Everything/x86_64"},
	}
	if diff := cmp.Diff(wantRepos, d.Repositories); diff != "" {
		t.Errorf("repositories (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]store.Redirect{{From: "fedora-42", To: "rawhide"}}, d.Redirects); diff != "" {
		t.Errorf("redirects (-want +got)\n%s", diff)
	}
	const iso = "fedora/linux/releases/41/Everything/x86_64/iso"
	wantFiles := []store.TreeFile{
		{Path: iso + "/Fedora-Everything-41-x86_64-CHECKSUM", Size: 1234, MTime: 1795000000,
			SHA256: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
		{Path: iso + "/Fedora-Everything-netinst-x86_64-41-1.4.iso", Size: 805306368, MTime: 1795000000,
			SHA256: "9a7c5e3b1d0f2e4c6a8b0d2f4e6c8a0b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c"},
	}
	if diff := cmp.Diff(wantFiles, d.Files); diff != "" {
		t.Errorf("files (-want +got)\n%s", diff)
	}
	if len(d.TreeDirectories) != 14 || !slices.Contains(d.TreeDirectories, iso) || !slices.Contains(d.TreeDirectories, "epel") {
		t.Errorf("tree directories %q: want the 14 of both categories below the root, their top directories included", d.TreeDirectories)
	}
	if diff := cmp.Diff([]store.NetblockCountry{{Netblock: "10.0.0.0/8", Country: "US"}, {Netblock: "192.0.2.0/24", Country: "DE"}},
		d.NetblockCountries); diff != "" {
		t.Errorf("netblock countries (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]store.CountryContinent{{Country: "GL", Continent: "NA"}, {Country: "IL", Continent: "EU"}},
		d.CountryContinents); diff != "" {
		t.Errorf("country continents (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]store.Location{{Name: "us-east-1", Description: "from MirrorManager"}}, d.Locations); diff != "" {
		t.Errorf("locations (-want +got)\n%s", diff)
	}
	// As of 1796000000: updates' newest is an hour old, so the previous
	// (a day old) stays and the third (5 days) is aged out; rawhide's newest
	// is 3 days old, so its previous (older than max_stale) goes; EPEL's
	// previous is 2.3 days old behind a 2-hour-old newest, and stays.
	want := map[string][]int64{
		"epel/9/Everything/x86_64":                              {1795992800, 1795800000},
		"fedora/linux/development/rawhide/Everything/x86_64/os": {1795740800},
		"fedora/linux/releases/41/Everything/aarch64/os":        {1795996400},
		"fedora/linux/releases/41/Everything/x86_64/os":         {1795996400},
		"fedora/linux/updates/41/Everything/x86_64":             {1795996400, 1795913600},
	}
	got := map[string][]int64{}
	for _, dir := range d.Directories {
		ts := []int64{dir.Current.Timestamp}
		for i, a := range dir.Alternates {
			ts = append(ts, a.Timestamp)
			newer := dir.Current
			if i > 0 {
				newer = dir.Alternates[i-1]
			}
			if !a.Superseded.Equal(newer.Recorded) {
				t.Errorf("%s: alternate %d superseded %v, want its successor's time %v", dir.Path, a.Timestamp, a.Superseded, newer.Recorded)
			}
		}
		got[dir.Path] = ts
		if len(dir.Current.SHA256) != 64 || len(dir.Current.SHA512) != 128 || len(dir.Current.MD5) != 32 {
			t.Errorf("%s: hashes not carried over: %+v", dir.Path, dir.Current)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repomd timestamps, current then alternates (-want +got)\n%s", diff)
	}
}

// TestConvertFreshness checks which directories each mirror is fresh for.
func TestConvertFreshness(t *testing.T) {
	d := convertFixture(t, newFixture(t)).Dataset
	fresh := map[string][]string{}
	for _, f := range d.Freshness {
		fresh[f.Mirror] = append(fresh[f.Mirror], f.Directory)
	}
	const (
		epel    = "epel/9/Everything/x86_64"
		rawhide = "fedora/linux/development/rawhide/Everything/x86_64/os"
		arm     = "fedora/linux/releases/41/Everything/aarch64/os"
		f41     = "fedora/linux/releases/41/Everything/x86_64/os"
		updates = "fedora/linux/updates/41/Everything/x86_64"
	)
	cases := map[string][]string{
		"mm2-mirror1.us.example.org":  {rawhide, arm, f41, updates},       // Fedora only
		"mm2-mirror8.nl.example.org":  {epel, rawhide, arm, f41, updates}, // both categories
		"mm2-mirror7.gb.example.org":  {rawhide, arm, f41},                // behind on updates
		"mm2-mirror14.in.example.org": {epel, rawhide, arm, f41},          // behind on updates
		"mm2-always.example.org":      {rawhide, arm, f41, updates},       // always_up2date, no rows
		"mm2-odd.example.org":         {rawhide, arm, f41, updates},       // its EPEL URL is unmappable
		"mm2-epel-only.example.org":   {epel},
		"mm2-nourls.example.org":      nil,
	}
	for m, want := range cases {
		if diff := cmp.Diff(want, fresh[m]); diff != "" {
			t.Errorf("%s (-want +got)\n%s", m, diff)
		}
	}
	cur := map[string]string{}
	for _, f := range d.Freshness {
		if f.Source != store.SourceCrawl {
			t.Fatalf("%s %s: source %q, want MirrorManager's crawl", f.Mirror, f.Directory, f.Source)
		}
	}
	for _, dir := range d.Directories {
		cur[dir.Path] = dir.Current.SHA256
	}
	for _, f := range d.Freshness {
		if f.SHA256 != cur[f.Directory] {
			t.Errorf("%s %s: sha256 %s, want the current repomd's", f.Mirror, f.Directory, f.SHA256)
		}
	}
}

// TestConvertUnmapped checks that every row the dataset cannot hold is
// listed with the row it came from.
func TestConvertUnmapped(t *testing.T) {
	r := convertFixture(t, newFixture(t))
	want := []string{
		"directory_exclusive_host: directory_exclusive_host pub/fedora/linux/development/rawhide/Everything/x86_64/os host 3",
		"embargoed_country: embargoed_country KP",
		"file_detail: file_detail 10 pub/fedora/linux/releases/41/Everything/x86_64/iso/Fedora-Everything-41-x86_64-CHECKSUM",
		"host: host 39 nopeer.example.net",
		"host: host 40 i2.example.edu",
		"host: host 40 i2.example.edu",
		"host: host 44 nourls.example.org",
		"host: host 49 nowhere.example.org",
		"host_category_url: host 41 mixed.example.org url 163 https://internal.mixed.example.org/fedora/linux",
		"host_category_url: host 42 odd.example.org url 164 https://odd.example.org/pub/epel-mirror",
		"host_location: host 46 always.example.org",
		"host_netblock: host 43 dnsblock.example.org netblock 4",
		"host_peer_asn: host 38 isp.example.net",
		"location: location 2 Bad Location",
		"repository: repository 7 Fedora 41 iso",
		"repository_redirect: repository_redirect epel-10",
	}
	var got []string
	for _, u := range r.Unmapped {
		if u.Reason == "" {
			t.Errorf("%s %s: no reason", u.Table, u.Row)
		}
		got = append(got, u.Table+": "+u.Row)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unmapped rows (-want +got)\n%s", diff)
	}
	for _, u := range r.Unmapped {
		if u.Row == "host 49 nowhere.example.org" && !strings.Contains(u.Reason, `"XX"`) {
			t.Errorf("reason %q does not name the bad country", u.Reason)
		}
	}
}

// TestConvertOneCategory: Fedora Linux alone makes its top directory the
// root, and the mirrors' URLs are the category's URLs as they are.
func TestConvertOneCategory(t *testing.T) {
	url := newFixture(t)
	src, err := Read(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	r := Convert(src, Options{Now: mm2test.Now, Categories: []string{"Fedora Linux"}, Prefix: "fl-"})
	if r.Root != "pub/fedora/linux" || !slices.Equal(r.Trees, []string{""}) {
		t.Errorf("root %q, trees %q; want pub/fedora/linux and one tree, the whole", r.Root, r.Trees)
	}
	m := mirrorByName(r.Dataset, "fl-mirror2.us.example.org")
	if m == nil || !slices.Equal(m.URLs, []string{"https://mirror2.us.example.org/fedora/linux",
		"http://mirror2.us.example.org/fedora/linux", "rsync://mirror2.us.example.org/fedora/linux"}) {
		t.Errorf("mirror2: %+v", m)
	}
	if mirrorByName(r.Dataset, "fl-epel-only.example.org") != nil {
		t.Error("a host of EPEL alone was converted while only Fedora Linux was asked for")
	}
	for _, repo := range r.Dataset.Repositories {
		if strings.HasPrefix(repo.Prefix, "epel") || strings.HasPrefix(repo.Directory, "fedora/") {
			t.Errorf("repository %+v: outside Fedora Linux, or not relative to its top directory", repo)
		}
	}
}
