// Package store holds the data model of the mirror network, its validation
// and pure mutations, and the store interface with its implementations.
package store

import "time"

// MaxMirrors is the most mirrors a dataset may hold (selection packs a
// mirror's index into 20 bits of a sort key).
const MaxMirrors = 1 << 20

// Mirror is one mirror host: a public mirror, a private one reached through
// its netblocks, or a regional bucket that serves only its locations.
type Mirror struct {
	Name           string   `json:"name" yaml:"name"`
	Country        string   `json:"country" yaml:"country"`
	Bandwidth      int      `json:"bandwidth" yaml:"bandwidth"`
	Enabled        bool     `json:"enabled" yaml:"enabled"`
	Private        bool     `json:"private,omitempty" yaml:"private,omitempty"`
	AlwaysUpToDate bool     `json:"always_up_to_date,omitempty" yaml:"always_up_to_date,omitempty"`
	URLs           []string `json:"urls" yaml:"urls"`
	Netblocks      []string `json:"netblocks,omitempty" yaml:"netblocks,omitempty"`
	ASN            uint32   `json:"asn,omitempty" yaml:"asn,omitempty"`
	Locations      []string `json:"locations,omitempty" yaml:"locations,omitempty"`
	Region         string   `json:"region,omitempty" yaml:"region,omitempty"`
	Bucket         string   `json:"bucket,omitempty" yaml:"bucket,omitempty"`
	// CountriesAllowed, when not empty, restricts the mirror to clients of
	// these countries (MirrorManager's host_country_allowed).
	CountriesAllowed []string `json:"countries_allowed,omitempty" yaml:"countries_allowed,omitempty"`
	// IPv4 and IPv6 say whether the mirror is reachable over each address
	// family; nil means yes (see ServesIPv4, ServesIPv6).
	IPv4 *bool `json:"ipv4,omitempty" yaml:"ipv4,omitempty"`
	IPv6 *bool `json:"ipv6,omitempty" yaml:"ipv6,omitempty"`
}

// Regional reports whether m is a regional bucket mirror. Regional mirrors
// are readable only from inside their region, so selection lists them only
// through their locations, cloud ranges or netblocks.
func (m *Mirror) Regional() bool { return m.Region != "" || m.Bucket != "" }

// Location is a named group of regional mirrors, sent by guests as location=.
type Location struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// CloudRegions lists the cloud regions whose published address ranges
	// steer clients here; a region with no location listing it maps to the
	// location of the same name.
	CloudRegions []string `json:"cloud_regions,omitempty" yaml:"cloud_regions,omitempty"`
}

// CloudRange is a published address range of a cloud region (for AWS, an
// EC2 prefix of ip-ranges.json).
type CloudRange struct {
	Prefix   string `json:"prefix" yaml:"prefix"`
	Provider string `json:"provider" yaml:"provider"`
	Region   string `json:"region" yaml:"region"`
}

// CloudSource records the version of a provider's published ranges.
type CloudSource struct {
	Provider  string    `json:"provider" yaml:"provider"`
	SyncToken string    `json:"sync_token" yaml:"sync_token"`
	Imported  time.Time `json:"imported" yaml:"imported"`
}

// Repository maps a repository prefix and architecture, as dnf names them in
// repo= and arch=, to a directory of the master tree.
type Repository struct {
	Prefix    string `json:"prefix" yaml:"prefix"`
	Arch      string `json:"arch" yaml:"arch"`
	Directory string `json:"directory" yaml:"directory"`
	Disabled  bool   `json:"disabled,omitempty" yaml:"disabled,omitempty"`
}

