// Package migrations holds the PostgreSQL schema as numbered SQL files
// embedded in the binary, and applies them in order. Several replicas may
// start at once: Apply serialises them with an advisory lock, and Check
// lets a server refuse a schema it does not know.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed *.sql
var files embed.FS

// lockKey is the pg_advisory_lock key that serialises Apply across
// processes ("metalink" in ASCII).
const lockKey int64 = 0x6d6574616c696e6b

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // the file name, such as 0001_init.sql
	SQL     string
}

// All returns the embedded migrations in version order. Versions start at
// 1 and have no gaps, so the number of migrations is the latest version.
func All() ([]Migration, error) {
	return parse(files)
}

// Parse returns the numbered migrations of fsys in version order, checked
// as All checks its own (the embedded store keeps its schema this way too).
func Parse(fsys fs.FS) ([]Migration, error) { return parse(fsys) }

func parse(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations: %s: name must start with a positive number and '_'", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Latest returns the schema version this binary knows.
func Latest() int {
	ms, err := All()
	if err != nil {
		// The files are embedded at build time and checked by the tests.
		panic(err)
	}
	return len(ms)
}

// VersionError reports a database schema that differs from the binary's.
type VersionError struct {
	Database, Binary int
}

func (e *VersionError) Error() string {
	if e.Database > e.Binary {
		return fmt.Sprintf("database schema is at version %d, this binary knows %d: run a newer metalinkd", e.Database, e.Binary)
	}
	return fmt.Sprintf("database schema is at version %d, this binary knows %d: run `metalinkd migrate`", e.Database, e.Binary)
}

// Check fails with a *VersionError unless the database schema is exactly
// the version this binary knows.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	v, err := current(ctx, pool)
	if err != nil {
		return err
	}
	if latest := Latest(); v != latest {
		return &VersionError{Database: v, Binary: latest}
	}
	return nil
}

// querier is what current needs from a pool or a connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// current returns the applied schema version, 0 for an empty database.
func current(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("migrations: reading schema version: %w", err)
	}
	return v, nil
}
