// Package pgtest gives each test its own PostgreSQL database, created on
// the test server and dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/metalinkd/metalinkd/migrations"
)

// DefaultURL is the test server's maintenance database; the environment
// variable METALINKD_TEST_POSTGRES overrides it.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres"

// Server is a PostgreSQL server that tests create databases on.
type Server struct {
	admin *pgxpool.Pool
	url   *url.URL
	err   error
}

// Connect connects to the test server. It does not fail: when the server
// is unreachable, NewDatabase skips the test, or fails it when CI=true.
func Connect() *Server {
	raw := os.Getenv("METALINKD_TEST_POSTGRES")
	if raw == "" {
		raw = DefaultURL
	}
	s := &Server{}
	if s.url, s.err = url.Parse(raw); s.err != nil {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.admin, s.err = pgxpool.New(ctx, raw); s.err != nil {
		return s
	}
	if s.err = s.admin.Ping(ctx); s.err != nil {
		s.admin.Close()
		s.admin = nil
	}
	return s
}

// Err returns why the server cannot be used, or nil.
func (s *Server) Err() error {
	if s.err != nil {
		return fmt.Errorf("PostgreSQL at %s is unreachable: %w", s.url.Redacted(), s.err)
	}
	return nil
}

// Close closes the maintenance connections.
func (s *Server) Close() {
	if s.admin != nil {
		s.admin.Close()
	}
}

// Require skips t when the server is unreachable, or fails it when the
// environment says CI=true, where a missing database must not pass quietly.
func (s *Server) Require(t testing.TB) {
	t.Helper()
	if err := s.Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: the tests need it)", err)
		}
		t.Skipf("%v; start PostgreSQL or set METALINKD_TEST_POSTGRES", err)
	}
}

// NewDatabase creates an empty database named metalinkd_test_<random>,
// dropped (with any connection left open) when t ends, and returns its URL.
// With migrate set, the schema is applied.
func (s *Server) NewDatabase(t testing.TB, migrate bool) string {
	t.Helper()
	s.Require(t)
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	name := "metalinkd_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	// template0 is never connected to, so creating from it cannot collide
	// with a concurrent test.
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec(ctx, "DROP DATABASE "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	u := *s.url
	u.Path = "/" + name
	dbURL := u.String()
	if migrate {
		pool, err := pgxpool.New(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		if _, err := migrations.Apply(ctx, pool); err != nil {
			t.Fatal(err)
		}
	}
	return dbURL
}
