// Package sqlite implements store.Store on an SQLite database in a data
// directory: the embedded store, which needs no setup. The schema is
// migrated on open; each change is validated by the same pure functions as
// the PostgreSQL store's and applied in one transaction that touches only
// the rows it changes. Several processes (the server, import, scan,
// report) may share a data directory: writers take turns (BEGIN IMMEDIATE
// and a busy timeout), readers are never blocked (WAL), and a running
// server notices other processes' commits by polling the database's data
// version.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/metalinkd/metalinkd/store"
)

// FileName is the database file in the data directory.
const FileName = "metalinkd.db"

// openLockName is the file Open locks while it sets the data directory up.
const openLockName = "open.lock"

// busyTimeout is how long a write waits for another process's write to
// end, such as a report waiting for an import of the whole network.
const busyTimeout = 2 * time.Minute

// pollInterval is how often Changes looks for other connections' commits.
const pollInterval = 200 * time.Millisecond

// Store is the embedded SQLite store.
type Store struct {
	dir string
	// writer has one connection whose transactions begin IMMEDIATE, so that
	// a write holds the database's write lock from its first read and is
	// validated against the state it is applied to; reader serves reads,
	// each from one consistent snapshot.
	writer, reader *sql.DB
	poll           time.Duration
	retention      store.AuditRetention

	// stats is the statistics database, opened on first use (statsDB).
	statsMu sync.Mutex
	stats   *sql.DB

	// closing ends the Changes pollers when the store is closed.
	closing   context.Context
	close     context.CancelFunc
	listeners sync.WaitGroup
	// wrote wakes this process's Changes pollers after each of its own
	// commits, so that they need not wait for the next poll.
	wroteMu sync.Mutex
	wrote   map[chan struct{}]struct{}
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithAuditRetention sets how much of the audit log the store keeps; by
// default store.DefaultAuditRetention.
func WithAuditRetention(r store.AuditRetention) Option {
	return func(s *Store) { s.retention = r.WithDefaults(store.DefaultAuditRetention) }
}

// Open opens the embedded store in dir, creating the directory and the
// database as needed, brings the schema up to date and carries over the
// data of a data directory written by the former JSON-file store.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	s := &Store{dir: dir, poll: pollInterval, retention: store.DefaultAuditRetention}
	for _, o := range opts {
		o(s)
	}
	s.closing, s.close = context.WithCancel(context.Background())
	// Programs started together on a new data directory (a server and its
	// timers on first boot) would otherwise race to switch the new file to
	// WAL and to create the schema, and the losers fail with SQLITE_BUSY:
	// setting up is done by one at a time.
	unlock, err := store.LockFile(filepath.Join(dir, openLockName))
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	defer unlock()
	if s.writer, err = openDB(filepath.Join(dir, FileName), "immediate"); err != nil {
		return nil, err
	}
	s.writer.SetMaxOpenConns(1)
	if s.reader, err = openDB(filepath.Join(dir, FileName), "deferred"); err != nil {
		s.writer.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.importLegacy(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openDB(path, txlock string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_txlock", txlock)
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if txlock == "immediate" {
		// A bulk write touches more pages than the default cache of 2 MiB
		// holds; reads scan, and a cache would only add to the memory.
		q.Add("_pragma", "cache_size(-65536)")
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	return db, nil
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Close implements store.Store.
func (s *Store) Close() error {
	s.close()
	s.listeners.Wait()
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	s.statsMu.Lock()
	if s.stats != nil {
		errs = append(errs, s.stats.Close())
	}
	s.statsMu.Unlock()
	return errors.Join(errs...)
}

// change names a write for the audit log.
type change struct {
	action, target string
	detail         any
}

// write runs fn in a write transaction and, when fn succeeds, records the
// change in the audit log with the actor of ctx and announces it to
// Changes (bump), in the same transaction.
func (s *Store) write(ctx context.Context, c change, fn func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, store.NewAuditEntry(ctx, time.Now(), c.action, c.target, c.detail))
	})
}

// bump counts a change that answers depend on, for Changes to signal. A
// write without it (the crawler's health-only updates, a token's last
// use) is not signalled.
func bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE generation SET n = n + 1 WHERE id = 1`)
	return err
}

// writeTx runs fn in a transaction that holds the database's write lock
// from its start, and commits when fn succeeds.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	return s.finish(tx, fn)
}

// finish runs fn in the write transaction tx and commits when it succeeds
// (waking this process's server), or rolls back.
func (s *Store) finish(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.wake()
	return nil
}

// wake tells this process's Changes pollers that a commit was made.
func (s *Store) wake() {
	s.wroteMu.Lock()
	defer s.wroteMu.Unlock()
	for ch := range s.wrote {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// awaken registers a channel for wake; the returned func removes it.
func (s *Store) awaken() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.wroteMu.Lock()
	defer s.wroteMu.Unlock()
	if s.wrote == nil {
		s.wrote = map[chan struct{}]struct{}{}
	}
	s.wrote[ch] = struct{}{}
	return ch, func() {
		s.wroteMu.Lock()
		defer s.wroteMu.Unlock()
		delete(s.wrote, ch)
	}
}

// read runs fn in a read transaction, so that a read of several tables
// sees one state.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// audit records e and drops the entries that the retention no longer
// keeps. Under the write lock, IDs are handed out in order, so the entries
// to drop for their number are those MaxEntries below the new one.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error {
	if err := insertAudit(ctx, tx, e); err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT last_insert_rowid()`).Scan(&id); err != nil {
		return err
	}
	if n := s.retention.MaxEntries; n > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE id <= ?`, id-int64(n)); err != nil {
			return err
		}
	}
	if s.retention.MaxAge > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE at < ? AND id <> ?`, micros(e.At.Add(-s.retention.MaxAge)), id); err != nil {
			return err
		}
	}
	return nil
}

func insertAudit(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error {
	var detail any
	if e.Detail != nil {
		detail = string(e.Detail)
	}
	id := sql.NullInt64{Int64: e.ID, Valid: e.ID != 0}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		id, micros(e.At), e.Actor, e.Action, e.Target, detail)
	return err
}

// micros is t in microseconds since the Unix epoch, the precision kept.
func micros(t time.Time) int64 { return t.UnixMicro() }

// zeroMicros is the zero time.Time in microseconds.
var zeroMicros = time.Time{}.UnixMicro()

// fromMicros is the inverse of micros, in UTC; the zero time stays zero.
func fromMicros(us int64) time.Time {
	if us == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// translate maps driver errors to the store's sentinel errors, keeping the
// driver's error in the chain for its details.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	if se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return fmt.Errorf("%w: %w", store.ErrInvalid, err) // check, foreign key, not null
}

// wrap translates err and says which entity the failed call was about,
// unless err comes from the store package's validation or mutation
// functions, whose messages already name it.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if described(err) {
		return fmt.Errorf("embedded store: %w", err)
	}
	return fmt.Errorf("embedded store: "+format+": %w", append(args, translate(err))...)
}

// described reports whether err is a store error with its own context
// rather than a bare sentinel or a driver error.
func described(err error) bool {
	for _, sentinel := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict} {
		if err != sentinel && errors.Is(err, sentinel) {
			var se *sqlite.Error
			return !errors.As(err, &se)
		}
	}
	return false
}
