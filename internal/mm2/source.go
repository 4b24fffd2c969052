// Package mm2 reads a MirrorManager2 database and converts what shapes its
// answers into metalinkd's dataset: mirrors from hosts and sites, their URLs,
// netblocks and ASNs, the repositories and redirects, the repomd.xml versions
// from file_detail and each mirror's freshness from host_category_dir. What
// the dataset cannot hold is listed (Unmapped), never dropped in silence.
// Plan merges a conversion into a stored dataset, changing only what the
// import owns, and Compare checks two servers' answers against each other.
package mm2

import "time"

// Source holds the rows of a MirrorManager2 database that the conversion
// reads, as Read found them in one read-only transaction.
type Source struct {
	Sites              map[int64]Site
	Hosts              []Host // by id
	Directories        map[int64]string
	Categories         []Category // by id
	CategoryDirs       map[int64][]int64
	HostCategories     []HostCategory // by id
	URLs               []HostCategoryURL
	CategoryDirRows    []HostCategoryDir
	Netblocks          []HostNetblock // by id
	PeerASNs           []HostPeerASN
	CountriesAllowed   []HostCountryAllowed
	Arches             map[int64]string
	Repositories       []Repository // by id
	Redirects          []RepositoryRedirect
	FileDetails        []FileDetail // by directory, file name, newest first
	NetblockCountries  []NetblockCountry
	ContinentRedirects []ContinentRedirect
	Embargoed          []string
	ExclusiveHosts     []ExclusiveHost
	// HasLocations is true when the database has MirrorManager 1.4's
	// location tables (location, host_location).
	HasLocations  bool
	Locations     map[int64]string
	HostLocations []HostLocation
}

// Site is a row of site.
type Site struct {
	ID                      int64
	Name                    string
	Private                 bool
	AdminActive, UserActive bool
}

// Host is a row of host.
type Host struct {
	ID                          int64
	Name                        string
	SiteID                      *int64
	AdminActive, UserActive     bool
	Country                     string
	Bandwidth                   *int64
	Private                     bool
	Internet2, Internet2Clients bool
	ASN                         *int64
	ASNClients                  bool
	MaxConnections              int64
	// What MirrorManager's crawler recorded of the host.
	LastCrawled   *time.Time
	CrawlFailures int64
	DisableReason *string
}

// Category is a row of category with its top directory's name.
type Category struct {
	ID     int64
	Name   string
	Topdir string
}

// HostCategory is a row of host_category.
type HostCategory struct {
	ID, HostID, CategoryID int64
	AlwaysUp2date          bool
}

// HostCategoryURL is a row of host_category_url.
type HostCategoryURL struct {
	ID, HostCategoryID int64
	URL                string
	Private            bool
}

// HostCategoryDir is a row of host_category_dir.
type HostCategoryDir struct {
	HostCategoryID int64
	DirectoryID    *int64
	Path           *string
	Up2date        bool
}

// HostNetblock is a row of host_netblock.
type HostNetblock struct {
	ID, HostID int64
	Netblock   string
}

// HostPeerASN is a row of host_peer_asn.
type HostPeerASN struct {
	HostID, ASN int64
}

// HostCountryAllowed is a row of host_country_allowed.
type HostCountryAllowed struct {
	HostID  int64
	Country string
}

// Repository is a row of repository.
type Repository struct {
	ID          int64
	Name        string
	Prefix      *string
	ArchID      *int64
	DirectoryID *int64
	Disabled    bool
}

// RepositoryRedirect is a row of repository_redirect.
type RepositoryRedirect struct {
	From string
	To   *string
}

// FileDetail is a row of file_detail.
type FileDetail struct {
	ID                        int64
	DirectoryID               int64
	Filename                  string
	Timestamp                 *int64
	Size                      *int64
	MD5, SHA1, SHA256, SHA512 *string
}

// NetblockCountry is a row of netblock_country.
type NetblockCountry struct {
	Netblock, Country string
}

// ContinentRedirect is a row of country_continent_redirect.
type ContinentRedirect struct {
	Country, Continent string
}

// ExclusiveHost is a row of directory_exclusive_host.
type ExclusiveHost struct {
	DirectoryID, HostID int64
}

// HostLocation is a row of host_location.
type HostLocation struct {
	LocationID, HostID int64
}
