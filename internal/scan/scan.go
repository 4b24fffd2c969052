// Package scan walks a master tree, as MirrorManager's UMDL does: it
// describes every repodata/repomd.xml it finds, lists every directory, and
// records the size, time and sha256 (from the CHECKSUM files beside them) of
// the files an admin chooses, Fedora's images by default.
package scan

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/metalinkd/metalinkd/store"
)

// maxRepomdSize bounds the repomd.xml files read; real ones are a few KB.
const maxRepomdSize = 16 << 20

// Tree walks root and returns one entry per directory holding
// repodata/repomd.xml, with the repository the mapper assigns: Walk's
// repomd.xml files alone.
func Tree(root string, mapper *store.Mapper) ([]store.ScannedRepomd, error) {
	res, err := Walk(root, mapper, Options{Patterns: []string{}})
	if err != nil {
		return nil, err
	}
	return res.Repomds, nil
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
