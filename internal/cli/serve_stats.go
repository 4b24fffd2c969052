package cli

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/metalinkd/metalinkd/server"
	"github.com/metalinkd/metalinkd/store"
)

// StatsConfig is serve's statistics configuration.
type StatsConfig struct {
	// Flush is how often the counts go to the store; 0 turns statistics off.
	Flush time.Duration `json:"stats_flush"`
	// Keep is the retention applied on every flush.
	Keep store.StatsRetention `json:"stats_retention"`
}

// statsFlags adds serve's flags for statistics.
func statsFlags(env Env, fs *flag.FlagSet, c *StatsConfig) {
	fs.DurationVar(&c.Flush, "stats-flush", envDuration(env, "METALINKD_STATS_FLUSH", time.Minute),
		"count requests and dnf countme hits in memory and add them to the store this often, and at shutdown; 0 turns statistics off (env METALINKD_STATS_FLUSH)")
	fs.IntVar(&c.Keep.RequestDays, "stats-keep-days", envInt(env, "METALINKD_STATS_KEEP_DAYS", store.DefaultStatsRetention.RequestDays),
		"keep request statistics for this many days; older days are dropped on each flush (env METALINKD_STATS_KEEP_DAYS)")
	fs.IntVar(&c.Keep.CountmeWeeks, "stats-keep-weeks", envInt(env, "METALINKD_STATS_KEEP_WEEKS", store.DefaultStatsRetention.CountmeWeeks),
		"keep countme statistics for this many weeks; older weeks are dropped on each flush (env METALINKD_STATS_KEEP_WEEKS)")
}

// valid reports whether the statistics flags make sense.
func (c StatsConfig) valid() bool {
	return c.Flush >= 0 && c.Keep.RequestDays >= 1 && c.Keep.CountmeWeeks >= 1
}

// newStats returns the statistics serve counts, nil when they are off.
func newStats(c StatsConfig, m *server.Metrics) *server.Stats {
	if c.Flush <= 0 {
		return nil
	}
	stats := server.NewStats()
	m.WatchStats(stats)
	return stats
}

// startStats starts the flusher of stats (nil: off) into st, feeding the
// status page of rl after each flush; stop makes the last flush and waits
// for it.
func startStats(ctx context.Context, c StatsConfig, stats *server.Stats, st store.Store, rl *server.Reloader, log *slog.Logger) func() {
	if stats == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		stats.RunStats(ctx, server.StatsOptions{Store: st, Every: c.Flush, Keep: c.Keep, Log: log,
			Flushed: func(ctx context.Context) {
				if err := rl.ShowUsage(ctx, st, time.Now()); err != nil {
					log.Warn("statistics for the status page could not be read", "err", err)
				}
			}})
	}()
	return func() { cancel(); <-done }
}
