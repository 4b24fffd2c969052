package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// FedoraImagePatterns name the files whose details a scan records by
// default: Fedora's installation and disk images (base names, path.Match
// syntax).
var FedoraImagePatterns = []string{
	"*.iso",                 // installers, live images, netinst and boot.iso
	"*.raw.xz",              // ARM, Server, IoT, CoreOS and EC2 disk images
	"*.img.xz",              // older ARM images
	"*.qcow2",               // Cloud and KVM images
	"*.vhd",                 // Hyper-V
	"*.vhdfixed.xz",         // Azure
	"*.box",                 // Vagrant (libvirt, virtualbox)
	"*.oci.tar.xz",          // container base images
	"Fedora-*-GCE-*.tar.gz", // Google Compute Engine
}

// Options say what a scan records besides the repomd.xml files.
type Options struct {
	// Patterns choose the files whose details are recorded, matched
	// against base names; nil means FedoraImagePatterns.
	Patterns []string
	// HashMissing computes the sha256 of a chosen file that no CHECKSUM
	// file next to it names; otherwise such a file has only its size and
	// time.
	HashMissing bool
}

// Result is what a scan found.
type Result struct {
	Repomds []store.ScannedRepomd
	// Directories is every directory of the tree but its root, relative to
	// it; Files the details of the chosen files.
	Directories []string
	Files       []store.TreeFile
	// Skipped are the paths left out because the store cannot hold their
	// names (a space, a control character, …), with the reason.
	Skipped []string
}

// Walk scans root: every repodata/repomd.xml (as Tree does), every
// directory, and the files that o chooses, with the sha256 that a
// `*CHECKSUM` file of the same directory gives them.
func Walk(root string, mapper *store.Mapper, o Options) (*Result, error) {
	patterns := o.Patterns
	if patterns == nil {
		patterns = FedoraImagePatterns
	}
	res := &Result{}
	chosen := map[string][]string{} // directory → chosen file names
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if msg := store.CheckTreePath(rel); msg != "" {
			res.Skipped = append(res.Skipped, rel+": "+msg)
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			res.Directories = append(res.Directories, rel)
			return nil
		}
		if d.Name() == "repomd.xml" && path.Base(path.Dir(rel)) == "repodata" {
			dir := path.Dir(path.Dir(rel))
			if dir == "." {
				return fmt.Errorf("scan: %s: the root itself is a repository; scan its parent", root)
			}
			r, err := File(p)
			if err != nil {
				return err
			}
			s := store.ScannedRepomd{Directory: dir, Repomd: r}
			s.Repo, s.Arch, _ = mapper.Map(dir)
			res.Repomds = append(res.Repomds, s)
			return nil
		}
		if d.Type().IsRegular() && matchAny(patterns, d.Name()) {
			chosen[path.Dir(rel)] = append(chosen[path.Dir(rel)], d.Name())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	for _, dir := range slices.Sorted(maps.Keys(chosen)) {
		files, err := describeFiles(root, dir, chosen[dir], o.HashMissing)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", root, err)
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// describeFiles returns the details of the chosen files of one directory
// (rel, relative to root), their sha256 from its CHECKSUM files.
func describeFiles(root, rel string, names []string, hashMissing bool) ([]store.TreeFile, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	sums, err := checksums(dir)
	if err != nil {
		return nil, err
	}
	var out []store.TreeFile
	for _, name := range names {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		f := store.TreeFile{Path: path.Join(rel, name), Size: fi.Size(), MTime: max(fi.ModTime().Unix(), 0), SHA256: sums[name]}
		if f.SHA256 == "" && hashMissing {
			if f.SHA256, err = hashFile(p); err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// checksums reads every file of dir whose name ends in CHECKSUM.
func checksums(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), "CHECKSUM") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxChecksumSize))
		f.Close()
		if err != nil {
			return nil, err
		}
		for name, sum := range ParseChecksum(b) {
			sums[name] = sum
		}
	}
	return sums, nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
