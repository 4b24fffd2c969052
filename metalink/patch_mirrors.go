package metalink

import (
	"maps"
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

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
