package metalink

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	dirF41   = "releases/41/Everything/x86_64/os"
	sha      = "5dd997638d92afd5a79e17d23fea2d92b5d22625609e3920827dd7410245bc56"
	oldSHA   = "1111111111111111111111111111111111111111111111111111111111111111"
	staleSHA = "2222222222222222222222222222222222222222222222222222222222222222"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func hex(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// fixture is a small mirror network exercising every selection step.
func fixture() *store.Dataset {
	m := func(name, cc string, bw int, urls ...string) store.Mirror {
		return store.Mirror{Name: name, Country: cc, Bandwidth: bw, Enabled: true, AlwaysUpToDate: true, URLs: urls}
	}
	de1 := m("de1", "DE", 1000, "https://de1.example/pub", "http://de1.example/pub", "rsync://de1.example/pub")
	de2 := m("de2", "DE", 100, "http://de2.example/pub")
	fr := m("fr", "FR", 500, "https://fr.example/fedora")
	us := m("us", "US", 1000, "https://us.example/fedora", "ftp://us.example/fedora")
	jp := m("jp", "JP", 1000, "https://jp.example/fedora")
	stale := m("stale", "DE", 10000, "https://stale.example/fedora")
	stale.AlwaysUpToDate = false
	alt := m("alt", "DE", 10, "https://alt.example/fedora")
	alt.AlwaysUpToDate = false
	off := m("off", "DE", 10000, "https://off.example/fedora")
	off.Enabled = false
	campus := m("campus", "DE", 10, "http://campus.example/fedora")
	campus.Private = true
	campus.Netblocks = []string{"198.51.100.0/24"}
	wide := m("wide", "NL", 10, "https://wide.example/fedora")
	wide.Netblocks = []string{"198.51.0.0/16"}
	isp := m("isp", "GB", 10, "https://isp.example/fedora")
	isp.ASN = 64500
	s3 := m("s3-us-east-1", "US", 100000, "https://bucket.s3.us-east-1.amazonaws.com/pub")
	s3.Region, s3.Bucket, s3.Locations = "us-east-1", "bucket-us-east-1", []string{"us-east-1"}
	s3.AlwaysUpToDate = false
	return &store.Dataset{
		Locations: []store.Location{{Name: "us-east-1"}, {Name: "eu-west-1"}},
		Mirrors:   []store.Mirror{de1, de2, fr, us, jp, stale, alt, off, campus, wide, isp, s3},
		Repositories: []store.Repository{
			{Prefix: "fedora-41", Arch: "x86_64", Directory: dirF41},
			{Prefix: "fedora-source-41", Arch: "source", Directory: "releases/41/Everything/source/tree"},
			{Prefix: "fedora-off", Arch: "x86_64", Directory: dirF41, Disabled: true},
			{Prefix: "unscanned", Arch: "x86_64", Directory: "releases/99/Everything/x86_64/os"},
		},
		Redirects: []store.Redirect{{From: "fedora-rawhide", To: "fedora-41"}},
		Directories: []store.Directory{{
			Path: dirF41,
			Current: store.Repomd{Size: 3069, Timestamp: 1795604653, MD5: hex('a', 32), SHA1: hex('b', 40),
				SHA256: sha, SHA512: hex('c', 128)},
			Alternates: []store.Repomd{{Size: 3000, Timestamp: 1795600000, MD5: hex('d', 32), SHA1: hex('e', 40),
				SHA256: oldSHA, SHA512: hex('f', 128)}},
		}, {
			Path:    "releases/41/Everything/source/tree",
			Current: store.Repomd{Size: 10, Timestamp: 1, SHA256: hex('9', 64)},
		}},
		CloudRanges: []store.CloudRange{
			{Prefix: "203.0.113.0/25", Provider: "aws", Region: "us-east-1"},
			{Prefix: "203.0.113.128/25", Provider: "aws", Region: "eu-west-1"},
			{Prefix: "2001:db8:1::/48", Provider: "aws", Region: "us-east-1"},
		},
		Freshness: []store.Freshness{
			{Mirror: "stale", Directory: dirF41, SHA256: staleSHA},
			{Mirror: "alt", Directory: dirF41, SHA256: oldSHA},
			{Mirror: "s3-us-east-1", Directory: dirF41, SHA256: sha},
		},
	}
}

// fixtureSnapshot builds the fixture's snapshot, failing the test when the
// fixture itself is invalid.
func fixtureSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	d := fixture()
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return NewSnapshot(d, testNow)
}

func seeded() Rand { return rand.New(rand.NewPCG(1, 2)) }

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
