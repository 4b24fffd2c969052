// Package freshness classifies what mirrors reported for each directory:
// whether a mirror carries a directory's current repomd.xml, an older one,
// or has not reported at all; and it tallies that per mirror and per
// category of directories. The public status page and the admin API's
// freshness view share it so that both count alike.
package freshness

import (
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// State is what is known of one mirror's copy of one directory. The order
// matters: a mirror's state in a category is the greatest of its
// directories', so one stale directory makes the category stale.
type State uint8

const (
	// Unknown: the mirror never reported the directory.
	Unknown State = iota
	// Fresh: the mirror reported the current repomd.xml, or it is declared
	// always up to date (the server lists it without reports).
	Fresh
	// Alternate: the mirror reported an older repomd.xml that is still
	// accepted; it is stale but still listed.
	Alternate
	// Outdated: the mirror reported a repomd.xml that is no longer
	// accepted; it is stale and no longer listed.
	Outdated
)

// Stale reports whether s is an older repomd.xml, accepted or not.
func (s State) Stale() bool { return s >= Alternate }

// String returns the state's name as the API and the page spell it.
func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case Alternate:
		return "alternate"
	case Outdated:
		return "outdated"
	}
	return "unknown"
}

// CategoryOf returns the category of a directory path: its first two
// segments (releases/41, updates/42, epel/9, development/rawhide), the part
// of the master tree a release publishes and mirrors sync together. A path
// of one segment is its own category.
func CategoryOf(path string) string {
	path = strings.Trim(path, "/")
	first, rest, ok := strings.Cut(path, "/")
	if !ok {
		return path
	}
	second, _, _ := strings.Cut(rest, "/")
	return first + "/" + second
}

// Of classifies a report of sha256 for dir.
func Of(dir *store.Directory, sha256 string) State {
	switch {
	case dir.Current.SHA256 == sha256:
		return Fresh
	case dir.Accepts(sha256):
		return Alternate
	}
	return Outdated
}

// Counts are numbers of directories or mirrors by state.
type Counts struct {
	Fresh, Alternate, Outdated, Unknown int
}

// Add counts one more of s.
func (c *Counts) Add(s State) {
	switch s {
	case Fresh:
		c.Fresh++
	case Alternate:
		c.Alternate++
	case Outdated:
		c.Outdated++
	default:
		c.Unknown++
	}
}

// Stale is the number of alternate and outdated ones.
func (c Counts) Stale() int { return c.Alternate + c.Outdated }

// Total is the number counted.
func (c Counts) Total() int { return c.Fresh + c.Alternate + c.Outdated + c.Unknown }

// StaleDirectory is one directory a mirror reported an older repomd.xml for.
type StaleDirectory struct {
	Directory string
	SHA256    string
	Reported  time.Time
	State     State // Alternate or Outdated
}

// Mirror is the tally of one mirror.
type Mirror struct {
	Name string
	// Directories counts the scanned directories by the mirror's state.
	Directories Counts
	// Stale lists the stale directories, sorted by path.
	Stale []StaleDirectory
	// Categories is the mirror's state per category.
	Categories map[string]State
	// LastReport is the newest of the mirror's reports (not crawls), for
	// any directory; zero when it never reported.
	LastReport time.Time
}

// Category is the tally of one category.
type Category struct {
	Name string
	// Directories is how many scanned directories the category has.
	Directories int
	// Latest is the newest current repomd.xml timestamp of its directories.
	Latest int64
	// Mirrors counts the mirrors tallied by their state in the category.
	Mirrors Counts
}

// Tally is the state of every mirror given, per mirror and per category.
type Tally struct {
	Mirrors    []Mirror   // in the order given
	Categories []Category // sorted by name
}

// Count tallies the reports of mirrors for the scanned directories. A
// mirror's state in a category is the greatest of its reported directories'
// (see State); unknown when it reported none there. Reports for directories
// never scanned and of mirrors not given are ignored.
func Count(mirrors []store.Mirror, dirs []store.Directory, reports []store.Freshness) Tally {
	c := NewCounter(mirrors, dirs, true)
	for i := range reports {
		c.Add(&reports[i])
	}
	return c.Tally(nil)
}
