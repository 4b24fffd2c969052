package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// quietly runs fn, a write of the whole dataset, with the change log's
// triggers off for this transaction (migration 0008), then logs one entry
// for everything: a server reloads after such a write anyway, and a row
// logged per netblock or URL would cost more than the write.
func quietly(ctx context.Context, tx pgx.Tx, fn func() error) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('metalinkd.change_log_quiet', 'on', true)`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('metalinkd.change_log_quiet', 'off', true)`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT change_log_add('all', '', '')`)
	return err
}

// copyFreshness writes freshness rows into the emptied table with COPY:
// no array of half a million rows built in memory and sent as one
// parameter, and no conflict checks. The table's foreign keys and its
// index by directory are dropped first and created again after the rows
// are in, as PostgreSQL's documentation advises for a bulk load: one join
// checks every row at once, where the foreign keys' triggers would look up
// each row's mirror and directory one at a time, and the index is built
// from sorted keys. The caller's transaction makes it all or nothing; it
// holds the table's exclusive lock until it commits, so readers of the
// freshness wait for the restore (as writers already did) rather than see
// the table without its constraints.
func copyFreshness(ctx context.Context, tx pgx.Tx, fs []store.Freshness) error {
	if len(fs) == 0 {
		return nil
	}
	recreate, err := dropConstraintsOf(ctx, tx, "freshness")
	if err != nil {
		return err
	}
	i := 0
	row := make([]any, 5)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"freshness"}, []string{"mirror", "directory", "sha256", "reported", "source"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(fs) {
				return nil, nil
			}
			f := &fs[i]
			i++
			row[0], row[1], row[2], row[3], row[4] = f.Mirror, f.Directory, f.SHA256, f.Reported, sourceOrReport(f.Source)
			return row, nil
		}))
	if err != nil {
		return err
	}
	for _, sql := range recreate {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

// dropConstraintsOf drops table's foreign keys and the indexes that no
// constraint owns, and returns the statements that create them again.
func dropConstraintsOf(ctx context.Context, tx pgx.Tx, table string) ([]string, error) {
	rows, _ := tx.Query(ctx, `
		SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', $1::text, conname),
			format('ALTER TABLE %I ADD CONSTRAINT %I %s', $1::text, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'
		UNION ALL
		SELECT format('DROP INDEX %I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indrelid = $1::regclass
			AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)`, table)
	pairs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (p [2]string, err error) {
		err = row.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, err
	}
	recreate := make([]string, 0, len(pairs))
	for _, p := range pairs {
		if _, err := tx.Exec(ctx, p[0]); err != nil {
			return nil, err
		}
		recreate = append(recreate, p[1])
	}
	return recreate, nil
}

// sourceOrReport is the stored form of a freshness record's source.
func sourceOrReport(s string) string {
	if s == "" {
		return store.SourceReport
	}
	return s
}
