package metalink

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// network is a random mirror network that records what its changes touch,
// as the stores' change log does, to build the ChangeSet of each batch.
type network struct {
	r       *rand.Rand
	d       *store.Dataset
	created int
	mirrors map[string]bool
	pairs   map[[2]string]bool
}

var (
	patchCountries = []string{"DE", "FR", "NL", "US", "CA", "JP", "BR", "ZA", "AU", "GB"}
	patchLocations = []string{"us-east-1", "eu-west-1"}
	patchSchemes   = []string{"https", "http", "ftp", "rsync"}
)

func newNetwork(seed uint64) *network {
	n := &network{r: rand.New(rand.NewPCG(seed, 7)), d: &store.Dataset{}, mirrors: map[string]bool{}, pairs: map[[2]string]bool{}}
	for _, l := range patchLocations {
		n.d.Locations = append(n.d.Locations, store.Location{Name: l})
	}
	for i := range 12 {
		dir := fmt.Sprintf("pub/d%02d/os", i)
		n.d.Directories = append(n.d.Directories, store.Directory{
			Path:       dir,
			Current:    store.Repomd{Size: 10, Timestamp: 1, SHA256: patchSHA(i, 0)},
			Alternates: []store.Repomd{{Size: 9, Timestamp: 0, SHA256: patchSHA(i, 1)}},
		})
		n.d.Repositories = append(n.d.Repositories, store.Repository{Prefix: fmt.Sprintf("repo-%02d", i), Arch: "x86_64", Directory: dir})
	}
	// Overrides: Brazil counts as Europe, 10.3.0.0/16 as Japan.
	n.d.CountryContinents = []store.CountryContinent{{Country: "BR", Continent: "EU"}}
	n.d.NetblockCountries = []store.NetblockCountry{{Netblock: "10.3.0.0/16", Country: "JP"}}
	n.d.TreeDirectories = []string{"other", "pub", "pub/d01", "pub/d01/iso", "pub/d01/os", "pub/d01/os/Packages", "pub/d02", "pub/d02/os", "pub/iso"}
	// A repository whose directory the scan never saw.
	n.d.Repositories = append(n.d.Repositories, store.Repository{Prefix: "unscanned", Arch: "x86_64", Directory: "pub/none/os"})
	for range 30 {
		n.d.Mirrors = append(n.d.Mirrors, n.randomMirror(n.newName()))
	}
	n.sortMirrors()
	for range 150 {
		n.report()
	}
	n.mirrors, n.pairs = map[string]bool{}, map[[2]string]bool{}
	return n
}

// patchSHA is the sha256 of version v of directory i (v 0 current, 1 the
// alternate, 2 a stale one).
func patchSHA(i, v int) string { return fmt.Sprintf("%062x%02x", i, v) }

func (n *network) newName() string {
	n.created++
	return fmt.Sprintf("m%03d.example.org", n.r.IntN(1000)*10+n.created%10)
}

func (n *network) randomMirror(name string) store.Mirror {
	r := n.r
	m := store.Mirror{
		Name: name, Country: patchCountries[r.IntN(len(patchCountries))], Bandwidth: 1 + r.IntN(1000),
		Enabled: r.IntN(8) != 0, Private: r.IntN(10) == 0, AlwaysUpToDate: r.IntN(10) == 0,
	}
	for range 1 + r.IntN(3) {
		s := patchSchemes[r.IntN(len(patchSchemes))]
		m.URLs = append(m.URLs, s+"://"+name+"/pub")
	}
	for range r.IntN(3) {
		if r.IntN(2) == 0 {
			m.Netblocks = append(m.Netblocks, fmt.Sprintf("10.%d.0.0/16", r.IntN(4)))
		} else {
			m.Netblocks = append(m.Netblocks, fmt.Sprintf("10.%d.%d.0/24", r.IntN(4), r.IntN(4)))
		}
	}
	if r.IntN(4) == 0 {
		m.ASN = uint32(64500 + r.IntN(3))
	}
	if r.IntN(5) == 0 {
		m.CountriesAllowed = []string{patchCountries[r.IntN(len(patchCountries))]}
	}
	if r.IntN(6) == 0 {
		no := false
		if r.IntN(2) == 0 {
			m.IPv4 = &no
		} else {
			m.IPv6 = &no
		}
	}
	if r.IntN(6) == 0 {
		l := patchLocations[r.IntN(len(patchLocations))]
		m.Locations = []string{l}
		if r.IntN(2) == 0 {
			m.Region, m.Bucket, m.Private = l, "bucket-"+l, true
		}
	}
	return m
}

