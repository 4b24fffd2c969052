// Package postgres implements store.Store on PostgreSQL, for production and
// for several server replicas sharing one database. Changes are validated
// by the same pure functions as the embedded store's, applied in one
// transaction each, and announced to every replica with NOTIFY.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/metalinkd/metalinkd/migrations"
	"github.com/metalinkd/metalinkd/store"
)

// channel is the NOTIFY channel every committed change is announced on.
const channel = "metalinkd_changes"

// writeLock is the transaction advisory lock key that serialises writers,
// so that each change is validated against the state it is applied to
// ("mlwrite" in ASCII).
const writeLock int64 = 0x6d6c7772697465

// Store is the PostgreSQL store.
type Store struct {
	pool      *pgxpool.Pool
	log       *slog.Logger
	retention store.AuditRetention
	timeouts  Timeouts
	// lazy opens without connecting; schemaOK records that the schema
	// was found to be the one this binary knows.
	lazy     bool
	schemaOK atomic.Bool

	// closing ends the Changes listeners when the store is closed.
	closing   context.Context
	close     context.CancelFunc
	listeners sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithAuditRetention sets how much of the audit log the store keeps; by
// default store.DefaultAuditRetention.
func WithAuditRetention(r store.AuditRetention) Option {
	return func(s *Store) { s.retention = r.WithDefaults(store.DefaultAuditRetention) }
}

// WithLogger sets the logger for events outside any call, such as losing
// and regaining the LISTEN connection. By default they are discarded.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Lazily makes Open return without reaching the database: connections are
// made when a call needs one, and the schema is checked by the first Load
// or Ping that reaches the database. A server uses it to start while the
// database is away.
func Lazily() Option { return func(s *Store) { s.lazy = true } }

// Open connects to the database at url (a PostgreSQL URL or key=value
// string) and checks that its schema is the one this binary knows.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s := &Store{log: slog.New(slog.NewTextHandler(io.Discard, nil)), timeouts: DefaultTimeouts, retention: store.DefaultAuditRetention}
	for _, o := range opts {
		o(s)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = s.timeouts.Connect
	}
	// Keepalives find a peer that vanished (a crashed host, a partition)
	// within a minute instead of TCP's retransmission time. A frozen server
	// still acknowledges them: the per-call timeouts cover that case.
	dialer := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 4}}
	cfg.ConnConfig.DialFunc = dialer.DialContext
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !s.lazy {
		if err := s.checkSchema(ctx); err != nil {
			s.pool.Close()
			return nil, err
		}
	}
	s.closing, s.close = context.WithCancel(context.Background())
	return s, nil
}

// checkSchema checks, until it once succeeds, that the database's schema
// is the one this binary knows.
func (s *Store) checkSchema(ctx context.Context) error {
	if s.schemaOK.Load() {
		return nil
	}
	defer s.bound(&ctx, s.timeouts.Read)()
	if err := migrations.Check(ctx, s.pool); err != nil {
		return fmt.Errorf("postgres: %w", translate(err))
	}
	s.schemaOK.Store(true)
	return nil
}

// Ping checks that the database answers, within the read timeout at most,
// on a connection of the pool (a frozen server holds its connections open
// but answers nothing on them).
func (s *Store) Ping(ctx context.Context) error {
	defer s.bound(&ctx, s.timeouts.Read)()
	if err := s.checkSchema(ctx); err != nil {
		return err
	}
	return wrap(s.pool.Ping(ctx), "ping")
}

// Close stops the Changes listeners and closes the connection pool.
func (s *Store) Close() error {
	s.close()
	s.listeners.Wait()
	s.pool.Close()
	return nil
}

// change names a write for the audit log, as the embedded store does.
type change struct {
	action, target string
	detail         any
}

// write runs fn in a transaction that holds the write lock and, when fn
// succeeds, records the change in the audit log with the actor of ctx and
// announces it on commit.
func (s *Store) write(ctx context.Context, c change, fn func(tx pgx.Tx) error) error {
	return s.writeQuiet(ctx, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.announce(ctx, tx, c)
	})
}

// writeQuiet runs fn in a transaction that holds the write lock, without
// an audit entry or a notification: for writes that answers do not depend
// on, unless fn announces them itself.
func (s *Store) writeQuiet(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", writeLock); err != nil {
			return err
		}
		return fn(tx)
	})
}

// announce records the change c in the audit log and notifies every
// replica on commit (several NOTIFYs of one transaction arrive as one).
func (s *Store) announce(ctx context.Context, tx pgx.Tx, c change) error {
	if err := s.audit(ctx, tx, c); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "NOTIFY "+channel)
	return err
}

// audit records the change c and drops the entries that the retention no
// longer keeps. Under the write lock, IDs are handed out in order, so the
// entries to drop for their number are those MaxEntries below the new one.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, c change) error {
	e := store.NewAuditEntry(ctx, time.Now(), c.action, c.target, c.detail)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		e.At, e.Actor, e.Action, e.Target, detailArg(e.Detail)).Scan(&id)
	if err != nil {
		return err
	}
	if n := s.retention.MaxEntries; n > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM audit WHERE id <= $1`, id-int64(n)); err != nil {
			return err
		}
	}
	if s.retention.MaxAge > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM audit WHERE at < $1 AND id <> $2`, e.At.Add(-s.retention.MaxAge), id); err != nil {
			return err
		}
	}
	return nil
}

// detailArg passes an audit detail as JSON text, or NULL when there is none.
func detailArg(d []byte) any {
	if d == nil {
		return nil
	}
	return string(d)
}

// translate maps driver errors to the store's sentinel errors, keeping the
// driver's error in the chain for its details.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch {
	case pgErr.Code == "23505": // unique_violation
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case pgErr.Code == "23514", pgErr.Code == "23503", pgErr.Code == "23502", // check, foreign key, not null
		strings.HasPrefix(pgErr.Code, "22"): // data exceptions: a bad cidr, a number out of range, …
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}

// unavailable reports whether err says that the database could not be
// reached or did not answer in time, rather than that it refused the call.
func unavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &pgErr):
		// connection exceptions; shutting down, starting up, too many clients
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	return false
}

// wrap translates err and says which entity the failed call was about,
// unless err comes from the store package's validation or mutation
// functions, whose messages already name it.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if described(err) {
		return fmt.Errorf("postgres: %w", err)
	}
	return fmt.Errorf("postgres: "+format+": %w", append(args, translate(err))...)
}

// described reports whether err is a store error with its own context
// rather than a bare sentinel or a driver error.
func described(err error) bool {
	for _, sentinel := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict} {
		if err != sentinel && errors.Is(err, sentinel) {
			var pgErr *pgconn.PgError
			return !errors.As(err, &pgErr)
		}
	}
	return false
}
