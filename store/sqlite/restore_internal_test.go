package sqlite

import (
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

func restoreDataset() *store.Dataset {
	sha := strings.Repeat("ab", 32)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return &store.Dataset{
		Mirrors: []store.Mirror{{Name: "m.example.org", Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://m.example.org/pub"}}},
		Directories: []store.Directory{{Path: "releases/41/os", Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha, Recorded: at}}},
		Freshness:   []store.Freshness{{Mirror: "m.example.org", Directory: "releases/41/os", SHA256: sha, Reported: at}},
	}
}

// A restore writes with the connection's foreign keys off and checks the
// references once at the end: a row that refers to nothing fails the
// restore, which changes nothing, and the connection checks again after.
func TestRestoreChecksReferencesOnce(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Restore(t.Context(), restoreDataset()); err != nil {
		t.Fatal(err)
	}
	before, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("cd", 32)
	for _, c := range []struct{ name, insert, want string }{
		{"freshness of an unknown mirror", `INSERT INTO freshness (mirror, directory, sha256, reported, source)
			VALUES ('gone.example.org', 'releases/41/os', '` + sha + `', 1, 'report')`, `unknown mirror "gone.example.org"`},
		{"freshness of an unknown directory", `INSERT INTO freshness (mirror, directory, sha256, reported, source)
			VALUES ('m.example.org', 'releases/40/os', '` + sha + `', 1, 'report')`, `unknown directory "releases/40/os"`},
		{"a URL of an unknown mirror", `INSERT INTO mirror_urls (mirror, position, url) VALUES ('gone.example.org', 0, 'https://x/')`,
			"mirror_urls refers to a missing row of mirrors"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.writeUnchecked(t.Context(), func(tx *sql.Tx) error {
				if err := restore(t.Context(), tx, restoreDataset()); err != nil {
					return err
				}
				if _, err := tx.ExecContext(t.Context(), c.insert); err != nil {
					return err
				}
				return checkForeignKeys(t.Context(), tx)
			})
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %v naming %s", err, store.ErrInvalid, c.want)
			}
			after, err := s.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("a failed restore changed the store:\n got %+v\nwant %+v", after, before)
			}
			var on int
			if err := s.writer.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&on); err != nil {
				t.Fatal(err)
			}
			if on != 1 {
				t.Errorf("foreign_keys = %d after a restore, want 1", on)
			}
		})
	}
}
