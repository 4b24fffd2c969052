package freshness

import (
	"slices"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Counter tallies reports one at a time, as Count does, holding counts
// rather than the reports: the status page and the metrics tally a large
// network's half a million rows as they stream from the store.
type Counter struct {
	mirrors []store.Mirror
	dirs    []store.Directory
	byName  map[string]int
	byPath  map[string]int
	// dirCategory indexes each directory's category in categories.
	dirCategory []int
	categories  []Category
	// Per mirror: its counts, its state per category (mirror i's at
	// states[i*len(categories):], Unknown for none reported) and, when
	// kept, its stale directories.
	counts     []Counts
	states     []State
	reported   []int
	lastReport []time.Time
	stale      [][]StaleDirectory
	keepStale  bool
	// The mirror of the last row (-1: not given): rows come grouped by
	// mirror, so a name is looked up about once.
	last    string
	lastIdx int
	started bool
}

// NewCounter starts the tally of mirrors for dirs; keepStale keeps the
// stale directories of each mirror (Mirror.Stale), which the admin API's
// view shows and the status page does not.
func NewCounter(mirrors []store.Mirror, dirs []store.Directory, keepStale bool) *Counter {
	c := &Counter{mirrors: mirrors, dirs: dirs, byName: make(map[string]int, len(mirrors)),
		byPath: make(map[string]int, len(dirs)), dirCategory: make([]int, len(dirs)), keepStale: keepStale}
	catIndex := map[string]int{}
	for i := range dirs {
		d := &dirs[i]
		c.byPath[d.Path] = i
		name := CategoryOf(d.Path)
		ci, ok := catIndex[name]
		if !ok {
			ci = len(c.categories)
			catIndex[name] = ci
			c.categories = append(c.categories, Category{Name: name})
		}
		c.dirCategory[i] = ci
		ct := &c.categories[ci]
		ct.Directories++
		ct.Latest = max(ct.Latest, d.Current.Timestamp)
	}
	for i := range mirrors {
		c.byName[mirrors[i].Name] = i
	}
	c.counts = make([]Counts, len(mirrors))
	c.states = make([]State, len(mirrors)*len(c.categories))
	c.reported = make([]int, len(mirrors))
	c.lastReport = make([]time.Time, len(mirrors))
	if keepStale {
		c.stale = make([][]StaleDirectory, len(mirrors))
	}
	return c
}

// Add counts one report.
func (c *Counter) Add(f *store.Freshness) {
	if !c.started || f.Mirror != c.last {
		i, ok := c.byName[f.Mirror]
		if !ok {
			i = -1
		}
		c.last, c.lastIdx, c.started = f.Mirror, i, true
	}
	i := c.lastIdx
	if i < 0 {
		return
	}
	if !f.FromCrawl() && f.Reported.After(c.lastReport[i]) {
		c.lastReport[i] = f.Reported
	}
	di, ok := c.byPath[f.Directory]
	if !ok || c.mirrors[i].AlwaysUpToDate {
		return
	}
	s := Of(&c.dirs[di], f.SHA256)
	c.counts[i].Add(s)
	c.reported[i]++
	st := &c.states[i*len(c.categories)+c.dirCategory[di]]
	*st = max(*st, s)
	if c.keepStale && s.Stale() {
		c.stale[i] = append(c.stale[i], StaleDirectory{Directory: f.Directory, SHA256: f.SHA256, Reported: f.Reported, State: s})
	}
}

// Tally returns the tally of the mirrors include accepts (every mirror
// when include is nil), in the order given, and of the categories for them.
func (c *Counter) Tally(include func(*store.Mirror) bool) Tally {
	t := Tally{Categories: slices.Clone(c.categories)}
	for i := range c.mirrors {
		if include != nil && !include(&c.mirrors[i]) {
			continue
		}
		mt := c.mirror(i)
		for ci := range t.Categories {
			if s, ok := mt.Categories[t.Categories[ci].Name]; ok {
				t.Categories[ci].Mirrors.Add(s)
			} else {
				t.Categories[ci].Mirrors.Unknown++
			}
		}
		t.Mirrors = append(t.Mirrors, mt)
	}
	if t.Mirrors == nil {
		t.Mirrors = []Mirror{}
	}
	slices.SortFunc(t.Categories, func(a, b Category) int { return strings.Compare(a.Name, b.Name) })
	return t
}

// mirror is mirror i's tally.
func (c *Counter) mirror(i int) Mirror {
	m := &c.mirrors[i]
	mt := Mirror{Name: m.Name, Categories: map[string]State{}, LastReport: c.lastReport[i]}
	if m.AlwaysUpToDate {
		mt.Directories.Fresh = len(c.dirs)
		for di := range c.dirs {
			mt.Categories[c.categories[c.dirCategory[di]].Name] = Fresh
		}
		return mt
	}
	mt.Directories = c.counts[i]
	mt.Directories.Unknown = len(c.dirs) - c.reported[i]
	for ci, s := range c.states[i*len(c.categories) : (i+1)*len(c.categories)] {
		if s != Unknown {
			mt.Categories[c.categories[ci].Name] = s
		}
	}
	if c.keepStale {
		mt.Stale = slices.Clone(c.stale[i])
		slices.SortFunc(mt.Stale, func(a, b StaleDirectory) int { return strings.Compare(a.Directory, b.Directory) })
	}
	return mt
}
