// Package scan walks a master tree, as MirrorManager's UMDL does, and
// describes every repodata/repomd.xml it finds.
package scan

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/metalinkd/metalinkd/store"
)

// maxRepomdSize bounds the repomd.xml files read; real ones are a few KB.
const maxRepomdSize = 16 << 20

// Tree walks root and returns one entry per directory holding
// repodata/repomd.xml, with the repository the mapper assigns.
func Tree(root string, mapper *store.Mapper) ([]store.ScannedRepomd, error) {
	var out []store.ScannedRepomd
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "repomd.xml" || filepath.Base(filepath.Dir(p)) != "repodata" {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(filepath.Dir(p)))
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(rel)
		if dir == "." {
			return fmt.Errorf("scan: %s: the root itself is a repository; scan its parent", root)
		}
		r, err := File(p)
		if err != nil {
			return err
		}
		s := store.ScannedRepomd{Directory: dir, Repomd: r}
		s.Repo, s.Arch, _ = mapper.Map(dir)
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	return out, nil
}

// File describes one repomd.xml: size, the four hashes, and its timestamp.
func File(path string) (store.Repomd, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return store.Repomd{}, err
	}
	if fi.Size() > maxRepomdSize {
		return store.Repomd{}, fmt.Errorf("%s: %d bytes is too large for a repomd.xml", path, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return store.Repomd{}, err
	}
	ts, err := Timestamp(b)
	if err != nil {
		return store.Repomd{}, fmt.Errorf("%s: %w", path, err)
	}
	if ts == 0 {
		ts = fi.ModTime().Unix()
	}
	return Describe(b, ts), nil
}

// Describe returns the size and hashes of a repomd.xml's bytes.
func Describe(b []byte, timestamp int64) store.Repomd {
	m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	return store.Repomd{
		Size: int64(len(b)), Timestamp: timestamp,
		MD5: hex.EncodeToString(m5[:]), SHA1: hex.EncodeToString(s1[:]),
		SHA256: hex.EncodeToString(s256[:]), SHA512: hex.EncodeToString(s512[:]),
	}
}

// Timestamp returns the repomd's timestamp as MirrorManager takes it: the
// newest <timestamp> of its <data> entries, else a numeric <revision>, else
// 0. It fails when the document is not a repomd.
func Timestamp(b []byte) (int64, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimSpace(b)); err != nil {
		return 0, fmt.Errorf("not XML: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return 0, fmt.Errorf("not XML: no root element")
	}
	if root.Tag != "repomd" {
		return 0, fmt.Errorf("not a repomd document (root element %q)", root.Tag)
	}
	var newest int64
	for _, data := range root.SelectElements("data") {
		if t := data.SelectElement("timestamp"); t != nil {
			v, err := strconv.ParseFloat(strings.TrimSpace(t.Text()), 64)
			if err == nil && int64(v) > newest {
				newest = int64(v)
			}
		}
	}
	if newest == 0 {
		if r := root.SelectElement("revision"); r != nil {
			newest, _ = strconv.ParseInt(strings.TrimSpace(r.Text()), 10, 64)
		}
	}
	return newest, nil
}
