package metalink

import (
	"maps"
	"slices"
)

// maxListEdits is the most mirrors whose candidacy changed in one directory
// that a patch edits into copies of its lists one by one; past it, the
// directory's lists are built afresh from its carries bits.
const maxListEdits = 8

// dirEdits are the directories a patch changes, by path.
type dirEdits struct {
	// words is the length of the carries bitsets of the next snapshot.
	words int
	m     map[string]*dirEdit
	// edits and bits are allocated a chunk at a time, of chunk
	// directories, which doubles up to editChunk.
	edits []dirEdit
	bits  []uint64
	chunk int
}

// editChunk is the most directories' edits and bits dirEdits allocates at
// once.
const editChunk = 64

// dirEdit is the next carries bits of a directory whose view was old, and
// the mirrors whose bit the patch set or cleared.
type dirEdit struct {
	old     *dirView
	carries []uint64
	touched []mirrorID
}

// edit returns the edit of directory path, whose view is v, starting one
// with v's bits.
func (e *dirEdits) edit(path string, v *dirView) *dirEdit {
	d := e.m[path]
	if d == nil {
		if len(e.edits) == 0 {
			e.chunk = min(max(1, 2*e.chunk), editChunk)
			e.edits, e.bits = make([]dirEdit, e.chunk), make([]uint64, e.chunk*e.words)
		}
		d, e.edits = &e.edits[0], e.edits[1:]
		d.old, d.carries, e.bits = v, e.bits[:e.words:e.words], e.bits[e.words:]
		copy(d.carries, v.carries)
		e.m[path] = d
	}
	return d
}

// set sets or clears the bit of mirror id.
func (d *dirEdit) set(id mirrorID, carry bool) {
	if !slices.Contains(d.touched, id) {
		d.touched = append(d.touched, id)
	}
	if carry {
		setBit(d.carries, id)
	} else {
		d.carries[id/64] &^= 1 << (uint(id) % 64)
	}
}

// applyEdits returns the new view of each directory of e: its lists edited
// from the old view's, or built afresh when many mirrors changed in it.
func (n *Snapshot) applyEdits(old *Snapshot, e *dirEdits) map[string]*dirView {
	next := make(map[string]*dirView, len(e.m))
	views := make([]dirView, len(e.m))
	var full []*dirView
	var sc listScratch
	i := 0
	for path, d := range e.m {
		nv := &views[i]
		i++
		nv.Path, nv.PathXML, nv.urlTail, nv.State, nv.carries = d.old.Path, d.old.PathXML, d.old.urlTail, d.old.State, d.carries
		if len(d.touched) > maxListEdits {
			full = append(full, nv)
		} else {
			n.editLists(old, d.old, nv, d.touched, &sc)
		}
		next[path] = nv
	}
	n.indexAll(full)
	return next
}

// listEdit is what changes in one candidate list: the mirrors taken out
// (ids of the old snapshot, in its name order) and those put in (in n's).
type listEdit struct {
	key     string
	out, in []mirrorID
}

// listScratch is editLists' scratch space: the edits of each kind of list
// (by location, country, continent, and the global list).
type listScratch struct {
	loc, country, cont, global []listEdit
}

// at returns the edit of key in *l, adding one.
func at(l *[]listEdit, key string) *listEdit {
	for i := range *l {
		if (*l)[i].key == key {
			return &(*l)[i]
		}
	}
	if len(*l) < cap(*l) {
		*l = (*l)[:len(*l)+1]
		e := &(*l)[len(*l)-1]
		e.key, e.out, e.in = key, e.out[:0], e.in[:0]
		return e
	}
	*l = append(*l, listEdit{key: key})
	return &(*l)[len(*l)-1]
}

// note records mirror m (id) as taken out of (put false) or put in its
// lists.
func (sc *listScratch) note(m *mirror, id mirrorID, put bool) {
	pick := func(e *listEdit) {
		if put {
			e.in = append(e.in, id)
		} else {
			e.out = append(e.out, id)
		}
	}
	for _, l := range m.Locations {
		pick(at(&sc.loc, l))
	}
	if m.Hidden {
		return
	}
	pick(at(&sc.country, m.Country))
	if m.Continent != "" {
		pick(at(&sc.cont, m.Continent))
	}
	pick(at(&sc.global, ""))
}

