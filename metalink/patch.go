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
// the view of every directory whose candidates did not change, and the
// netblock table but for the paths of a changed mirror's netblocks. Mirrors
// keep their ids, and a directory a change touches gets a copy of its
// view in which only the lists that hold a changed mirror are edited. It
// answers as NewSnapshot of the changed dataset would. cs must not be Full
// (those changes need NewSnapshot), and s is left as it was.
func (s *Snapshot) Patch(cs *store.ChangeSet, built time.Time) *Snapshot {
	n := &Snapshot{
		Built: built, repos: s.repos, redirects: s.redirects, dirs: s.dirs, locations: s.locations,
		cloud: s.cloud, repoList: s.repoList, tree: s.tree, files: s.files,
		newer: s.newer, newerGroups: s.newerGroups, groupsOf: s.groupsOf,
		mirrors: s.mirrors, order: s.order, ordered: s.ordered, byName: s.byName, names: s.names,
		netblocks: s.netblocks, nbSlots: s.nbSlots, nbDead: s.nbDead, nbUnsorted: s.nbUnsorted, asn: s.asn,
		countryOf: s.countryOf, continentOf: s.continentOf, hostRules: s.hostRules, familyLimited: s.familyLimited, restricted: s.restricted,
	}
	e := &dirEdits{words: carriesWords(len(s.mirrors)), m: map[string]*dirEdit{}}
	everywhere := false
	if len(cs.Mirrors) > 0 {
		everywhere = n.patchMirrors(s, cs.Mirrors, e)
	}
	n.patchFreshness(cs.Freshness, e)
	next := n.applyEdits(s, e)
	if len(s.tree) > 0 && (everywhere || len(next) > 0) {
		n.patchTree(next, everywhere)
	}
	if len(next) == 0 {
		return n
	}
	if len(s.newer)+len(next) <= max(minNewer, len(s.dirs)/8) {
		n.newer = make(map[string]*dirView, len(s.newer)+len(next))
		maps.Copy(n.newer, s.newer)
		maps.Copy(n.newer, next)
		return n
	}
	// Fold the newer views into a copy of dirs, and point the repositories
	// at them.
	n.dirs, n.newer = maps.Clone(s.dirs), nil
	maps.Copy(n.dirs, s.newer)
	maps.Copy(n.dirs, next)
	n.repos = maps.Clone(s.repos)
	for k, r := range n.repos {
		if v := n.dirs[r.Dir.Path]; v != r.Dir {
			n.repos[k] = &repoView{Prefix: r.Prefix, Arch: r.Arch, Dir: v, Disabled: r.Disabled}
		}
	}
	return n
}

// minNewer is the number of newer views a snapshot keeps before a patch
// folds them into a copy of its directories, however few those are (a
// variable for tests).
var minNewer = 64

// eachDir calls fn with every directory of s and its view.
func (s *Snapshot) eachDir(fn func(path string, v *dirView)) {
	for path, v := range s.dirs {
		if nv, ok := s.newer[path]; ok {
			v = nv
		}
		fn(path, v)
	}
}

// mirrorMove is one changed mirror: its id in the old snapshot and in the
// new one (-1 where it is not answered with).
type mirrorMove struct {
	change     *store.MirrorChange
	from, to   mirrorID
	sameLists  bool
	everywhere bool
}

// patchMirrors gives the changed mirrors their ids in n (keeping those of
// the mirrors that stay), re-indexes the mirrors, and records in e the
// carries bits that change. It reports whether an always-up-to-date
// mirror changed, which touches every directory of the tree.
func (n *Snapshot) patchMirrors(old *Snapshot, changes []store.MirrorChange, e *dirEdits) (everywhere bool) {
	n.mirrors, n.hostRules, n.byName = slices.Clone(old.mirrors), slices.Clone(old.hostRules), maps.Clone(old.byName)
	moves := make([]mirrorMove, len(changes))
	for i := range changes {
		c := &changes[i]
		mv := mirrorMove{change: c, from: -1, to: -1}
		if id, ok := old.byName[c.Name]; ok {
			mv.from = id
			n.vacate(id)
		}
		moves[i] = mv
	}
	n.place(moves)
	n.indexMirrors()
	n.patchNetblocks(old, moves)
	e.words = carriesWords(len(n.mirrors))
	for i := range moves {
		mv := &moves[i]
		if mv.from >= 0 && mv.to >= 0 {
			mv.sameLists = sameLists(&old.mirrors[mv.from], &n.mirrors[mv.to])
		}
		mv.everywhere = mv.from >= 0 && old.mirrors[mv.from].AlwaysUpToDate || mv.to >= 0 && n.mirrors[mv.to].AlwaysUpToDate
		if mv.sameLists && mv.everywhere && old.mirrors[mv.from].AlwaysUpToDate == n.mirrors[mv.to].AlwaysUpToDate {
			mv.everywhere = false // carries everything before and after, in the same lists
		}
		everywhere = everywhere || mv.everywhere
	}
	// Every mirror that leaves its lists does so before any comes in, since
	// an id vacated here may be taken by a mirror added here.
	for _, mv := range moves {
		if mv.from < 0 || mv.sameLists {
			continue
		}
		old.eachDir(func(path string, v *dirView) {
			if v.Carries(mv.from) {
				e.edit(path, v).set(mv.from, false)
			}
		})
	}
	for _, mv := range moves {
		if mv.to >= 0 {
			n.carriedBy(old, mv, e)
		}
	}
	n.carryPieces(old, moves)
	return everywhere
}