func (n *network) sortMirrors() {
	slices.SortFunc(n.d.Mirrors, func(a, b store.Mirror) int { return strings.Compare(a.Name, b.Name) })
}

func (n *network) anyMirror() *store.Mirror { return &n.d.Mirrors[n.r.IntN(len(n.d.Mirrors))] }

// report records a random freshness report (or a crawl result: the same
// record) of a current, alternate or stale repomd.
func (n *network) report() {
	m, i := n.anyMirror().Name, n.r.IntN(len(n.d.Directories))
	dir := n.d.Directories[i].Path
	sha := patchSHA(i, n.r.IntN(3))
	n.pairs[[2]string{m, dir}] = true
	for j := range n.d.Freshness {
		if f := &n.d.Freshness[j]; f.Mirror == m && f.Directory == dir {
			f.SHA256 = sha
			return
		}
	}
	n.d.Freshness = append(n.d.Freshness, store.Freshness{Mirror: m, Directory: dir, SHA256: sha})
}

// forget drops a random freshness record.
func (n *network) forget() {
	if len(n.d.Freshness) == 0 {
		return
	}
	j := n.r.IntN(len(n.d.Freshness))
	f := n.d.Freshness[j]
	n.pairs[[2]string{f.Mirror, f.Directory}] = true
	n.d.Freshness = slices.Delete(n.d.Freshness, j, j+1)
}

// editMirror changes one thing of a random mirror.
func (n *network) editMirror() {
	m := n.anyMirror()
	n.mirrors[m.Name] = true
	fresh := n.randomMirror(m.Name)
	switch n.r.IntN(10) {
	case 0:
		m.Enabled = !m.Enabled
	case 1:
		n.toggleCrawler(m.Name)
	case 2:
		m.Country = fresh.Country
	case 3:
		m.Bandwidth = fresh.Bandwidth
	case 4:
		m.URLs = fresh.URLs
	case 5:
		m.Netblocks = fresh.Netblocks
	case 6:
		m.AlwaysUpToDate = !m.AlwaysUpToDate
	case 7:
		m.Locations, m.Region, m.Bucket, m.Private = fresh.Locations, fresh.Region, fresh.Bucket, fresh.Private
	case 8:
		m.ASN = fresh.ASN
	default:
		m.CountriesAllowed, m.IPv4, m.IPv6 = fresh.CountriesAllowed, fresh.IPv4, fresh.IPv6
	}
}

func (n *network) toggleCrawler(name string) {
	for i := range n.d.Health {
		if n.d.Health[i].Mirror == name {
			n.d.Health[i].Disabled = !n.d.Health[i].Disabled
			return
		}
	}
	n.d.Health = append(n.d.Health, store.MirrorHealth{Mirror: name, Disabled: true})
}

func (n *network) deleteMirror() {
	name := n.anyMirror().Name
	n.mirrors[name] = true
	n.d.Mirrors = slices.DeleteFunc(n.d.Mirrors, func(m store.Mirror) bool { return m.Name == name })
	n.d.Freshness = slices.DeleteFunc(n.d.Freshness, func(f store.Freshness) bool { return f.Mirror == name })
	n.d.Health = slices.DeleteFunc(n.d.Health, func(h store.MirrorHealth) bool { return h.Mirror == name })
}

