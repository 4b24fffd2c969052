package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// hexOf returns n lower-case hex digits, a well-formed digest of that length.
func hexOf(n int) string { return strings.Repeat("ab", n/2) }

// validRepomd is a repomd with every hash well formed.
func validRepomd() Repomd {
	return Repomd{Size: 3000, Timestamp: 1700000000, MD5: hexOf(32), SHA1: hexOf(40), SHA256: hexOf(64), SHA512: hexOf(128),
		Recorded: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// validDataset uses every part of the model once and passes Validate.
func validDataset() *Dataset {
	alt := validRepomd()
	alt.SHA256 = strings.Repeat("cd", 32)
	alt.Superseded = alt.Recorded.Add(time.Hour)
	return &Dataset{
		Locations: []Location{{Name: "us-east-1", Description: "AWS US East", CloudRegions: []string{"us-east-2"}}},
		CloudRanges: []CloudRange{
			{Prefix: "3.80.0.0/12", Provider: "aws", Region: "us-east-1"},
		},
		Mirrors: []Mirror{
			{Name: "alpha", Country: "DE", Bandwidth: 100, Enabled: true,
				URLs: []string{"https://alpha.example/pub", "rsync://alpha.example/pub"}, Netblocks: []string{"192.0.2.0/24", "2001:db8::1"}},
			{Name: "regional", Country: "US", Bandwidth: 1000, Enabled: true, URLs: []string{"https://bucket.example/pub"},
				Locations: []string{"us-east-1"}, Region: "us-east-1", Bucket: "metalinkd-us-east-1"},
		},
		Repositories: []Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: "releases/41/Everything/x86_64/os"}},
		Redirects:    []Redirect{{From: "fedora-45", To: "rawhide"}},
		ScanRules:    []ScanRule{{Pattern: `^custom/(\d+)/([^/]+)$`, Repo: "custom-$1", Arch: "$2"}},
		Directories: []Directory{{Path: "releases/41/Everything/x86_64/os", Current: validRepomd(),
			Alternates: []Repomd{alt}}},
		Freshness: []Freshness{{Mirror: "alpha", Directory: "releases/41/Everything/x86_64/os", SHA256: hexOf(64)}},
	}
}

func TestValidDatasetPasses(t *testing.T) {
	if err := validDataset().Validate(); err != nil {
		t.Fatalf("the valid dataset fails: %v", err)
	}
}

// TestSeveralURLsPerProtocol checks that a mirror may list several URLs of
// one protocol, as MirrorManager's hosts do; answers write them in order.
func TestSeveralURLsPerProtocol(t *testing.T) {
	d := validDataset()
	d.Mirrors[0].URLs = []string{"https://a1.alpha.example/pub", "https://a2.alpha.example/pub", "http://alpha.example/pub"}
	if err := d.Validate(); err != nil {
		t.Fatalf("two https URLs: %v", err)
	}
}

