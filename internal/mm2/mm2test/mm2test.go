// Package mm2test gives tests a PostgreSQL database in MirrorManager2's
// schema, filled with the fixture of internal/mm2/testdata.
package mm2test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

// Now is the time the fixture's file details are aged at in tests
// (2026-11-30T09:33:20Z): its repomd.xml versions are dated against it.
var Now = time.Unix(1796000000, 0).UTC()

// Testdata returns the path of a file of internal/mm2/testdata.
func Testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", name)
}

// NewSchema creates a database in MirrorManager2's schema, without rows,
// dropped when t ends, and returns its URL.
func NewSchema(t testing.TB) string {
	t.Helper()
	srv := pgtest.Connect()
	t.Cleanup(srv.Close)
	url := srv.NewDatabase(t, false)
	ExecFile(t, url, Testdata("schema.sql"))
	return url
}

// NewFixture creates a database in MirrorManager2's schema holding
// testdata/fixture.sql, and returns its URL.
func NewFixture(t testing.TB) string {
	t.Helper()
	url := NewSchema(t)
	ExecFile(t, url, Testdata("fixture.sql"))
	return url
}

// ExecFile runs the statements of an SQL file against the database at url.
func ExecFile(t testing.TB, url, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	Exec(t, url, string(b))
}

// Exec runs statements against the database at url.
func Exec(t testing.TB, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%.60s…: %v", sql, err)
	}
}
