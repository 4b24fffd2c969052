package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
)

// freezer stands between the store and the database and can stop passing
// bytes while keeping every connection open, as a database whose processes
// are stopped (SIGSTOP) does: its kernel keeps the connections, accepts new
// ones and acknowledges keepalives, and nothing answers.
type freezer struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	thawed   *sync.Cond
	frozen   bool
}

func newFreezer(t *testing.T, upstream string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, upstream: upstream}
	f.thawed = sync.NewCond(&f.mu)
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, up)
			mu.Unlock()
			conns.Add(2)
			go func() { defer conns.Done(); f.pipe(up, c) }()
			go func() { defer conns.Done(); f.pipe(c, up) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.set(false)
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	return f
}

// pipe copies from src to dst, holding each chunk while frozen.
func (f *freezer) pipe(dst io.WriteCloser, src io.ReadCloser) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		for f.frozen {
			f.thawed.Wait()
		}
		f.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	f.frozen = frozen
	f.mu.Unlock()
	f.thawed.Broadcast()
}

// through returns dbURL with its host replaced by the freezer's address.
func (f *freezer) through(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = f.ln.Addr().String()
	return u.String()
}

// frozenStore opens a store with short timeouts on a new database reached
// through a freezer.
func frozenStore(t *testing.T) (*postgres.Store, *freezer) {
	t.Helper()
	dbURL := server.NewDatabase(t, true)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	f := newFreezer(t, u.Host)
	timeouts := postgres.Timeouts{Read: 300 * time.Millisecond, Write: 300 * time.Millisecond,
		Bulk: time.Second, Connect: 300 * time.Millisecond}
	s, err := postgres.Open(t.Context(), f.through(t, dbURL), postgres.WithTimeouts(timeouts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Runs first: closing the store waits for calls still stuck on the
	// database, which a failing test may leave behind.
	t.Cleanup(func() { f.set(false) })
	return s, f
}

// returns runs call and fails t unless it returns within wait, which only
// turns a hang into a failure; it logs how long the call took.
func returns(t *testing.T, name string, call func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- call() }()
	select {
	case err := <-errc:
		t.Logf("%s returned after %v: %v", name, time.Since(start).Round(time.Millisecond), err)
		return err
	case <-time.After(wait):
		t.Fatalf("%s still waits for a frozen database after %v", name, wait)
		return nil
	}
}

// Every call on a frozen database fails with ErrUnavailable when its
// deadline passes, even when the caller's context has none, and the store
// works again once the database answers.
func TestCallsOnAFrozenDatabaseFail(t *testing.T) {
	server.Require(t)
	s, f := frozenStore(t)
	ctx := context.Background()
	if _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(true)
	calls := map[string]func() error{
		"Load":           func() error { _, err := s.Load(ctx); return err },
		"Mirrors":        func() error { _, err := s.Mirrors(ctx); return err },
		"CreateLocation": func() error { return s.CreateLocation(ctx, store.Location{Name: "eu-west-1"}) },
		"TokenByHash":    func() error { _, err := s.TokenByHash(ctx, []byte("secret")); return err },
		"Ping":           func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := returns(t, name, call); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a frozen database = %v, want ErrUnavailable", name, err)
		}
	}
	f.set(false)
	testpeer.MustEventually(t, wait, "the store to answer again", func() bool { return s.Ping(ctx) == nil })
	if _, err := s.Load(ctx); err != nil {
		t.Errorf("Load after the database thawed: %v", err)
	}
}

// The LISTEN connection notices a frozen database: the subscriber is
// signalled, reads the store and finds it unavailable.
func TestChangesNoticeAFrozenDatabase(t *testing.T) {
	server.Require(t)
	s, f := frozenStore(t)
	ch := s.Changes(t.Context())
	f.set(true)
	start := time.Now()
	waitSignal(t, ch, "the database froze")
	t.Logf("the frozen database was signalled after %v", time.Since(start).Round(time.Millisecond))
}
