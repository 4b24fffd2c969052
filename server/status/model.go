package status

import (
	"slices"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/store"
)

// Page is what the status page shows, taken from a dataset: only public
// facts. It holds no URL, netblock, ASN, bucket or token, and nothing of
// private or regional mirrors but the count of regional ones per location.
type Page struct {
	// Built is when the snapshot the page describes was built.
	Built time.Time
	// Public counts the public mirrors; Enabled those of them listed (not
	// disabled by their admin, nor by the crawler).
	Public, Enabled int
	Countries       []Country
	Categories      []Category
	Propagation     Chart
	// Compose is the latest compose's propagation, from the crawls.
	Compose   Compose
	Locations []Location
	// Usage is the statistics as of the last flush; nil when statistics
	// are off (the page then has no usage section).
	Usage *Usage
}

// Country is a country's public mirrors, sorted by name.
type Country struct {
	Code    string
	Mirrors []Mirror
}

// Mirror is one public mirror as the page shows it.
type Mirror struct {
	Name string
	// Protocols are the URL schemes offered, in preference order.
	Protocols []string
	Enabled   bool
	// Reason and Since say why and since when the crawler took a mirror
	// out of answers; empty otherwise.
	Reason string
	Since  time.Time
}

// Category counts the enabled public mirrors by their state in one
// category of directories (see freshness.CategoryOf and freshness.State).
type Category struct {
	Name        string
	Directories int
	// Latest is the newest current repomd.xml of the category.
	Latest                time.Time
	Fresh, Stale, Unknown int
}

// Location is a location with the number of enabled regional mirrors
// serving it. Their names, URLs and buckets are never shown.
type Location struct {
	Name, Description string
	Mirrors           int
}

var schemeRank = map[string]int{"https": 0, "http": 1, "ftp": 2, "rsync": 3}

// Build returns the page of d as of built. It is pure and runs when a
// snapshot is built, off the request path.
func Build(d *store.Dataset, built time.Time) *Page {
	return BuildCounted(d, Count(d), built)
}

// Count tallies d's freshness for BuildCounted.
func Count(d *store.Dataset) *freshness.Counter {
	c := freshness.NewCounter(d.Mirrors, d.Directories, false)
	for i := range d.Freshness {
		c.Add(&d.Freshness[i])
	}
	return c
}

// BuildCounted is Build of a dataset whose freshness c tallied (c was
// made for d's mirrors and directories); d's own freshness is not read.
func BuildCounted(d *store.Dataset, c *freshness.Counter, built time.Time) *Page {
	p := &Page{Built: built.UTC()}
	counted := map[string]bool{}
	countries := map[string][]Mirror{}
	regional := map[string]int{}
	health := make(map[string]*store.MirrorHealth, len(d.Health))
	for i := range d.Health {
		if d.Health[i].Disabled {
			health[d.Health[i].Mirror] = &d.Health[i]
		}
	}
	for i := range d.Mirrors {
		m := &d.Mirrors[i]
		switch {
		case m.Regional():
			if m.Enabled {
				for _, l := range m.Locations {
					regional[l]++
				}
			}
			continue
		case m.Private:
			continue
		}
		p.Public++
		v := Mirror{Name: m.Name, Protocols: protocols(m.URLs), Enabled: m.Enabled}
		if h := health[m.Name]; h != nil {
			v.Enabled, v.Reason, v.Since = false, h.Reason, h.Since
		}
		if v.Enabled {
			p.Enabled++
			counted[m.Name] = true
		}
		countries[m.Country] = append(countries[m.Country], v)
	}
	for code, ms := range countries {
		slices.SortFunc(ms, func(a, b Mirror) int { return strings.Compare(a.Name, b.Name) })
		p.Countries = append(p.Countries, Country{Code: code, Mirrors: ms})
	}
	slices.SortFunc(p.Countries, func(a, b Country) int { return strings.Compare(a.Code, b.Code) })
	for _, l := range d.Locations {
		p.Locations = append(p.Locations, Location{Name: l.Name, Description: l.Description, Mirrors: regional[l.Name]})
	}
	slices.SortFunc(p.Locations, func(a, b Location) int { return strings.Compare(a.Name, b.Name) })
	t := c.Tally(func(m *store.Mirror) bool { return counted[m.Name] })
	p.Propagation.Title = "Latest repomd.xml per category: enabled public mirrors by state"
	for _, c := range t.Categories {
		p.Categories = append(p.Categories, Category{Name: c.Name, Directories: c.Directories,
			Latest: time.Unix(c.Latest, 0).UTC(), Fresh: c.Mirrors.Fresh, Stale: c.Mirrors.Stale(), Unknown: c.Mirrors.Unknown})
		p.Propagation.Series = append(p.Propagation.Series, Point{Label: c.Name, Counts: c.Mirrors})
	}
	return p
}

// protocols returns the distinct schemes of urls in preference order.
func protocols(urls []string) []string {
	var out []string
	for _, u := range urls {
		scheme, _, ok := strings.Cut(u, "://")
		if ok && !slices.Contains(out, scheme) {
			out = append(out, scheme)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

func rank(scheme string) int {
	if r, ok := schemeRank[scheme]; ok {
		return r
	}
	return len(schemeRank)
}
