package postgres_test

import (
	"context"
	"os"
	"testing"

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
