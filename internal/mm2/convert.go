package mm2

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Options tune a conversion.
type Options struct {
	// Prefix starts the name of every mirror the import writes, and marks
	// the mirrors it owns (DefaultPrefix when empty).
	Prefix string
	// Now is the time MirrorManager's ageing of file details is applied at.
	Now time.Time
	// Categories names the categories to import; empty imports all.
	Categories []string
	// MaxStale and MaxPropagation are MirrorManager's max_stale_days and
	// max_propogation_days (DefaultMaxStale, DefaultMaxPropagation when 0).
	MaxStale, MaxPropagation time.Duration
}

// Defaults of Options, as MirrorManager2 configures them.
const (
	DefaultPrefix         = "mm2-"
	DefaultMaxStale       = 3 * 24 * time.Hour
	DefaultMaxPropagation = 2 * 24 * time.Hour
)

// Unmapped is one row, or one field of a row, that the dataset cannot
// hold: its table, the row it came from, and why.
type Unmapped struct {
	Table  string `json:"table"`
	Row    string `json:"row"` // "host 43 dnsblock.example.org", "repository 7 Fedora 41 iso"
	Reason string `json:"reason"`
}

func (u Unmapped) String() string { return u.Table + ": " + u.Row + ": " + u.Reason }

// Result is a conversion: the dataset's declarative part, directories and
// freshness as MirrorManager2 has them, the trees (directory prefixes,
// relative to the root) the import owns, and what was left out.
type Result struct {
	Dataset  *store.Dataset
	Root     string   // the MirrorManager2 directory our tree's root is
	Trees    []string // one per imported category; "" is the whole tree
	Unmapped []Unmapped
}

// converter holds one conversion's indexes.
type converter struct {
	src     *Source
	opt     Options
	res     *Result
	cats    map[int64]*category         // imported categories by id
	dirs    map[int64]string            // directory id → our path, imported categories only
	repomd  map[string]*store.Directory // our path → its repomd state
	catDirs map[int64][]string          // category id → our paths holding a repomd
}

// category is an imported category and where its tree lies in ours.
type category struct {
	Category
	tree string // the topdir relative to the root; "" when it is the root
}

// Convert converts src. It never fails: what cannot be converted is listed
// in Result.Unmapped with the row it came from.
func Convert(src *Source, o Options) *Result {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.MaxStale == 0 {
		o.MaxStale = DefaultMaxStale
	}
	if o.MaxPropagation == 0 {
		o.MaxPropagation = DefaultMaxPropagation
	}
	c := &converter{src: src, opt: o, res: &Result{Dataset: &store.Dataset{}},
		cats: map[int64]*category{}, dirs: map[int64]string{}, repomd: map[string]*store.Directory{},
		catDirs: map[int64][]string{}}
	c.categories()
	c.directories()
	c.locations()
	c.hosts()
	c.repositories()
	c.redirects()
	for _, f := range datasetFields {
		c.res.Unmapped = append(c.res.Unmapped, f(c.res.Dataset, src)...)
	}
	c.res.Dataset.Normalize()
	return c.res
}

func (c *converter) drop(table, row, format string, args ...any) {
	c.res.Unmapped = append(c.res.Unmapped, Unmapped{Table: table, Row: row, Reason: fmt.Sprintf(format, args...)})
}

// categories picks the imported categories and the root: the longest
// directory prefix their top directories share. Fedora Linux alone
// (pub/fedora/linux) makes that directory the root, so paths read
// releases/41/...; with EPEL (pub/epel) the root is pub and paths read
// fedora/linux/releases/41/... and epel/9/....
func (c *converter) categories() {
	var tops []string
	for _, cat := range c.src.Categories {
		if len(c.opt.Categories) > 0 && !slices.Contains(c.opt.Categories, cat.Name) {
			continue
		}
		if cat.Topdir == "" {
			c.drop("category", fmt.Sprintf("category %d %s", cat.ID, cat.Name), "no top directory (topdir_id)")
			continue
		}
		c.cats[cat.ID] = &category{Category: cat}
		tops = append(tops, cat.Topdir)
	}
	c.res.Root = commonDir(tops)
	for _, cat := range c.src.Categories {
		if x := c.cats[cat.ID]; x != nil {
			x.tree = relative(c.res.Root, cat.Topdir)
			c.res.Trees = append(c.res.Trees, x.tree)
		}
	}
}