func (n *network) createMirror() {
	name := n.newName()
	if slices.ContainsFunc(n.d.Mirrors, func(m store.Mirror) bool { return m.Name == name }) {
		return
	}
	n.mirrors[name] = true
	n.d.Mirrors = append(n.d.Mirrors, n.randomMirror(name))
	n.sortMirrors()
	// A new mirror may come with reports (an import of its state).
	for range n.r.IntN(4) {
		i := n.r.IntN(len(n.d.Directories))
		n.d.Freshness = append(n.d.Freshness, store.Freshness{Mirror: name, Directory: n.d.Directories[i].Path, SHA256: patchSHA(i, 0)})
		n.d.Freshness = slices.CompactFunc(n.d.Freshness, func(a, b store.Freshness) bool { return a.Mirror == b.Mirror && a.Directory == b.Directory })
	}
}

// changeSet returns what a store's log would say of the changes made since
// the last call, with copies of the current rows.
func (n *network) changeSet() *store.ChangeSet {
	cs := &store.ChangeSet{}
	for name := range n.mirrors {
		c := store.MirrorChange{Name: name}
		for _, m := range n.d.Clone().Mirrors {
			if m.Name == name {
				c.Mirror = &m
			}
		}
		for _, h := range n.d.Health {
			c.CrawlerDisabled = c.CrawlerDisabled || (h.Mirror == name && h.Disabled)
		}
		for _, f := range n.d.Freshness {
			if f.Mirror == name {
				c.Freshness = append(c.Freshness, f)
			}
		}
		cs.Mirrors = append(cs.Mirrors, c)
	}
	slices.SortFunc(cs.Mirrors, func(a, b store.MirrorChange) int { return strings.Compare(a.Name, b.Name) })
	for p := range n.pairs {
		if n.mirrors[p[0]] {
			continue
		}
		c := store.FreshnessChange{Mirror: p[0], Directory: p[1]}
		for _, f := range n.d.Freshness {
			if f.Mirror == p[0] && f.Directory == p[1] {
				c.SHA256 = f.SHA256
			}
		}
		cs.Freshness = append(cs.Freshness, c)
	}
	n.mirrors, n.pairs = map[string]bool{}, map[[2]string]bool{}
	return cs
}

// After any sequence of changes, the patched snapshot holds what a
// snapshot built afresh holds, and answers every query alike.
func TestPatchEquivalence(t *testing.T) {
	defer func(n int) { minNewer = n }(minNewer)
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			// Half the seeds fold the newer views into the directories
			// every few patches, half never do.
			minNewer = []int{3, 64}[seed%2]
			n := newNetwork(seed)
			patched := NewSnapshot(n.d.Clone(), testNow)
			for step := range 25 {
				batch := 1 + n.r.IntN(6)
				if step%5 == 4 {
					batch = 40 // past maxListEdits in some directories
				}
				for range batch {
					switch k := n.r.IntN(10); {
					case k < 4:
						n.report()
					case k < 5:
						n.forget()
					case k < 8:
						n.editMirror()
					case k < 9:
						n.deleteMirror()
					default:
						n.createMirror()
					}
				}
				cs := n.changeSet()
				patched = patched.Patch(cs, testNow)
				fresh := NewSnapshot(n.d.Clone(), testNow)
				if diff := snapshotDiff(fresh, patched); diff != "" {
					t.Fatalf("step %d, changes %+v: patched snapshot differs from a rebuild (-rebuild +patched):\n%s", step, cs, diff)
				}
				compareAnswers(t, fresh, patched, seed, step)
			}
		})
	}
}

