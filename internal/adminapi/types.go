// Package adminapi is the admin API's wire format and its Go client. The
// server converts its stored data to and from these types, so that a
// change of storage cannot change what clients see; programs that only
// talk to the API (the CLI, mirror-sync) link this package and nothing of
// the server. It imports only the standard library.
package adminapi

import (
	"encoding/json"
	"time"
)

// Mirror is a mirror as GET /mirrors lists it and POST /mirrors, PUT and
// PATCH /mirrors/{name} send it.
type Mirror struct {
	Name           string   `json:"name"`
	Country        string   `json:"country"`
	Bandwidth      int      `json:"bandwidth"`
	Enabled        bool     `json:"enabled"`
	Private        bool     `json:"private,omitempty"`
	AlwaysUpToDate bool     `json:"always_up_to_date,omitempty"`
	URLs           []string `json:"urls"`
	Netblocks      []string `json:"netblocks,omitempty"`
	ASN            uint32   `json:"asn,omitempty"`
	Locations      []string `json:"locations,omitempty"`
	Region         string   `json:"region,omitempty"`
	Bucket         string   `json:"bucket,omitempty"`
	// CountriesAllowed, when set, are the only client countries the mirror
	// is listed for.
	CountriesAllowed []string `json:"countries_allowed,omitempty"`
	// IPv4 and IPv6 say whether the mirror is reachable over each address
	// family; absent means yes.
	IPv4 *bool `json:"ipv4,omitempty"`
	IPv6 *bool `json:"ipv6,omitempty"`
}

// NetblockCountry treats clients inside a netblock as clients of a country.
type NetblockCountry struct {
	Netblock string `json:"netblock"`
	Country  string `json:"country"`
}

// CountryContinent puts a country on another continent than the table's.
type CountryContinent struct {
	Country   string `json:"country"`
	Continent string `json:"continent"`
}

// Overrides is GET and PUT /overrides: both lists, replaced as a whole.
type Overrides struct {
	NetblockCountries []NetblockCountry  `json:"netblock_countries"`
	CountryContinents []CountryContinent `json:"country_continents"`
}

// MirrorDetail is GET /mirrors/{name}: the mirror with the repomd
// versions it serves (by report or crawl), and its health.
type MirrorDetail struct {
	Mirror
	Freshness []Freshness `json:"freshness"`
	// Health is absent in answers of servers older than the crawler.
	Health *MirrorHealth `json:"health,omitempty"`
}

// MirrorList is GET /mirrors.
type MirrorList struct {
	Mirrors []Mirror `json:"mirrors"`
}

// Location is a named group of regional mirrors.
type Location struct {
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	CloudRegions []string `json:"cloud_regions,omitempty"`
}

// LocationDetail is GET /locations/{name}: the location and the mirrors
// that name it.
type LocationDetail struct {
	Location
	Mirrors []string `json:"mirrors"`
}

// LocationList is GET /locations.
type LocationList struct {
	Locations []Location `json:"locations"`
}

// Repository maps repo= and arch= to a directory of the master tree.
type Repository struct {
	Prefix    string `json:"prefix"`
	Arch      string `json:"arch"`
	Directory string `json:"directory"`
	Disabled  bool   `json:"disabled,omitempty"`
}

// RepositoryList is GET /repositories.
type RepositoryList struct {
	Repositories []Repository `json:"repositories"`
}

// Redirect sends requests for one repository prefix to another.
type Redirect struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// RedirectList is GET /redirects.
type RedirectList struct {
	Redirects []Redirect `json:"redirects"`
}

// Repomd is one version of a directory's repodata/repomd.xml.
type Repomd struct {
	Size       int64     `json:"size"`
	Timestamp  int64     `json:"timestamp"`
	MD5        string    `json:"md5"`
	SHA1       string    `json:"sha1"`
	SHA256     string    `json:"sha256"`
	SHA512     string    `json:"sha512"`
	Recorded   time.Time `json:"recorded"`
	Superseded time.Time `json:"superseded,omitempty"`
}

// Directory is the scanned state of one directory: the current repomd and
// the older ones still accepted, newest first.
type Directory struct {
	Path       string   `json:"path"`
	Current    Repomd   `json:"current"`
	Alternates []Repomd `json:"alternates,omitempty"`
}

// DirectoryDetail is GET /directories/{path}: the directory with the
// mirrors reported to serve one of its accepted versions.
type DirectoryDetail struct {
	Directory
	Mirrors []Freshness `json:"mirrors"`
}

