package metalink

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Patch returns the snapshot that follows s once the changes of cs are
// applied, built at time built. It shares with s everything the changes
// did not touch: the repositories, redirects, locations and cloud ranges,
// the view of every directory whose candidates did not change, and, unless
// a changed mirror brings netblocks, the netblock table. It answers as
// NewSnapshot of the changed dataset would. cs must not be Full (those
// changes need NewSnapshot), and s is left as it was.
func (s *Snapshot) Patch(cs *store.ChangeSet, built time.Time) *Snapshot {
	n := &Snapshot{
		Built: built, repos: s.repos, redirects: s.redirects, dirs: s.dirs, locations: s.locations,
		cloud: s.cloud, repoList: s.repoList, tree: s.tree, files: s.files,
		mirrors: s.mirrors, byName: s.byName, names: s.names, netblocks: s.netblocks, nbSlots: s.nbSlots, asn: s.asn,
		countryOf: s.countryOf, continentOf: s.continentOf, hostRules: s.hostRules, familyLimited: s.familyLimited, restricted: s.restricted,
	}
	next := map[string]*dirView{}
	if len(cs.Mirrors) > 0 {
		n.patchMirrors(s, cs.Mirrors, next)
	}
	n.patchFreshness(cs.Freshness, next)
	if len(s.tree) > 0 && (len(cs.Mirrors) > 0 || len(next) > 0) {
		n.tree = n.patchTree(s.tree, next, len(cs.Mirrors) > 0)
	}
	if len(next) == 0 {
		return n
	}
	n.dirs = maps.Clone(s.dirs)
	views := make([]*dirView, 0, len(next))
	for path, v := range next {
		n.dirs[path] = v
		views = append(views, v)
	}
	n.indexAll(views)
	n.repos = maps.Clone(s.repos)
	for k, r := range n.repos {
		if v, ok := next[r.Dir.Path]; ok {
			n.repos[k] = &repoView{Prefix: r.Prefix, Arch: r.Arch, Dir: v, Disabled: r.Disabled}
		}
	}
	return n
}

// patchMirrors renumbers the mirrors of old with the changed ones and puts
// into next a new view, with its carries bits but no lists yet, of every
// directory whose candidates may differ.
func (n *Snapshot) patchMirrors(old *Snapshot, changes []store.MirrorChange, next map[string]*dirView) {
	changed := make(map[string]bool, len(changes))
	for _, c := range changes {
		changed[c.Name] = true
	}
	rows := make([]*store.Mirror, 0, len(old.mirrors)+len(changes))
	for i := range old.mirrors {
		if !changed[old.mirrors[i].Name] {
			rows = append(rows, old.mirrors[i].src)
		}
	}
	newNetblocks := false
	for _, c := range changes {
		if c.Mirror != nil && c.Mirror.Enabled && !c.CrawlerDisabled {
			rows = append(rows, c.Mirror)
			newNetblocks = newNetblocks || len(c.Mirror.Netblocks) > 0
		}
	}
	slices.SortFunc(rows, func(a, b *store.Mirror) int { return strings.Compare(a.Name, b.Name) })
	n.setMirrors(rows)
	// remap takes an id of old to the same mirror's id in n, -1 for the
	// changed ones (their bits are set anew) and the removed ones.
	remap := make([]mirrorID, len(old.mirrors))
	moved := len(old.mirrors)
	for oid := range old.mirrors {
		remap[oid] = -1
		if name := old.mirrors[oid].Name; !changed[name] {
			remap[oid] = n.byName[name]
		}
		if remap[oid] != mirrorID(oid) {
			moved = min(moved, oid)
		}
	}
	if newNetblocks {
		n.setNetblocks()
	} else {
		n.nbSlots = make([]mirrorID, len(old.nbSlots))
		for k, id := range old.nbSlots {
			n.nbSlots[k] = -1
			if id >= 0 {
				n.nbSlots[k] = remap[id]
			}
		}
	}
	carriers := n.changedCarriers(old, changes)
	words := carriesWords(len(n.mirrors))
	for path, v := range old.dirs {
		add := carriers.byDir[v]
		if len(add) == 0 && len(carriers.everywhere) == 0 && !anyBitFrom(v.carries, moved) {
			continue // same candidates, same ids: shared
		}
		nv := &dirView{Path: v.Path, PathXML: v.PathXML, State: v.State, carries: make([]uint64, words)}
		for w, word := range v.carries {
			for word != 0 {
				oid := w*64 + trailingZeros(word)
				word &= word - 1
				if id := remap[oid]; id >= 0 {
					setBit(nv.carries, id)
				}
			}
		}
		for _, id := range add {
			setBit(nv.carries, id)
		}
		for _, id := range carriers.everywhere {
			setBit(nv.carries, id)
		}
		next[path] = nv
	}
}

