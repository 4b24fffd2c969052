package store

import (
	"fmt"
	"slices"
	"strings"
)

// TreeFile is a file of the master tree whose details the scan records
// (by default the ISO and disk images), so that answers can name its size,
// time and hash.
type TreeFile struct {
	// Path is relative to the tree root, as a directory's path is.
	Path string `json:"path" yaml:"path"`
	Size int64  `json:"size" yaml:"size"`
	// MTime is the file's modification time, in seconds since the epoch.
	MTime int64 `json:"mtime" yaml:"mtime"`
	// SHA256 comes from the CHECKSUM file next to the image, or is
	// computed by the scan when asked; empty when neither gave one.
	SHA256 string `json:"sha256,omitempty" yaml:"sha256,omitempty"`
}

// TreeSummary says what recording the tree's directories and files changed.
type TreeSummary struct {
	DirectoriesAdded, DirectoriesRemoved int
	FilesChanged, FilesRemoved           int
}

// ApplyTree replaces the recorded directories and file details with the
// scan's and says what changed. The argument slices are taken, not copied.
func (d *Dataset) ApplyTree(dirs []string, files []TreeFile) TreeSummary {
	next := &Dataset{TreeDirectories: dirs, Files: files}
	next.normalizeTree()
	add, drop, put, dropFiles := TreeChanges(d, next)
	d.TreeDirectories, d.Files = next.TreeDirectories, next.Files
	return TreeSummary{DirectoriesAdded: len(add), DirectoriesRemoved: len(drop), FilesChanged: len(put), FilesRemoved: len(dropFiles)}
}

// TreeChanges returns what turns the directories and files of before into
// after's: the directories to add and remove, the files to write (new or
// changed) and the paths of the files to remove. Both must be normalised.
func TreeChanges(before, after *Dataset) (addDirs, dropDirs []string, putFiles []TreeFile, dropFiles []string) {
	old := make(map[string]bool, len(before.TreeDirectories))
	for _, p := range before.TreeDirectories {
		old[p] = true
	}
	for _, p := range after.TreeDirectories {
		if !old[p] {
			addDirs = append(addDirs, p)
		}
		delete(old, p)
	}
	for p := range old {
		dropDirs = append(dropDirs, p)
	}
	slices.Sort(dropDirs)
	oldFiles := make(map[string]TreeFile, len(before.Files))
	for _, f := range before.Files {
		oldFiles[f.Path] = f
	}
	for _, f := range after.Files {
		if o, ok := oldFiles[f.Path]; !ok || o != f {
			putFiles = append(putFiles, f)
		}
		delete(oldFiles, f.Path)
	}
	for p := range oldFiles {
		dropFiles = append(dropFiles, p)
	}
	slices.Sort(dropFiles)
	return addDirs, dropDirs, putFiles, dropFiles
}

// normalizeTree sorts the directories and files by path and drops
// repeated directories.
func (d *Dataset) normalizeTree() {
	slices.Sort(d.TreeDirectories)
	d.TreeDirectories = slices.Compact(d.TreeDirectories)
	slices.SortFunc(d.Files, func(a, b TreeFile) int { return strings.Compare(a.Path, b.Path) })
}

// validateTree checks the recorded directories and file details.
func validateTree(v *validator, d *Dataset) {
	seen := make(map[string]bool, len(d.TreeDirectories))
	for i, p := range d.TreeDirectories {
		f := fmt.Sprintf("tree_directories[%d]", i)
		if msg := checkDirectory(p); msg != "" {
			v.add(f, p, "%s", msg)
		}
		if seen[p] {
			v.add(f, p, "duplicate directory")
		}
		seen[p] = true
	}
	files := make(map[string]bool, len(d.Files))
	for i, tf := range d.Files {
		f := fmt.Sprintf("files[%d]", i)
		if msg := checkDirectory(tf.Path); msg != "" {
			v.add(f+".path", tf.Path, "%s", msg)
		}
		if files[tf.Path] {
			v.add(f+".path", tf.Path, "duplicate file")
		}
		files[tf.Path] = true
		if tf.Size < 0 {
			v.add(f+".size", tf.Path, "negative size")
		}
		if tf.MTime < 0 {
			v.add(f+".mtime", tf.Path, "negative time")
		}
		checkHex(v, f+".sha256", tf.Path, tf.SHA256, 64, true)
	}
}

// CheckTreePath returns why p cannot be recorded as a directory or file of
// the master tree, or "" when it can.
func CheckTreePath(p string) string { return checkDirectory(p) }