// DirectoryList is GET /directories.
type DirectoryList struct {
	Directories []Directory `json:"directories"`
}

// Expire is POST /directories/expire: the directory whose alternates go.
type Expire struct {
	Directory string `json:"directory"`
}

// Freshness records which repomd.xml a mirror serves for a directory, and
// whether the mirror said so ("report") or the crawler saw it ("crawl").
type Freshness struct {
	Mirror    string    `json:"mirror"`
	Directory string    `json:"directory"`
	SHA256    string    `json:"sha256"`
	Reported  time.Time `json:"reported"`
	Source    string    `json:"source,omitempty"`
}

// The sources of Freshness.Source.
const (
	SourceReport = "report"
	SourceCrawl  = "crawl"
)

// Report is POST /mirrors/{name}/report: the mirror now serves the
// repomd.xml with this sha256 for the directory. The answer is the
// recorded Freshness.
type Report struct {
	Directory string `json:"directory"`
	SHA256    string `json:"sha256"`
}

// Forget is POST /mirrors/{name}/forget: the mirror no longer serves the
// directories under the prefix.
type Forget struct {
	Prefix string `json:"prefix"`
}

// Forgotten answers Forget with how many directories were forgotten.
type Forgotten struct {
	Forgotten int `json:"forgotten"`
}

// Token is an API credential as the API shows it: never its hash.
type Token struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Scopes  []string   `json:"scopes"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	// Secret is set only in the answer that creates the token.
	Secret string `json:"secret,omitempty"`
}

// TokenList is GET /tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// NewToken is POST /tokens.
type NewToken struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// AuditEntry records one change: who made it, when, and to what.
type AuditEntry struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// AuditPage is GET /audit, newest first; Next is the before= value of the
// following page, absent on the last one.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    int64        `json:"next,omitempty"`
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields,omitempty"`
}

// FieldError names one invalid field of a request: Field is a path such as
// "urls[0]", Entry the name of the entry when it has one.
type FieldError struct {
	Field string `json:"field"`
	Entry string `json:"entry,omitempty"`
	Msg   string `json:"message"`
	// Line is the line in the source file, when the data came from one.
	Line int `json:"line,omitempty"`
}

// MirrorHealth is the crawler's view of one mirror, as GET /health lists
// it and GET /mirrors/{name}/health and POST /mirrors/{name}/recover answer.
// State is one of "ok", "disabled-by-crawler", "admin-disabled" (the
// admin's flag wins over the crawler's) and "unknown" (never crawled:
// private and regional mirrors are never crawled). Reason and Since say why
// and since when the crawler took the mirror out of answers.
type MirrorHealth struct {
	Mirror              string           `json:"mirror"`
	State               string           `json:"state"`
	Reason              string           `json:"reason,omitempty"`
	Since               time.Time        `json:"since,omitzero"`
	LastCrawl           time.Time        `json:"last_crawl,omitzero"`
	ConsecutiveFailures int              `json:"consecutive_failures"`
	Protocols           []ProtocolHealth `json:"protocols"`
}

// The states of MirrorHealth.State.
const (
	StateOK              = "ok"
	StateCrawlerDisabled = "disabled-by-crawler"
	StateAdminDisabled   = "admin-disabled"
	StateUnknown         = "unknown"
)

// ProtocolHealth is a mirror's crawl history over one protocol.
type ProtocolHealth struct {
	Protocol            string    `json:"protocol"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastFailure         time.Time `json:"last_failure,omitzero"`
	LastReason          string    `json:"last_reason,omitempty"`
	LastDetail          string    `json:"last_detail,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
}

// HealthList is GET /health: every mirror, sorted by name.
type HealthList struct {
	Mirrors []MirrorHealth `json:"mirrors"`
}

// PropagationPoint counts, for one directory after one crawl, the mirrors
// serving its current repomd.xml (Current), an older accepted one (Older),
// something else or nothing (Other), and those the crawl could not reach.
type PropagationPoint struct {
	Directory string    `json:"directory"`
	At        time.Time `json:"at"`
	SHA256    string    `json:"sha256"`
	Current   int       `json:"current"`
	Older     int       `json:"older"`
	Other     int       `json:"other"`
	Failed    int       `json:"failed"`
}

// PropagationList is GET /propagation[?directory=D][&since=RFC3339]: the
// points, oldest first.
type PropagationList struct {
	Points []PropagationPoint `json:"points"`
}
