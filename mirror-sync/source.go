package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// source is the master tree, read by tree-relative slash paths.
type source interface {
	// open returns the file at rel and its size (-1 when unknown);
	// a missing file gives ErrNotFound.
	open(ctx context.Context, rel string) (io.ReadCloser, int64, error)
	// directories lists every directory holding repodata/repomd.xml.
	directories(ctx context.Context) ([]string, error)
	// holds reports whether the tree still has content under prefix (a
	// tree path ending in "/"), naming an example.
	holds(ctx context.Context, prefix string) (string, bool, error)
	// String names the source in logs.
	String() string
}

// newSource opens a local directory or an http(s) base URL.
func newSource(loc string, client *http.Client) (source, error) {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		u, err := url.Parse(strings.TrimRight(loc, "/") + "/")
		if err != nil {
			return nil, configError("source %q: %v", loc, err)
		}
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Minute}
		}
		return &httpSource{base: u, client: client}, nil
	}
	st, err := os.Stat(loc)
	if err != nil || !st.IsDir() {
		return nil, configError("source %q is not a directory", loc)
	}
	return &localSource{root: loc}, nil
}

type localSource struct{ root string }

func (s *localSource) String() string { return s.root }

func (s *localSource) open(_ context.Context, rel string) (io.ReadCloser, int64, error) {
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("source %s: %w", rel, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	return f, st.Size(), nil
}

func (s *localSource) directories(_ context.Context) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "repomd.xml" || filepath.Base(filepath.Dir(p)) != "repodata" {
			return nil
		}
		rel, err := filepath.Rel(s.root, filepath.Dir(filepath.Dir(p)))
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); rel != "." {
			dirs = append(dirs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source: walk %s: %w", s.root, err)
	}
	sort.Strings(dirs)
	return dirs, nil
}

// holds looks for a repository under prefix: a walked tree publishes every
// one it finds.
func (s *localSource) holds(ctx context.Context, prefix string) (string, bool, error) {
	if _, err := os.Stat(filepath.Join(s.root, filepath.FromSlash(prefix))); errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	dirs, err := s.directories(ctx)
	if err != nil {
		return "", false, err
	}
	for _, d := range dirs {
		if strings.HasPrefix(d+"/", prefix) {
			return d, true, nil
		}
	}
	return "", false, nil
}

type httpSource struct {
	base   *url.URL
	client *http.Client
}

func (s *httpSource) String() string { return s.base.String() }

func (s *httpSource) open(ctx context.Context, rel string) (io.ReadCloser, int64, error) {
	ref := &url.URL{Path: strings.TrimPrefix(path.Clean("/"+rel), "/")}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base.ResolveReference(ref).String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, resp.ContentLength, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("source %s: %w", rel, ErrNotFound)
	default:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("source %s: HTTP %s", rel, resp.Status)
	}
}

// holds asks the server for the prefix's directory: an answer other than
// 404 or 410 means the tree still has it (or cannot say it has not).
func (s *httpSource) holds(ctx context.Context, prefix string) (string, bool, error) {
	ref := &url.URL{Path: strings.TrimPrefix(path.Clean("/"+prefix), "/") + "/"}
	u := s.base.ResolveReference(ref).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false, fmt.Errorf("source: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", false, fmt.Errorf("source: %w", err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return "", false, nil
	case resp.StatusCode < 300:
		return u, true, nil
	}
	return "", false, fmt.Errorf("source %s: HTTP %s", u, resp.Status)
}

func (s *httpSource) directories(context.Context) ([]string, error) {
	return nil, configError("source %s: an http source needs the directories listed in the configuration", s.base)
}

// readAll reads a whole (small) source file.
func readAll(ctx context.Context, src source, rel string) ([]byte, error) {
	rc, _, err := src.open(ctx, rel)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", rel, err)
	}
	return b, nil
}
