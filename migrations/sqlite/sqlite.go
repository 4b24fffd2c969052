// Package sqlite holds the embedded store's schema as numbered SQL files,
// embedded in the binary and applied in order by the store when it opens
// a data directory, as package migrations does for PostgreSQL.
package sqlite

import "embed"

// Files holds the numbered migrations, such as 0001_init.sql.
//
//go:embed *.sql
var Files embed.FS

// StatsFiles holds the numbered migrations of the statistics database,
// a file of its own in the data directory, under stats/.
//
//go:embed stats/*.sql
var StatsFiles embed.FS
