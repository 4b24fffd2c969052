package metalink

import (
	"fmt"
	"html"
	"maps"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// index is the mirror's id; rank its position among the snapshot's
	// mirrors by name, which every candidate list keeps and selection
	// breaks ties by, -1 when the id is vacant (a mirror a patch took out).
	index, rank int32
	// nbSlot is the slot of nbSlots its netblocks are stored under, -1
	// when none are.
	nbSlot int32
	// Locations are the locations the mirror is registered for.
	Locations []string
	// AlwaysUpToDate mirrors carry every directory of the tree.
	AlwaysUpToDate bool
	// Allowed, when not empty, are the only client countries the mirror
	// may be listed for (host_country_allowed).
	Allowed []string
	// src is the stored mirror, for patches.
	src *store.Mirror
	// country, continent and locations index the snapshot's names of them
	// (continent -1 when the country has none), for building lists.
	country, continent int32
	locations          []int32
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
	// urlTail ends each <url> of the directory's metalink: the path,
	// escaped for XML, to its repomd.xml, and the closing tag.
	urlTail string
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
	// floor3 and floor4 hold the floor blocks of the Metalink 3.0 and 4
	// answers (see floor.go).
	floor3, floor4 floorCache

	// group, for a directory that is no repository directory, names the
	// repository directories it belongs to; its candidate lists are built
	// on first use (see tree.go).
	group *treeGroup
}

// setPath sets what is rendered from the directory's path.
func (v *dirView) setPath() {
	v.PathXML = html.EscapeString(v.Path)
	v.urlTail = v.PathXML + repomdSuffix + "</url>\n"
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
	// mirrors are the enabled mirrors, indexed by mirrorID. A patch keeps
	// every mirror's id: a mirror it takes out leaves a vacant id (rank
	// -1) that no list holds, and one it brings in takes a vacant id or a
	// new one at the end; only a rebuild numbers them afresh, by name.
	mirrors []mirror
	// order lists the ids of the mirrors by name (by rank); ordered says
	// that it is increasing, so that id order is name order.
	order     []mirrorID
	ordered   bool
	repos     map[string]*repoView
	redirects map[string]string
	dirs      map[string]*dirView
	locations map[string]bool
	// byName finds a mirror's id.
	byName map[string]mirrorID
	// names are the countries (sorted), continents and locations of the
	// mirrors, each once.
	names mirrorNames
	// netblocks holds slots of nbSlots, which map them to mirror ids (-1:
	// gone), so that a patch takes a mirror's netblocks out by its slot and
	// adds new ones by copying the paths they change. nbDead counts the
	// entries of gone slots; nbUnsorted says that entries were added out of
	// name order (see netblocksOf).
	netblocks  prefixTable[mirrorID]
	nbSlots    []mirrorID
	nbDead     int
	nbUnsorted bool
	asn        map[uint32][]mirrorID
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

	// newer holds the views patches made of directories since dirs was
	// built (dirs, and the repositories' views, are then shared), and
	// newerGroups the groups' views that replace those of tree, so that a
	// patch copies what it changed rather than every directory; a patch
	// folds them into a new dirs when they grow (see Patch). groupsOf
	// maps a repository directory to the groups of tree it is a member of.
	newer       map[string]*dirView
	newerGroups map[*dirView]*dirView
	groupsOf    map[string][]*dirView

	// reuse holds the answers that may be given again (see reuse.go).
	reuse atomic.Pointer[reuseTable]
}

// MirrorCount returns the number of mirrors the snapshot answers with: the
// enabled ones.
func (s *Snapshot) MirrorCount() int { return len(s.order) }

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
func (s *Snapshot) dir(path string) *dirView {
	if v, ok := s.newer[path]; ok {
		return v
	}
	return s.dirs[path]
}

// current returns the view of v's directory in s: v itself unless a patch
// made a newer one.
func (s *Snapshot) current(v *dirView) *dirView {
	if len(s.newer) == 0 {
		return v
	}
	return s.dir(v.Path)
}