// compareAnswers asks both snapshots the same queries, with the same random
// draws, and compares the bodies.
func compareAnswers(t *testing.T, want, got *Snapshot, seed uint64, step int) {
	t.Helper()
	clients := []Client{
		{},
		{Addr: netip.MustParseAddr("10.1.2.3"), Country: "DE"},
		{Addr: netip.MustParseAddr("10.3.3.9"), Country: "JP", ASN: 64501},
		{Addr: netip.MustParseAddr("192.0.2.1"), Country: "BR", ASN: 64500},
		{Addr: netip.MustParseAddr("192.0.2.2"), Country: "ZA"},
		{Addr: netip.MustParseAddr("2001:db8::1"), Country: "NL"},
	}
	extras := []string{"", "&location=us-east-1", "&location=eu-west-1", "&country=FR,US", "&country=global", "&netblock=0", "&protocol=https"}
	for i, repo := range []string{"repo=repo-00&arch=x86_64", "repo=repo-03&arch=x86_64", "repo=repo-07&arch=x86_64",
		"repo=repo-11&arch=x86_64", "repo=unscanned&arch=x86_64", "path=pub/iso", "path=pub/d01/iso", "path=pub/d01/os/Packages"} {
		for j, c := range clients {
			extra := extras[(i+j+step)%len(extras)]
			q := ParseQuery(repo + extra)
			for _, format := range []struct{ isMetalink, meta4 bool }{{true, false}, {true, true}, {false, false}} {
				isMetalink := format.isMetalink
				// Every draw alike (tieRand) leaves the order to the ties' rule.
				for _, tied := range []bool{false, true} {
					newRand := func() Rand {
						if tied {
							return tieRand{}
						}
						return rand.New(rand.NewPCG(seed, uint64(step*100+i*10+j)))
					}
					// The server's minimum, so that the global step runs.
					o := Options{Now: testNow, Minimum: DefaultMinimum, Meta4: format.meta4}
					o.Rand = newRand()
					a := Answer(nil, want, &q, isMetalink, c, o)
					o.Rand = newRand()
					b := Answer(nil, got, &q, isMetalink, c, o)
					if a.Status != b.Status || string(a.Body) != string(b.Body) {
						t.Fatalf("step %d, %s (metalink %v, meta4 %v, tied draws %v) for %+v: answers differ (-rebuild +patched):\n%s",
							step, repo+extra, isMetalink, format.meta4, tied, c, cmp.Diff(string(a.Body), string(b.Body)))
					}
				}
			}
		}
	}
}

// tieRand draws the same number every time.
type tieRand struct{}

func (tieRand) ExpFloat64() float64 { return 1 }
func (tieRand) IntN(int) int        { return 0 }

// snapshotDiff compares what two snapshots answer from, "" when alike.
// Mirrors are compared by name, since a patch keeps ids that a rebuild
// numbers afresh; each snapshot's ids must hold together (see checkIDs).
func snapshotDiff(a, b *Snapshot) string {
	if err := checkIDs(a); err != "" {
		return "rebuild: " + err
	}
	if err := checkIDs(b); err != "" {
		return "patched: " + err
	}
	return cmp.Diff(snapshotView(a), snapshotView(b), cmp.Exporter(func(reflect.Type) bool { return true }))
}

// checkIDs reports what does not hold together in s's ids: order by
// name, ranks, vacant ids, the ordered flag, bits of vacant ids, lists out
// of name order.
func checkIDs(s *Snapshot) string {
	if len(s.byName) != len(s.order) {
		return fmt.Sprintf("%d names, %d mirrors in order", len(s.byName), len(s.order))
	}
	increasing := true
	for r, id := range s.order {
		m := &s.mirrors[id]
		switch {
		case m.rank != int32(r) || m.index != int32(id) || s.byName[m.Name] != id:
			return fmt.Sprintf("mirror %d (%s) has rank %d, index %d at rank %d", id, m.Name, m.rank, m.index, r)
		case r > 0 && s.mirrors[s.order[r-1]].Name >= m.Name:
			return fmt.Sprintf("order: %s before %s", s.mirrors[s.order[r-1]].Name, m.Name)
		}
		increasing = increasing && (r == 0 || id > s.order[r-1])
	}
	if s.ordered && !increasing {
		return "ordered, but ids are not in name order"
	}
	var dirs []*dirView
	s.eachDir(func(_ string, d *dirView) { dirs = append(dirs, d) })
	for _, d := range dirs {
		for id := range s.mirrors {
			if s.mirrors[id].rank < 0 && d.Carries(mirrorID(id)) {
				return fmt.Sprintf("%s: carried by vacant id %d", d.Path, id)
			}
		}
		for _, l := range slices.Concat(slices.Collect(maps.Values(d.ByLocation)), slices.Collect(maps.Values(d.ByCountry)),
			slices.Collect(maps.Values(d.ByContinent)), [][]mirrorID{d.Global}) {
			for i := range l {
				if s.mirrors[l[i]].rank < 0 || !d.Carries(l[i]) || i > 0 && s.mirrors[l[i-1]].rank >= s.mirrors[l[i]].rank {
					return fmt.Sprintf("%s: list %v holds a vacant id, a mirror not carrying it, or is out of name order", d.Path, l)
				}
			}
		}
	}
	return ""
}