// carryPieces gives n the rendered URL parts of old (rendering them now,
// off the answer path, if no answer did) but those of the changed mirrors,
// which it renders, so that the first answers of n do not wait for every
// mirror's.
func (n *Snapshot) carryPieces(old *Snapshot, moves []mirrorMove) {
	p3, p4 := old.urlPieces(), old.meta4Pieces()
	n.pieces, n.meta4.pieces = make([][]urlPiece, len(n.mirrors)), make([][]urlPiece, len(n.mirrors))
	copy(n.pieces, p3)
	copy(n.meta4.pieces, p4)
	for _, mv := range moves {
		if mv.from >= 0 {
			n.pieces[mv.from], n.meta4.pieces[mv.from] = nil, nil
		}
	}
	for _, mv := range moves {
		if mv.to >= 0 {
			n.pieces[mv.to], n.meta4.pieces[mv.to] = urlPiecesOf(&n.mirrors[mv.to]), meta4PiecesOf(&n.mirrors[mv.to])
		}
	}
	n.piecesOnce.Do(func() {})
	n.meta4.once.Do(func() {})
}

// vacate takes mirror id out of n, leaving its id vacant.
func (n *Snapshot) vacate(id mirrorID) {
	delete(n.byName, n.mirrors[id].Name)
	n.mirrors[id] = mirror{index: int32(id), rank: -1, nbSlot: -1}
	n.hostRules[id] = 0
}