// TestValidateRules breaks one rule per case and expects exactly one field
// error, naming that field, both in the error's fields and in its text.
func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Dataset)
		field  string
	}{
		// Locations.
		{"location name not a token", func(d *Dataset) { d.Locations = append(d.Locations, Location{Name: "US East"}) }, "locations[1].name"},
		{"location description too long", func(d *Dataset) { d.Locations[0].Description = strings.Repeat("x", 201) }, "locations[0].description"},
		{"location description with a line break", func(d *Dataset) { d.Locations[0].Description = "N.\nVirginia" }, "locations[0].description"},
		{"location description with U+202E", func(d *Dataset) { d.Locations[0].Description = "N. \u202eVirginia" }, "locations[0].description"},
		{"location cloud region not a region id", func(d *Dataset) { d.Locations[0].CloudRegions = []string{"us-east-2", "US_EAST"} }, "locations[0].cloud_regions[1]"},
		{"duplicate location", func(d *Dataset) { d.Locations = append(d.Locations, Location{Name: "us-east-1"}) }, "locations[1].name"},

		// Cloud ranges.
		{"cloud range prefix not CIDR", func(d *Dataset) { d.CloudRanges[0].Prefix = "3.80.0.0/33" }, "cloud_ranges[0].prefix"},
		{"cloud range prefix with host bits", func(d *Dataset) { d.CloudRanges[0].Prefix = "3.80.0.1/12" }, "cloud_ranges[0].prefix"},
		{"cloud range region not a region id", func(d *Dataset) { d.CloudRanges[0].Region = "-us" }, "cloud_ranges[0].region"},
		{"cloud range provider not a name", func(d *Dataset) { d.CloudRanges[0].Provider = "AWS!" }, "cloud_ranges[0].provider"},

		// Mirrors.
		{"mirror name", func(d *Dataset) { d.Mirrors = append(d.Mirrors, mirrorNamed("-bad")) }, "mirrors[2].name"},
		{"mirror name too long", func(d *Dataset) { d.Mirrors = append(d.Mirrors, mirrorNamed(strings.Repeat("m", 129))) }, "mirrors[2].name"},
		{"mirror country unknown", func(d *Dataset) { d.Mirrors[0].Country = "XX" }, "mirrors[0].country"},
		{"mirror country lower case", func(d *Dataset) { d.Mirrors[0].Country = "de" }, "mirrors[0].country"},
		{"mirror bandwidth zero", func(d *Dataset) { d.Mirrors[0].Bandwidth = 0 }, "mirrors[0].bandwidth"},
		{"mirror bandwidth negative", func(d *Dataset) { d.Mirrors[0].Bandwidth = -5 }, "mirrors[0].bandwidth"},
		{"mirror without URLs", func(d *Dataset) { d.Mirrors[0].URLs = nil }, "mirrors[0].urls"},
		{"mirror URL not a URL", func(d *Dataset) { d.Mirrors[0].URLs[1] = "http://[::1" }, "mirrors[0].urls[1]"},
		{"mirror URL without scheme", func(d *Dataset) { d.Mirrors[0].URLs[1] = "alpha.example/pub" }, "mirrors[0].urls[1]"},
		{"mirror URL unsupported scheme", func(d *Dataset) { d.Mirrors[0].URLs[1] = "gopher://alpha.example/pub" }, "mirrors[0].urls[1]"},
		{"mirror URL without host", func(d *Dataset) { d.Mirrors[0].URLs[1] = "ftp:///pub" }, "mirrors[0].urls[1]"},
		{"mirror URL with query", func(d *Dataset) { d.Mirrors[0].URLs[1] = "ftp://alpha.example/pub?x=1" }, "mirrors[0].urls[1]"},
		{"mirror URL with empty query", func(d *Dataset) { d.Mirrors[0].URLs[1] = "ftp://alpha.example/pub?" }, "mirrors[0].urls[1]"},
		{"mirror URL with fragment", func(d *Dataset) { d.Mirrors[0].URLs[1] = "ftp://alpha.example/pub#top" }, "mirrors[0].urls[1]"},
		{"mirror URL with credentials", func(d *Dataset) { d.Mirrors[0].URLs[1] = "ftp://user:pw@alpha.example/pub" }, "mirrors[0].urls[1]"},
		{"mirror URL with raw characters", func(d *Dataset) { d.Mirrors[0].URLs[1] = `ftp://alpha.example/p"ub` }, "mirrors[0].urls[1]"},
		{"mirror with the same URL twice", func(d *Dataset) { d.Mirrors[0].URLs[1] = "https://alpha.example/pub" }, "mirrors[0].urls[1]"},
		{"mirror netblock not CIDR", func(d *Dataset) { d.Mirrors[0].Netblocks[1] = "192.0.2.0/24x" }, "mirrors[0].netblocks[1]"},
		{"mirror netblock with host bits", func(d *Dataset) { d.Mirrors[0].Netblocks[0] = "192.0.2.1/24" }, "mirrors[0].netblocks[0]"},
		{"mirror location undeclared", func(d *Dataset) { d.Mirrors[1].Locations = []string{"eu-west-1"} }, "mirrors[1].locations[0]"},
		{"mirror location twice", func(d *Dataset) { d.Mirrors[1].Locations = []string{"us-east-1", "us-east-1"} }, "mirrors[1].locations[1]"},
		{"mirror region not a region id", func(d *Dataset) { d.Mirrors[1].Region = "US-EAST-1" }, "mirrors[1].region"},
		{"mirror bucket not an S3 name", func(d *Dataset) { d.Mirrors[1].Bucket = "Metalinkd_Bucket" }, "mirrors[1].bucket"},
		{"duplicate mirror", func(d *Dataset) { d.Mirrors = append(d.Mirrors, mirrorNamed("alpha")) }, "mirrors[2].name"},

		// Repositories.
		{"repository prefix", func(d *Dataset) { d.Repositories[0].Prefix = "fedora 41" }, "repositories[0].prefix"},
		{"repository arch", func(d *Dataset) { d.Repositories[0].Arch = "x86-64" }, "repositories[0].arch"},
		{"repository without directory", func(d *Dataset) { d.Repositories[0].Directory = "" }, "repositories[0].directory"},
		{"repository directory absolute", func(d *Dataset) { d.Repositories[0].Directory = "/releases/41" }, "repositories[0].directory"},
		{"repository directory with trailing slash", func(d *Dataset) { d.Repositories[0].Directory = "releases/41/" }, "repositories[0].directory"},
		{"repository directory not clean", func(d *Dataset) { d.Repositories[0].Directory = "releases/../41" }, "repositories[0].directory"},
		{"repository directory above the root", func(d *Dataset) { d.Repositories[0].Directory = "../41" }, "repositories[0].directory"},
		{"repository directory with a space", func(d *Dataset) { d.Repositories[0].Directory = "releases/4 1" }, "repositories[0].directory"},
		{"repository directory with U+2028", func(d *Dataset) { d.Repositories[0].Directory = "releases/4\u20281" }, "repositories[0].directory"},
		{"repository directory of 2 KB", func(d *Dataset) { d.Repositories[0].Directory = strings.Repeat("a/", 1024) + "b" }, "repositories[0].directory"},
		{"duplicate repository", func(d *Dataset) { d.Repositories = append(d.Repositories, d.Repositories[0]) }, "repositories[1]"},

		// Redirects.
		{"redirect from", func(d *Dataset) { d.Redirects[0].From = "fedora/45" }, "redirects[0].from"},
		{"redirect to", func(d *Dataset) { d.Redirects[0].To = "raw hide" }, "redirects[0].to"},
		{"redirect to itself", func(d *Dataset) { d.Redirects[0].To = "fedora-45" }, "redirects[0].to"},
		{"redirect to a redirected prefix", func(d *Dataset) {
			d.Redirects = append(d.Redirects, Redirect{From: "fedora-46", To: "fedora-45"})
		}, "redirects[1].to"},
		{"duplicate redirect", func(d *Dataset) {
			d.Redirects = append(d.Redirects, Redirect{From: "fedora-45", To: "fedora-41"})
		}, "redirects[1].from"},

		// Scan rules.
		{"scan rule pattern not a regexp", func(d *Dataset) { d.ScanRules[0].Pattern = `^custom/(\d+$` }, "scan_rules[0].pattern"},
		{"scan rule without pattern", func(d *Dataset) { d.ScanRules[0].Pattern = "" }, "scan_rules[0].pattern"},
		{"scan rule without repo", func(d *Dataset) { d.ScanRules[0].Repo = "" }, "scan_rules[0].repo"},
		{"scan rule without arch", func(d *Dataset) { d.ScanRules[0].Arch = "" }, "scan_rules[0].arch"},

		// Directories.
		{"directory path", func(d *Dataset) {
			d.Directories = append(d.Directories, Directory{Path: "a//b", Current: validRepomd()})
		}, "directories[1].path"},
		{"directory size negative", func(d *Dataset) { d.Directories[0].Current.Size = -1 }, "directories[0].current.size"},
		{"directory md5", func(d *Dataset) { d.Directories[0].Current.MD5 = hexOf(30) }, "directories[0].current.md5"},
		{"directory sha1", func(d *Dataset) { d.Directories[0].Current.SHA1 = strings.ToUpper(hexOf(40)) }, "directories[0].current.sha1"},
		{"directory sha256 missing", func(d *Dataset) {
			d.Directories[0].Current.SHA256 = ""
			d.Freshness = nil
		}, "directories[0].current.sha256"},
		{"directory sha512", func(d *Dataset) { d.Directories[0].Current.SHA512 = hexOf(126) + "zz" }, "directories[0].current.sha512"},
		{"directory current superseded", func(d *Dataset) {
			d.Directories[0].Current.Superseded = time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
		}, "directories[0].current.superseded"},
		{"directory alternate sha256", func(d *Dataset) { d.Directories[0].Alternates[0].SHA256 = "cd" }, "directories[0].alternates[0].sha256"},
		{"duplicate directory", func(d *Dataset) { d.Directories = append(d.Directories, d.Directories[0]) }, "directories[1].path"},

		// Freshness.
		{"freshness of an unknown mirror", func(d *Dataset) { d.Freshness[0].Mirror = "gamma" }, "freshness[0].mirror"},
		{"freshness of an unknown directory", func(d *Dataset) { d.Freshness[0].Directory = "releases/42" }, "freshness[0].directory"},
		{"freshness sha256", func(d *Dataset) { d.Freshness[0].SHA256 = hexOf(62) }, "freshness[0].sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDataset()
			tt.change(d)
			err := d.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an error matching ErrInvalid", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %T, want *ValidationError", err)
			}
			if got := fieldsOf(ve); !slices.Equal(got, []string{tt.field}) {
				t.Errorf("fields %q, want [%q]; error: %v", got, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.field+" ") && !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
		})
	}
}

