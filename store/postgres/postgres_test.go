package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
	"github.com/metalinkd/metalinkd/store/storetest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	server = pgtest.Connect()
	code := m.Run()
	server.Close()
	os.Exit(code)
}

// open returns a store on a new, migrated database of its own.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), server.NewDatabase(t, true))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	server.Require(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
