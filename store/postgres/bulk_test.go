package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// bulkDataset has mirrors, directories and freshness for each pair.
func bulkDataset(mirrors, dirs int) *store.Dataset {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sha := strings.Repeat("ab", 32)
	d := &store.Dataset{}
	for i := range mirrors {
		name := fmt.Sprintf("m%d.example.org", i)
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://" + name + "/pub"}, Netblocks: []string{fmt.Sprintf("10.%d.0.0/16", i)}})
	}
	for j := range dirs {
		d.Directories = append(d.Directories, store.Directory{Path: fmt.Sprintf("pub/d%d/os", j),
			Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha, Recorded: at}})
	}
	for _, m := range d.Mirrors {
		for _, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path, SHA256: sha, Reported: at})
		}
	}
	return d
}

// A restore drops the freshness table's foreign keys and index while it
// copies the rows in: they must be back after it, and still at work.
func TestRestoreLeavesFreshnessConstraints(t *testing.T) {
	url := server.NewDatabase(t, true)
	s := openURL(t, url)
	if err := s.Restore(t.Context(), bulkDataset(3, 4)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, _ := conn.Query(t.Context(), `
		SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'freshness'::regclass
		UNION ALL SELECT indexdef FROM pg_indexes WHERE tablename = 'freshness' ORDER BY 1`)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(defs, "\n")
	for _, want := range []string{
		"freshness_directory_fkey FOREIGN KEY (directory) REFERENCES directories(path) ON UPDATE CASCADE ON DELETE CASCADE",
		"freshness_mirror_fkey FOREIGN KEY (mirror) REFERENCES mirrors(name) ON UPDATE CASCADE ON DELETE CASCADE",
		"CREATE INDEX freshness_directory ON public.freshness USING btree (directory)",
		"CREATE UNIQUE INDEX freshness_pkey ON public.freshness USING btree (mirror, directory)",
		"freshness_sha256_check CHECK",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("after a restore the freshness table lacks %q; it has:\n%s", want, got)
		}
	}
	_, err = conn.Exec(t.Context(), `INSERT INTO freshness (mirror, directory, sha256, reported) VALUES ('nobody', 'pub/d0/os', $1, now())`,
		strings.Repeat("ab", 32))
	if err == nil || !strings.Contains(err.Error(), "freshness_mirror_fkey") {
		t.Errorf("freshness of an unknown mirror inserted after a restore: err = %v, want a foreign key violation", err)
	}
	if err := s.DeleteMirror(t.Context(), "m0.example.org"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM freshness WHERE mirror = 'm0.example.org'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d freshness rows of a deleted mirror, want none (the cascade)", n)
	}
}
