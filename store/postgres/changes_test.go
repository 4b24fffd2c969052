package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
)

// wait bounds how long a signal may take; it only turns a hang into a failure.
const wait = 30 * time.Second

func waitSignal(t *testing.T, ch <-chan struct{}, after string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("channel closed while waiting for the signal after %s", after)
		}
	case <-time.After(wait):
		t.Fatalf("no signal within %v after %s", wait, after)
	}
}

func noSignal(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
		t.Fatal("unexpected signal")
	default:
	}
}

// Replicas see each other's changes.
func TestChangesFromAnotherReplica(t *testing.T) {
	url := server.NewDatabase(t, true)
	a, b := openURL(t, url), openURL(t, url)
	ch := a.Changes(t.Context())
	if err := b.CreateLocation(t.Context(), store.Location{Name: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, "a change through the other store")
}

// A rejected change commits nothing, so nothing is announced.
func TestNoSignalForRejectedChange(t *testing.T) {
	s := open(t)
	ch := s.Changes(t.Context())
	if err := s.DeleteLocation(t.Context(), "nowhere"); err == nil {
		t.Fatal("DeleteLocation of a missing location succeeded")
	}
	// A later change is the only signal: NOTIFY is delivered in commit order.
	if err := s.CreateLocation(t.Context(), store.Location{Name: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, "CreateLocation")
	noSignal(t, ch)
}

// When the LISTEN connection dies, the store reconnects, signals once
// (changes may have been missed meanwhile) and keeps listening.
func TestChangesReconnect(t *testing.T) {
	url := server.NewDatabase(t, true)
	s := openURL(t, url)
	ch := s.Changes(t.Context())

	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var killed bool
	err = conn.QueryRow(t.Context(), `
		SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN %'`).Scan(&killed)
	if err != nil || !killed {
		t.Fatalf("terminating the listener: %v (terminated: %v)", err, killed)
	}
	waitSignal(t, ch, "the listener's connection was terminated")

	// Listening again: wait until the new session has subscribed.
	testpeer.MustEventually(t, wait, "the store to listen again", func() bool {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query ILIKE 'LISTEN %'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
	drainAll(ch)
	if err := s.CreateLocation(t.Context(), store.Location{Name: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, "a change after reconnecting")
}

// Losing the connection is signalled at once, while reconnecting is still
// impossible, so that a subscriber reads the store and learns that it is
// down instead of serving on as if nothing happened.
func TestChangesSignalLossWhileUnreachable(t *testing.T) {
	url := server.NewDatabase(t, true)
	s := openURL(t, url)
	ch := s.Changes(t.Context())

	// A database cannot refuse connections to itself: work from the maintenance one.
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Existing sessions survive this; new ones, the listener's included, are refused.
	db := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(t.Context(), "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	var killed bool
	err = conn.QueryRow(t.Context(), `
		SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND query ILIKE 'LISTEN %'`, name).Scan(&killed)
	if err != nil || !killed {
		t.Fatalf("terminating the listener: %v (terminated: %v)", err, killed)
	}
	waitSignal(t, ch, "the listener's connection was terminated and the database refuses new ones")

	if _, err := conn.Exec(t.Context(), "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, "the database accepts connections again")
}

// The channel is closed when the subscriber's context ends, and when the
// store is closed.
func TestChangesEnd(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.Changes(ctx)
	cancel()
	waitClosed(t, ch)

	ch = s.Changes(t.Context())
	s.Close()
	waitClosed(t, ch)

	// Subscribing to a closed store gets a closed channel.
	waitClosed(t, s.Changes(t.Context()))
}

func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("channel not closed")
		}
	}
}

func drainAll(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
