package mirrorsync

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// sum is a checksum as repository metadata states it: a type (sha256, sha1,
// sha512, …) and a lower-case hex value.
type sum struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// metaFile is one <data> entry of repomd.xml.
type metaFile struct {
	Type     string
	Href     string
	Size     int64 // -1 when repomd.xml does not state it
	Checksum sum
}

// repomd is a parsed repodata/repomd.xml.
type repomd struct {
	Revision string
	Data     []metaFile
}

// parseRepomd parses repomd.xml and checks that every entry names a file
// and a checksum.
func parseRepomd(raw []byte) (*repomd, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fmt.Errorf("repomd: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "repomd" {
		return nil, fmt.Errorf("repomd: no <repomd> root: %w", errChecksum)
	}
	md := &repomd{}
	if rev := root.SelectElement("revision"); rev != nil {
		md.Revision = strings.TrimSpace(rev.Text())
	}
	for _, d := range root.SelectElements("data") {
		f := metaFile{Type: d.SelectAttrValue("type", ""), Size: -1}
		if loc := d.SelectElement("location"); loc != nil {
			f.Href = loc.SelectAttrValue("href", "")
		}
		if c := d.SelectElement("checksum"); c != nil {
			f.Checksum = sum{Type: normalSumType(c.SelectAttrValue("type", "")), Value: strings.ToLower(strings.TrimSpace(c.Text()))}
		}
		if s := d.SelectElement("size"); s != nil {
			n, err := strconv.ParseInt(strings.TrimSpace(s.Text()), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("repomd: %s size: %w", f.Type, err)
			}
			f.Size = n
		}
		if f.Href == "" || f.Checksum.Value == "" {
			return nil, fmt.Errorf("repomd: <data type=%q> lacks location or checksum: %w", f.Type, errChecksum)
		}
		if _, err := newHash(f.Checksum.Type); err != nil {
			return nil, err
		}
		md.Data = append(md.Data, f)
	}
	return md, nil
}

// normalSumType maps createrepo's historical "sha" to sha1.
func normalSumType(t string) string {
	t = strings.ToLower(t)
	if t == "sha" {
		return "sha1"
	}
	return t
}

// newHash returns a hash of the given metadata checksum type.
func newHash(t string) (hash.Hash, error) {
	switch t {
	case "md5":
		return md5.New(), nil
	case "sha1":
		return sha1.New(), nil
	case "sha224":
		return sha256.New224(), nil
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("checksum type %q is not supported: %w", t, errChecksum)
}

// sha256Hex is the lower-case hex sha256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decompress returns a reader of the uncompressed content of r, recognising
// gzip, xz, bzip2 and zstd by their magic bytes; anything else passes through.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		x, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return io.NopCloser(x), nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return z.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}
