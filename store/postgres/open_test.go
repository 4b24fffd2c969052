package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/migrations"
	"github.com/metalinkd/metalinkd/store/postgres"
)

// The server refuses a database whose schema it does not know.
func TestOpenRefusesUnmigratedDatabase(t *testing.T) {
	url := server.NewDatabase(t, false)
	s, err := postgres.Open(context.Background(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on an empty database")
	}
	var ve *migrations.VersionError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "metalinkd migrate") {
		t.Errorf("Open = %v, want a schema version error telling to migrate", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	s, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2")
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded without a server")
	}
}
