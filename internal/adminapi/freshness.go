package adminapi

import "time"

// FreshnessView is GET /freshness[?stale=true]: per mirror, its scanned
// directories by state with the stale ones listed (at most MaxStaleListed);
// per category of directories, the enabled mirrors by their state there.
// A directory is fresh when the mirror reported its current repomd.xml (or
// the mirror is always up to date), stale when it reported an older one
// (still accepted or not), unknown when it reported none.
type FreshnessView struct {
	Mirrors    []MirrorFreshness   `json:"mirrors"`
	Categories []CategoryFreshness `json:"categories"`
}

// MaxStaleListed bounds the stale directories listed per mirror.
const MaxStaleListed = 50

// MirrorFreshness is one mirror's directories by state.
type MirrorFreshness struct {
	Name           string `json:"name"`
	Enabled        bool   `json:"enabled"`
	AlwaysUpToDate bool   `json:"always_up_to_date,omitempty"`
	Fresh          int    `json:"fresh"`
	Stale          int    `json:"stale"`
	Unknown        int    `json:"unknown"`
	// StaleDirectories lists stale directories by path, at most
	// MaxStaleListed; MoreStale says how many were left out.
	StaleDirectories []StaleDirectory `json:"stale_directories"`
	MoreStale        int              `json:"more_stale,omitempty"`
}

// StaleDirectory is a directory a mirror reported an older repomd.xml for.
type StaleDirectory struct {
	Directory string    `json:"directory"`
	SHA256    string    `json:"sha256"`
	Reported  time.Time `json:"reported"`
	// Accepted is true while the repomd.xml is a listed alternate, so the
	// mirror is still listed for the directory.
	Accepted bool `json:"accepted"`
}

// CategoryFreshness counts the enabled mirrors by their state in one
// category: the first two parts of a directory's path (releases/41). A
// mirror is stale there when any of its directories is, fresh when none
// is stale and one is fresh, unknown when it reported none.
type CategoryFreshness struct {
	Category    string `json:"category"`
	Directories int    `json:"directories"`
	Fresh       int    `json:"fresh"`
	Stale       int    `json:"stale"`
	Unknown     int    `json:"unknown"`
}
