package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// kind orders the files of a repository for upload: every package before any
// metadata file, every metadata file before repomd.xml, its signature last.
type kind int

// The kinds, in upload order.
const (
	kindPackage kind = iota
	kindMetadata
	kindRepomd
	kindSignature
)

// String names the kind in plans and logs.
func (k kind) String() string {
	return [...]string{"package", "metadata", "repomd", "signature"}[k]
}

// file is one file a bucket must hold for a repository.
type file struct {
	Path string // relative to the tree root
	Kind kind
	Size int64 // -1 when the metadata does not state it
	Sum  sum
	Body []byte // repomd.xml and its signature travel from memory
}

// manifest is everything one repository directory needs in a bucket.
type manifest struct {
	Directory    string
	RepomdSHA256 string
	Files        []file // sorted by kind, then path
	External     int    // packages under xml:base, which live elsewhere
}

// repomdPath is the tree path of the directory's repomd.xml.
func repomdPath(dir string) string { return path.Join(dir, "repodata/repomd.xml") }

// buildManifest reads the directory's repomd.xml, its signature if any, and
// streams its primary metadata for the packages.
func buildManifest(ctx context.Context, src source, dir string) (*manifest, error) {
	raw, err := readAll(ctx, src, repomdPath(dir))
	if err != nil {
		return nil, err
	}
	md, err := parseRepomd(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	m := &manifest{Directory: dir, RepomdSHA256: sha256Hex(raw)}
	seen := map[string]bool{}
	add := func(f file) error {
		if seen[f.Path] {
			return nil
		}
		seen[f.Path] = true
		m.Files = append(m.Files, f)
		return nil
	}
	add(file{Path: repomdPath(dir), Kind: kindRepomd, Size: int64(len(raw)), Sum: sum{"sha256", m.RepomdSHA256}, Body: raw})
	asc, err := readAll(ctx, src, repomdPath(dir)+".asc")
	switch {
	case err == nil:
		add(file{Path: repomdPath(dir) + ".asc", Kind: kindSignature, Size: int64(len(asc)), Sum: sum{"sha256", sha256Hex(asc)}, Body: asc})
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	for _, d := range md.Data {
		p, err := treePath(dir, d.Href)
		if err != nil {
			return nil, err
		}
		add(file{Path: p, Kind: kindMetadata, Size: d.Size, Sum: d.Checksum})
		if d.Type != "primary" {
			continue
		}
		err = readPackages(ctx, src, p, d.Checksum, func(pkg rpmPackage) error {
			if pkg.Base != "" {
				m.External++
				return nil
			}
			pp, err := treePath(dir, pkg.Href)
			if err != nil {
				return err
			}
			return add(file{Path: pp, Kind: kindPackage, Size: pkg.Size, Sum: pkg.Checksum})
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	sort.SliceStable(m.Files, func(i, j int) bool {
		if m.Files[i].Kind != m.Files[j].Kind {
			return m.Files[i].Kind < m.Files[j].Kind
		}
		return m.Files[i].Path < m.Files[j].Path
	})
	return m, nil
}

// readPackages streams the primary file at p, checking its checksum as it goes.
func readPackages(ctx context.Context, src source, p string, want sum, fn func(rpmPackage) error) error {
	rc, _, err := src.open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	h, err := newHash(want.Type)
	if err != nil {
		return err
	}
	tee := io.TeeReader(rc, h)
	plain, err := decompress(tee)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer plain.Close()
	if err := readPrimary(plain, fn); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != want.Value {
		return fmt.Errorf("%s: %s %s, repomd says %s: %w", p, want.Type, got, want.Value, errChecksum)
	}
	return nil
}

// treePath joins a directory and an href from its metadata into a tree path,
// refusing hrefs that leave the tree.
func treePath(dir, href string) (string, error) {
	if strings.Contains(href, "://") || path.IsAbs(href) {
		return "", fmt.Errorf("%s: href %q is not relative: %w", dir, href, errChecksum)
	}
	p := path.Join(dir, href)
	if p == ".." || strings.HasPrefix(p, "../") || p == "." {
		return "", fmt.Errorf("%s: href %q leaves the tree: %w", dir, href, errChecksum)
	}
	return p, nil
}
