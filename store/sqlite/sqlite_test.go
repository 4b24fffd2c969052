package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/migrations"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
	"github.com/metalinkd/metalinkd/store/storetest"
)

func open(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestCrawlLock(t *testing.T) {
	storetest.RunCrawlLock(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		a, b := open(t, dir), open(t, dir)
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	})
}

func mirror(name string) store.Mirror {
	return store.Mirror{Name: name, Country: "DE", Bandwidth: 10, Enabled: true, URLs: []string{"https://" + name + ".example/pub"}}
}

// TestConcurrentWriters checks that writers in several handles (as several
// processes would have) take turns and lose no update.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close() // create the schema once, as the first process would
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for i := range 10 {
				if err := s.CreateMirror(context.Background(), mirror(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	s := open(t, dir)
	defer s.Close()
	ms, err := s.Mirrors(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 40 {
		t.Errorf("%d mirrors after 40 concurrent creates", len(ms))
	}
}

// TestChangesFromAnotherHandle checks that a write through another handle
// on the data directory, as another process's would be, is signalled.
func TestChangesFromAnotherHandle(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	ch := s.Changes(t.Context())
	other := open(t, dir)
	defer other.Close()
	if err := other.CreateMirror(t.Context(), mirror("a")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no change signalled for another handle's write")
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	// A later binary's migration, applied behind this one's back.
	_, err := sqlite.ExecForTest(s, `INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(t.Context(), dir)
	var ve *migrations.VersionError
	if !errors.As(err, &ve) || ve.Database != 999 {
		t.Fatalf("opening a newer schema: %v, want a VersionError naming version 999", err)
	}
}

// copyLegacy copies the data directory written by the former JSON-file
// store (testdata/legacy) into a new directory.
func copyLegacy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "legacy", "metalinkd.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "metalinkd.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCarriesOverJSONDataDirectory(t *testing.T) {
	dir := copyLegacy(t)
	s := open(t, dir)
	defer s.Close()
	ctx := t.Context()
	d, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Mirrors) != 4 || len(d.Directories) != 2 || len(d.Freshness) == 0 || len(d.CloudRanges) == 0 {
		t.Errorf("carried over %d mirrors, %d directories, %d freshness rows, %d cloud ranges",
			len(d.Mirrors), len(d.Directories), len(d.Freshness), len(d.CloudRanges))
	}
	tok, err := s.TokenByHash(ctx, []byte("abcdef0123456789abcdef0123456789"))
	if err != nil || tok.ID != "t2" || !tok.Revoked.Equal(time.Unix(1_700_000_100, 0)) || len(tok.Scopes) != 1 {
		t.Errorf("token t2: %+v, %v", tok, err)
	}
	log, err := s.ListAudit(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 4 || log[0].Action != "revoke_token" || log[3].Action != "restore" || log[3].Actor != "token:t1" || log[0].ID != 4 {
		t.Errorf("audit log %+v, want the file's 4 entries, newest first", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "metalinkd.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the JSON file is still in place: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metalinkd.json.migrated")); err != nil {
		t.Errorf("the JSON file was not kept aside: %v", err)
	}
	// New audit entries follow the carried-over ones.
	if err := s.DeleteMirror(ctx, "disabled.example.com"); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.ListAudit(ctx, 1, 0); len(log) != 1 || log[0].ID != 5 {
		t.Errorf("next audit entry %+v, want ID 5", log)
	}
}

func TestCarryOverNeverOverwrites(t *testing.T) {
	t.Run("interrupted rename", func(t *testing.T) {
		dir := copyLegacy(t)
		open(t, dir).Close()
		// The rename was lost: the file is back, and is recognised.
		if err := os.Rename(filepath.Join(dir, "metalinkd.json.migrated"), filepath.Join(dir, "metalinkd.json")); err != nil {
			t.Fatal(err)
		}
		s := open(t, dir)
		defer s.Close()
		if ms, err := s.Mirrors(t.Context()); err != nil || len(ms) != 4 {
			t.Errorf("%d mirrors, %v", len(ms), err)
		}
	})
	t.Run("database with other data", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		if err := s.CreateMirror(t.Context(), mirror("a")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		b, _ := os.ReadFile(filepath.Join("testdata", "legacy", "metalinkd.json"))
		if err := os.WriteFile(filepath.Join(dir, "metalinkd.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlite.Open(t.Context(), dir); err == nil {
			t.Fatal("opened a data directory with both a database holding data and a JSON file")
		}
	})
	for name, content := range map[string]string{
		"damaged":      `{"format": 1, "dataset": {`,
		"newer format": `{"format": 99, "dataset": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "metalinkd.json"), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := sqlite.Open(t.Context(), dir); err == nil {
				t.Error("opened")
			}
			if _, err := os.Stat(filepath.Join(dir, "metalinkd.json")); err != nil {
				t.Errorf("the refused file was moved: %v", err)
			}
		})
	}
}

func TestStatsReplicas(t *testing.T) {
	storetest.RunStatsReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		a, b := open(t, dir), open(t, dir)
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	})
}

// BenchmarkRecordCrawl records a crawl of one mirror × 3,000 directories
// (Fedora's scale) that changes nothing.
func BenchmarkRecordCrawl(b *testing.B) {
	s, err := sqlite.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchRecordCrawl(b, s, 3000)
}

// TestLoadFreshnessPrecedence checks that the bulk path refuses, as Report
// does, a report the crawler contradicts, and keeps a row's source.
func TestLoadFreshnessPrecedence(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := t.Context()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	sha := strings.Repeat("a", 64)
	d := &store.Dataset{
		Mirrors:     []store.Mirror{mirror("a"), mirror("b")},
		Directories: []store.Directory{{Path: "d", Current: store.Repomd{Size: 1, SHA256: sha, Recorded: at}}},
	}
	if err := s.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	_, err := s.RecordCrawl(ctx, store.CrawlResult{Mirror: "a", Started: at.Add(time.Hour), Finished: at.Add(time.Hour),
		Checks:       []store.ProtocolCheck{{Protocol: "https", OK: true}},
		Observations: []store.Observation{{Directory: "d", Status: store.SeenMissing}}}, store.CrawlPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	report := store.Freshness{Mirror: "a", Directory: "d", SHA256: sha, Reported: at.Add(2 * time.Hour)}
	other := store.Freshness{Mirror: "b", Directory: "d", SHA256: sha, Reported: at.Add(2 * time.Hour)}
	var refused *store.ReportRefusedError
	if err := s.LoadFreshness(ctx, []store.Freshness{other, report}); !errors.As(err, &refused) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("LoadFreshness of a report the crawler contradicts = %v, want a ReportRefusedError", err)
	}
	if fs, _ := s.Freshness(ctx, "", ""); len(fs) != 0 {
		t.Errorf("a refused load left %+v", fs)
	}
	crawled := report
	crawled.Source = store.SourceCrawl
	if err := s.LoadFreshness(ctx, []store.Freshness{other, crawled}); err != nil {
		t.Fatal(err)
	}
	fs, err := s.Freshness(ctx, "", "")
	if err != nil || len(fs) != 2 || fs[0].Source != store.SourceCrawl || fs[1].Source != "" {
		t.Errorf("Freshness = %+v, %v; want a's row from the crawl and b's reported", fs, err)
	}
}

// TestStatsAreNoDatasetChange checks that statistics go to a database file
// of their own: a flush leaves metalinkd.db's data version, which the
// servers sharing the directory poll for changes, as it was, while a
// change of the dataset moves it.
func TestStatsAreNoDatasetChange(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	ctx := t.Context()
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	version := func() int64 {
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := version()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := s.AddStats(ctx, []store.RequestCount{{Day: day, Repo: "r", Count: 1}},
		[]store.CountmeCount{{Week: day, Repo: "r", Bucket: 1, Count: 1}}, day, store.DefaultStatsRetention); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != before {
		t.Errorf("a statistics flush changed the dataset's data version (%d → %d)", before, v)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.StatsFileName)); err != nil {
		t.Errorf("no statistics database: %v", err)
	}
	if err := s.CreateLocation(ctx, store.Location{Name: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if v := version(); v == before {
		t.Error("the control, a change of the dataset, left the data version as it was")
	}
}

// BenchmarkExport reads 100,000 freshness rows (100 mirrors × 1,000
// directories), a fifth of Fedora's.
func BenchmarkExport(b *testing.B) {
	s, err := sqlite.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchExport(b, s, 100, 1000)
}

// BenchmarkLoad loads the data of BenchmarkExport whole, for comparison.
func BenchmarkLoad(b *testing.B) {
	s, err := sqlite.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchLoad(b, s, 100, 1000)
}
