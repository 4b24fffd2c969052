package store

import (
	"context"
	"slices"
	"strings"
)

// MaxPatchChanges is how many change-log entries a ChangeSet follows at
// most: past it, patching costs what a rebuild costs, and ChangesSince
// asks for one (Full).
const MaxPatchChanges = 20000

// ChangeLog lets a server follow what changed instead of reloading
// everything: each write that answers depend on records what it touched,
// in its own transaction, numbered in commit order.
type ChangeLog interface {
	// ChangeSeq returns the sequence number of the newest recorded change
	// (0 when there is none). A Load that begins after it returns
	// includes every change up to it.
	ChangeSeq(ctx context.Context) (int64, error)
	// ChangesSince returns what changed after the sequence number since,
	// with the rows a patch needs, read in one transaction.
	ChangesSince(ctx context.Context, since int64) (*ChangeSet, error)
}

// ChangeSet is what changed between two sequence numbers, and the current
// rows of what changed. Applying it is idempotent: its rows are the
// current state, so a change included in an earlier load is harmless.
type ChangeSet struct {
	// Since is the sequence number asked for; Through the newest one
	// included, to ask from next time.
	Since, Through int64
	// Full says that the changes cannot be patched: one of them touched
	// more than mirrors and freshness (an import, a scan, a location,
	// repository, redirect or cloud range), the log no longer holds all
	// of them, or there are more than MaxPatchChanges. Nothing else is set.
	Full bool
	// Mirrors are the mirrors whose row, lists or crawler verdict changed,
	// sorted by name.
	Mirrors []MirrorChange
	// Freshness are the mirror and directory pairs whose freshness
	// changed, for mirrors not in Mirrors, sorted by mirror and directory.
	Freshness []FreshnessChange
}

// Empty reports whether nothing that answers depend on changed.
func (c *ChangeSet) Empty() bool { return !c.Full && len(c.Mirrors) == 0 && len(c.Freshness) == 0 }

// MirrorChange is the current state of a changed mirror.
type MirrorChange struct {
	Name string
	// Mirror is the stored mirror, nil when it was deleted.
	Mirror *Mirror
	// CrawlerDisabled says that the crawler took it out of answers.
	CrawlerDisabled bool
	// Freshness is every freshness record of the mirror.
	Freshness []Freshness
}

// FreshnessChange is the current freshness of one mirror and directory.
type FreshnessChange struct {
	Mirror, Directory string
	// SHA256 is the repomd the mirror serves, "" when it has no record.
	SHA256 string
}

// ChangeEntry is one recorded change, as the stores read it.
type ChangeEntry struct {
	Seq               int64
	Kind              string // "freshness", "mirror" or "all"
	Mirror, Directory string
}

// Touched sorts change entries into what a ChangeSet needs to read: the
// mirrors changed, and the freshness pairs of other mirrors. full says
// that one entry changed everything.
func Touched(entries []ChangeEntry) (mirrors []string, pairs [][2]string, full bool) {
	ms := map[string]bool{}
	ps := map[[2]string]bool{}
	for _, e := range entries {
		switch e.Kind {
		case "mirror":
			ms[e.Mirror] = true
		case "freshness":
			ps[[2]string{e.Mirror, e.Directory}] = true
		default:
			return nil, nil, true
		}
	}
	for m := range ms {
		mirrors = append(mirrors, m)
	}
	for p := range ps {
		if !ms[p[0]] {
			pairs = append(pairs, p)
		}
	}
	slices.Sort(mirrors)
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return mirrors, pairs, false
}