// group returns the view of the tree's group of directory path, or nil.
func (s *Snapshot) group(path string) *dirView {
	g := s.tree[path]
	if ng, ok := s.newerGroups[g]; ok {
		return ng
	}
	return g
}

// knownLocation reports whether a location is declared.
func (s *Snapshot) knownLocation(name string) bool { return s.locations[name] }

// netblocksOf appends to dst the mirrors whose netblocks contain a, longest
// prefix first.
func (s *Snapshot) netblocksOf(dst []prefixValue[mirrorID], a netip.Addr) []prefixValue[mirrorID] {
	if !a.IsValid() || s.netblocks.Len() == 0 {
		return dst
	}
	start := len(dst)
	dst = s.netblocks.Lookup(dst, a)
	kept := dst[:start]
	for _, pv := range dst[start:] {
		if id := s.nbSlots[pv.Value]; id >= 0 {
			pv.Value = id
			kept = append(kept, pv)
		}
	}
	if s.nbUnsorted {
		s.sortNetblocks(kept[start:])
	}
	return kept
}

// sortNetblocks puts the entries of each prefix (they come longest prefix
// first) in the order a table built afresh gives them, by rank descending,
// since a patch appends the entries of the mirrors it adds.
func (s *Snapshot) sortNetblocks(nb []prefixValue[mirrorID]) {
	after := func(a, b prefixValue[mirrorID]) bool {
		return a.Prefix.Bits() < b.Prefix.Bits() ||
			a.Prefix.Bits() == b.Prefix.Bits() && s.mirrors[a.Value].rank < s.mirrors[b.Value].rank
	}
	for i := 1; i < len(nb); i++ {
		for j := i; j > 0 && after(nb[j-1], nb[j]); j-- {
			nb[j-1], nb[j] = nb[j], nb[j-1]
		}
	}
}

// byASN returns the mirrors registered for an autonomous system.
func (s *Snapshot) byASN(asn uint32) []mirrorID { return s.asn[asn] }

// NewSnapshot builds the indexed view of d at time built. d must be valid.
// Mirrors disabled by their admin or by the crawler (d.Health) are left out.
// Mirrors are numbered in d's order (by name, as the stores load them), and
// every candidate list keeps that order.
func NewSnapshot(d *store.Dataset, built time.Time) *Snapshot {
	b := NewBuilder(d, built)
	for i := range d.Freshness {
		b.Add(&d.Freshness[i])
	}
	return b.Snapshot()
}

// Builder builds a Snapshot from a dataset whose freshness comes one row
// at a time (store.Store.Export), so that a large network's rows are never
// held: each sets one carries bit. The snapshot keeps d's mirrors and
// directories but not its freshness.
type Builder struct {
	s *Snapshot
	d *store.Dataset
	// The mirror of the last row and its id (-1: left out): rows come
	// grouped by mirror (sorted, or as the table holds them), so a
	// mirror's name is looked up about once.
	last    string
	lastID  mirrorID
	started bool
}

// NewBuilder starts the snapshot of d at time built; d's freshness is
// ignored, its rows are given to Add. d must be valid.
func NewBuilder(d *store.Dataset, built time.Time) *Builder {
	s := &Snapshot{
		Built:     built,
		repos:     make(map[string]*repoView, len(d.Repositories)),
		redirects: make(map[string]string, len(d.Redirects)),
		dirs:      make(map[string]*dirView, len(d.Directories)),
		locations: d.LocationNames(),
	}
	s.overrides(d)
	down := d.CrawlerDisabled()
	rows := make([]*store.Mirror, 0, len(d.Mirrors))
	for i := range d.Mirrors {
		if m := &d.Mirrors[i]; m.Enabled && !down[m.Name] {
			rows = append(rows, m)
		}
	}
	s.setMirrors(rows)
	s.setNetblocks()
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
	s.initCarries()
	return &Builder{s: s, d: d}
}

