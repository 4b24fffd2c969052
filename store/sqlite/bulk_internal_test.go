package sqlite

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// A restore loads freshness without the table's checks, index and
// triggers, then must leave them as they were: the writer connection
// checks again, and the index and triggers are back.
func TestRestoreLeavesChecksAndIndex(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sha := strings.Repeat("ab", 32)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	d := &store.Dataset{
		Mirrors: []store.Mirror{{Name: "m.example.org", Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://m.example.org/pub"}}},
		Directories: []store.Directory{{Path: "releases/41/os", Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha, Recorded: at}}},
		Freshness:   []store.Freshness{{Mirror: "m.example.org", Directory: "releases/41/os", SHA256: sha, Reported: at}},
	}
	if err := s.Restore(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	var ignored int
	if err := s.writer.QueryRowContext(t.Context(), `PRAGMA ignore_check_constraints`).Scan(&ignored); err != nil {
		t.Fatal(err)
	}
	if ignored != 0 {
		t.Errorf("ignore_check_constraints = %d after a restore, want 0", ignored)
	}
	_, err = s.writer.ExecContext(t.Context(), `UPDATE freshness SET sha256 = 'not hex'`)
	if err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Errorf("an invalid digest written after a restore: err = %v, want a CHECK failure", err)
	}
	var n int
	if err := s.writer.QueryRowContext(t.Context(),
		`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'freshness_directory'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("freshness_directory index: %d after a restore, want 1", n)
	}
	triggers, err := collect(t.Context(), mustBegin(t, s), func(r *sql.Rows) (name string, err error) {
		err = r.Scan(&name)
		return name, err
	}, `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'freshness' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"freshness_delete_log", "freshness_insert_log", "freshness_update_log"}; !slices.Equal(triggers, want) {
		t.Errorf("freshness triggers after a restore: %v, want %v", triggers, want)
	}
	got, err := s.Freshness(t.Context(), "", "releases/41/os")
	if err != nil || len(got) != 1 || got[0].SHA256 != sha {
		t.Errorf("freshness after a restore = %+v, %v", got, err)
	}
}

// mustBegin starts a read transaction on s, rolled back when t ends.
func mustBegin(t *testing.T, s *Store) *sql.Tx {
	t.Helper()
	tx, err := s.reader.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}