// TestValidateReportsEveryField checks that Validate does not stop at the
// first broken rule.
func TestValidateReportsEveryField(t *testing.T) {
	d := validDataset()
	d.Mirrors[0].Country = "XX"
	d.Repositories[0].Arch = ""
	d.ScanRules[0].Repo = ""
	var ve *ValidationError
	if !errors.As(d.Validate(), &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", d.Validate())
	}
	want := []string{"mirrors[0].country", "repositories[0].arch", "scan_rules[0].repo"}
	if got := fieldsOf(ve); !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestValidateMirror(t *testing.T) {
	locs := map[string]bool{"us-east-1": true}
	m := validDataset().Mirrors[1]
	if err := ValidateMirror(&m, locs); err != nil {
		t.Fatalf("a valid mirror fails: %v", err)
	}
	m.Locations = []string{"eu-west-1"}
	err := ValidateMirror(&m, locs)
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("ValidateMirror() = %v, want a *ValidationError matching ErrInvalid", err)
	}
	if got := fieldsOf(ve); !slices.Equal(got, []string{"mirror.locations[0]"}) {
		t.Errorf("fields %q, want [mirror.locations[0]]", got)
	}
	if ve.Fields[0].Entry != "regional" {
		t.Errorf("entry %q, want the mirror's name", ve.Fields[0].Entry)
	}
}

