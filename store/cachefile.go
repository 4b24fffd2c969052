package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// cacheMagic and cacheFormat open the first line of a snapshot cache file.
const (
	cacheMagic  = "metalinkd-snapshot-cache"
	cacheFormat = 1
)

// ErrNoCache is a snapshot cache file that does not exist.
var ErrNoCache = errors.New("no snapshot cache")

// CacheFile is the snapshot cache: the last dataset a server loaded from
// its store, kept in a local file so that a server can start and answer
// while the store is unreachable. The file is one header line,
//
//	metalinkd-snapshot-cache 1 saved=<RFC 3339 time> length=<bytes> sha256=<hex>
//
// followed by the dataset as JSON, whose length and SHA-256 the header
// gives. It is replaced atomically (temporary file, fsync, rename) under a
// lock file beside it, which is also held to remove the temporary files
// of writers that died.
type CacheFile struct {
	path string
}

// NewCacheFile returns the cache at path and removes the temporary files
// that writers which died left beside it.
func NewCacheFile(path string) (*CacheFile, error) {
	c := &CacheFile{path: path}
	if err := withFileLock(c.lockPath(), func() error { return removeStaleTemps(path) }); err != nil {
		return nil, fmt.Errorf("snapshot cache %s: %w", path, err)
	}
	return c, nil
}

// Path returns the file's path.
func (c *CacheFile) Path() string { return c.path }

func (c *CacheFile) lockPath() string { return c.path + ".lock" }

// Save replaces the cache with d, loaded at saved.
func (c *CacheFile) Save(d *Dataset, saved time.Time) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("snapshot cache %s: %w", c.path, err)
	}
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.Grow(len(body) + 200)
	fmt.Fprintf(&b, "%s %d saved=%s length=%d sha256=%s\n", cacheMagic, cacheFormat,
		saved.UTC().Format(time.RFC3339Nano), len(body), hex.EncodeToString(sum[:]))
	b.Write(body)
	err = withFileLock(c.lockPath(), func() error {
		if err := removeStaleTemps(c.path); err != nil {
			return err
		}
		return writeFileAtomic(c.path, b.Bytes())
	})
	if err != nil {
		return fmt.Errorf("snapshot cache %s: %w", c.path, err)
	}
	return nil
}

// Load returns the cached dataset and when it was loaded from the store.
// It fails with ErrNoCache when there is no file, and refuses a file that
// is not a snapshot cache of this format, is truncated, fails its checksum
// or holds an invalid dataset.
func (c *CacheFile) Load() (*Dataset, time.Time, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("snapshot cache %s: %w", c.path, ErrNoCache)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snapshot cache %s: %w", c.path, err)
	}
	d, saved, err := decodeCache(b)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("snapshot cache %s is unusable: %w", c.path, err)
	}
	return d, saved, nil
}

func decodeCache(b []byte) (*Dataset, time.Time, error) {
	header, body, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, time.Time{}, errors.New("no header line")
	}
	fields := strings.Fields(string(header))
	if len(fields) != 5 || fields[0] != cacheMagic {
		return nil, time.Time{}, errors.New("not a snapshot cache file")
	}
	if fields[1] != strconv.Itoa(cacheFormat) {
		return nil, time.Time{}, fmt.Errorf("format %s, this binary knows %d", fields[1], cacheFormat)
	}
	kv := map[string]string{}
	for _, f := range fields[2:] {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	saved, err := time.Parse(time.RFC3339Nano, kv["saved"])
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("bad saved time: %w", err)
	}
	if n, err := strconv.Atoi(kv["length"]); err != nil || n != len(body) {
		return nil, time.Time{}, fmt.Errorf("length %d, the header says %s: truncated or extended", len(body), kv["length"])
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != kv["sha256"] {
		return nil, time.Time{}, errors.New("checksum mismatch: the file is damaged")
	}
	var d Dataset
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, time.Time{}, fmt.Errorf("dataset: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, time.Time{}, fmt.Errorf("dataset: %w", err)
	}
	return &d, saved, nil
}
