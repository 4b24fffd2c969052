package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// bulkRows is how many freshness rows one INSERT statement writes: the
// cost of a call through database/sql and the driver, paid once per row,
// is most of what a row costs otherwise. 100 rows of 5 columns stay far
// below SQLite's limit on parameters (32,766).
const bulkRows = 100

const insertFreshness = `INSERT INTO freshness (mirror, directory, sha256, reported, source) VALUES `

// bulkFreshness fills the emptied freshness table with rows, which the
// caller has validated, bulkRows at a time. The index by directory and the
// table's triggers (which log nothing in a quiet write, but are evaluated
// row by row) are dropped first and created again after the rows are in:
// the index at once from sorted keys, which costs a fraction of keeping it
// up to date row by row. All of it is part of the caller's transaction, so
// a failure, or a crash, leaves the schema and the rows as they were. The
// table's checks, which repeat the Go validation with a pattern match per
// digest, are not evaluated again row by row.
func bulkFreshness(ctx context.Context, tx *sql.Tx, rows []store.Freshness) (err error) {
	if _, err := tx.ExecContext(ctx, `PRAGMA ignore_check_constraints = 1`); err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool: it must check again.
		if _, rerr := tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA ignore_check_constraints = 0`); err == nil {
			err = rerr
		}
	}()
	schema, err := dropSchemaOf(ctx, tx, "freshness")
	if err != nil {
		return err
	}
	if err := insertFreshnessRows(ctx, tx, rows); err != nil {
		return err
	}
	for _, s := range schema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// dropSchemaOf drops table's own indexes and triggers and returns the
// statements that create them again.
func dropSchemaOf(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	type object struct{ kind, name, sql string }
	objects, err := collect(ctx, tx, func(r *sql.Rows) (o object, err error) {
		err = r.Scan(&o.kind, &o.name, &o.sql)
		return o, err
	}, `SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL
		ORDER BY type, name`, table)
	if err != nil {
		return nil, err
	}
	var create []string
	for _, o := range objects {
		if _, err := tx.ExecContext(ctx, `DROP `+strings.ToUpper(o.kind)+` "`+o.name+`"`); err != nil {
			return nil, err
		}
		create = append(create, o.sql)
	}
	return create, nil
}

// insertFreshnessRows inserts rows into a table that holds none of their
// keys.
func insertFreshnessRows(ctx context.Context, tx *sql.Tx, rows []store.Freshness) error {
	full := len(rows) / bulkRows * bulkRows
	if full > 0 {
		if err := insertFreshnessBatches(ctx, tx, rows[:full], bulkRows); err != nil {
			return err
		}
	}
	if rest := rows[full:]; len(rest) > 0 {
		return insertFreshnessBatches(ctx, tx, rest, len(rest))
	}
	return nil
}

// insertFreshnessBatches inserts rows, a multiple of n, n at a time with
// one prepared statement.
func insertFreshnessBatches(ctx context.Context, tx *sql.Tx, rows []store.Freshness, n int) error {
	st, err := tx.PrepareContext(ctx, insertFreshness+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", "))
	if err != nil {
		return err
	}
	defer st.Close()
	args := make([]any, 0, 5*n)
	for i := 0; i < len(rows); i += n {
		args = args[:0]
		for _, f := range rows[i : i+n] {
			args = append(args, f.Mirror, f.Directory, f.SHA256, micros(f.Reported), sourceColumn(f.Source))
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