// carriers are the changed mirrors (ids of the new snapshot) that carry
// directories: everywhere (always up to date), or by directory of old.
type carriers struct {
	everywhere []mirrorID
	byDir      map[*dirView][]mirrorID
}

// changedCarriers finds, for each changed mirror in n, the directories it
// carries from its freshness records.
func (n *Snapshot) changedCarriers(old *Snapshot, changes []store.MirrorChange) carriers {
	c := carriers{byDir: map[*dirView][]mirrorID{}}
	for _, ch := range changes {
		id, ok := n.byName[ch.Name]
		if !ok || ch.Mirror == nil {
			continue
		}
		if ch.Mirror.AlwaysUpToDate {
			c.everywhere = append(c.everywhere, id)
			continue
		}
		for _, f := range ch.Freshness {
			if v := old.dirs[f.Directory]; v != nil && v.State != nil && v.State.Accepts(f.SHA256) {
				c.byDir[v] = append(c.byDir[v], id)
			}
		}
	}
	return c
}

// anyBitFrom reports whether bits has a bit set at from or above.
func anyBitFrom(bits []uint64, from int) bool {
	for w := from / 64; w < len(bits); w++ {
		word := bits[w]
		if w == from/64 {
			word &^= 1<<(uint(from)%64) - 1
		}
		if word != 0 {
			return true
		}
	}
	return false
}

// patchFreshness sets or clears the carries bit of each changed freshness
// record, in the view of next when there is one, else in a new copy of the
// directory's view that it puts into next.
func (n *Snapshot) patchFreshness(changes []store.FreshnessChange, next map[string]*dirView) {
	words := carriesWords(len(n.mirrors))
	for _, f := range changes {
		id, ok := n.byName[f.Mirror]
		v := n.dirs[f.Directory]
		if !ok || v == nil {
			continue // not answered with, or a directory no repository or scan knows
		}
		carry := n.mirrors[id].AlwaysUpToDate || (f.SHA256 != "" && v.State != nil && v.State.Accepts(f.SHA256))
		nv := next[f.Directory]
		if nv == nil {
			if v.Carries(id) == carry {
				continue
			}
			nv = &dirView{Path: v.Path, PathXML: v.PathXML, State: v.State, carries: make([]uint64, words)}
			copy(nv.carries, v.carries)
			next[f.Directory] = nv
		}
		if carry {
			setBit(nv.carries, id)
		} else {
			nv.carries[id/64] &^= 1 << (uint(id) % 64)
		}
	}
}

// patchTree returns the tree of n: the groups of old whose members include
// a directory of next, or all of them when the mirrors changed, are new
// views (their lists built on first use, from n); the others are shared.
func (n *Snapshot) patchTree(old, next map[string]*dirView, all bool) map[string]*dirView {
	groups := map[*dirView]*dirView{}
	for _, g := range old {
		if _, done := groups[g]; done {
			continue
		}
		touched := all
		for _, m := range g.group.members {
			touched = touched || next[m.Path] != nil
		}
		if !touched {
			groups[g] = g
			continue
		}
		ng := &dirView{Path: g.Path, group: &treeGroup{snap: n, members: make([]*dirView, len(g.group.members))}}
		for i, m := range g.group.members {
			ng.group.members[i] = m
			if nm := next[m.Path]; nm != nil {
				ng.group.members[i] = nm
			}
		}
		groups[g] = ng
	}
	tree := make(map[string]*dirView, len(old))
	for p, g := range old {
		tree[p] = groups[g]
	}
	return tree
}