// editLists gives nv, whose bits differ from those of ov (a view of old)
// only for the mirrors of touched, ov's lists with those mirrors taken out
// where ov had them and put in where nv has them, in name order. The
// edited lists share one allocation; the lists no touched mirror is in,
// before or after, are shared with ov.
func (n *Snapshot) editLists(old *Snapshot, ov, nv *dirView, touched []mirrorID, sc *listScratch) {
	sc.loc, sc.country, sc.cont, sc.global = sc.loc[:0], sc.country[:0], sc.cont[:0], sc.global[:0]
	for _, id := range touched {
		if ov.Carries(id) {
			sc.note(&old.mirrors[id], id, false)
		}
		if nv.Carries(id) {
			sc.note(&n.mirrors[id], id, true)
		}
	}
	size := func(lists map[string][]mirrorID, edits []listEdit) int {
		t := 0
		for i := range edits {
			t += len(lists[edits[i].key]) + len(edits[i].in)
		}
		return t
	}
	total := size(ov.ByLocation, sc.loc) + size(ov.ByCountry, sc.country) + size(ov.ByContinent, sc.cont)
	if len(sc.global) > 0 {
		total += len(ov.Global) + len(sc.global[0].in)
	}
	buf := make([]mirrorID, 0, total)
	nv.ByLocation = n.editMap(old, ov.ByLocation, sc.loc, &buf)
	nv.ByCountry = n.editMap(old, ov.ByCountry, sc.country, &buf)
	nv.ByContinent = n.editMap(old, ov.ByContinent, sc.cont, &buf)
	nv.Global = ov.Global
	if len(sc.global) > 0 {
		nv.Global = n.spliced(old, ov.Global, &sc.global[0], &buf)
	}
	nv.Countries = ov.Countries
	for _, e := range sc.country {
		if (len(ov.ByCountry[e.key]) == 0) != (len(nv.ByCountry[e.key]) == 0) {
			nv.Countries = n.countriesOf(nv.ByCountry)
			break
		}
	}
}

// editMap returns lists with edits applied: a copy when there are any, with
// the lists that become empty removed.
func (n *Snapshot) editMap(old *Snapshot, lists map[string][]mirrorID, edits []listEdit, buf *[]mirrorID) map[string][]mirrorID {
	if len(edits) == 0 {
		return lists
	}
	c := maps.Clone(lists)
	for i := range edits {
		if l := n.spliced(old, lists[edits[i].key], &edits[i], buf); l != nil {
			c[edits[i].key] = l
		} else {
			delete(c, edits[i].key)
		}
	}
	return c
}

// spliced returns a copy of list (in old's name order) without e.out and
// with e.in, in n's name order, carved from buf; nil when empty.
func (n *Snapshot) spliced(old *Snapshot, list []mirrorID, e *listEdit, buf *[]mirrorID) []mirrorID {
	size := len(list) - len(e.out) + len(e.in)
	if size <= 0 {
		return nil
	}
	b := *buf
	if cap(b)-len(b) < size {
		b = make([]mirrorID, 0, size) // not sized for it: a list of its own
	}
	out := b[len(b) : len(b) : len(b)+size]
	*buf = b[:len(b)+size]
	oldRank := func(id mirrorID) int32 { return old.mirrors[id].rank }
	slices.SortFunc(e.out, func(a, b mirrorID) int { return int(oldRank(a) - oldRank(b)) })
	from := 0
	for _, id := range e.out {
		at, _ := slices.BinarySearchFunc(list[from:], oldRank(id), func(x mirrorID, r int32) int { return int(oldRank(x) - r) })
		out = append(out, list[from:from+at]...)
		from += at + 1
	}
	out = append(out, list[from:]...)
	rank := func(id mirrorID) int32 { return n.mirrors[id].rank }
	for _, id := range e.in {
		at, _ := slices.BinarySearchFunc(out, rank(id), func(x mirrorID, r int32) int { return int(rank(x) - r) })
		out = slices.Insert(out, at, id)
	}
	return out
}

// countriesOf lists, per continent, the countries that have lists in
// byCountry, sorted, as index does.
func (n *Snapshot) countriesOf(byCountry map[string][]mirrorID) map[string][]string {
	out := map[string][]string{}
	for c := range byCountry {
		if cont := n.continent(c); cont != "" {
			out[cont] = append(out[cont], c)
		}
	}
	for _, cs := range out {
		slices.Sort(cs)
	}
	return out
}
