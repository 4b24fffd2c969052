package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// cacheMagic and cacheFormat open the first line of a snapshot cache file.
// Format 2 writes the freshness last, so that a reader streams it; files of
// format 1 (freshness anywhere) are still read, whole.
const (
	cacheMagic  = "metalinkd-snapshot-cache"
	cacheFormat = 2
)

// ErrNoCache is a snapshot cache file that does not exist.
var ErrNoCache = errors.New("no snapshot cache")

// CacheFile is the snapshot cache: the last dataset a server loaded from
// its store, kept in a local file so that a server can start and answer
// while the store is unreachable. The file is one header line,
//
//	metalinkd-snapshot-cache 2 saved=<RFC 3339 time> length=<bytes> sha256=<hex>
//
// followed by the dataset as JSON, whose length and SHA-256 the header
// gives, its freshness last: it is written and read one row at a time. It is replaced atomically (temporary file, fsync, rename) under a
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
	return ExportDataset(d, func(head *Dataset, rows FreshnessRows) error { return c.Write(head, rows, saved) })
}

// Write replaces the cache with head, a dataset without its freshness, and
// the freshness rows yields, loaded at saved; the rows are written as they
// come, never held.
func (c *CacheFile) Write(head *Dataset, rows FreshnessRows, saved time.Time) error {
	err := withFileLock(c.lockPath(), func() error {
		if err := removeStaleTemps(c.path); err != nil {
			return err
		}
		return writeFileAtomicFunc(c.path, func(f *os.File) error { return writeCache(f, head, rows, saved) })
	})
	if err != nil {
		return fmt.Errorf("snapshot cache %s: %w", c.path, err)
	}
	return nil
}

// cacheHeader is the header line; its length does not depend on the body's
// length and sum, so that a placeholder is written first and replaced once
// the body is.
func cacheHeader(saved time.Time, length int64, sum []byte) []byte {
	return fmt.Appendf(nil, "%s %d saved=%s length=%020d sha256=%s\n", cacheMagic, cacheFormat,
		saved.UTC().Format(time.RFC3339Nano), length, hex.EncodeToString(sum))
}

// writeCache writes the cache file to f: a placeholder header, head's
// fields, the freshness, then the header.
func writeCache(f *os.File, head *Dataset, rows FreshnessRows, saved time.Time) error {
	fields, err := headFields(head)
	if err != nil {
		return err
	}
	header := cacheHeader(saved, 0, make([]byte, sha256.Size))
	if _, err := f.Write(header); err != nil {
		return err
	}
	sum := sha256.New()
	body := &countingWriter{w: io.MultiWriter(f, sum)}
	w := bufio.NewWriterSize(body, 1<<16)
	w.Write(fields)
	if len(fields) > 1 {
		w.WriteByte(',')
	}
	w.WriteString(`"freshness":[`)
	enc := json.NewEncoder(w)
	first := true
	err = rows(func(fr Freshness) error {
		if !first {
			w.WriteByte(',')
		}
		first = false
		return enc.Encode(fr)
	})
	if err != nil {
		return err
	}
	w.WriteString("]}")
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = f.WriteAt(cacheHeader(saved, body.n, sum.Sum(nil)), 0)
	return err
}

