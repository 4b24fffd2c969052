package metalink

import (
	"html"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/metalinkd/metalinkd/store"
)

// Directories that are no repository directory (iso/, images/, a release's
// root) belong to repository directories by this rule:
//
//   - a directory at or below a repository directory belongs to the
//     innermost one (as path= below a repository always has);
//   - any other directory belongs to every repository directory under its
//     nearest ancestor (itself included) that has repository directories
//     under it, the tree root excepted: releases/41/Workstation/x86_64/iso
//     belongs to those under releases/41, releases/41/Everything/x86_64/iso
//     to those under releases/41/Everything/x86_64;
//   - a directory with no such ancestor belongs to none.
//
// A mirror carries a directory when it carries (is fresh for, or always up
// to date for) any repository directory it belongs to, and always-up-to-date
// mirrors carry every directory. A file is carried with its directory.
//
// The snapshot keeps only what this needs: the directories outside
// every repository directory (those inside are found by walking up to it),
// each mapped to a view shared by all the directories of its group, whose
// candidate lists are built on the group's first request; and the files
// with recorded details.

// treeGroup is the repository directories a group of directories belongs to.
type treeGroup struct {
	snap    *Snapshot
	members []*dirView
	once    sync.Once
}

// fileView is a file with recorded details, as an answer needs it.
type fileView struct {
	// Details holds the size, the time (as the timestamp) and the sha256,
	// written as a repomd's are.
	Details store.Repomd
	// Name is the base name, escaped for XML; URLPath the path below a
	// mirror's base URL, escaped for a URL and for XML.
	Name, URLPath string
	// urlTail ends each <url> of the file's metalink: URLPath and the
	// closing tag.
	urlTail string

	files3Once, files3pOnce, files4Once sync.Once
	files3, files3p, files4             []byte
}

// indexTree records the directories and files of d's tree.
func (s *Snapshot) indexTree(d *store.Dataset) {
	if len(d.TreeDirectories) == 0 && len(d.Files) == 0 {
		return
	}
	// Every proper ancestor of a repository directory holds one.
	holders := map[string]bool{}
	for p := range s.dirs {
		for a := parentDir(p); a != "" && !holders[a]; a = parentDir(a) {
			holders[a] = true
		}
	}
	groups := map[string]*dirView{}
	s.tree = make(map[string]*dirView)
	for _, p := range d.TreeDirectories {
		root, inRepo := "", false
		for a := p; a != ""; a = parentDir(a) {
			if s.dirs[a] != nil {
				inRepo = true
				break
			}
			if holders[a] && root == "" {
				root = a
			}
		}
		if inRepo {
			continue
		}
		v := groups[root]
		if v == nil {
			v = &dirView{Path: root, group: &treeGroup{snap: s}}
			groups[root] = v
		}
		s.tree[p] = v
	}
	for p, m := range s.dirs {
		for a := parentDir(p); a != ""; a = parentDir(a) {
			if g := groups[a]; g != nil {
				g.group.members = append(g.group.members, m)
			}
		}
	}
	s.files = make(map[string]*fileView, len(d.Files))
	for _, f := range d.Files {
		fv := &fileView{
			Details: store.Repomd{Size: f.Size, Timestamp: f.MTime, SHA256: f.SHA256},
			Name:    html.EscapeString(path.Base(f.Path)),
			URLPath: html.EscapeString(string(appendPathEscaped(nil, f.Path))),
		}
		fv.urlTail = fv.URLPath + "</url>\n"
		s.files[f.Path] = fv
	}
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// ready builds a group's candidate lists on first use; a repository
// directory's are built with the snapshot.
func (v *dirView) ready() *dirView {
	if g := v.group; g != nil {
		g.once.Do(func() { g.snap.indexGroup(v) })
	}
	return v
}

// indexGroup fills a group's lists: the mirrors that carry any of its
// repository directories, and the always-up-to-date ones.
func (s *Snapshot) indexGroup(v *dirView) {
	s.initLists(v)
	v.carries = make([]uint64, carriesWords(len(s.mirrors)))
	for _, m := range v.group.members {
		// The members are the views of the snapshot that built the tree;
		// a patch may have newer ones, whose bits may be shorter or longer
		// (all zero beyond the mirrors).
		m = s.dir(m.Path)
		for i := range min(len(v.carries), len(m.carries)) {
			v.carries[i] |= m.carries[i]
		}
	}
	for _, id := range s.order {
		if s.mirrors[id].AlwaysUpToDate {
			setBit(v.carries, id)
		}
		if v.Carries(id) {
			s.addCandidate(v, id)
		}
	}
	for _, cs := range v.Countries {
		slices.Sort(cs)
	}
}

// subOf returns p below dir ("" for dir itself; all of p below the root).
func subOf(p, dir string) string {
	switch {
	case dir == "":
		return p
	case len(p) == len(dir):
		return ""
	}
	return p[len(dir)+1:]
}
