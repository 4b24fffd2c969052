package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Changes implements store.Store by polling the database's data version
// on a connection of its own: SQLite changes it whenever another
// connection, of this process or another, commits. This process's own
// commits wake the poller at once. A commit is signalled
// when it also moved the generation, which every change that answers
// depend on counts (bump): the crawler's health-only writes are not. The
// first version is
// read before Changes returns, so a change committed after that is always
// signalled. A failure to read the version is signalled too, as a change
// may be. Signals are coalesced: the channel holds at most one. The
// channel is closed when ctx ends or the store is closed.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	// -1: unknown, signal once the version is read.
	var last, gen int64 = -1, -1
	conn, err := s.reader.Conn(ctx)
	if err == nil {
		if last, gen, err = versions(ctx, conn); err != nil {
			conn.Close()
			conn = nil
			last, gen = -1, -1
		}
	}
	woken, unregister := s.awaken()
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer unregister()
		defer stop()
		defer cancel()
		defer close(ch)
		defer func() {
			if conn != nil {
				conn.Close()
			}
		}()
		t := time.NewTicker(s.poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-woken:
			}
			if conn == nil {
				if conn, err = s.reader.Conn(ctx); err != nil {
					continue
				}
			}
			v, err := dataVersion(ctx, conn)
			if err != nil {
				// Signal, so that the subscriber reads the store and finds
				// out whether it is still readable; a new connection has a
				// new data version, so the next success signals again.
				conn.Close()
				conn, last, gen = nil, -1, -1
				v = -1
			}
			if v == last {
				continue
			}
			last = v
			if v >= 0 {
				g, err := generation(ctx, conn)
				if err != nil {
					conn.Close()
					conn, last, g = nil, -1, -1
				}
				if g >= 0 && g == gen {
					continue // a commit answers do not depend on
				}
				gen = g
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return ch
}

// versions reads the data version and the generation.
func versions(ctx context.Context, c *sql.Conn) (v, gen int64, err error) {
	if v, err = dataVersion(ctx, c); err != nil {
		return -1, -1, err
	}
	gen, err = generation(ctx, c)
	return v, gen, err
}

func generation(ctx context.Context, c *sql.Conn) (int64, error) {
	var n int64
	err := c.QueryRowContext(ctx, `SELECT n FROM generation WHERE id = 1`).Scan(&n)
	return n, err
}

func dataVersion(ctx context.Context, c *sql.Conn) (int64, error) {
	var v int64
	err := c.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}
