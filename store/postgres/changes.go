package postgres

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection backoff of the LISTEN connection.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
	// connectTimeout bounds one attempt to open the LISTEN connection.
	connectTimeout = 10 * time.Second
	// listenPing is how long the LISTEN connection may stay silent before
	// the server is pinged on it.
	listenPing = 5 * time.Second
)

// Changes implements store.Store with LISTEN on a dedicated connection,
// outside the pool. Notifications are coalesced: the channel holds at most
// one pending signal. When the connection is lost it signals at once, so
// that the subscriber reads the store and finds out whether it is still
// reachable, then reconnects with backoff and signals again, since changes
// may have been missed meanwhile. The first connection is made before
// Changes returns, so a change committed after that is always signalled.
// The channel is closed when ctx ends or the store is closed.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	if s.closing.Err() != nil {
		close(ch)
		return ch
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	conn, err := s.listen(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("postgres: cannot listen for changes; retrying", "err", err)
	}
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer stop()
		defer cancel()
		defer close(ch)
		s.relay(ctx, conn, ch)
	}()
	return ch
}

// listen opens a connection and subscribes it to the change channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return conn, nil
}

// relay signals ch for every notification on conn until ctx ends,
// replacing the connection when it fails. conn may be nil.
func (s *Store) relay(ctx context.Context, conn *pgx.Conn, ch chan<- struct{}) {
	backoff := minBackoff
	for {
		if conn == nil {
			// Jitter, so that replicas do not reconnect in step.
			wait := backoff/2 + rand.N(backoff/2+1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			backoff = min(2*backoff, maxBackoff)
			var err error
			if conn, err = s.listen(ctx); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("postgres: cannot listen for changes; retrying", "err", err, "retry_in", backoff)
				}
				continue
			}
			s.log.Info("postgres: listening for changes again")
			backoff = minBackoff
			signal(ch)
		}
		err := s.wait(ctx, conn)
		if err == nil {
			signal(ch)
			continue
		}
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		conn.Close(closeCtx)
		cancel()
		conn = nil
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("postgres: lost the connection listening for changes", "err", err)
		// Without this, a subscriber would not try the store until the
		// connection came back, and would not notice that it is down.
		signal(ch)
	}
}

// wait returns when a notification arrives on conn or the connection
// fails. A server that stops answering without closing its connections (a
// frozen process, whose kernel still acknowledges keepalives) would leave
// it waiting for good, so after listenPing of silence it asks the server for
// an answer, and one unanswered within the read timeout counts as a lost connection.
func (s *Store) wait(ctx context.Context, conn *pgx.Conn) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenPing)
		_, err := conn.WaitForNotification(waitCtx)
		silent := waitCtx.Err() != nil
		cancel()
		if err == nil || ctx.Err() != nil || !silent {
			return err
		}
		// Subscribing again is a no-op that needs an answer, and keeps the
		// session's query a LISTEN for whoever looks in pg_stat_activity.
		pingCtx, cancel := context.WithTimeout(ctx, s.timeouts.Read)
		_, err = conn.Exec(pingCtx, "LISTEN "+channel)
		cancel()
		if err != nil {
			return err
		}
	}
}

// signal delivers a value on ch unless one is already pending.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
