package store_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

// freshCacheDataset is a valid dataset with freshness rows.
func freshCacheDataset(t *testing.T) *store.Dataset {
	t.Helper()
	d := &store.Dataset{Mirrors: []store.Mirror{mirror("a"), mirror("b")}}
	for i := range 3 {
		d.Directories = append(d.Directories, store.Directory{Path: fmt.Sprintf("pub/d%d", i),
			Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: strings.Repeat(fmt.Sprint(i), 64)}})
	}
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for _, m := range d.Mirrors {
		for i, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path,
				SHA256: dir.Current.SHA256, Reported: at.Add(time.Duration(i) * time.Second)})
		}
	}
	d.Freshness[1].Source = store.SourceCrawl
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// Rows written one at a time are read back one at a time, after the rest
// of the dataset, and Load gives the whole dataset back.
func TestCacheFileStreamsRows(t *testing.T) {
	c, err := store.NewCacheFile(filepath.Join(t.TempDir(), "snapshot-cache"))
	if err != nil {
		t.Fatal(err)
	}
	want := freshCacheDataset(t)
	saved := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	err = store.ExportDataset(want, func(head *store.Dataset, rows store.FreshnessRows) error {
		return c.Write(head, rows, saved)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got *store.Dataset
	err = c.Export(func(head *store.Dataset, at time.Time, rows store.FreshnessRows) error {
		if len(head.Mirrors) != 2 || len(head.Directories) != 3 || len(head.Freshness) != 0 {
			t.Errorf("head: %d mirrors, %d directories, %d rows; want 2, 3 and none", len(head.Mirrors), len(head.Directories), len(head.Freshness))
		}
		if !at.Equal(saved) {
			t.Errorf("saved %v, want %v", at, saved)
		}
		got = head
		return rows(func(f store.Freshness) error {
			got.Freshness = append(got.Freshness, f)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Export (-written +read):\n%s", diff)
	}
	whole, _, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, whole, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load (-written +read):\n%s", diff)
	}
}

// A cache of the first format (the whole dataset as one JSON value, its
// freshness anywhere) is still read.
func TestCacheFileReadsFormat1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot-cache")
	want := freshCacheDataset(t)
	body, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	saved := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	file := fmt.Sprintf("metalinkd-snapshot-cache 1 saved=%s length=%d sha256=%x\n%s", saved.Format(time.RFC3339Nano), len(body), sum, body)
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := store.NewCacheFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, at, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || !at.Equal(saved) {
		t.Errorf("format 1 read at %v, want %v (-want +got):\n%s", at, saved, diff)
	}
}

// A cache whose rows are damaged past the checksum's reach (written so)
// is refused with a message naming the row.
func TestCacheFileRefusesBadRow(t *testing.T) {
	c, err := store.NewCacheFile(filepath.Join(t.TempDir(), "snapshot-cache"))
	if err != nil {
		t.Fatal(err)
	}
	d := freshCacheDataset(t)
	d.Freshness[4].Mirror = "ghost"
	if err := c.Save(d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Load(); err == nil || !strings.Contains(err.Error(), "freshness[4].mirror") {
		t.Errorf("Load of a cache with an unknown mirror's row = %v, want an error naming freshness[4].mirror", err)
	}
}
