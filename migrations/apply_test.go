package migrations_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/metalinkd/metalinkd/migrations"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	server = pgtest.Connect()
	code := m.Run()
	server.Close()
	os.Exit(code)
}

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), server.NewDatabase(t, false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestCheckFailsOnEmptyDatabase(t *testing.T) {
	pool := newPool(t)
	err := migrations.Check(context.Background(), pool)
	var ve *migrations.VersionError
	if !errors.As(err, &ve) || ve.Database != 0 || ve.Binary != migrations.Latest() {
		t.Fatalf("Check = %v, want a VersionError at 0", err)
	}
	if !strings.Contains(err.Error(), "run `metalinkd migrate`") {
		t.Errorf("message %q does not say what to do", err)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	for range 2 {
		v, err := migrations.Apply(ctx, pool)
		if err != nil || v != migrations.Latest() {
			t.Fatalf("Apply = %d, %v; want %d", v, err, migrations.Latest())
		}
	}
	if err := migrations.Check(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != migrations.Latest() {
		t.Fatalf("schema_migrations has %d rows (%v)", n, err)
	}
}

// Replicas starting together must apply each migration once: without the
// lock, the second CREATE TABLE would fail.
func TestApplyConcurrently(t *testing.T) {
	pool := newPool(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			if _, err := migrations.Apply(context.Background(), pool); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatal(err)
	}
	newer := migrations.Latest() + 1
	if _, err := pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future.sql')", newer); err != nil {
		t.Fatal(err)
	}
	var ve *migrations.VersionError
	if err := migrations.Check(ctx, pool); !errors.As(err, &ve) || ve.Database != newer {
		t.Errorf("Check = %v, want a VersionError at %d", err, newer)
	}
	if _, err := migrations.Apply(ctx, pool); !errors.As(err, &ve) {
		t.Errorf("Apply = %v, want a VersionError", err)
	}
}

// The constraints live in the schema, so a client that bypasses the Go
// validation still cannot store malformed data.
func TestSchemaConstraints(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatal(err)
	}
	setup := []string{
		`INSERT INTO locations (name) VALUES ('us-east-1')`,
		`INSERT INTO mirrors (name, country, bandwidth, enabled) VALUES ('m1', 'DE', 100, true)`,
		`INSERT INTO tokens (id, name, hash, created_at) VALUES ('t1', 't', sha256('s'), now())`,
		`INSERT INTO directories (path, size, timestamp, md5, sha1, sha256, sha512, recorded)
			VALUES ('pub/os', 1, 1, '', '', repeat('a', 64), '', now())`,
	}
	for _, sql := range setup {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	bad := map[string]string{
		"lower-case country":     `INSERT INTO mirrors (name, country, bandwidth, enabled) VALUES ('m2', 'de', 100, true)`,
		"zero bandwidth":         `INSERT INTO mirrors (name, country, bandwidth, enabled) VALUES ('m2', 'DE', 0, true)`,
		"duplicate mirror":       `INSERT INTO mirrors (name, country, bandwidth, enabled) VALUES ('m1', 'FR', 1, true)`,
		"bad location name":      `INSERT INTO locations (name) VALUES ('US_East')`,
		"location ends with -":   `INSERT INTO locations (name) VALUES ('us-')`,
		"unknown location":       `INSERT INTO mirror_locations (mirror, position, location) VALUES ('m1', 0, 'nowhere')`,
		"not a cidr":             `INSERT INTO mirror_netblocks (mirror, position, netblock) VALUES ('m1', 0, '10.0.0.1/8')`,
		"url without scheme":     `INSERT INTO mirror_urls (mirror, position, url) VALUES ('m1', 0, 'mirror.example.org/pub')`,
		"upper-case sha256":      `INSERT INTO freshness VALUES ('m1', 'pub/os', repeat('A', 64), now())`,
		"short sha256":           `INSERT INTO freshness VALUES ('m1', 'pub/os', repeat('a', 63), now())`,
		"unknown directory":      `INSERT INTO freshness VALUES ('m1', 'pub/other', repeat('a', 64), now())`,
		"leading slash":          `INSERT INTO repositories VALUES ('fedora-43', 'x86_64', '/pub/os', false)`,
		"redirect to itself":     `INSERT INTO redirects VALUES ('rawhide', 'rawhide')`,
		"short token hash":       `INSERT INTO tokens (id, name, hash, created_at) VALUES ('t', 't', '\x00', now())`,
		"duplicate token hash":   `INSERT INTO tokens (id, name, hash, created_at) VALUES ('t2', 't', sha256('s'), now())`,
		"bad cloud region":       `UPDATE locations SET cloud_regions = '{"US East"}'`,
		"cloud range host bits":  `INSERT INTO cloud_ranges VALUES ('aws', 0, '3.80.0.1/12', 'us-east-1')`,
		"cloud range bad region": `INSERT INTO cloud_ranges VALUES ('aws', 0, '3.80.0.0/12', 'US')`,
		"location in use delete": `DELETE FROM locations WHERE name = 'us-east-1'`,
	}
	if _, err := pool.Exec(ctx, `INSERT INTO mirror_locations VALUES ('m1', 0, 'us-east-1')`); err != nil {
		t.Fatal(err)
	}
	for name, sql := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, sql); err == nil {
				t.Errorf("accepted: %s", sql)
			}
		})
	}
	// Deleting a mirror takes its children and freshness along.
	if _, err := pool.Exec(ctx, `INSERT INTO freshness VALUES ('m1', 'pub/os', repeat('a', 64), now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM mirrors WHERE name = 'm1'`); err != nil {
		t.Fatal(err)
	}
	var n int
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM freshness) + (SELECT count(*) FROM mirror_locations)`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("%d rows left after deleting the mirror (%v)", n, err)
	}
}
