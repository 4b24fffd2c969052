package mm2

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

// fixtureNow is the time the fixture's file details are aged at.
var fixtureNow = time.Unix(1796000000, 0).UTC()

// newFixture creates a database in MirrorManager2's schema holding
// testdata/fixture.sql, and returns its URL.
func newFixture(t testing.TB) string {
	t.Helper()
	srv := pgtest.Connect()
	t.Cleanup(srv.Close)
	url := srv.NewDatabase(t, false)
	execFiles(t, url, "testdata/schema.sql", "testdata/fixture.sql")
	return url
}

// execFiles runs SQL files (or statements) against the database at url.
func execFiles(t testing.TB, url string, files ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// execSQL runs statements against the database at url.
func execSQL(t testing.TB, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// convertFixture reads and converts the database at url as of fixtureNow.
func convertFixture(t testing.TB, url string) *Result {
	t.Helper()
	src, err := Read(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return Convert(src, Options{Now: fixtureNow})
}