type mirrorView struct {
	mirror
	Src store.Mirror
}

type dirSummary struct {
	PathXML     string
	State       *store.Directory
	Carries     []string
	ByLocation  map[string][]string
	ByCountry   map[string][]string
	ByContinent map[string][]string
	Global      []string
	Countries   map[string][]string
}

type snapshotSummary struct {
	Mirrors   []mirrorView
	Names     mirrorNames
	ASN       map[uint32][]string
	Dirs      map[string]dirSummary
	Repos     map[string]string
	Tree      map[string]dirSummary
	Netblocks map[string][]prefixValue[string]
	Flags     [2]bool
}

func snapshotView(s *Snapshot) snapshotSummary {
	v := snapshotSummary{Names: s.names, ASN: map[uint32][]string{}, Dirs: map[string]dirSummary{}, Repos: map[string]string{},
		Tree: map[string]dirSummary{}, Netblocks: map[string][]prefixValue[string]{}, Flags: [2]bool{s.familyLimited, s.restricted}}
	for _, id := range s.order {
		mv := mirrorView{mirror: s.mirrors[id], Src: *s.mirrors[id].src}
		mv.src, mv.index, mv.nbSlot = nil, 0, 0
		v.Mirrors = append(v.Mirrors, mv)
	}
	for asn, ids := range s.asn {
		v.ASN[asn] = idNames(s, ids)
	}
	s.eachDir(func(path string, d *dirView) { v.Dirs[path] = summarise(s, d) })
	for path := range s.tree {
		v.Tree[path] = summarise(s, s.group(path).ready())
	}
	for k, r := range s.repos {
		if s.dir(r.Dir.Path) != s.current(r.Dir) || len(s.newer) == 0 && s.dirs[r.Dir.Path] != r.Dir {
			v.Repos[k] = "stale view of " + r.Dir.Path
			continue
		}
		v.Repos[k] = fmt.Sprintf("%s %s %s %v", r.Prefix, r.Arch, r.Dir.Path, r.Disabled)
	}
	for x := range 4 {
		for y := range 5 {
			a := netip.AddrFrom4([4]byte{10, byte(x), byte(y), 1})
			for _, nb := range s.netblocksOf(nil, a) {
				v.Netblocks[a.String()] = append(v.Netblocks[a.String()], prefixValue[string]{nb.Prefix, s.mirrors[nb.Value].Name})
			}
		}
	}
	return v
}

// idNames are the names of the mirrors of ids; a vacant id is "vacant".
func idNames(s *Snapshot, ids []mirrorID) []string {
	if ids == nil {
		return nil
	}
	out := []string{}
	for _, id := range ids {
		if s.mirrors[id].rank < 0 {
			out = append(out, "vacant")
			continue
		}
		out = append(out, s.mirrors[id].Name)
	}
	return out
}

func namesOf(s *Snapshot, lists map[string][]mirrorID) map[string][]string {
	if lists == nil {
		return nil
	}
	out := map[string][]string{}
	for k, l := range lists {
		out[k] = idNames(s, l)
	}
	return out
}

func summarise(s *Snapshot, d *dirView) dirSummary {
	var carries []mirrorID
	for id := range len(d.carries) * 64 {
		if d.Carries(mirrorID(id)) {
			carries = append(carries, mirrorID(id))
		}
	}
	slices.SortFunc(carries, func(a, b mirrorID) int { return strings.Compare(s.mirrors[a].Name, s.mirrors[b].Name) })
	return dirSummary{PathXML: d.PathXML, State: d.State, Carries: idNames(s, carries), ByLocation: namesOf(s, d.ByLocation),
		ByCountry: namesOf(s, d.ByCountry), ByContinent: namesOf(s, d.ByContinent), Global: idNames(s, d.Global), Countries: d.Countries}
}