// Add sets the carries bit of one freshness row: the mirror carries the
// directory's content when it reported a repomd the directory still
// accepts. Rows of mirrors left out, or of unknown directories, are ignored.
func (b *Builder) Add(f *store.Freshness) {
	if !b.started || f.Mirror != b.last {
		id, ok := b.s.byName[f.Mirror]
		if !ok {
			id = -1 // left out: its rows are skipped
		}
		b.last, b.lastID, b.started = f.Mirror, id, true
	}
	if b.lastID < 0 {
		return
	}
	if v := b.s.dirs[f.Directory]; v != nil && v.State != nil && v.State.Accepts(f.SHA256) {
		setBit(v.carries, b.lastID)
	}
}

// Snapshot indexes the rows added and returns the snapshot; the builder
// must not be used after.
func (b *Builder) Snapshot() *Snapshot {
	s := b.s
	s.indexAll(mapsValues(s.dirs))
	s.indexTree(b.d)
	b.s, b.d = nil, nil
	return s
}

// setMirrors numbers the mirrors of rows, in their order, and indexes them
// by name and by ASN.
func (s *Snapshot) setMirrors(rows []*store.Mirror) {
	s.mirrors = make([]mirror, len(rows))
	s.byName = make(map[string]mirrorID, len(rows))
	s.asn = map[uint32][]mirrorID{}
	s.hostRules = make([]hostRule, len(rows))
	s.order, s.ordered = make([]mirrorID, len(rows)), true
	for i, m := range rows {
		s.byName[m.Name] = mirrorID(i)
		s.mirrors[i] = s.newMirror(m, mirrorID(i))
		s.mirrors[i].rank = int32(i)
		s.order[i] = mirrorID(i)
		s.hostRules[i] = hostRuleOf(m)
	}
	s.indexMirrors()
}

// indexMirrors sets, from the mirrors in name order, the host rule flags,
// the ASN lists and the names.
func (s *Snapshot) indexMirrors() {
	s.familyLimited, s.restricted = false, false
	s.asn = map[uint32][]mirrorID{}
	for _, id := range s.order {
		m := s.mirrors[id].src
		s.familyLimited = s.familyLimited || !m.ServesIPv4() || !m.ServesIPv6()
		s.restricted = s.restricted || len(m.CountriesAllowed) > 0
		if m.ASN != 0 && !m.Regional() {
			s.asn[m.ASN] = append(s.asn[m.ASN], id)
		}
	}
	s.names = nameMirrors(s.mirrors, s.order, s.continent)
}

// newMirror is m as mirror id of s.
func (s *Snapshot) newMirror(m *store.Mirror, id mirrorID) mirror {
	sm := newMirror(m)
	sm.index = int32(id)
	sm.nbSlot = -1
	sm.Continent = s.continent(m.Country)
	return sm
}

// mirrorNames are the distinct countries (sorted), continents and
// locations of a snapshot's mirrors.
type mirrorNames struct {
	countries, continents, locations []string
	// continentOf indexes each country's continent in continents, -1 for none.
	continentOf []int32
}

// nameMirrors collects the names of the mirrors of ms, which order lists,
// and indexes each mirror's.
func nameMirrors(ms []mirror, order []mirrorID, continentOf func(country string) string) mirrorNames {
	var n mirrorNames
	countries := map[string]int32{}
	for _, id := range order {
		countries[ms[id].Country] = 0
	}
	n.countries = slices.Sorted(maps.Keys(countries))
	continents, locations := map[string]int32{}, map[string]int32{}
	intern := func(m map[string]int32, list *[]string, name string) int32 {
		if i, ok := m[name]; ok {
			return i
		}
		m[name] = int32(len(*list))
		*list = append(*list, name)
		return m[name]
	}
	n.continentOf = make([]int32, len(n.countries))
	for i, c := range n.countries {
		countries[c] = int32(i)
		n.continentOf[i] = -1
		if cont := continentOf(c); cont != "" {
			n.continentOf[i] = intern(continents, &n.continents, cont)
		}
	}
	for _, id := range order {
		m := &ms[id]
		m.country = countries[m.Country]
		m.continent = n.continentOf[m.country]
		m.locations = make([]int32, len(m.Locations))
		for j, l := range m.Locations {
			m.locations[j] = intern(locations, &n.locations, l)
		}
	}
	return n
}