// commonDir returns the longest directory prefix of all of dirs.
func commonDir(dirs []string) string {
	if len(dirs) == 0 {
		return ""
	}
	common := strings.Split(strings.Trim(dirs[0], "/"), "/")
	for _, d := range dirs[1:] {
		parts := strings.Split(strings.Trim(d, "/"), "/")
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	return strings.Join(common, "/")
}

// relative returns name below root ("" for root itself).
func relative(root, name string) string {
	name = strings.Trim(name, "/")
	if root == "" {
		return name
	}
	if name == root {
		return ""
	}
	return strings.TrimPrefix(name, root+"/")
}

// directories maps the imported categories' directories to our paths and
// builds the repomd state of each directory holding repodata/repomd.xml.
func (c *converter) directories() {
	for id := range c.cats {
		for _, d := range c.src.CategoryDirs[id] {
			if name, ok := c.src.Directories[d]; ok {
				c.dirs[d] = relative(c.res.Root, name)
			}
		}
	}
	for i := 0; i < len(c.src.FileDetails); {
		j := i + 1
		for j < len(c.src.FileDetails) && c.src.FileDetails[j].DirectoryID == c.src.FileDetails[i].DirectoryID &&
			c.src.FileDetails[j].Filename == c.src.FileDetails[i].Filename {
			j++
		}
		c.fileDetails(c.src.FileDetails[i:j])
		i = j
	}
	for id := range c.cats {
		for _, d := range c.src.CategoryDirs[id] {
			if p, ok := c.dirs[d]; ok && c.repomd[p] != nil {
				c.catDirs[id] = append(c.catDirs[id], p)
			}
		}
		slices.Sort(c.catDirs[id])
	}
	for _, d := range c.repomd {
		c.res.Dataset.Directories = append(c.res.Dataset.Directories, *d)
	}
	for _, p := range c.dirs {
		if p != "" {
			c.res.Dataset.TreeDirectories = append(c.res.Dataset.TreeDirectories, p)
		}
	}
}

// fileDetails converts the versions of one file of one directory, newest
// first, with MirrorManager's ageing: the newest is current; the second
// newest stays while the newest is younger than MaxPropagation; any other
// stays while younger than MaxStale.
func (c *converter) fileDetails(fds []FileDetail) {
	first := fds[0]
	p, imported := c.dirs[first.DirectoryID]
	if !imported {
		return
	}
	row := fmt.Sprintf("file_detail %d %s/%s", first.ID, c.src.Directories[first.DirectoryID], first.Filename)
	if first.Filename != "repomd.xml" || path.Base(p) != "repodata" || path.Dir(p) == "." {
		c.res.Unmapped = append(c.res.Unmapped, c.treeFile(p, row, fds)...)
		return
	}
	dir := store.Directory{Path: path.Dir(p)}
	now := c.opt.Now.Unix()
	stale, propagation := now-int64(c.opt.MaxStale/time.Second), now-int64(c.opt.MaxPropagation/time.Second)
	for i, fd := range fds {
		r, ok := repomdOf(fd)
		if !ok {
			c.drop("file_detail", fmt.Sprintf("file_detail %d %s/%s", fd.ID, c.src.Directories[fd.DirectoryID], fd.Filename),
				"no timestamp, size or sha256")
			continue
		}
		switch {
		case dir.Current.SHA256 == "":
			dir.Current = r
			continue
		case i == 1 && fds[0].Timestamp != nil && *fds[0].Timestamp >= propagation:
		case r.Timestamp >= stale:
		default:
			continue // aged out, as MirrorManager's UMDL would delete it
		}
		newer := dir.Current
		if n := len(dir.Alternates); n > 0 {
			newer = dir.Alternates[n-1]
		}
		r.Superseded = newer.Recorded
		dir.Alternates = append(dir.Alternates, r)
	}
	if dir.Current.SHA256 == "" {
		return
	}
	if err := (&store.Dataset{Directories: []store.Directory{dir}}).Validate(); err != nil {
		c.drop("file_detail", row, "%v", err)
		return
	}
	c.repomd[dir.Path] = &dir
}

// repomdOf converts one file_detail row; ok is false when it lacks what a
// metalink needs.
func repomdOf(fd FileDetail) (store.Repomd, bool) {
	if fd.Timestamp == nil || fd.Size == nil || fd.SHA256 == nil || *fd.SHA256 == "" {
		return store.Repomd{}, false
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.ToLower(*p)
	}
	return store.Repomd{Size: *fd.Size, Timestamp: *fd.Timestamp, MD5: str(fd.MD5), SHA1: str(fd.SHA1),
		SHA256: str(fd.SHA256), SHA512: str(fd.SHA512), Recorded: time.Unix(*fd.Timestamp, 0).UTC()}, true
}

// locations converts MirrorManager 1.4's locations.
func (c *converter) locations() {
	if !c.src.HasLocations {
		return
	}
	ids := make([]int64, 0, len(c.src.Locations))
	for id := range c.src.Locations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		l := store.Location{Name: c.src.Locations[id], Description: "from MirrorManager"}
		if err := (&store.Dataset{Locations: []store.Location{l}}).Validate(); err != nil {
			c.drop("location", fmt.Sprintf("location %d %s", id, l.Name), "%v", err)
			continue
		}
		c.res.Dataset.Locations = append(c.res.Dataset.Locations, l)
	}
}