// Redirect sends requests for one repository prefix to another before lookup
// (for example fedora-45 to rawhide before a release branches).
type Redirect struct {
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

// ScanRule maps a master-tree directory holding repodata/ to a repository.
// Pattern is a regular expression matched against the whole directory path
// (relative to the tree root, no leading or trailing slash); Repo and Arch
// may refer to its submatches as $1, $2 or ${name}.
type ScanRule struct {
	Pattern string `json:"pattern" yaml:"pattern"`
	Repo    string `json:"repo" yaml:"repo"`
	Arch    string `json:"arch" yaml:"arch"`
}

// Repomd describes one version of a directory's repodata/repomd.xml.
type Repomd struct {
	Size      int64  `json:"size" yaml:"size"`
	Timestamp int64  `json:"timestamp" yaml:"timestamp"`
	MD5       string `json:"md5" yaml:"md5"`
	SHA1      string `json:"sha1" yaml:"sha1"`
	SHA256    string `json:"sha256" yaml:"sha256"`
	SHA512    string `json:"sha512" yaml:"sha512"`
	// Recorded is when the scan first saw this version.
	Recorded time.Time `json:"recorded" yaml:"recorded"`
	// Superseded is when a newer version replaced it; zero while current.
	Superseded time.Time `json:"superseded,omitempty" yaml:"superseded,omitempty"`
}

// Directory is the scanned state of one repository directory: the current
// repomd.xml and the older versions still accepted (newest first).
type Directory struct {
	Path       string   `json:"path" yaml:"path"`
	Current    Repomd   `json:"current" yaml:"current"`
	Alternates []Repomd `json:"alternates,omitempty" yaml:"alternates,omitempty"`
}

// Accepts reports whether sha256 names the current repomd or a listed alternate.
func (d *Directory) Accepts(sha256 string) bool {
	if d.Current.SHA256 == sha256 {
		return true
	}
	for i := range d.Alternates {
		if d.Alternates[i].SHA256 == sha256 {
			return true
		}
	}
	return false
}

// Freshness records which repomd.xml (by sha256) a mirror serves for a directory.
type Freshness struct {
	Mirror    string    `json:"mirror" yaml:"mirror"`
	Directory string    `json:"directory" yaml:"directory"`
	SHA256    string    `json:"sha256" yaml:"sha256"`
	Reported  time.Time `json:"reported" yaml:"reported"`
	// Source says where the record came from: SourceCrawl for what the
	// crawler saw, empty for a report (the canonical form of SourceReport,
	// and what data written before the crawler holds).
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// FromCrawl reports whether the crawler wrote f.
func (f *Freshness) FromCrawl() bool { return f.Source == SourceCrawl }

// Dataset is the whole state of the mirror network. The declarative part
// (mirrors, locations, repositories, redirects, scan rules) comes from the
// mirrors file or the admin API; directories come from the master scan;
// freshness from mirror reports and crawls; health from crawls.
type Dataset struct {
	Mirrors      []Mirror     `json:"mirrors" yaml:"mirrors"`
	Locations    []Location   `json:"locations" yaml:"locations"`
	Repositories []Repository `json:"repositories" yaml:"repositories"`
	Redirects    []Redirect   `json:"redirects,omitempty" yaml:"redirects,omitempty"`
	ScanRules    []ScanRule   `json:"scan_rules,omitempty" yaml:"scan_rules,omitempty"`
	Directories  []Directory  `json:"directories" yaml:"directories"`
	Freshness    []Freshness  `json:"freshness" yaml:"freshness"`
	// TreeDirectories are every directory of the master tree, repository
	// or not; Files the details of the files the scan chose (see TreeFile).
	TreeDirectories []string   `json:"tree_directories,omitempty" yaml:"tree_directories,omitempty"`
	Files           []TreeFile `json:"files,omitempty" yaml:"files,omitempty"`
	// CloudRanges steer clients without a location to their region's
	// mirrors (selection step 2); CloudSources say which version is loaded.
	CloudRanges  []CloudRange  `json:"cloud_ranges,omitempty" yaml:"cloud_ranges,omitempty"`
	CloudSources []CloudSource `json:"cloud_sources,omitempty" yaml:"cloud_sources,omitempty"`
	// NetblockCountries and CountryContinents are the admin's overrides of
	// GeoIP and of the continent table (see overrides.go).
	NetblockCountries []NetblockCountry  `json:"netblock_countries,omitempty" yaml:"netblock_countries,omitempty"`
	CountryContinents []CountryContinent `json:"country_continents,omitempty" yaml:"country_continents,omitempty"`
	// Health is the crawler's view of the mirrors it crawled, sorted by
	// mirror; a mirror it disabled is left out of answers.
	Health []MirrorHealth `json:"health,omitempty" yaml:"health,omitempty"`
}
