package storetest

import (
	"crypto/sha512"
	"encoding/hex"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Directories of the fixture master tree.
const (
	dirOS      = "pub/fedora/linux/releases/43/Everything/x86_64/os"
	dirUpdates = "pub/fedora/linux/updates/43/Everything/x86_64"
)

// hexDigest returns n lower-case hex digits derived from seed.
func hexDigest(seed string, n int) string {
	sum := sha512.Sum512([]byte(seed))
	h := hex.EncodeToString(sum[:])
	for len(h) < n {
		h += h
	}
	return h[:n]
}

// repomd returns a repomd version named by seed, with all four hashes.
func repomd(seed string, recorded time.Time) store.Repomd {
	return store.Repomd{
		Size:      int64(len(seed)) * 1000,
		Timestamp: recorded.Unix() - 600,
		MD5:       hexDigest("md5 "+seed, 32),
		SHA1:      hexDigest("sha1 "+seed, 40),
		SHA256:    hexDigest("sha256 "+seed, 64),
		SHA512:    hexDigest("sha512 "+seed, 128),
		Recorded:  recorded,
	}
}

// superseded returns r as an alternate superseded at t.
func superseded(r store.Repomd, t time.Time) store.Repomd {
	r.Superseded = t
	return r
}

// scanned returns what a scan at `recorded` finds in dir.
func scanned(dir, seed string, recorded time.Time) store.ScannedRepomd {
	r := repomd(seed, recorded)
	r.Recorded = time.Time{}
	return store.ScannedRepomd{Directory: dir, Repomd: r}
}

// fullDataset sets every field of the model at least once, in canonical
// form and order, so that what Load returns can be compared with it as is.
func fullDataset() *store.Dataset {
	return &store.Dataset{
		Mirrors: []store.Mirror{
			{
				Name: "disabled.example.com", Country: "FR", Bandwidth: 1, Enabled: false,
				URLs: []string{"ftp://disabled.example.com/fedora"},
				// Kept in the order given, not sorted.
				Locations: []string{"us-east-1", "eu-west-1"},
			},
			{
				Name: "mirror.example.org", Country: "DE", Bandwidth: 1000, Enabled: true,
				URLs: []string{
					"https://mirror.example.org/pub/fedora/linux",
					"http://mirror.example.org/pub/fedora/linux",
					"rsync://mirror.example.org/fedora-linux",
				},
				Netblocks: []string{"192.0.2.0/24", "2001:db8::/32"},
				ASN:       64500,
				// Kept in the order given, not sorted.
				CountriesAllowed: []string{"DE", "AT"},
				IPv6:             store.Bool(false),
			},
			{
				Name: "private.example.net", Country: "US", Bandwidth: 50, Enabled: true, Private: true,
				URLs:      []string{"https://private.example.net/fedora"},
				Netblocks: []string{"198.51.100.0/24", "203.0.113.7/32"},
				ASN:       4294967295,
				IPv4:      store.Bool(false),
			},
			{
				Name: "s3-us-east-1", Country: "US", Bandwidth: 10000, Enabled: true, Private: true,
				AlwaysUpToDate: true,
				URLs:           []string{"https://metalinkd-us-east-1.s3.us-east-1.amazonaws.com/pub/fedora/linux"},
				Locations:      []string{"us-east-1"},
				Region:         "us-east-1",
				Bucket:         "metalinkd-us-east-1",
			},
		},
		Locations: []store.Location{
			{Name: "eu-west-1"},
			{Name: "us-east-1", Description: "AWS N. Virginia", CloudRegions: []string{"us-east-1", "us-east-2"}},
		},
		Repositories: []store.Repository{
			{Prefix: "fedora-43", Arch: "aarch64", Directory: "pub/fedora/linux/releases/43/Everything/aarch64/os"},
			{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS},
			{Prefix: "rawhide", Arch: "x86_64", Directory: "pub/fedora/linux/development/rawhide/Everything/x86_64/os", Disabled: true},
			{Prefix: "updates-released-f43", Arch: "x86_64", Directory: dirUpdates},
		},
		Redirects: []store.Redirect{{From: "fedora-45", To: "rawhide"}},
		// Kept in the order given: the first rule that matches wins.
		ScanRules: []store.ScanRule{
			{Pattern: `^pub/epel/(\d+)/Everything/([^/]+)$`, Repo: "epel-$1", Arch: "$2"},
			{Pattern: `^pub/alt/(?P<name>[a-z]+)/([^/]+)$`, Repo: "alt-${name}", Arch: "$2"},
		},
		Directories: []store.Directory{
			{
				// A scan need not compute the optional hashes.
				Path:    dirOS,
				Current: store.Repomd{Size: 4321, Timestamp: 1761000000, SHA256: hexDigest("os", 64), Recorded: at(-time.Hour)},
			},
			{
				Path:    dirUpdates,
				Current: repomd("updates 3", at(2*time.Hour)),
				Alternates: []store.Repomd{
					superseded(repomd("updates 2", at(time.Hour)), at(2*time.Hour)),
					superseded(repomd("updates 1", at(0)), at(time.Hour)),
				},
			},
		},
		TreeDirectories: []string{
			"pub/fedora/linux/releases/43",
			dirOS,
			"pub/fedora/linux/releases/43/Workstation/x86_64/iso",
		},
		Files: []store.TreeFile{
			// A file without a checksum line keeps its size and time.
			{Path: "pub/fedora/linux/releases/43/Workstation/x86_64/iso/Fedora-Workstation-43-1.6-x86_64-CHECKSUM.raw.xz",
				Size: 1, MTime: 1761000001},
			{Path: "pub/fedora/linux/releases/43/Workstation/x86_64/iso/Fedora-Workstation-Live-43-1.6.x86_64.iso",
				Size: 2500000000, MTime: 1761000000, SHA256: hexDigest("iso", 64)},
		},
		CloudRanges: []store.CloudRange{
			{Prefix: "3.80.0.0/12", Provider: "aws", Region: "us-east-1"},
			{Prefix: "2600:1f18::/33", Provider: "aws", Region: "us-east-1"},
			{Prefix: "3.248.0.0/13", Provider: "aws", Region: "eu-west-1"},
			{Prefix: "34.0.0.0/15", Provider: "gcp", Region: "us-east1"},
		},
		CloudSources: []store.CloudSource{
			{Provider: "aws", SyncToken: "1761000000", Imported: at(-2 * time.Hour)},
			{Provider: "gcp", SyncToken: "2026-02-28", Imported: at(-3 * time.Hour)},
		},
		NetblockCountries: []store.NetblockCountry{
			{Netblock: "192.0.2.0/24", Country: "IL"},
			{Netblock: "2001:db8:5::/48", Country: "DE"},
		},
		CountryContinents: []store.CountryContinent{{Country: "CY", Continent: "EU"}, {Country: "IL", Continent: "EU"}},
		Freshness: []store.Freshness{
			{Mirror: "mirror.example.org", Directory: dirUpdates, SHA256: hexDigest("sha256 updates 3", 64), Reported: at(3 * time.Hour)},
			{Mirror: "s3-us-east-1", Directory: dirOS, SHA256: hexDigest("os", 64), Reported: at(time.Minute)},
			{Mirror: "s3-us-east-1", Directory: dirUpdates, SHA256: hexDigest("sha256 updates 2", 64), Reported: at(90 * time.Minute)},
		},
	}
}

// declarative returns d's declarative part, as Import takes it.
func declarative(d *store.Dataset) *store.Dataset {
	return &store.Dataset{
		Mirrors:      d.Mirrors,
		Locations:    d.Locations,
		Repositories: d.Repositories,
		Redirects:    d.Redirects,
		ScanRules:    d.ScanRules,

		NetblockCountries: d.NetblockCountries,
		CountryContinents: d.CountryContinents,
	}
}

// withScanned returns decl with the state that Import keeps taken from d.
func withScanned(decl, d *store.Dataset) *store.Dataset {
	w := declarative(decl)
	w.Directories = d.Directories
	w.Freshness = d.Freshness
	w.CloudRanges = d.CloudRanges
	w.CloudSources = d.CloudSources
	w.TreeDirectories = d.TreeDirectories
	w.Files = d.Files
	return w
}

// mirror returns a valid public mirror.
func mirror(name string) store.Mirror {
	return store.Mirror{
		Name: name, Country: "NL", Bandwidth: 100, Enabled: true,
		URLs: []string{"https://" + name + "/fedora"},
	}
}
