package metalink

import (
	"fmt"
	"html"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// mirrorID indexes Snapshot.mirrors.
type mirrorID int32

// mirror is a mirror as the request path needs it.
type mirror struct {
	Name      string
	Country   string
	Continent string
	Bandwidth int
	// Hidden mirrors (private ones and regional buckets) never appear in the
	// country, continent or global steps and carry mm0:private="True".
	Hidden   bool
	Regional bool
	ASN      uint32
	// URLs in the order the admin gave them, which answers keep, as
	// Fedora's server does.
	URLs []mirrorURL
	// ListURL indexes the URL a mirrorlist gives by default (the first
	// https, http or ftp one), -1 when there is none.
	ListURL int
	// Locations are the locations the mirror is registered for.
	Locations []string
	// AlwaysUpToDate mirrors carry every directory of the tree.
	AlwaysUpToDate bool
	// Allowed, when not empty, are the only client countries the mirror
	// may be listed for (host_country_allowed).
	Allowed []string
}

// mirrorURL is one base URL of a mirror, raw and XML-escaped.
type mirrorURL struct {
	Scheme  string
	Base    string
	BaseXML string
}

// dirView is everything selection needs for one directory.
type dirView struct {
	Path    string
	PathXML string
	// State is the scanned repomd state; nil when the directory was never scanned.
	State *store.Directory
	// carries has bit i set when mirror i carries the directory's content.
	carries []uint64
	// Candidate lists, each restricted to enabled mirrors carrying the content.
	ByLocation  map[string][]mirrorID
	ByCountry   map[string][]mirrorID
	ByContinent map[string][]mirrorID
	Global      []mirrorID
	// Countries lists, per continent, the countries that have mirrors here,
	// sorted, for the mirrorlist header.
	Countries map[string][]string

	// files is the rendered <files> part of the directory's metalink,
	// built on first use (see filesPart).
	filesOnce sync.Once
	files     []byte
	// meta4File is the Metalink 4 counterpart (see meta4FilePart).
	meta4Once sync.Once
	meta4File []byte

	// group, for a directory that is no repository directory, names the
	// repository directories it belongs to; its candidate lists are built
	// on first use (see tree.go).
	group *treeGroup
}

// Carries reports whether mirror id carries this directory's content.
func (v *dirView) Carries(id mirrorID) bool {
	return int(id)/64 < len(v.carries) && v.carries[id/64]&(1<<(uint(id)%64)) != 0
}

// repoView is a repository mapping resolved to its directory.
type repoView struct {
	Prefix, Arch string
	Dir          *dirView
	Disabled     bool
}

// Snapshot is an immutable, indexed view of a store.Dataset. The server
// answers every request from one and swaps in a new one when the store
// changes.
type Snapshot struct {
	// Built is when the snapshot was built: a mirrorlist's "database
	// creation time".
	Built time.Time
	// mirrors are the enabled mirrors, indexed by mirrorID.
	mirrors   []mirror
	repos     map[string]*repoView
	redirects map[string]string
	dirs      map[string]*dirView
	locations map[string]bool
	netblocks prefixTable[mirrorID]
	asn       map[uint32][]mirrorID
	// cloud maps published cloud address ranges to locations.
	cloud prefixTable[string]
	// countryOf maps the admin's netblocks to the country their clients
	// count as, before GeoIP; continentOf overrides the continent table.
	countryOf   prefixTable[string]
	continentOf map[string]string
	// hostRules holds, per mirrorID, the hostRule bits selection tests for
	// every candidate, kept apart from the mirrors so that the test reads
	// one byte; familyLimited says whether any mirror lacks a family.
	hostRules     []hostRule
	familyLimited bool
	// restricted says whether any mirror has countries_allowed.
	restricted bool
	// repoList is the "# repo=R&arch=A" listing of every repository, one per line.
	repoList string

	// pieces are the rendered parts of every mirror URL's <url> element,
	// indexed by mirrorID, built on first use (see urlPieces).
	piecesOnce sync.Once
	pieces     [][]urlPiece
	// meta4 holds the Metalink 4 counterparts (see meta4Pieces).
	meta4 meta4Cache
	// tree maps the directories of the master tree outside every
	// repository directory to the view of what they belong to; files the
	// paths of the files with recorded details (see tree.go).
	tree  map[string]*dirView
	files map[string]*fileView
}

// MirrorCount returns the number of mirrors the snapshot answers with: the
// enabled ones.
func (s *Snapshot) MirrorCount() int { return len(s.mirrors) }

func repoKey(prefix, arch string) string { return prefix + "\x00" + arch }

// repo returns the repository for prefix and arch, after redirects.
func (s *Snapshot) repo(prefix, arch string) *repoView {
	if to, ok := s.redirects[prefix]; ok {
		prefix = to
	}
	return s.repos[repoKey(prefix, arch)]
}

// redirect returns the prefix that requests for prefix are sent to.
func (s *Snapshot) redirect(prefix string) string {
	if to, ok := s.redirects[prefix]; ok {
		return to
	}
	return prefix
}

// dir returns the view of a directory path, or nil.
func (s *Snapshot) dir(path string) *dirView { return s.dirs[path] }

// knownLocation reports whether a location is declared.
func (s *Snapshot) knownLocation(name string) bool { return s.locations[name] }

// netblocksOf appends to dst the mirrors whose netblocks contain a, longest
// prefix first.
func (s *Snapshot) netblocksOf(dst []prefixValue[mirrorID], a netip.Addr) []prefixValue[mirrorID] {
	if !a.IsValid() || s.netblocks.Len() == 0 {
		return dst
	}
	return s.netblocks.Lookup(dst, a)
}

// byASN returns the mirrors registered for an autonomous system.
func (s *Snapshot) byASN(asn uint32) []mirrorID { return s.asn[asn] }

// NewSnapshot builds the indexed view of d at time built. d must be valid.
// Mirrors disabled by their admin or by the crawler (d.Health) are left out.
func NewSnapshot(d *store.Dataset, built time.Time) *Snapshot {
	s := &Snapshot{
		Built:     built,
		repos:     make(map[string]*repoView, len(d.Repositories)),
		redirects: make(map[string]string, len(d.Redirects)),
		dirs:      make(map[string]*dirView, len(d.Directories)),
		locations: d.LocationNames(),
		asn:       map[uint32][]mirrorID{},
	}
	s.overrides(d)
	byName := make(map[string]mirrorID, len(d.Mirrors))
	down := d.CrawlerDisabled()
	for i := range d.Mirrors {
		m := &d.Mirrors[i]
		if !m.Enabled || down[m.Name] {
			continue
		}
		id := mirrorID(len(s.mirrors))
		byName[m.Name] = id
		s.mirrors = append(s.mirrors, newMirror(m))
		s.mirrors[id].Continent = s.continent(m.Country)
		s.hostRules = append(s.hostRules, hostRuleOf(m))
		s.familyLimited = s.familyLimited || !m.ServesIPv4() || !m.ServesIPv6()
		s.restricted = s.restricted || len(m.CountriesAllowed) > 0
		for _, nb := range m.Netblocks {
			if p, err := store.ParseNetblock(nb); err == nil {
				s.netblocks.Insert(p, id)
			}
		}
		if m.ASN != 0 && !m.Regional() {
			s.asn[m.ASN] = append(s.asn[m.ASN], id)
		}
	}
	for _, r := range d.Redirects {
		s.redirects[r.From] = r.To
	}
	regions := d.CloudRegionLocations()
	for _, r := range d.CloudRanges {
		loc, ok := regions[r.Region]
		if p, err := store.ParseNetblock(r.Prefix); ok && err == nil {
			s.cloud.Insert(p, loc)
		}
	}
	for i := range d.Directories {
		s.dirs[d.Directories[i].Path] = &dirView{Path: d.Directories[i].Path, State: &d.Directories[i]}
	}
	var list []string
	for _, r := range d.Repositories {
		v := s.dirs[r.Directory]
		if v == nil {
			v = &dirView{Path: r.Directory}
			s.dirs[r.Directory] = v
		}
		s.repos[repoKey(r.Prefix, r.Arch)] = &repoView{Prefix: r.Prefix, Arch: r.Arch, Dir: v, Disabled: r.Disabled}
		list = append(list, fmt.Sprintf("# repo=%s&arch=%s\n", r.Prefix, r.Arch))
	}
	slices.Sort(list)
	s.repoList = strings.Join(list, "")
	fresh := map[string]map[mirrorID]string{}
	for _, f := range d.Freshness {
		if id, ok := byName[f.Mirror]; ok {
			if fresh[f.Directory] == nil {
				fresh[f.Directory] = map[mirrorID]string{}
			}
			fresh[f.Directory][id] = f.SHA256
		}
	}
	for _, v := range s.dirs {
		s.index(v, d, byName, fresh[v.Path])
	}
	s.indexTree(d)
	return s
}

func newMirror(m *store.Mirror) mirror {
	sm := mirror{
		Name: m.Name, Country: m.Country, Continent: store.Continent(m.Country),
		Bandwidth: max(m.Bandwidth, 1), Hidden: m.Private || m.Regional(), Regional: m.Regional(), ASN: m.ASN,
		Locations: m.Locations, AlwaysUpToDate: m.AlwaysUpToDate,
	}
	for _, u := range m.URLs {
		scheme, _, _ := strings.Cut(u, ":")
		sm.URLs = append(sm.URLs, mirrorURL{Scheme: scheme, Base: u, BaseXML: html.EscapeString(u)})
	}
	sm.ListURL = mirrorlistDefault.next(&sm, 0, 0)
	sm.Allowed = m.CountriesAllowed
	return sm
}

// index fills a directory's candidate lists. A mirror carries the content
// when it is flagged always up to date or reported a repomd the directory
// still accepts.
func (s *Snapshot) index(v *dirView, d *store.Dataset, byName map[string]mirrorID, fresh map[mirrorID]string) {
	s.initLists(v)
	for i := range d.Mirrors {
		m := &d.Mirrors[i]
		id, ok := byName[m.Name]
		if !ok {
			continue
		}
		sha, reported := fresh[id]
		if !m.AlwaysUpToDate && !(reported && v.State != nil && v.State.Accepts(sha)) {
			continue
		}
		v.carries[id/64] |= 1 << (uint(id) % 64)
		s.addCandidate(v, id)
	}
	for _, cs := range v.Countries {
		slices.Sort(cs)
	}
}

// initLists makes a view's empty candidate lists.
func (s *Snapshot) initLists(v *dirView) {
	v.PathXML = html.EscapeString(v.Path)
	v.carries = make([]uint64, (len(s.mirrors)+63)/64)
	v.ByLocation = map[string][]mirrorID{}
	v.ByCountry = map[string][]mirrorID{}
	v.ByContinent = map[string][]mirrorID{}
	v.Countries = map[string][]string{}
}

// addCandidate lists mirror id, which carries v's content, in v's
// candidate lists: its locations always, the country, continent and global
// lists unless it is hidden.
func (s *Snapshot) addCandidate(v *dirView, id mirrorID) {
	sm := &s.mirrors[id]
	for _, l := range sm.Locations {
		v.ByLocation[l] = append(v.ByLocation[l], id)
	}
	if sm.Hidden {
		return
	}
	if len(v.ByCountry[sm.Country]) == 0 && sm.Continent != "" {
		v.Countries[sm.Continent] = append(v.Countries[sm.Continent], sm.Country)
	}
	v.ByCountry[sm.Country] = append(v.ByCountry[sm.Country], id)
	if sm.Continent != "" {
		v.ByContinent[sm.Continent] = append(v.ByContinent[sm.Continent], id)
	}
	v.Global = append(v.Global, id)
}

// cloudLocation returns the location that a published cloud range containing
// a maps to, or "" (selection step 2).
func (s *Snapshot) cloudLocation(a netip.Addr) string {
	if !a.IsValid() || s.cloud.Len() == 0 {
		return ""
	}
	var buf [4]prefixValue[string]
	m := s.cloud.Lookup(buf[:0], a)
	if len(m) == 0 {
		return ""
	}
	return m[0].Value
}
