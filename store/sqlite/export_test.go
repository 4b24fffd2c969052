package sqlite

import (
	"context"
	"database/sql"
)

// ExecForTest runs a statement on the store's database outside the
// store's API, to set up states that only another binary could create.
func ExecForTest(s *Store, query string, args ...any) (sql.Result, error) {
	return s.writer.ExecContext(context.Background(), query, args...)
}