// place gives each changed mirror that n answers with an id: the one it
// had, else a vacant one, else a new one; and numbers every mirror's rank.
// A new mirror takes, when there is one, a vacant id between those of its
// neighbours by name, so that id order stays name order.
func (n *Snapshot) place(moves []mirrorMove) {
	kept := map[mirrorID]bool{}
	for _, mv := range moves {
		if mv.from >= 0 && answered(mv.change) {
			kept[mv.from] = true
		}
	}
	var vacant []mirrorID
	for id := range n.mirrors {
		if n.mirrors[id].rank < 0 && !kept[mirrorID(id)] {
			vacant = append(vacant, mirrorID(id))
		}
	}
	type entry struct {
		name string
		id   mirrorID
		move *mirrorMove
	}
	live := make([]entry, 0, len(n.byName)+len(moves))
	for name, id := range n.byName {
		live = append(live, entry{name: name, id: id})
	}
	for i := range moves {
		mv := &moves[i]
		if answered(mv.change) {
			live = append(live, entry{name: mv.change.Name, id: mv.from, move: mv})
		}
	}
	slices.SortFunc(live, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for r := range live {
		en := &live[r]
		if en.move != nil && en.id < 0 {
			prev, next := mirrorID(-1), mirrorID(len(n.mirrors))
			if r > 0 {
				prev = live[r-1].id
			}
			for _, after := range live[r+1:] {
				if after.id >= 0 {
					next = after.id
					break
				}
			}
			en.id, vacant = takeID(vacant, prev, next, mirrorID(len(n.mirrors)))
			if int(en.id) == len(n.mirrors) {
				n.mirrors = append(n.mirrors, mirror{})
				n.hostRules = append(n.hostRules, 0)
			}
		}
		if en.move != nil {
			m := en.move.change.Mirror
			en.move.to = en.id
			n.mirrors[en.id] = n.newMirror(m, en.id)
			n.hostRules[en.id] = hostRuleOf(m)
			n.byName[m.Name] = en.id
		}
	}
	n.order, n.ordered = make([]mirrorID, len(live)), true
	for r, en := range live {
		n.order[r] = en.id
		n.mirrors[en.id].rank = int32(r)
		n.ordered = n.ordered && (r == 0 || en.id > live[r-1].id)
	}
}

// answered reports whether a snapshot answers with the mirror of c.
func answered(c *store.MirrorChange) bool {
	return c.Mirror != nil && c.Mirror.Enabled && !c.CrawlerDisabled
}

// takeID takes from vacant (ascending) the first id between prev and
// next; else, when next is end (no mirror after it by name has an id),
// the new id end; else the first vacant id, else end.
func takeID(vacant []mirrorID, prev, next, end mirrorID) (mirrorID, []mirrorID) {
	for i, id := range vacant {
		if id > prev && id < next {
			return id, slices.Delete(vacant, i, i+1)
		}
	}
	if next == end || len(vacant) == 0 {
		return end, vacant
	}
	return vacant[0], vacant[1:]
}

// sameLists reports whether a and b are listed alike: in the same
// location, country, continent and global lists.
func sameLists(a, b *mirror) bool {
	return a.Hidden == b.Hidden && a.Country == b.Country && a.Continent == b.Continent && slices.Equal(a.Locations, b.Locations)
}

// carriedBy records in e the directories that mirror mv.to of n carries:
// every one for an always-up-to-date mirror, else those whose accepted
// repomd it reported. A mirror listed alike before and after changes only
// the bits that differ.
func (n *Snapshot) carriedBy(old *Snapshot, mv mirrorMove, e *dirEdits) {
	m := &n.mirrors[mv.to]
	if m.AlwaysUpToDate {
		old.eachDir(func(path string, v *dirView) {
			if !mv.sameLists || !v.Carries(mv.to) {
				e.edit(path, v).set(mv.to, true)
			}
		})
		return
	}
	fresh := make(map[*dirView]bool, len(mv.change.Freshness))
	for _, f := range mv.change.Freshness {
		if v := old.dir(f.Directory); v != nil && v.State != nil && v.State.Accepts(f.SHA256) {
			fresh[v] = true
			if !mv.sameLists || !v.Carries(mv.to) {
				e.edit(f.Directory, v).set(mv.to, true)
			}
		}
	}
	if !mv.sameLists {
		return
	}
	old.eachDir(func(path string, v *dirView) {
		if v.Carries(mv.to) && !fresh[v] {
			e.edit(path, v).set(mv.to, false)
		}
	})
}

// patchNetblocks takes out of the netblock table the entries of the
// changed mirrors whose netblocks changed and adds their new ones, copying
// only the paths they change; past a table of more gone entries than
// live ones it is built afresh.
func (n *Snapshot) patchNetblocks(old *Snapshot, moves []mirrorMove) {
	cloned := false
	for _, mv := range moves {
		var was []string
		if mv.from >= 0 {
			was = old.mirrors[mv.from].src.Netblocks
		}
		var now []string
		if mv.to >= 0 {
			now = n.mirrors[mv.to].src.Netblocks
			if mv.from == mv.to && slices.Equal(was, now) {
				n.mirrors[mv.to].nbSlot = old.mirrors[mv.from].nbSlot
				continue // same slot, same entries
			}
		}
		if !cloned {
			n.nbSlots, cloned = slices.Clone(old.nbSlots), true
		}
		if mv.from >= 0 {
			if slot := old.mirrors[mv.from].nbSlot; slot >= 0 {
				n.nbSlots[slot] = -1
				n.nbDead += len(was)
			}
		}
		if mv.to < 0 {
			continue
		}
		if len(now) == 0 {
			continue
		}
		slot := mirrorID(len(n.nbSlots))
		n.nbSlots = append(n.nbSlots, mv.to)
		n.mirrors[mv.to].nbSlot = int32(slot)
		for _, nb := range now {
			if p, err := store.ParseNetblock(nb); err == nil {
				n.netblocks = n.netblocks.Inserted(p, slot)
				n.nbUnsorted = true
			}
		}
	}
	if n.nbDead > n.netblocks.Len()/2 {
		n.setNetblocks()
	}
}

// patchFreshness records in e the carries bit of each changed freshness
// record that differs from the one n has.
func (n *Snapshot) patchFreshness(changes []store.FreshnessChange, e *dirEdits) {
	for _, f := range changes {
		id, ok := n.byName[f.Mirror]
		v := n.dir(f.Directory)
		if !ok || v == nil {
			continue // not answered with, or a directory no repository or scan knows
		}
		carry := n.mirrors[id].AlwaysUpToDate || (f.SHA256 != "" && v.State != nil && v.State.Accepts(f.SHA256))
		now := v.Carries(id)
		if d := e.m[f.Directory]; d != nil {
			now = d.carries[id/64]&(1<<(uint(id)%64)) != 0
		}
		if now != carry {
			e.edit(f.Directory, v).set(id, carry)
		}
	}
}

// patchTree gives n a new view, its lists built on first use, of each
// group of the tree with a member in next, or of every group when all is
// set; the others keep theirs.
func (n *Snapshot) patchTree(next map[string]*dirView, all bool) {
	if n.groupsOf == nil {
		n.groupsOf = map[string][]*dirView{}
		seen := map[*dirView]bool{}
		for _, g := range n.tree {
			if !seen[g] {
				seen[g] = true
				for _, m := range g.group.members {
					n.groupsOf[m.Path] = append(n.groupsOf[m.Path], g)
				}
			}
		}
	}
	touched := map[*dirView]bool{}
	if all {
		for _, g := range n.tree {
			touched[g] = true
		}
	}
	for path := range next {
		for _, g := range n.groupsOf[path] {
			touched[g] = true
		}
	}
	if len(touched) == 0 {
		return
	}
	groups := make(map[*dirView]*dirView, len(n.newerGroups)+len(touched))
	maps.Copy(groups, n.newerGroups)
	for g := range touched {
		groups[g] = &dirView{Path: g.Path, group: &treeGroup{snap: n, members: g.group.members}}
	}
	n.newerGroups = groups
}
