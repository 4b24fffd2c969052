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
}

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
		d = &dirEdit{old: v, carries: make([]uint64, e.words)}
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
	var full []*dirView
	for path, d := range e.m {
		nv := &dirView{Path: d.old.Path, PathXML: d.old.PathXML, State: d.old.State, carries: d.carries}
		if len(d.touched) > maxListEdits {
			full = append(full, nv)
		} else {
			n.editLists(old, d.old, nv, d.touched)
		}
		next[path] = nv
	}
	n.indexAll(full)
	return next
}

// listEdit is what changes in one candidate list: the mirrors taken out
// (by their ids in the old snapshot) and those put in, by rank.
type listEdit struct {
	key     string
	out, in []mirrorID
}

// listEdits are the edits of one kind of list (by location, country,
// continent, or the global list under the key "").
type listEdits []listEdit

func (l *listEdits) at(key string) *listEdit {
	for i := range *l {
		if (*l)[i].key == key {
			return &(*l)[i]
		}
	}
	*l = append(*l, listEdit{key: key})
	return &(*l)[len(*l)-1]
}

// editLists gives nv, whose bits differ from those of ov (a view of old)
// only for the mirrors of touched, ov's lists with those mirrors taken out
// where ov had them and put in where nv has them, in name order. The
// lists no touched mirror is in, before or after, are shared with ov.
func (n *Snapshot) editLists(old *Snapshot, ov, nv *dirView, touched []mirrorID) {
	var loc, country, cont, global listEdits
	note := func(m *mirror, id mirrorID, put bool) {
		pick := func(e *listEdit) {
			if put {
				e.in = append(e.in, id)
			} else {
				e.out = append(e.out, id)
			}
		}
		for _, l := range m.Locations {
			pick(loc.at(l))
		}
		if m.Hidden {
			return
		}
		pick(country.at(m.Country))
		if m.Continent != "" {
			pick(cont.at(m.Continent))
		}
		pick(global.at(""))
	}
	for _, id := range touched {
		if ov.Carries(id) {
			note(&old.mirrors[id], id, false)
		}
		if nv.Carries(id) {
			note(&n.mirrors[id], id, true)
		}
	}
	nv.ByLocation = n.editMap(ov.ByLocation, loc)
	nv.ByCountry = n.editMap(ov.ByCountry, country)
	nv.ByContinent = n.editMap(ov.ByContinent, cont)
	nv.Global = ov.Global
	if len(global) > 0 {
		nv.Global = n.spliced(ov.Global, &global[0])
	}
	nv.Countries = ov.Countries
	for _, e := range country {
		if (len(ov.ByCountry[e.key]) == 0) != (len(nv.ByCountry[e.key]) == 0) {
			nv.Countries = n.countriesOf(nv.ByCountry)
			break
		}
	}
}

// editMap returns lists with edits applied: a copy when there are any, with
// the lists that become empty removed.
func (n *Snapshot) editMap(lists map[string][]mirrorID, edits listEdits) map[string][]mirrorID {
	if len(edits) == 0 {
		return lists
	}
	c := maps.Clone(lists)
	for i := range edits {
		if l := n.spliced(lists[edits[i].key], &edits[i]); l != nil {
			c[edits[i].key] = l
		} else {
			delete(c, edits[i].key)
		}
	}
	return c
}

// spliced returns a copy of list without e.out and with e.in in name
// order, nil when empty.
func (n *Snapshot) spliced(list []mirrorID, e *listEdit) []mirrorID {
	size := len(list) - len(e.out) + len(e.in)
	if size <= 0 {
		return nil
	}
	slices.SortFunc(e.in, func(a, b mirrorID) int { return int(n.mirrors[a].rank - n.mirrors[b].rank) })
	out, in := make([]mirrorID, 0, size), e.in
	for _, id := range list {
		if slices.Contains(e.out, id) {
			continue
		}
		for len(in) > 0 && n.mirrors[in[0]].rank < n.mirrors[id].rank {
			out, in = append(out, in[0]), in[1:]
		}
		out = append(out, id)
	}
	return append(out, in...)
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
