package metalink

import (
	"maps"
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