// headFields is head as a JSON object without its freshness and without
// the closing brace.
func headFields(head *Dataset) ([]byte, error) {
	h := *head
	h.Freshness = nil
	b, err := json.Marshal(&h)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	delete(fields, "freshness")
	if b, err = json.Marshal(fields); err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Load returns the cached dataset and when it was loaded from the store.
// It fails with ErrNoCache when there is no file, and refuses a file that
// is not a snapshot cache of a format it knows, is truncated, fails its
// checksum or holds an invalid dataset.
func (c *CacheFile) Load() (*Dataset, time.Time, error) {
	var d *Dataset
	var at time.Time
	err := c.Export(func(head *Dataset, saved time.Time, rows FreshnessRows) error {
		d, at = head, saved
		return rows(func(f Freshness) error {
			d.Freshness = append(d.Freshness, f)
			return nil
		})
	})
	if err == nil {
		if verr := d.Validate(); verr != nil {
			err = fmt.Errorf("snapshot cache %s is unusable: dataset: %w", c.path, verr)
		}
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	return d, at, nil
}

// Export calls fn with the cached dataset but its freshness, when it was
// saved, and rows, which reads the freshness from the file one row at a
// time. The file's length and checksum are checked before fn is called;
// the data is not validated (fn does, as it would a store's). It fails as
// Load does for a file that is missing or damaged.
func (c *CacheFile) Export(fn func(d *Dataset, saved time.Time, rows FreshnessRows) error) error {
	f, err := os.Open(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("snapshot cache %s: %w", c.path, ErrNoCache)
	}
	if err != nil {
		return fmt.Errorf("snapshot cache %s: %w", c.path, err)
	}
	defer f.Close()
	if err := exportCache(f, fn); err != nil {
		return fmt.Errorf("snapshot cache %s is unusable: %w", c.path, err)
	}
	return nil
}

// exportCache checks f's header, length and checksum, then decodes it for
// fn: format 1 whole, format 2 streaming its freshness.
func exportCache(f *os.File, fn func(d *Dataset, saved time.Time, rows FreshnessRows) error) error {
	r := bufio.NewReaderSize(f, 1<<16)
	header, err := r.ReadBytes('\n')
	if err != nil {
		return errors.New("no header line")
	}
	format, saved, err := checkCacheBody(header, r)
	if err != nil {
		return err
	}
	if _, err := f.Seek(int64(len(header)), io.SeekStart); err != nil {
		return err
	}
	r.Reset(f)
	if format == 1 {
		var d Dataset
		if err := json.NewDecoder(r).Decode(&d); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		return ExportDataset(&d, func(head *Dataset, rows FreshnessRows) error { return fn(head, saved, rows) })
	}
	return decodeStream(json.NewDecoder(r), saved, fn)
}

// checkCacheBody parses a header line and checks the body that r holds
// against it, reading it once without holding it.
func checkCacheBody(header []byte, r io.Reader) (format int, saved time.Time, err error) {
	fields := strings.Fields(string(header))
	if len(fields) != 5 || fields[0] != cacheMagic {
		return 0, time.Time{}, errors.New("not a snapshot cache file")
	}
	if fields[1] != "1" && fields[1] != strconv.Itoa(cacheFormat) {
		return 0, time.Time{}, fmt.Errorf("format %s, this binary knows 1 and %d", fields[1], cacheFormat)
	}
	format, _ = strconv.Atoi(fields[1])
	kv := map[string]string{}
	for _, f := range fields[2:] {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	if saved, err = time.Parse(time.RFC3339Nano, kv["saved"]); err != nil {
		return 0, time.Time{}, fmt.Errorf("bad saved time: %w", err)
	}
	sum := sha256.New()
	n, err := io.Copy(sum, r)
	if err != nil {
		return 0, time.Time{}, err
	}
	if want, err := strconv.ParseInt(kv["length"], 10, 64); err != nil || want != n {
		return 0, time.Time{}, fmt.Errorf("length %d, the header says %s: truncated or extended", n, kv["length"])
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != kv["sha256"] {
		return 0, time.Time{}, errors.New("checksum mismatch: the file is damaged")
	}
	return format, saved, nil
}

// decodeStream decodes a format 2 body: the dataset's fields, then its
// freshness, which rows decodes one row at a time.
func decodeStream(dec *json.Decoder, saved time.Time, fn func(d *Dataset, saved time.Time, rows FreshnessRows) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		key, _ := t.(string)
		if key != "freshness" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("dataset: %s: %w", key, err)
			}
			fields[key] = v
			continue
		}
		var d Dataset
		b, err := json.Marshal(fields)
		if err == nil {
			err = json.Unmarshal(b, &d)
		}
		if err == nil {
			err = expectDelim(dec, '[')
		}
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		return fn(&d, saved, func(yield func(Freshness) error) error {
			for i := 0; dec.More(); i++ {
				var f Freshness
				if err := dec.Decode(&f); err != nil {
					return fmt.Errorf("dataset: freshness[%d]: %w", i, err)
				}
				if err := yield(f); err != nil {
					return err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return fmt.Errorf("dataset: %w", err)
			}
			return expectDelim(dec, '}')
		})
	}
	return errors.New("dataset: no freshness")
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("%v where %v belongs", t, want)
	}
	return nil
}
