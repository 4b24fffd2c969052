package crawler

import (
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// Filter narrows a crawl. Empty fields select everything.
type Filter struct {
	// Mirrors names the mirrors to crawl.
	Mirrors []string
	// Categories selects directories equal to or under one of these
	// leading paths of the master tree ("fedora", "fedora/linux/updates").
	Categories []string
	// Repos selects the directories of repositories given as PREFIX (every
	// architecture) or PREFIX/ARCH, as dnf names them in repo= and arch=.
	Repos []string
}

// SelectMirrors returns the mirrors to crawl: the Crawlable ones, narrowed to
// f.Mirrors; unknown lists the names in f.Mirrors that are not mirrors.
// A named mirror that is not crawlable is left out too.
func (f Filter) SelectMirrors(all []store.Mirror) (out []store.Mirror, unknown []string) {
	want := map[string]bool{}
	for _, n := range f.Mirrors {
		want[n] = true
	}
	named := len(want) > 0
	for i := range all {
		m := &all[i]
		if named && !want[m.Name] {
			continue
		}
		delete(want, m.Name)
		if Crawlable(m) && len(baseURLs(m)) > 0 {
			out = append(out, *m)
		}
	}
	for _, n := range f.Mirrors {
		if want[n] {
			unknown = append(unknown, n)
		}
	}
	return out, unknown
}

// SelectDirectories returns the directories to check.
func (f Filter) SelectDirectories(all []store.Directory, repos []store.Repository) []store.Directory {
	byRepo := map[string]bool{}
	for _, r := range repos {
		for _, want := range f.Repos {
			p, a, hasArch := strings.Cut(want, "/")
			if r.Prefix == p && (!hasArch || r.Arch == a) {
				byRepo[r.Directory] = true
			}
		}
	}
	var out []store.Directory
	for _, d := range all {
		if len(f.Repos) > 0 && !byRepo[d.Path] {
			continue
		}
		if len(f.Categories) > 0 && !underAny(d.Path, f.Categories) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func underAny(p string, prefixes []string) bool {
	for _, c := range prefixes {
		c = strings.Trim(c, "/")
		if p == c || strings.HasPrefix(p, c+"/") {
			return true
		}
	}
	return false
}