// setNetblocks builds the netblock table of the mirrors, in name order.
// Its values are slots of nbSlots (here slot i for mirror i), which patches
// edit without rebuilding the table.
func (s *Snapshot) setNetblocks() {
	s.netblocks = prefixTable[mirrorID]{}
	s.nbSlots = make([]mirrorID, len(s.mirrors))
	s.nbDead, s.nbUnsorted = 0, false
	for id := range s.nbSlots {
		s.nbSlots[id] = -1
	}
	for _, id := range s.order {
		s.nbSlots[id], s.mirrors[id].nbSlot = id, int32(id)
		for _, nb := range s.mirrors[id].src.Netblocks {
			if p, err := store.ParseNetblock(nb); err == nil {
				s.netblocks.Insert(p, id)
			}
		}
	}
}

// initCarries gives every directory its carries bits, set for the mirrors
// flagged always up to date; Builder.Add sets those of the mirrors that
// reported a repomd the directory still accepts. The bitsets share one
// allocation.
func (s *Snapshot) initCarries() {
	words := carriesWords(len(s.mirrors))
	all := make([]uint64, words*len(s.dirs))
	for _, v := range s.dirs {
		v.carries, all = all[:words:words], all[words:]
		for id := range s.mirrors {
			if s.mirrors[id].AlwaysUpToDate {
				setBit(v.carries, mirrorID(id))
			}
		}
	}
}

func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

func carriesWords(mirrors int) int { return (mirrors + 63) / 64 }

func setBit(bits []uint64, id mirrorID) { bits[id/64] |= 1 << (uint(id) % 64) }

func mapsValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func newMirror(m *store.Mirror) mirror {
	sm := mirror{
		Name: m.Name, Country: m.Country, Continent: store.Continent(m.Country),
		Bandwidth: max(m.Bandwidth, 1), Hidden: m.Private || m.Regional(), Regional: m.Regional(), ASN: m.ASN,
		Locations: m.Locations, AlwaysUpToDate: m.AlwaysUpToDate, src: m,
	}
	for _, u := range m.URLs {
		scheme, _, _ := strings.Cut(u, ":")
		sm.URLs = append(sm.URLs, mirrorURL{Scheme: scheme, Base: u, BaseXML: html.EscapeString(u)})
	}
	sm.ListURL = mirrorlistDefault.next(&sm, 0, 0)
	sm.Allowed = m.CountriesAllowed
	return sm
}

// indexAll fills the candidate lists of views from their carries bits,
// over two goroutines when there are many.
func (s *Snapshot) indexAll(views []*dirView) {
	if len(views) < 256 {
		var sc listCounts
		for _, v := range views {
			s.index(v, &sc)
		}
		return
	}
	var wg sync.WaitGroup
	half := len(views) / 2
	wg.Add(1)
	go func() {
		defer wg.Done()
		var sc listCounts
		for _, v := range views[half:] {
			s.index(v, &sc)
		}
	}()
	var sc listCounts
	for _, v := range views[:half] {
		s.index(v, &sc)
	}
	wg.Wait()
}

// listCounts is index's scratch space: the length of each list, then the
// lists being filled, by name index.
type listCounts struct {
	country, continent, location []int
	countries, continents        [][]mirrorID
	locations                    [][]mirrorID
}

func resetCounts(c []int, n int) []int {
	c = slices.Grow(c[:0], n)[:n]
	clear(c)
	return c
}