func TestParseNetblock(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"192.0.2.0/24", "192.0.2.0/24", true},
		{"192.0.2.7", "192.0.2.7/32", true},
		{"::ffff:192.0.2.7", "192.0.2.7/32", true},
		{"2001:db8::/32", "2001:db8::/32", true},
		{"2001:db8::1", "2001:db8::1/128", true},
		{"192.0.2.1/24", "", false},
		{"192.0.2.0/40", "", false},
		{"example.org", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		p, err := ParseNetblock(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseNetblock(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && p.String() != tt.want {
			t.Errorf("ParseNetblock(%q) = %s, want %s", tt.in, p, tt.want)
		}
	}
}

func TestFieldErrorString(t *testing.T) {
	e := FieldError{Field: "mirrors[0].country", Entry: "alpha", Msg: "bad", Line: 7}
	if got, want := e.String(), `mirrors[0].country ("alpha") at line 7: bad`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	e = FieldError{Field: "mirrors", Msg: "too many"}
	if got, want := e.String(), "mirrors: too many"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// mirrorNamed is a valid public mirror with the given name.
func mirrorNamed(name string) Mirror {
	return Mirror{Name: name, Country: "FR", Bandwidth: 10, URLs: []string{"http://m.example/pub"}}
}

func fieldsOf(ve *ValidationError) []string {
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestIsHex(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want bool
	}{
		{hexOf(64), 64, true},
		{"0123456789abcdef", 16, true},
		{hexOf(64), 62, false},
		{"", 0, true},
		{"", 64, false},
		{"0123456789ABCDEF", 16, false},
		{"g123456789abcdef", 16, false},
		{"0123456789abcde/", 16, false},
		{"0123456789abcde:", 16, false},
		{"0123456789abcde`", 16, false},
		{"0123456789abcdeé", 17, false},
	} {
		if got := isHex(c.s, c.n); got != c.want {
			t.Errorf("isHex(%q, %d) = %v, want %v", c.s, c.n, got, c.want)
		}
	}
}