// repositories converts repository rows of the imported categories.
func (c *converter) repositories() {
	for _, r := range c.src.Repositories {
		row := fmt.Sprintf("repository %d %s", r.ID, r.Name)
		if r.DirectoryID == nil {
			c.drop("repository", row, "no directory")
			continue
		}
		dir, ok := c.dirs[*r.DirectoryID]
		switch {
		case !ok:
			c.drop("repository", row, "its directory %s is outside the imported categories", c.src.Directories[*r.DirectoryID])
			continue
		case r.Prefix == nil || *r.Prefix == "":
			c.drop("repository", row, "no prefix: clients cannot name it in repo=")
			continue
		case r.ArchID == nil || c.src.Arches[*r.ArchID] == "":
			c.drop("repository", row, "no arch")
			continue
		}
		repo := store.Repository{Prefix: *r.Prefix, Arch: c.src.Arches[*r.ArchID], Directory: dir, Disabled: r.Disabled}
		if err := (&store.Dataset{Repositories: []store.Repository{repo}}).Validate(); err != nil {
			c.drop("repository", row, "%v", err)
			continue
		}
		c.res.Dataset.Repositories = append(c.res.Dataset.Repositories, repo)
	}
}

// redirects converts repository_redirect rows.
func (c *converter) redirects() {
	for _, r := range c.src.Redirects {
		row := "repository_redirect " + r.From
		if r.To == nil || *r.To == "" {
			c.drop("repository_redirect", row, "no target (to_repo)")
			continue
		}
		rd := store.Redirect{From: r.From, To: *r.To}
		if err := (&store.Dataset{Redirects: []store.Redirect{rd}}).Validate(); err != nil {
			c.drop("repository_redirect", row, "%v", err)
			continue
		}
		c.res.Dataset.Redirects = append(c.res.Dataset.Redirects, rd)
	}
}