// index fills a directory's candidate lists from its carries bits, in
// mirror order: the lists share one allocation, sized by a first pass.
func (s *Snapshot) index(v *dirView, sc *listCounts) {
	v.setPath()
	sc.country = resetCounts(sc.country, len(s.names.countries))
	sc.continent = resetCounts(sc.continent, len(s.names.continents))
	sc.location = resetCounts(sc.location, len(s.names.locations))
	total, visible := 0, 0
	s.eachCarrier(v, func(m *mirror) {
		for _, l := range m.locations {
			sc.location[l]++
		}
		total += len(m.locations)
		if m.Hidden {
			return
		}
		visible++
		total += 2
		sc.country[m.country]++
		if m.continent >= 0 {
			sc.continent[m.continent]++
			total++
		}
	})
	buf := make([]mirrorID, 0, total)
	carve := func(n int) []mirrorID {
		l := buf[len(buf) : len(buf) : len(buf)+n]
		buf = buf[:len(buf)+n]
		return l
	}
	sc.countries = carveAll(sc.countries, sc.country, carve)
	sc.continents = carveAll(sc.continents, sc.continent, carve)
	sc.locations = carveAll(sc.locations, sc.location, carve)
	global := carve(visible)
	s.eachCarrier(v, func(m *mirror) {
		id := mirrorID(m.index)
		for _, l := range m.locations {
			sc.locations[l] = append(sc.locations[l], id)
		}
		if m.Hidden {
			return
		}
		sc.countries[m.country] = append(sc.countries[m.country], id)
		if m.continent >= 0 {
			sc.continents[m.continent] = append(sc.continents[m.continent], id)
		}
		global = append(global, id)
	})
	if visible > 0 {
		v.Global = global
	}
	v.ByLocation = listMap(sc.locations, s.names.locations)
	v.ByCountry = listMap(sc.countries, s.names.countries)
	v.ByContinent = listMap(sc.continents, s.names.continents)
	v.Countries = s.countriesByContinent(sc.country)
}

// eachCarrier calls fn with each mirror that carries v, in name order.
func (s *Snapshot) eachCarrier(v *dirView, fn func(*mirror)) {
	if !s.ordered {
		for _, id := range s.order {
			if v.Carries(id) {
				fn(&s.mirrors[id])
			}
		}
		return
	}
	for w, word := range v.carries {
		for word != 0 {
			id := w*64 + trailingZeros(word)
			word &= word - 1
			fn(&s.mirrors[id])
		}
	}
}

// carveAll sets lists[i] to an empty list of capacity counts[i].
func carveAll(lists [][]mirrorID, counts []int, carve func(int) []mirrorID) [][]mirrorID {
	lists = slices.Grow(lists[:0], len(counts))[:len(counts)]
	for i, n := range counts {
		lists[i] = nil
		if n > 0 {
			lists[i] = carve(n)
		}
	}
	return lists
}

// listMap maps the names of the non-empty lists to them.
func listMap(lists [][]mirrorID, names []string) map[string][]mirrorID {
	n := 0
	for _, l := range lists {
		if len(l) > 0 {
			n++
		}
	}
	m := make(map[string][]mirrorID, n)
	for i, l := range lists {
		if len(l) > 0 {
			m[names[i]] = l
		}
	}
	return m
}

// countriesByContinent lists, per continent, the countries with visible
// carriers (counts, by country index), sorted.
func (s *Snapshot) countriesByContinent(counts []int) map[string][]string {
	per := make([]int, len(s.names.continents))
	total := 0
	for c, n := range counts {
		if cont := s.names.continentOf[c]; n > 0 && cont >= 0 {
			per[cont]++
			total++
		}
	}
	out := make(map[string][]string, len(per))
	all := make([]string, 0, total)
	for cont, n := range per {
		if n == 0 {
			continue
		}
		list := all[len(all):]
		for c, k := range counts {
			if k > 0 && s.names.continentOf[c] == int32(cont) {
				list = append(list, s.names.countries[c])
			}
		}
		all = all[:len(all)+len(list)]
		out[s.names.continents[cont]] = list[:len(list):len(list)]
	}
	return out
}

// initLists makes a view's empty candidate lists.
func (s *Snapshot) initLists(v *dirView) {
	v.setPath()
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
