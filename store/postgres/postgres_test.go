package postgres_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
	"github.com/metalinkd/metalinkd/store/storetest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	server = pgtest.Connect()
	code := m.Run()
	server.Close()
	os.Exit(code)
}

// open returns a store on a new, migrated database of its own.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	return openURL(t, server.NewDatabase(t, true))
}

// openURL opens a store on an existing database, closed when t ends.
func openURL(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	server.Require(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestCrawlLock(t *testing.T) {
	server.Require(t)
	storetest.RunCrawlLock(t, func(t *testing.T) (store.Store, store.Store) {
		url := server.NewDatabase(t, true)
		return openURL(t, url), openURL(t, url)
	})
}

func TestAuditRetention(t *testing.T) {
	server.Require(t)
	storetest.RunAuditRetention(t, func(t *testing.T, r store.AuditRetention) store.Store {
		s, err := postgres.Open(context.Background(), server.NewDatabase(t, true), postgres.WithAuditRetention(r))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestStatsReplicas(t *testing.T) {
	server.Require(t)
	storetest.RunStatsReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		url := server.NewDatabase(t, true)
		return openURL(t, url), openURL(t, url)
	})
}

// BenchmarkRecordCrawl records a crawl of one mirror × 3,000 directories
// (Fedora's scale) that changes nothing.
func BenchmarkRecordCrawl(b *testing.B) {
	server.Require(b)
	s, err := postgres.Open(context.Background(), server.NewDatabase(b, true))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchRecordCrawl(b, s, 3000)
}

// BenchmarkExport reads 100,000 freshness rows (100 mirrors × 1,000
// directories), a fifth of Fedora's.
func BenchmarkExport(b *testing.B) {
	server.Require(b)
	s, err := postgres.Open(context.Background(), server.NewDatabase(b, true))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchExport(b, s, 100, 1000)
}

// BenchmarkLoad loads the data of BenchmarkExport whole, for comparison.
func BenchmarkLoad(b *testing.B) {
	server.Require(b)
	s, err := postgres.Open(context.Background(), server.NewDatabase(b, true))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchLoad(b, s, 100, 1000)
}

// ExportUnordered hands out what Export does, the rows in any order.
func TestExportUnordered(t *testing.T) {
	server.Require(t)
	s := open(t)
	ctx := t.Context()
	d := &store.Dataset{}
	for _, name := range []string{"b.example.org", "a.example.org", "B.example.org"} {
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "DE", Bandwidth: 1, Enabled: true, URLs: []string{"https://" + name + "/"}})
	}
	for _, path := range []string{"pub/b", "pub/a", "pub/B"} {
		d.Directories = append(d.Directories, store.Directory{Path: path, Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: strings.Repeat("a", 64)}})
	}
	for _, m := range d.Mirrors {
		for _, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path, SHA256: dir.Current.SHA256,
				Reported: time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), Source: store.SourceCrawl})
		}
	}
	if err := s.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	want, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Freshness
	err = s.ExportUnordered(ctx, func(head *store.Dataset, rows store.FreshnessRows) error {
		if len(head.Mirrors) != 3 || len(head.Freshness) != 0 {
			t.Errorf("head: %d mirrors, %d rows; want 3 and none", len(head.Mirrors), len(head.Freshness))
		}
		return rows(func(f store.Freshness) error {
			got = append(got, f)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	byKey := func(a, b store.Freshness) int {
		return strings.Compare(a.Mirror+"\n"+a.Directory, b.Mirror+"\n"+b.Directory)
	}
	slices.SortFunc(got, byKey)
	if diff := cmp.Diff(want.Freshness, got); diff != "" || len(got) != 9 {
		t.Errorf("ExportUnordered's rows, sorted (-Load +ExportUnordered):\n%s", diff)
	}
}
