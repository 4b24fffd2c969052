package migrations

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Apply brings the database schema up to Latest, one migration per
// transaction, and returns the version it is at. It holds a session
// advisory lock meanwhile, so replicas starting together apply each
// migration once. A schema newer than the binary is an error.
func Apply(ctx context.Context, pool *pgxpool.Pool) (version int, err error) {
	ms, err := All()
	if err != nil {
		return 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return 0, fmt.Errorf("migrations: taking the lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx has ended; if that fails, closing the
		// session is what releases the lock.
		uctx := context.WithoutCancel(ctx)
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", lockKey); uerr != nil {
			conn.Conn().Close(uctx)
		}
	}()

	// The bookkeeping table is the one thing that cannot be a migration.
	const bookkeeping = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, bookkeeping); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	version, err = current(ctx, conn)
	if err != nil {
		return 0, err
	}
	if version > len(ms) {
		return version, &VersionError{Database: version, Binary: len(ms)}
	}
	for _, m := range ms[version:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return version, fmt.Errorf("migrations: applying %s: %w", m.Name, err)
		}
		version = m.Version
	}
	return version, nil
}
