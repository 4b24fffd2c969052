package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/metalinkd/metalinkd/server"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
)

// outageFlags adds serve's flags for outages of the database.
func outageFlags(env Env, fs *flag.FlagSet, c *ServeConfig) {
	d := postgres.DefaultTimeouts
	fs.DurationVar(&c.DBTimeouts.Read, "db-read-timeout", d.Read, "PostgreSQL: deadline of a read (an admin GET, a token check, the health ping)")
	fs.DurationVar(&c.DBTimeouts.Write, "db-write-timeout", d.Write, "PostgreSQL: deadline of one change")
	fs.DurationVar(&c.DBTimeouts.Bulk, "db-bulk-timeout", time.Minute, "PostgreSQL: deadline of a load of the whole dataset, an import or a scan")
	fs.DurationVar(&c.DBTimeouts.Connect, "db-connect-timeout", d.Connect, "PostgreSQL: deadline of opening a connection, unless the URL sets connect_timeout")
	fs.DurationVar(&c.DBPingInterval, "db-ping-interval", 2*time.Second, "PostgreSQL: ping the database this often, each ping bounded by as long; a failed ping makes /readyz degraded")
	fs.StringVar(&c.SnapshotCache, "snapshot-cache", env.Getenv("METALINKD_SNAPSHOT_CACHE"),
		"`file` keeping the last dataset loaded, to start from while PostgreSQL is unavailable; \"off\" disables it (env METALINKD_SNAPSHOT_CACHE; default with PostgreSQL: snapshot-cache in the data directory)")
}

// resolveOutage fills the snapshot cache's default and checks the durations.
func (c *ServeConfig) resolveOutage() error {
	switch {
	case c.SnapshotCache == "off":
		c.SnapshotCache = ""
	case c.SnapshotCache == "" && c.Store.DatabaseURL != "":
		c.SnapshotCache = filepath.Join(c.Store.DataDir, "snapshot-cache")
	}
	t := c.DBTimeouts
	if t.Read <= 0 || t.Write <= 0 || t.Bulk <= 0 || t.Connect <= 0 || c.DBPingInterval <= 0 {
		return usageError{"--db-*-timeout and --db-ping-interval must be positive"}
	}
	return nil
}

// startReloader loads the first snapshot: from the store, else, when the
// store is unavailable, from the snapshot cache. A store that answers and a
// cache that is missing or damaged end the start with an error at once.
func startReloader(ctx context.Context, c ServeConfig, st store.Store, log *slog.Logger) (*server.Reloader, error) {
	opts := server.ReloaderOptions{Every: c.Reload, PingEvery: c.DBPingInterval, Metrics: c.metrics, Stats: c.stats}
	if p, ok := st.(server.Pinger); ok {
		opts.Health = p
	}
	if c.SnapshotCache != "" {
		if err := os.MkdirAll(filepath.Dir(c.SnapshotCache), 0o750); err != nil {
			return nil, fmt.Errorf("snapshot cache: %w", err)
		}
		cache, err := store.NewCacheFile(c.SnapshotCache)
		if err != nil {
			return nil, err
		}
		opts.Cache = cache
	}
	rl, err := server.StartReloader(ctx, st, log, opts)
	switch {
	case err == nil:
		return rl, nil
	case errors.Is(err, store.ErrUnavailable) && opts.Cache == nil:
		return nil, fmt.Errorf("cannot start: the store is unavailable and the snapshot cache is off: %w", err)
	}
	return nil, fmt.Errorf("cannot start: %w", err)
}
