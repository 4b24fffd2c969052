package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

func cacheDataset(t *testing.T) *store.Dataset {
	t.Helper()
	d := &store.Dataset{Mirrors: []store.Mirror{mirror("a"), mirror("b")}}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCacheFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot-cache")
	c, err := store.NewCacheFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Load(); !errors.Is(err, store.ErrNoCache) {
		t.Errorf("Load of a missing cache = %v, want ErrNoCache", err)
	}
	saved := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	if err := c.Save(cacheDataset(t), saved); err != nil {
		t.Fatal(err)
	}
	d, at, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(saved) || len(d.Mirrors) != 2 || d.Mirrors[1].Name != "b" {
		t.Errorf("Load = %d mirrors saved at %v, want 2 mirrors saved at %v", len(d.Mirrors), at, saved)
	}
}

// Every way a cache file can be wrong is refused, with a message that says
// which.
func TestCacheFileRefusesDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot-cache")
	c, err := store.NewCacheFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(cacheDataset(t), time.Now()); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := bytes.Cut(good, []byte("\n"))
	flip := bytes.Clone(good)
	flip[len(header)+10] ^= 0x01 // one bit of the dataset
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"bit flip", flip, "checksum mismatch"},
		{"truncated", good[:len(good)-5], "truncated"},
		{"foreign", []byte("{\"format\":1}\n{}"), "not a snapshot cache file"},
		{"newer format", append(bytes.Replace(header, []byte(" 2 "), []byte(" 3 "), 1), append([]byte("\n"), body...)...), "format 3"},
		{"empty", nil, "no header line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.Load()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Load = %v, want an error naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

// The cache's temporary files are cleaned as the store's are.
func TestCacheFileRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot-cache")
	stale := path + ".tmp-42"
	if err := os.WriteFile(stale, []byte("half a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewCacheFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
}
