package mirrorsync

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"sync"
)

// contentTypes are the few types worth setting; dnf ignores them, browsers do not.
var contentTypes = map[string]string{
	".rpm": "application/x-rpm",
	".xml": "text/xml",
	".gz":  "application/gzip",
	".xz":  "application/x-xz",
	".bz2": "application/x-bzip2",
	".zst": "application/zstd",
	".asc": "application/pgp-signature",
}

// upload copies one file from the source into the bucket after checking its
// size and checksum against the metadata, so that a file changed or damaged
// in the master tree is never published under the old metadata.
func upload(ctx context.Context, src source, b *bucket, f file, sent func(int64)) (etag string, size int64, sums map[string]string, err error) {
	var r body
	if f.Body != nil {
		r = bytes.NewReader(f.Body)
	} else {
		file, cleanup, err := openSeekable(ctx, src, f.Path)
		if err != nil {
			return "", 0, nil, err
		}
		defer cleanup()
		r = file
	}
	size, sums, err = checksums(r, f.Sum.Type)
	if err != nil {
		return "", 0, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	if (f.Size >= 0 && size != f.Size) || sums[f.Sum.Type] != f.Sum.Value {
		return "", 0, nil, fmt.Errorf("source %s: size %d %s %s, metadata says size %d %s %s: %w",
			f.Path, size, f.Sum.Type, sums[f.Sum.Type], f.Size, f.Sum.Type, f.Sum.Value, errChecksum)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return "", 0, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	etag, err = b.put(ctx, f.Path, r, size, sums, contentTypes[path.Ext(f.Path)], sent)
	return etag, size, sums, err
}

// openSeekable opens a source file for reading more than once: a local file
// as it is, anything else through a temporary file.
func openSeekable(ctx context.Context, src source, p string) (*os.File, func(), error) {
	rc, _, err := src.open(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if f, ok := rc.(*os.File); ok {
		return f, func() { f.Close() }, nil
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "mirror-sync-*")
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", p, err)
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, rc); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("source %s: %w", p, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("source %s: %w", p, err)
	}
	return tmp, cleanup, nil
}

// checksums reads r once, returning its size, its sha256 and, if another,
// the checksum of type t, as object metadata (type → lower-case hex).
func checksums(r io.Reader, t string) (int64, map[string]string, error) {
	hs := map[string]hash.Hash{}
	for _, ty := range []string{"sha256", t} {
		h, err := newHash(ty)
		if err != nil {
			return 0, nil, err
		}
		hs[ty] = h
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, h := range hs {
		ws = append(ws, h)
	}
	n, err := io.Copy(io.MultiWriter(ws...), r)
	if err != nil {
		return 0, nil, err
	}
	sums := map[string]string{}
	for ty, h := range hs {
		sums[ty] = hex.EncodeToString(h.Sum(nil))
	}
	return n, sums, nil
}

// forEach runs fn over items with at most n at once and joins their errors.
// It does not stop at the first error: what did upload need not be redone.
func forEach[T any](ctx context.Context, n int, items []T, fn func(context.Context, T) error) error {
	sem := make(chan struct{}, n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, it); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return joinErrors(errs)
}

// joinErrors joins errors, keeping the message readable when many failed.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more errors)", errs[0], len(errs)-1)
}
