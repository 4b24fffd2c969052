package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

const isoDir = "pub/fedora/linux/releases/43/Server/x86_64/iso"

func iso(name, seed string, size int64) store.TreeFile {
	f := store.TreeFile{Path: isoDir + "/" + name, Size: size, MTime: 1761000000 + size}
	if seed != "" {
		f.SHA256 = hexDigest(seed, 64)
	}
	return f
}

func recordTree(t *testing.T, s store.Store, dirs []string, files ...store.TreeFile) store.TreeSummary {
	t.Helper()
	sum, err := s.RecordTree(ctx(t), dirs, files)
	if err != nil {
		t.Fatalf("RecordTree: %v", err)
	}
	return sum
}

func testTreeRecorded(t *testing.T, s store.Store) {
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)))
	a, b, c := iso("a.iso", "a", 10), iso("b.iso", "", 20), iso("c.raw.xz", "c", 30)
	// Given out of order, with a repeated directory: stored sorted, once.
	sum := recordTree(t, s, []string{isoDir, dirOS, isoDir, "pub/fedora/linux/releases/43"}, c, a, b)
	if want := (store.TreeSummary{DirectoriesAdded: 3, FilesChanged: 3}); sum != want {
		t.Errorf("first tree: summary %+v, want %+v", sum, want)
	}
	want := &store.Dataset{
		Directories:     []store.Directory{{Path: dirOS, Current: repomd("a", at(0))}},
		TreeDirectories: []string{"pub/fedora/linux/releases/43", dirOS, isoDir},
		Files:           []store.TreeFile{a, b, c},
	}
	checkData(t, s, want)

	// The same tree again changes nothing.
	if sum := recordTree(t, s, want.TreeDirectories, a, b, c); sum != (store.TreeSummary{}) {
		t.Errorf("same tree: summary %+v, want none", sum)
	}

	// A directory and a file gone, one file changed, one new.
	b2, d := iso("b.iso", "b", 21), iso("d.qcow2", "d", 40)
	sum = recordTree(t, s, []string{dirOS, isoDir}, a, b2, d)
	if want := (store.TreeSummary{DirectoriesRemoved: 1, FilesChanged: 2, FilesRemoved: 1}); sum != want {
		t.Errorf("changed tree: summary %+v, want %+v", sum, want)
	}
	want.TreeDirectories = []string{dirOS, isoDir}
	want.Files = []store.TreeFile{a, b2, d}
	checkData(t, s, want)

	// Import keeps the tree; Restore replaces it.
	if err := s.Import(ctx(t), &store.Dataset{Mirrors: []store.Mirror{mirror("m.example.org")}}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	got := load(t, s)
	if diff := cmp.Diff(want.Files, got.Files); diff != "" || len(got.TreeDirectories) != 2 {
		t.Errorf("after Import: files (-want +got):\n%s\ndirectories %q", diff, got.TreeDirectories)
	}
	if err := s.Restore(ctx(t), &store.Dataset{}); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	checkData(t, s, &store.Dataset{})
}

func testTreeInvalid(t *testing.T, s store.Store) {
	recordTree(t, s, []string{isoDir}, iso("a.iso", "a", 10))
	bad := []struct {
		name  string
		dirs  []string
		files []store.TreeFile
	}{
		{"absolute directory", []string{"/pub"}, nil},
		{"trailing slash", []string{"pub/"}, nil},
		{"control character", []string{"pub/\x01"}, nil},
		{"negative size", nil, []store.TreeFile{{Path: "a.iso", Size: -1}}},
		{"upper-case sha256", nil, []store.TreeFile{{Path: "a.iso", SHA256: "AB" + hexDigest("x", 62)}}},
		{"short sha256", nil, []store.TreeFile{{Path: "a.iso", SHA256: "abc"}}},
		{"duplicate file", nil, []store.TreeFile{{Path: "a.iso"}, {Path: "a.iso", Size: 2}}},
		{"unclean file path", nil, []store.TreeFile{{Path: "a/../b.iso"}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			rejected(t, s, store.ErrInvalid, func() error {
				_, err := s.RecordTree(ctx(t), append([]string{isoDir}, tt.dirs...), tt.files)
				return err
			})
		})
	}
}
